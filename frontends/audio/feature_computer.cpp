#include "frontends/audio/feature_computer.h"

namespace rwkvs {

FeatureMatrix compute_features(const FeatureComputer& computer, const float* samples, int64_t n) {
  const FrameGeometry& g = computer.geometry();
  FeatureMatrix m;
  m.rows = g.num_frames(n);
  m.cols = computer.dim();
  m.data.resize(static_cast<size_t>(m.rows * m.cols));
  auto scratch = computer.make_scratch();
  std::vector<float> frame(static_cast<size_t>(g.length));
  for (int64_t f = 0; f < m.rows; ++f) {
    g.extract(f, samples, 0, n, n, frame.data());
    computer.compute_frame(f, frame.data(), m.data.data() + f * m.cols, *scratch);
  }
  return m;
}

}  // namespace rwkvs
