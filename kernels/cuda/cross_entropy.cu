// Softmax cross-entropy on the GPU (kernels/cuda/cross_entropy.h): one block per row, the max and
// the sum of exponentials by block reductions (the sum in double, as the CPU twin), then the loss
// or the gradient written in place.
#include <cmath>

#include "kernels/cuda/cross_entropy.h"
#include "kernels/cuda/launch.cuh"

namespace rwkvs::kernels::cuda {
namespace {

struct RowSoftmax {
  float max;
  double sum;  // sum_v e^{x_v - max}
};

// Every thread of the block takes part; all reads of x finish before the function returns.
__device__ RowSoftmax row_softmax(const float* x, int64_t V, float* fshared, double* dshared) {
  float m = -INFINITY;
  for (int64_t v = threadIdx.x; v < V; v += blockDim.x) m = fmaxf(m, x[v]);
  m = block_max(m, fshared);
  double s = 0;
  for (int64_t v = threadIdx.x; v < V; v += blockDim.x) s += static_cast<double>(expf(x[v] - m));
  return {m, block_sum(s, dshared)};
}

__global__ void cross_entropy_forward_kernel(float* losses, const float* logits, const int32_t* targets,
                                             int64_t N, int64_t V) {
  __shared__ float fshared[32];
  __shared__ double dshared[32];
  for (int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const int32_t target = targets[n];  // the same for the whole block, so the branch is uniform
    if (target < 0) {
      if (threadIdx.x == 0) losses[n] = 0.0f;
      continue;
    }
    const float* x = logits + n * V;
    const RowSoftmax sm = row_softmax(x, V, fshared, dshared);
    if (threadIdx.x == 0) losses[n] = static_cast<float>(log(sm.sum) + sm.max - x[target]);
  }
}

// d may alias logits: each thread writes only the entries it has itself read, after the reductions.
__global__ void cross_entropy_backward_kernel(float* dlogits, const float* logits, const int32_t* targets,
                                              float dloss, int64_t N, int64_t V) {
  __shared__ float fshared[32];
  __shared__ double dshared[32];
  for (int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const int32_t target = targets[n];
    float* d = dlogits + n * V;
    if (target < 0) {
      for (int64_t v = threadIdx.x; v < V; v += blockDim.x) d[v] = 0.0f;
      continue;
    }
    const float* x = logits + n * V;
    const RowSoftmax sm = row_softmax(x, V, fshared, dshared);
    const float inv = static_cast<float>(1.0 / sm.sum);
    for (int64_t v = threadIdx.x; v < V; v += blockDim.x) {
      const float p = expf(x[v] - sm.max) * inv * dloss;
      d[v] = v == target ? p - dloss : p;
    }
    __syncthreads();  // the next row's reductions reuse the shared arrays
  }
}

unsigned grid_for_rows(int64_t N) { return static_cast<unsigned>(std::min<int64_t>(N, int64_t(1) << 30)); }

}  // namespace

void cross_entropy_forward(const CudaContext& ctx, float* losses, const float* logits, const int32_t* targets,
                           int64_t N, int64_t V) {
  const char* op = "cuda cross_entropy_forward";
  require_positive(op, "N, V", N, V);
  cross_entropy_forward_kernel<<<grid_for_rows(N), kThreads, 0, stream_of(ctx)>>>(losses, logits, targets, N,
                                                                                  V);
  check_launch(op);
}

void cross_entropy_backward(const CudaContext& ctx, float* dlogits, const float* logits,
                            const int32_t* targets, float dloss, int64_t N, int64_t V) {
  const char* op = "cuda cross_entropy_backward";
  require_positive(op, "N, V", N, V);
  cross_entropy_backward_kernel<<<grid_for_rows(N), kThreads, 0, stream_of(ctx)>>>(dlogits, logits, targets,
                                                                                   dloss, N, V);
  check_launch(op);
}

}  // namespace rwkvs::kernels::cuda
