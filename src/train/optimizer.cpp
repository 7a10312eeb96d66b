#include "src/train/optimizer.h"

#include <cmath>

#include "base/error.h"
#include "kernels/activations.h"
#include "src/model/checkpoint.h"

namespace rwkvs {

AdamW::AdamW(const Model& model, const OptimizerConfig& config)
    : config_(config), m_(model.params_size()), v_(model.params_size()) {}

double AdamW::step(Model& model, float* grads, double lr, int64_t step) {
  const size_t n = model.params_size();
  const double norm = std::sqrt(kernels::sum_squares(grads, static_cast<int64_t>(n)));
  if (!std::isfinite(norm))
    fail("training diverged: the gradient norm is ", norm, " at step ", step,
         " (try a lower --lr or a smaller --clip)");
  if (config_.clip_norm > 0 && norm > config_.clip_norm) {
    const float scale = static_cast<float>(config_.clip_norm / norm);
#pragma omp parallel for simd if (n > (1 << 16))
    for (size_t i = 0; i < n; ++i) grads[i] *= scale;
  }
  kernels::AdamWHyper h;
  h.lr = static_cast<float>(lr);
  h.beta1 = config_.beta1;
  h.beta2 = config_.beta2;
  h.eps = config_.eps;
  for (const ParamInfo& p : model.layout().tensors()) {
    h.weight_decay = p.weight_decay ? config_.weight_decay : 0.0f;
    kernels::adamw_update(model.params() + p.offset, m_.data() + p.offset, v_.data() + p.offset,
                          grads + p.offset, static_cast<int64_t>(p.numel), h, step);
  }
  return norm;
}

void AdamW::save(const std::string& path, const Model& model, const Metadata& metadata) const {
  std::vector<TensorView> views = layout_views(model.layout(), m_.data(), "adam_m.");
  const std::vector<TensorView> vv = layout_views(model.layout(), v_.data(), "adam_v.");
  views.insert(views.end(), vv.begin(), vv.end());
  save_tensors(path, views, metadata);
}

Metadata AdamW::load(const std::string& path, const Model& model) {
  SafetensorsReader file(path);
  read_layout(file, model.layout(), m_.data(), "adam_m.");
  read_layout(file, model.layout(), v_.data(), "adam_v.");
  return file.metadata();
}

}  // namespace rwkvs
