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

// load_clip, saying on stderr the first time a file of a set has to be resampled (*noted turns true):
// "note: <what>: resampling audio from 8000 Hz to the model's 16000 Hz (e.g. 'a.wav')" ("<what>: "
// left out when 'what' is empty).
std::vector<float> load_clip_noting_resampling(const AudioExample& ex, double target_rate, const std::string& what,
                                               bool* noted);

}  // namespace rwkvs
