#pragma once
// The recurrent state of B independent sequences, whatever the stream length. Per layer:
//   RWKV-4 (rwkv4-spec §4.4): att_x and ffn_x, the last LayerNorm outputs entering time-mix and
//     channel-mix, and the WKV sums aa, bb, pp: 5 * L * B * C floats (A = C).
//   RWKV-7 (rwkv7-spec §6): att_x, the WKV state wkv (H, N, N) in [value][key] order, ffn_x:
//     L * B * (2C + C * N) floats.
#include <cstdint>
#include <vector>

#include "src/core/buffer.h"
#include "src/model/config.h"

namespace rwkvs {

struct LayerStateView {
  float* att_x;            // (B, C) LN1 output of the previous token
  float* aa = nullptr;     // (B, A) RWKV-4 WKV numerator, scaled by e^-pp
  float* bb = nullptr;     // (B, A) RWKV-4 WKV denominator, scaled by e^-pp
  float* pp = nullptr;     // (B, A) RWKV-4 running max exponent
  float* wkv = nullptr;    // (B, H, N, N) RWKV-7 WKV state
  float* ffn_x;            // (B, C) LN2 output of the previous token
};

// The views of layer l in a block laid out as RecurrentState's (host or device memory alike).
LayerStateView state_layer_view(float* base, int l, int64_t batch, int64_t C, int64_t A);
// The same for RWKV-7, where 'wkv' is H * N * N floats per sequence.
LayerStateView state7_layer_view(float* base, int l, int64_t batch, int64_t C, int64_t wkv);

class RecurrentState {
 public:
  RecurrentState() = default;
  RecurrentState(const ModelConfig& config, int64_t batch);

  bool rwkv7() const { return wkv_ > 0; }
  // Floats per sequence per layer (for state files and copies).
  int64_t floats_per_layer() const { return rwkv7() ? 2 * C_ + wkv_ : 2 * C_ + 3 * A_; }

  // The empty state: zeros, and (RWKV-4) pp at its "minus infinity" sentinel.
  void reset();
  // Resets sequence b only.
  void reset(int64_t b);

  int64_t batch() const { return batch_; }
  int n_layer() const { return n_layer_; }
  LayerStateView layer(int l);
  LayerStateView layer(int l) const { return const_cast<RecurrentState*>(this)->layer(l); }

  // The raw floats (for save/load and copies): layer-major, then the five fields, then (B, C|A).
  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  size_t size() const { return data_.size(); }

  // Copies sequence 'from' of 'src' into sequence 'to' of this state (forking, batching sessions).
  void copy_sequence(int64_t to, const RecurrentState& src, int64_t from);

 private:
  int64_t batch_ = 0, C_ = 0, A_ = 0, wkv_ = 0;  // wkv_: H * N * N for RWKV-7, else 0
  int n_layer_ = 0;
  AlignedBuffer<float> data_;
};

}  // namespace rwkvs
