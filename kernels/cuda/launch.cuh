#pragma once
// Internal to the .cu files of kernels/cuda: error checks that turn CUDA failures into rwkvs::Error
// naming the op, grid sizing for grid-stride loops, stream-ordered scratch memory, warp/block sums.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "base/error.h"
#include "kernels/cuda/context.h"

namespace rwkvs::kernels::cuda {

constexpr int kThreads = 256;  // threads per block of the elementwise and per-item kernels

inline cudaStream_t stream_of(const CudaContext& ctx) { return ctx.stream; }

// Throws rwkvs::Error "<op>: <what> failed: <CUDA message>" unless err is cudaSuccess.
inline void check_cuda(cudaError_t err, const char* op, const char* what) {
  if (err != cudaSuccess)
    fail(op, ": ", what, " failed: ", cudaGetErrorName(err), " (", cudaGetErrorString(err), ")");
}

// After every launch: a bad configuration or an earlier asynchronous fault surfaces here.
inline void check_launch(const char* op) { check_cuda(cudaGetLastError(), op, "kernel launch"); }

// Blocks for a grid-stride loop over n items: enough to fill the device, never above the 1-D limit.
inline unsigned grid_for(int64_t n, int threads = kThreads) {
  const int64_t blocks = (std::max<int64_t>(n, 1) + threads - 1) / threads;
  return static_cast<unsigned>(std::min<int64_t>(blocks, int64_t(1) << 30));
}

// for (i = this thread's first item; i < n; i += all threads): 64-bit indices, any n.
#define RWKVS_GRID_STRIDE(i, n)                                                          \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

// Temporary device memory ordered on a stream (cudaMallocAsync / cudaFreeAsync): freed after the
// work queued before the destructor, so a kernel may still read it when the host leaves the scope.
template <class T>
class Scratch {
 public:
  Scratch(const CudaContext& ctx, size_t n, const char* op) : stream_(stream_of(ctx)) {
    if (n > 0)
      check_cuda(cudaMallocAsync(reinterpret_cast<void**>(&p_), n * sizeof(T), stream_), op,
                 "scratch allocation");
  }
  ~Scratch() {
    if (p_) cudaFreeAsync(p_, stream_);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  T* get() const { return p_; }

 private:
  cudaStream_t stream_;
  T* p_ = nullptr;
};

// Rejects sizes that are not positive, naming the op and the values.
inline void require_positive(const char* op, const char* names, int64_t a, int64_t b = 1, int64_t c = 1) {
  if (a < 1 || b < 1 || c < 1) fail(op, ": sizes must be positive, got ", names, " = ", a, ", ", b, ", ", c);
}

template <class R>
__device__ __forceinline__ R warp_sum(R x) {
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
  return x;
}
__device__ __forceinline__ float warp_max(float x) {
  for (int o = 16; o > 0; o >>= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, o));
  return x;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024), returned to every thread. The
// order of additions is fixed by the launch shape, so results are deterministic. 'shared' holds 32.
template <class R>
__device__ R block_sum(R x, R* shared) {
  x = warp_sum(x);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  __syncthreads();  // 'shared' may still be read by a previous call
  if (lane == 0) shared[warp] = x;
  __syncthreads();
  x = lane < warps ? shared[lane] : R(0);
  return warp_sum(x);
}
__device__ inline float block_max(float x, float* shared) {
  x = warp_max(x);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  __syncthreads();
  if (lane == 0) shared[warp] = x;
  __syncthreads();
  x = lane < warps ? shared[lane] : -INFINITY;
  return warp_max(x);
}

}  // namespace rwkvs::kernels::cuda
