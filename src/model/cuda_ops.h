#pragma once
// The GPU backend of the model graphs (src/model/rwkv4_graph.h, rwkv7_graph.h): device memory and
// the kernels of kernels/cuda/*.h, queued on one context's stream. The twin of src/model/cpu_ops.h.
// Only for CUDA builds (RWKVS_HAVE_CUDA); includes no CUDA header.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cuda/activations.h"
#include "kernels/cuda/adamw.h"
#include "kernels/cuda/cross_entropy.h"
#include "kernels/cuda/bias.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/layernorm.h"
#include "kernels/cuda/matmul.h"
#include "kernels/cuda/memory.h"
#include "kernels/cuda/nccl.h"
#include "kernels/cuda/rwkv7_ops.h"
#include "kernels/cuda/token_shift.h"
#include "kernels/cuda/wkv4.h"
#include "kernels/cuda/wkv7.h"
#include "src/model/config.h"
#include "src/model/engine.h"
#include "src/model/state.h"

namespace rwkvs {

// A RecurrentState's floats in device memory, in the same layout for either architecture (same
// size, same layer views), so uploads and downloads are plain copies of RecurrentState::data().
class CudaState {
 public:
  CudaState(const ModelConfig& c, int64_t batch)
      : batch_(batch), C_(c.n_embd), A_(c.dim_att),
        wkv_(c.rwkv7() ? static_cast<int64_t>(c.n_embd) * c.head_size : 0),
        data_(static_cast<size_t>(c.n_layer * batch * floats_per_layer())) {}
  int64_t batch() const { return batch_; }
  bool rwkv7() const { return wkv_ > 0; }
  // As RecurrentState's: RWKV-7 att_x, wkv (H*N*N), ffn_x; RWKV-4 att_x, aa, bb, pp, ffn_x.
  int64_t floats_per_layer() const { return rwkv7() ? 2 * C_ + wkv_ : 2 * C_ + 3 * A_; }
  LayerStateView layer(int l) const {
    float* base = const_cast<float*>(data_.data());
    return rwkv7() ? state7_layer_view(base, l, batch_, C_, wkv_) : state_layer_view(base, l, batch_, C_, A_);
  }
  float* data() { return data_.data(); }
  size_t size() const { return data_.size(); }

 private:
  int64_t batch_, C_, A_, wkv_;  // wkv_: H * N * N for RWKV-7, else 0
  kernels::cuda::DeviceBuffer<float> data_;
};

struct CudaOps {
  template <class T>
  using Buffer = kernels::cuda::DeviceBuffer<T>;
  using State = CudaState;
  static constexpr bool kHasRwkv7 = true;  // the RWKV-7 block's kernels below

  kernels::cuda::CudaContext ctx;
  mutable std::shared_ptr<kernels::cuda::NcclCommunicator> nccl;  // made by the first allreduce
  mutable bool nccl_missing = false;
  mutable std::vector<float> host_staging;  // without NCCL: the buffer's trip through host memory

#define RWKVS_CUDA_OP(name)                 \
  template <class... Args>                  \
  void name(Args... args) const {           \
    kernels::cuda::name(ctx, args...);      \
  }
  RWKVS_CUDA_OP(layernorm_forward)
  RWKVS_CUDA_OP(layernorm_backward)
  RWKVS_CUDA_OP(token_shift_mix_forward)
  RWKVS_CUDA_OP(token_shift_mix_backward)
  RWKVS_CUDA_OP(matmul_forward)
  RWKVS_CUDA_OP(matmul_backward)
  RWKVS_CUDA_OP(sigmoid_forward)
  RWKVS_CUDA_OP(sigmoid_backward)
  RWKVS_CUDA_OP(relu_square_forward)
  RWKVS_CUDA_OP(relu_square_backward)
  RWKVS_CUDA_OP(mul_forward)
  RWKVS_CUDA_OP(mul_backward)
  RWKVS_CUDA_OP(add_inplace)
  RWKVS_CUDA_OP(wkv4_forward)
  RWKVS_CUDA_OP(wkv4_backward)
  RWKVS_CUDA_OP(embedding_forward)
  RWKVS_CUDA_OP(embedding_backward)
  RWKVS_CUDA_OP(normalize_columns)
  RWKVS_CUDA_OP(add_bias_forward)
  RWKVS_CUDA_OP(add_bias_backward)
  RWKVS_CUDA_OP(copy_last_rows)
  RWKVS_CUDA_OP(cross_entropy_forward)
  RWKVS_CUDA_OP(cross_entropy_backward)
  RWKVS_CUDA_OP(scale_inplace)
  RWKVS_CUDA_OP(adamw_update)
  // RWKV-7 (src/model/rwkv7_graph.h)
  RWKVS_CUDA_OP(matmul_nn_forward)
  RWKVS_CUDA_OP(matmul_nn_backward)
  RWKVS_CUDA_OP(token_shift_lerp_forward)
  RWKVS_CUDA_OP(token_shift_lerp_backward)
  RWKVS_CUDA_OP(tanh_forward)
  RWKVS_CUDA_OP(tanh_backward)
  RWKVS_CUDA_OP(rwkv7_decay_forward)
  RWKVS_CUDA_OP(rwkv7_decay_backward)
  RWKVS_CUDA_OP(lerp_forward)
  RWKVS_CUDA_OP(lerp_backward)
  RWKVS_CUDA_OP(rwkv7_keys_forward)
  RWKVS_CUDA_OP(rwkv7_keys_backward)
  RWKVS_CUDA_OP(groupnorm_forward)
  RWKVS_CUDA_OP(groupnorm_backward)
  RWKVS_CUDA_OP(rwkv7_bonus_forward)
  RWKVS_CUDA_OP(rwkv7_bonus_backward)
  RWKVS_CUDA_OP(wkv7_forward)
  RWKVS_CUDA_OP(wkv7_backward)
#undef RWKVS_CUDA_OP
  double sum_squares(const float* x, int64_t n) const { return kernels::cuda::sum_squares(ctx, x, n); }
  template <class T>
  void upload(T* device, const T* host, int64_t n) const {
    kernels::cuda::upload_bytes(ctx, device, host, sizeof(T) * static_cast<size_t>(n));
  }
  template <class T>
  void download(T* host, const T* device, int64_t n) const {
    kernels::cuda::download_bytes(ctx, host, device, sizeof(T) * static_cast<size_t>(n));
  }
  // NCCL between the ranks' GPUs (its communicator made on first use, the id sent over MPI); without
  // NCCL the buffer goes through host memory and MPI instead (said once on stderr).
  void allreduce_sum(const RankGroup& ranks, float* data, int64_t n) const;
  void synchronize() const { kernels::cuda::synchronize(ctx, "cuda engine"); }
  std::string device_name() const;  // the GPU's name

  template <class T>
  void copy(T* dst, const T* src, int64_t n) const {
    kernels::cuda::copy_device_bytes(ctx, dst, src, sizeof(T) * static_cast<size_t>(n));
  }
  void zero(float* p, int64_t n) const { kernels::cuda::zero_device_bytes(ctx, p, sizeof(float) * static_cast<size_t>(n)); }
};

}  // namespace rwkvs
