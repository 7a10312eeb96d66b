#pragma once
// AdamW over a model's flat parameter block: weight decay on matrices only (ParamInfo::weight_decay),
// gradient clipping by global norm, moments saved beside the checkpoint for exact resume.
#include <cstdint>
#include <string>

#include "kernels/adamw.h"
#include "src/core/buffer.h"
#include "src/io/safetensors.h"
#include "src/model/model.h"

namespace rwkvs {

struct OptimizerConfig {
  float beta1 = 0.9f;
  float beta2 = 0.99f;
  float eps = 1e-8f;
  float weight_decay = 0.1f;
  float clip_norm = 1.0f;  // <= 0 disables clipping
};

class AdamW {
 public:
  AdamW(const Model& model, const OptimizerConfig& config);

  // Clips grads in place to the global norm, then updates params. Returns the norm before clipping.
  // step is 1-based. Throws if the gradient is not finite (the parameters are left untouched).
  double step(Model& model, float* grads, double lr, int64_t step);

  // Moments as tensors adam_m.<name>, adam_v.<name> for save_tensors / read back by load().
  void save(const std::string& path, const Model& model, const Metadata& metadata) const;
  // Reads moments saved by save(); returns the file's metadata. Errors name the file.
  Metadata load(const std::string& path, const Model& model);
  const OptimizerConfig& config() const { return config_; }
  // The first and second moments, laid out like the parameters (a GPU copy syncs through these).
  float* m() { return m_.data(); }
  float* v() { return v_.data(); }
  const float* m() const { return m_.data(); }
  const float* v() const { return v_.data(); }

 private:
  OptimizerConfig config_;
  AlignedBuffer<float> m_, v_;
};

}  // namespace rwkvs
