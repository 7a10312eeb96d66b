#include "frontends/audio/feature_pipeline.h"

namespace rwkvs {

void apply_frame_stages(const FeaturePipeline& pipeline, FeatureMatrix& m) {
  if (!pipeline.cmvn || m.rows == 0) return;
  SlidingCmvn cmvn(*pipeline.cmvn, static_cast<int>(m.cols));
  // The stage keeps its own copy of every raw frame it still needs, and a frame is only emitted
  // after it was accepted, so the outputs can overwrite the rows in place.
  int64_t out = 0;
  for (int64_t t = 0; t < m.rows; ++t) {
    cmvn.accept(m.data.data() + t * m.cols);
    while (cmvn.ready()) cmvn.emit(m.data.data() + (out++) * m.cols);
  }
  cmvn.finish();
  while (cmvn.ready()) cmvn.emit(m.data.data() + (out++) * m.cols);
}

FeatureMatrix compute_features(const FeaturePipeline& pipeline, const float* samples, int64_t n) {
  FeatureMatrix m = compute_features(*pipeline.computer, samples, n);
  apply_frame_stages(pipeline, m);
  return m;
}

}  // namespace rwkvs
