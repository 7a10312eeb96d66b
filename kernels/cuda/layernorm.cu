// LayerNorm on the GPU (kernels/cuda/layernorm.h): one warp per row; the weight and bias gradients
// are deterministic column sums over fixed row groups (column_sums.cuh), no atomics.
#include <cmath>

#include "kernels/cuda/column_sums.cuh"
#include "kernels/cuda/layernorm.h"
#include "kernels/layernorm.h"

namespace rwkvs::kernels::cuda {
namespace {

constexpr int kRowsPerBlock = kThreads / 32;

inline unsigned grid_for_rows(int64_t N) { return grid_for(N, kRowsPerBlock); }

// Rows handled by this warp: row = global warp index, striding by all warps of the grid.
#define RWKVS_FOR_EACH_WARP_ROW(row, N)                                                             \
  for (int64_t row = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32; row < (N); \
       row += static_cast<int64_t>(gridDim.x) * blockDim.x / 32)

// Two passes per row (mean, then centred variance) accumulated in double, as the CPU twin does.
__global__ void layernorm_forward_kernel(float* out, float* mean, float* rstd, const float* inp,
                                         const float* weight, const float* bias, int64_t N, int64_t C) {
  const int lane = threadIdx.x % 32;
  RWKVS_FOR_EACH_WARP_ROW(row, N) {
    const float* x = inp + row * C;
    double s = 0;
    for (int64_t c = lane; c < C; c += 32) s += x[c];
    const double m = warp_sum(s) / static_cast<double>(C);
    double v = 0;
    for (int64_t c = lane; c < C; c += 32) v += (x[c] - m) * (x[c] - m);
    v = warp_sum(v);
    const float rs = static_cast<float>(1.0 / sqrt(v / static_cast<double>(C) + kLayerNormEps));
    const float mr = static_cast<float>(m);
    float* o = out + row * C;
    for (int64_t c = lane; c < C; c += 32) o[c] = (x[c] - mr) * rs * weight[c] + bias[c];
    if (lane == 0) {
      if (mean) mean[row] = mr;
      if (rstd) rstd[row] = rs;
    }
  }
}

// dx += rs * (g w - mean(g w) - xhat mean(g w xhat)) per row.
__global__ void layernorm_backward_kernel(float* dinp, const float* dout, const float* inp,
                                          const float* weight, const float* mean, const float* rstd,
                                          int64_t N, int64_t C) {
  const int lane = threadIdx.x % 32;
  RWKVS_FOR_EACH_WARP_ROW(row, N) {
    const float* x = inp + row * C;
    const float* g = dout + row * C;
    const float m = mean[row], rs = rstd[row];
    float sum_d = 0, sum_dx = 0;
    for (int64_t c = lane; c < C; c += 32) {
      const float d = g[c] * weight[c];
      sum_d += d;
      sum_dx += d * ((x[c] - m) * rs);
    }
    const float mean_d = warp_sum(sum_d) / C, mean_dx = warp_sum(sum_dx) / C;
    float* dx = dinp + row * C;
    for (int64_t c = lane; c < C; c += 32) {
      const float xhat = (x[c] - m) * rs;
      dx[c] += rs * (g[c] * weight[c] - mean_d - xhat * mean_dx);
    }
  }
}

struct WeightGradTerm {  // dout * xhat
  const float* dout;
  const float* inp;
  const float* mean;
  const float* rstd;
  int64_t C;
  __device__ float operator()(int64_t r, int64_t c) const {
    return dout[r * C + c] * ((inp[r * C + c] - mean[r]) * rstd[r]);
  }
};
struct BiasGradTerm {  // dout
  const float* dout;
  int64_t C;
  __device__ float operator()(int64_t r, int64_t c) const { return dout[r * C + c]; }
};

}  // namespace

void layernorm_forward(const CudaContext& ctx, float* out, float* mean, float* rstd, const float* inp,
                       const float* weight, const float* bias, int64_t N, int64_t C) {
  const char* op = "cuda layernorm_forward";
  require_positive(op, "N, C", N, C);
  layernorm_forward_kernel<<<grid_for_rows(N), kThreads, 0, stream_of(ctx)>>>(out, mean, rstd, inp, weight,
                                                                              bias, N, C);
  check_launch(op);
}

void layernorm_backward(const CudaContext& ctx, float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* weight, const float* mean, const float* rstd,
                        int64_t N, int64_t C) {
  const char* op = "cuda layernorm_backward";
  require_positive(op, "N, C", N, C);
  layernorm_backward_kernel<<<grid_for_rows(N), kThreads, 0, stream_of(ctx)>>>(dinp, dout, inp, weight, mean,
                                                                               rstd, N, C);
  check_launch(op);
  accumulate_column_sums(ctx, dweight, nullptr, WeightGradTerm{dout, inp, mean, rstd, C}, N, C, op);
  accumulate_column_sums(ctx, dbias, nullptr, BiasGradTerm{dout, C}, N, C, op);
}

}  // namespace rwkvs::kernels::cuda
