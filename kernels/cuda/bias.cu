// Per-column affine ops on the GPU (kernels/cuda/bias.h): grid-stride loops over (row, column).
#include "kernels/cuda/bias.h"
#include "kernels/cuda/column_sums.cuh"
#include "kernels/cuda/launch.cuh"

namespace rwkvs::kernels::cuda {
namespace {

__global__ void add_bias_kernel(float* out, const float* bias, int64_t N, int64_t C) {
  RWKVS_GRID_STRIDE(i, N * C) out[i] += bias[i % C];
}

__global__ void normalize_columns_kernel(float* out, const float* inp, const float* mean, const float* scale,
                                         int64_t N, int64_t F) {
  RWKVS_GRID_STRIDE(i, N * F) out[i] = (inp[i] - mean[i % F]) * scale[i % F];
}

struct RowValue {
  const float* dout;
  int64_t C;
  __device__ float operator()(int64_t r, int64_t c) const { return dout[r * C + c]; }
};

}  // namespace

void add_bias_forward(const CudaContext& ctx, float* out, const float* bias, int64_t N, int64_t C) {
  require_positive("cuda add_bias_forward", "N, C", N, C);
  add_bias_kernel<<<grid_for(N * C), kThreads, 0, stream_of(ctx)>>>(out, bias, N, C);
  check_launch("cuda add_bias_forward");
}

void add_bias_backward(const CudaContext& ctx, float* dbias, const float* dout, int64_t N, int64_t C) {
  require_positive("cuda add_bias_backward", "N, C", N, C);
  accumulate_column_sums(ctx, dbias, nullptr, RowValue{dout, C}, N, C, "cuda add_bias_backward");
}

void normalize_columns(const CudaContext& ctx, float* out, const float* inp, const float* mean,
                       const float* scale, int64_t N, int64_t F) {
  require_positive("cuda normalize_columns", "N, F", N, F);
  normalize_columns_kernel<<<grid_for(N * F), kThreads, 0, stream_of(ctx)>>>(out, inp, mean, scale, N, F);
  check_launch("cuda normalize_columns");
}

}  // namespace rwkvs::kernels::cuda
