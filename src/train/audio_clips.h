#pragma once
// A dataset split decoded into memory at the model's sample rate, and the batching of clips into
// padded feature-frame batches for a frames model. The clips are held as 16-bit samples
// (src/audio/pcm16_clip.h: half the memory of float32, exact for 16-bit sources) and turned into
// floats only while a batch is built.
#include <cstdint>
#include <string>
#include <vector>

#include "frontends/audio/feature_pipeline.h"
#include "src/audio/pcm16_clip.h"
#include "src/io/audio_example.h"

namespace rwkvs {

struct ClipSet {
  std::vector<Pcm16Clip> waves;  // mono samples per clip, 16-bit
  std::vector<int32_t> labels;   // class id per clip
  std::vector<std::string> paths;
};

// Decodes every example (progress on stdout for large sets; one note on stderr when files are
// resampled) and stores it as 16-bit samples: a 16-bit file reads back as the very floats the
// decoder gave, anything else is rounded to 16 bits. 'what' names the split in messages.
// Unlabelled examples are an error.
ClipSet load_clips(const std::vector<AudioExample>& examples, double sample_rate, const std::string& what);

// Background-noise recordings at the given rate.
std::vector<std::vector<float>> load_noises(const std::vector<std::string>& paths, double sample_rate);

// Features of several clips as one right-padded batch.
struct FrameBatch {
  int64_t B = 0, T = 0, F = 0;
  std::vector<float> frames;     // (B, T, F), zero padding
  std::vector<int64_t> lengths;  // (B) frames per clip, >= 1
};

// Computes the features of each wave (every stage of the pipeline) and pads them into a batch. A
// clip too short for one frame is padded with silence up to one frame.
void featurize_batch(const FeaturePipeline& pipeline, const std::vector<const std::vector<float>*>& waves,
                     FrameBatch& out);
// The same for stored clips, each turned into floats only while its features are computed: the
// batch equals that of the clips' floats (to_float) given to the overload above.
void featurize_batch(const FeaturePipeline& pipeline, const std::vector<const Pcm16Clip*>& waves, FrameBatch& out);

}  // namespace rwkvs
