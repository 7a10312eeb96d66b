#include "src/train/audio_clips.h"

#include <algorithm>
#include <cstdio>

#include "base/error.h"
#include "src/audio/clip_loader.h"
#include "src/io/audio_example.h"

namespace rwkvs {

ClipSet load_clips(const std::vector<AudioExample>& examples, double sample_rate, const std::string& what) {
  ClipSet set;
  bool noted = false;
  for (size_t i = 0; i < examples.size(); ++i) {
    const AudioExample& ex = examples[i];
    if (ex.label < 0) fail(what, ": '", ex.path, "' has no label");
    set.waves.emplace_back(load_clip_noting_resampling(ex, sample_rate, what, &noted));
    set.labels.push_back(ex.label);
    set.paths.push_back(ex.path);
    if (examples.size() >= 2000 && (i + 1) % 1000 == 0) {
      std::printf("  %s: loaded %zu/%zu clips\n", what.c_str(), i + 1, examples.size());
      std::fflush(stdout);
    }
  }
  return set;
}

std::vector<std::vector<float>> load_noises(const std::vector<std::string>& paths, double sample_rate) {
  std::vector<std::vector<float>> out;
  for (const std::string& p : paths) {
    AudioExample ex;
    ex.path = p;
    out.push_back(load_clip(ex, sample_rate));
  }
  return out;
}

namespace {

// Right-pads the features of each clip into one batch.
void pad_into_batch(const std::vector<FeatureMatrix>& feats, int64_t F, FrameBatch& out) {
  int64_t T = 1;
  for (const FeatureMatrix& m : feats) T = std::max(T, m.rows);
  out.B = static_cast<int64_t>(feats.size());
  out.T = T;
  out.F = F;
  out.frames.assign(out.B * T * F, 0.0f);
  out.lengths.resize(out.B);
  for (int64_t b = 0; b < out.B; ++b) {
    out.lengths[b] = std::max<int64_t>(1, feats[b].rows);
    std::copy(feats[b].data.begin(), feats[b].data.end(), out.frames.begin() + b * T * F);
  }
}

}  // namespace

void featurize_batch(const FeaturePipeline& pipeline, const std::vector<const std::vector<float>*>& waves,
                     FrameBatch& out) {
  const int64_t min_len = pipeline.geometry().length;
  std::vector<FeatureMatrix> feats(waves.size());
#pragma omp parallel for schedule(dynamic) if (waves.size() > 1)
  for (size_t i = 0; i < waves.size(); ++i) {
    const std::vector<float>& w = *waves[i];
    if (static_cast<int64_t>(w.size()) >= min_len) {
      feats[i] = compute_features(pipeline, w.data(), static_cast<int64_t>(w.size()));
    } else {
      std::vector<float> padded(w);
      padded.resize(min_len, 0.0f);
      feats[i] = compute_features(pipeline, padded.data(), min_len);
    }
  }
  pad_into_batch(feats, pipeline.dim(), out);
}

void featurize_batch(const FeaturePipeline& pipeline, const std::vector<const Pcm16Clip*>& waves, FrameBatch& out) {
  const int64_t min_len = pipeline.geometry().length;
  std::vector<FeatureMatrix> feats(waves.size());
#pragma omp parallel for schedule(dynamic) if (waves.size() > 1)
  for (size_t i = 0; i < waves.size(); ++i) {
    const Pcm16Clip& clip = *waves[i];
    // A clip too short for one frame: silence after it, as above.
    const int64_t n = std::max(static_cast<int64_t>(clip.size()), min_len);
    std::vector<float> w(static_cast<size_t>(n), 0.0f);
    clip.to_float(0, clip.size(), w.data());
    feats[i] = compute_features(pipeline, w.data(), n);
  }
  pad_into_batch(feats, pipeline.dim(), out);
}

}  // namespace rwkvs
