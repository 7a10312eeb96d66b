#pragma once
// The GPU backend of the model graph (src/model/rwkv4_graph.h): device memory and the kernels of
// kernels/cuda/*.h, queued on one context's stream. The twin of src/model/cpu_ops.h. Only for
// CUDA builds (RWKVS_HAVE_CUDA); includes no CUDA header.
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
#include "kernels/cuda/token_shift.h"
#include "kernels/cuda/wkv4.h"
#include "src/model/config.h"
#include "src/model/engine.h"
#include "src/model/state.h"

namespace rwkvs {

// A RecurrentState's floats in device memory, in the same layout (uploads and downloads are
// plain copies of RecurrentState::data()).
class CudaState {
 public:
  CudaState(const ModelConfig& c, int64_t batch)
      : batch_(batch), C_(c.n_embd), A_(c.dim_att),
        data_(static_cast<size_t>(c.n_layer) * batch * (2 * c.n_embd + 3 * c.dim_att)) {}
  int64_t batch() const { return batch_; }
  LayerStateView layer(int l) const { return state_layer_view(const_cast<float*>(data_.data()), l, batch_, C_, A_); }
  float* data() { return data_.data(); }
  size_t size() const { return data_.size(); }

 private:
  int64_t batch_, C_, A_;
  kernels::cuda::DeviceBuffer<float> data_;
};

struct CudaOps {
  template <class T>
  using Buffer = kernels::cuda::DeviceBuffer<T>;
  using State = CudaState;

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
