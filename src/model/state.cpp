#include "src/model/state.h"

#include <algorithm>

#include "kernels/wkv4_math.h"

namespace rwkvs {

RecurrentState::RecurrentState(const ModelConfig& config, int64_t batch)
    : batch_(batch), C_(config.n_embd), A_(config.dim_att),
      wkv_(config.rwkv7() ? static_cast<int64_t>(config.n_embd) * config.head_size : 0), n_layer_(config.n_layer),
      data_(static_cast<size_t>(config.n_layer * batch * floats_per_layer())) {
  reset();
}

LayerStateView state7_layer_view(float* base, int l, int64_t batch, int64_t C, int64_t wkv) {
  LayerStateView v;
  v.att_x = base + static_cast<size_t>(l) * batch * (2 * C + wkv);
  v.wkv = v.att_x + batch * C;
  v.ffn_x = v.wkv + batch * wkv;
  return v;
}

LayerStateView state_layer_view(float* base, int l, int64_t batch, int64_t C, int64_t A) {
  LayerStateView v;
  v.att_x = base + static_cast<size_t>(l) * batch * (2 * C + 3 * A);
  v.aa = v.att_x + batch * C;
  v.bb = v.aa + batch * A;
  v.pp = v.bb + batch * A;
  v.ffn_x = v.pp + batch * A;
  return v;
}

LayerStateView RecurrentState::layer(int l) {
  return rwkv7() ? state7_layer_view(data_.data(), l, batch_, C_, wkv_) : state_layer_view(data_.data(), l, batch_, C_, A_);
}

void RecurrentState::reset() {
  for (int64_t b = 0; b < batch_; ++b) reset(b);
}

void RecurrentState::reset(int64_t b) {
  for (int l = 0; l < n_layer_; ++l) {
    LayerStateView v = layer(l);
    std::fill(v.att_x + b * C_, v.att_x + (b + 1) * C_, 0.0f);
    std::fill(v.ffn_x + b * C_, v.ffn_x + (b + 1) * C_, 0.0f);
    if (rwkv7()) {
      std::fill(v.wkv + b * wkv_, v.wkv + (b + 1) * wkv_, 0.0f);
      continue;
    }
    std::fill(v.aa + b * A_, v.aa + (b + 1) * A_, 0.0f);
    std::fill(v.bb + b * A_, v.bb + (b + 1) * A_, 0.0f);
    std::fill(v.pp + b * A_, v.pp + (b + 1) * A_, kernels::kWkvEmpty);
  }
}

void RecurrentState::copy_sequence(int64_t to, const RecurrentState& src, int64_t from) {
  for (int l = 0; l < n_layer_; ++l) {
    LayerStateView d = layer(l);
    const LayerStateView s = src.layer(l);
    std::copy(s.att_x + from * C_, s.att_x + (from + 1) * C_, d.att_x + to * C_);
    std::copy(s.ffn_x + from * C_, s.ffn_x + (from + 1) * C_, d.ffn_x + to * C_);
    if (rwkv7()) {
      std::copy(s.wkv + from * wkv_, s.wkv + (from + 1) * wkv_, d.wkv + to * wkv_);
      continue;
    }
    std::copy(s.aa + from * A_, s.aa + (from + 1) * A_, d.aa + to * A_);
    std::copy(s.bb + from * A_, s.bb + (from + 1) * A_, d.bb + to * A_);
    std::copy(s.pp + from * A_, s.pp + (from + 1) * A_, d.pp + to * A_);
  }
}

}  // namespace rwkvs
