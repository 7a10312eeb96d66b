#pragma once
// Loads the samples of one dataset example as mono float at the model's sample rate.
#include <string>
#include <vector>

#include "src/io/audio_example.h"

namespace rwkvs {

// Decodes ex.path (any format libsndfile reads), cuts [offset, offset + duration) and resamples to
// target_rate when the file's rate differs (then *resampled_from, when given, receives the file's
// rate; else it is left unchanged). Errors name the file: unreadable audio, offset past the end,
// an empty clip.
std::vector<float> load_clip(const AudioExample& ex, double target_rate, double* resampled_from = nullptr);

}  // namespace rwkvs
