#pragma once
// What a model's frontend settings describe: a frame computer (fbank, log-mel, MFCC) followed by
// optional stages over the sequence of frames (sliding-window CMVN). The offline driver here and
// the streaming one (OnlineFeatures) run the same stages, frame by frame, in the same order, so
// streaming stays bit-identical to offline.
#include <cstdint>
#include <memory>
#include <optional>

#include "frontends/audio/feature_computer.h"
#include "frontends/audio/sliding_cmvn.h"

namespace rwkvs {

struct FeaturePipeline {
  std::shared_ptr<const FeatureComputer> computer;
  std::optional<SlidingCmvnOptions> cmvn;  // sliding CMVN after the computer, when set

  FeaturePipeline() = default;
  FeaturePipeline(std::shared_ptr<const FeatureComputer> c, std::optional<SlidingCmvnOptions> n = std::nullopt)
      : computer(std::move(c)), cmvn(n) {}
  int dim() const { return computer->dim(); }
  double sample_rate() const { return computer->sample_rate(); }
  const FrameGeometry& geometry() const { return computer->geometry(); }
};

// Every frame of a whole signal of n samples, through every stage.
FeatureMatrix compute_features(const FeaturePipeline& pipeline, const float* samples /*[n]*/, int64_t n);

// The pipeline's stages after the computer, over frames the computer made for one whole signal.
void apply_frame_stages(const FeaturePipeline& pipeline, FeatureMatrix& frames);

}  // namespace rwkvs
