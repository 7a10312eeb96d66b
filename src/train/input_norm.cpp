#include "src/train/input_norm.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace rwkvs {

void set_input_norm(Model& model, const FeaturePipeline& features, const std::vector<Pcm16Clip>& waves,
                    const std::string& data) {
  const int64_t F = features.dim();
  const int s = model.config().frame_stack;
  RWKVS_CHECK(F * s == model.config().input_dim, "set_input_norm: ", F, " features x ", s, " frames for input_dim ",
              model.config().input_dim);
  std::vector<double> sum(F, 0.0), sum2(F, 0.0);
  int64_t frames = 0;
  std::vector<float> w;
  for (const Pcm16Clip& clip : waves) {
    clip.to_float(w);
    const FeatureMatrix m = compute_features(features, w.data(), static_cast<int64_t>(w.size()));
    for (int64_t r = 0; r < m.rows; ++r)
      for (int64_t f = 0; f < F; ++f) {
        const double x = m.row(r)[f];
        sum[f] += x;
        sum2[f] += x * x;
      }
    frames += m.rows;
  }
  if (frames == 0) fail("dataset '", data, "': the training clips are too short for a single feature frame");
  ModelView v = model.view();
  for (int64_t f = 0; f < F; ++f) {
    const double mean = sum[f] / frames;
    const double var = std::max(sum2[f] / frames - mean * mean, 1e-8);
    for (int k = 0; k < s; ++k) {
      v.input_mean[k * F + f] = static_cast<float>(mean);
      v.input_scale[k * F + f] = static_cast<float>(1.0 / std::sqrt(var));
    }
  }
}

}  // namespace rwkvs
