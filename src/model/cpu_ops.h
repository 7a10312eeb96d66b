#pragma once
// The CPU backend of the model graphs (src/model/rwkv4_graph.h, rwkv7_graph.h): host memory and the kernels of
// kernels/*.h. Its GPU twin is src/model/cuda_ops.h; the graph is written once against either.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include <string>

#include "kernels/activations.h"
#include "kernels/adamw.h"
#include "kernels/cross_entropy.h"
#include "kernels/bias.h"
#include "kernels/embedding.h"
#include "kernels/layernorm.h"
#include "kernels/matmul.h"
#include "kernels/rwkv7_ops.h"
#include "kernels/token_shift.h"
#include "kernels/wkv4.h"
#include "kernels/wkv7.h"
#include "src/core/buffer.h"
#include "src/model/state.h"

namespace rwkvs {

struct CpuOps {
  template <class T>
  using Buffer = AlignedBuffer<T>;
  using State = RecurrentState;
  static constexpr bool kHasRwkv7 = true;  // the RWKV-7 block's kernels below

#define RWKVS_CPU_OP(name)                  \
  template <class... Args>                  \
  void name(Args... args) const {           \
    kernels::name<float>(args...);          \
  }
  RWKVS_CPU_OP(layernorm_forward)
  RWKVS_CPU_OP(layernorm_backward)
  RWKVS_CPU_OP(token_shift_mix_forward)
  RWKVS_CPU_OP(token_shift_mix_backward)
  RWKVS_CPU_OP(matmul_forward)
  RWKVS_CPU_OP(matmul_backward)
  RWKVS_CPU_OP(sigmoid_forward)
  RWKVS_CPU_OP(sigmoid_backward)
  RWKVS_CPU_OP(relu_square_forward)
  RWKVS_CPU_OP(relu_square_backward)
  RWKVS_CPU_OP(mul_forward)
  RWKVS_CPU_OP(mul_backward)
  RWKVS_CPU_OP(add_inplace)
  RWKVS_CPU_OP(wkv4_forward)
  RWKVS_CPU_OP(wkv4_backward)
  RWKVS_CPU_OP(embedding_forward)
  RWKVS_CPU_OP(embedding_backward)
  RWKVS_CPU_OP(normalize_columns)
  RWKVS_CPU_OP(add_bias_forward)
  RWKVS_CPU_OP(add_bias_backward)
  RWKVS_CPU_OP(cross_entropy_forward)
  RWKVS_CPU_OP(cross_entropy_backward)
  // RWKV-7 (src/model/rwkv7_graph.h)
  RWKVS_CPU_OP(matmul_nn_forward)
  RWKVS_CPU_OP(matmul_nn_backward)
  RWKVS_CPU_OP(token_shift_lerp_forward)
  RWKVS_CPU_OP(token_shift_lerp_backward)
  RWKVS_CPU_OP(tanh_forward)
  RWKVS_CPU_OP(tanh_backward)
  RWKVS_CPU_OP(rwkv7_decay_forward)
  RWKVS_CPU_OP(rwkv7_decay_backward)
  RWKVS_CPU_OP(lerp_forward)
  RWKVS_CPU_OP(lerp_backward)
  RWKVS_CPU_OP(rwkv7_keys_forward)
  RWKVS_CPU_OP(rwkv7_keys_backward)
  RWKVS_CPU_OP(groupnorm_forward)
  RWKVS_CPU_OP(groupnorm_backward)
  RWKVS_CPU_OP(rwkv7_bonus_forward)
  RWKVS_CPU_OP(rwkv7_bonus_backward)
  RWKVS_CPU_OP(wkv7_forward)
  RWKVS_CPU_OP(wkv7_backward)
#undef RWKVS_CPU_OP

  template <class T>
  void copy(T* dst, const T* src, int64_t n) const {
    if (n > 0) std::memcpy(dst, src, sizeof(T) * static_cast<size_t>(n));
  }
  void zero(float* p, int64_t n) const { std::fill(p, p + n, 0.0f); }
  // Host and backend memory are the same here.
  template <class T>
  void upload(T* dst, const T* host, int64_t n) const {
    copy(dst, host, n);
  }
  template <class T>
  void download(T* host, const T* src, int64_t n) const {
    copy(host, src, n);
  }
  double sum_squares(const float* x, int64_t n) const { return kernels::sum_squares<float>(x, n); }
  void scale_inplace(float* x, float s, int64_t n) const {
#pragma omp parallel for simd if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) x[i] *= s;
  }
  void adamw_update(float* params, float* m, float* v, const float* grads, int64_t n, const kernels::AdamWHyper& h,
                    int64_t step) const {
    kernels::adamw_update(params, m, v, grads, n, h, step);
  }
  template <class Group>
  void allreduce_sum(const Group& ranks, float* data, int64_t n) const {
    ranks.host_sum(data, static_cast<size_t>(n));
  }
  void synchronize() const {}
  std::string device_name() const;  // "cpu (N threads)"

  // dst (B, C) = the last row of each of the B sequences in src (B, T, C).
  void copy_last_rows(float* dst, const float* src, int64_t B, int64_t T, int64_t C) const {
    for (int64_t b = 0; b < B; ++b) copy(dst + b * C, src + ((b + 1) * T - 1) * C, C);
  }
};

}  // namespace rwkvs
