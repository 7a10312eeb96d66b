#pragma once
// An RWKV-4 model's configuration and parameters (one flat block laid out by ParamLayout).
// Immutable once built for inference: sessions and trainers share it by const reference.
#include <cstdint>
#include <string>

#include "src/core/buffer.h"
#include "src/model/config.h"
#include "src/model/params.h"

namespace rwkvs {

class Model {
 public:
  explicit Model(const ModelConfig& config);  // all parameters zero

  const ModelConfig& config() const { return config_; }
  ModelConfig& config() { return config_; }
  const ParamLayout& layout() const { return layout_; }

  float* params() { return params_.data(); }
  const float* params() const { return params_.data(); }
  size_t params_size() const { return params_.size(); }  // floats in the flat block (with padding)
  size_t num_parameters() const;                         // sum of tensor sizes

  ModelView view() { return make_view(layout_, params_.data(), config_.n_layer); }
  // Read-only access through the same struct; callers must not write through it.
  ModelView view() const { return make_view(layout_, const_cast<float*>(params_.data()), config_.n_layer); }

  float* tensor(const std::string& name) { return params_.data() + layout_.at(name).offset; }
  const float* tensor(const std::string& name) const { return params_.data() + layout_.at(name).offset; }

 private:
  ModelConfig config_;
  ParamLayout layout_;
  AlignedBuffer<float> params_;
};

// Official RWKV-4 (v4neo) initialisation, spec §8: time_* ramps, zero/orthogonal matrices,
// tiny uniform embedding. n_layer = 1 uses r01 = 0 (the official code divides by zero there).
void init_official(Model& model, uint64_t seed, float emb_scale = 1e-4f);

// The oracle's test initialisation: official time_* ramps, random-normal matrices (std 1/sqrt(in)),
// LayerNorm weights 1 +- 0.1. Every path carries signal, so kernels and recurrences are exercised.
void init_random(Model& model, uint64_t seed);

}  // namespace rwkvs
