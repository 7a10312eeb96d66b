// Token-shift mixing on the GPU (kernels/cuda/token_shift.h): elementwise over (b, t, c); dmix is a
// deterministic column sum over the B*T rows (column_sums.cuh).
#include "kernels/cuda/column_sums.cuh"
#include "kernels/cuda/token_shift.h"

namespace rwkvs::kernels::cuda {
namespace {

// z_{t-1} for element i = (b, t, c): the previous row, the carried prev at t = 0, or 0.
__device__ __forceinline__ float shifted(const float* z, const float* prev, int64_t i, int64_t T, int64_t C) {
  const int64_t c = i % C, bt = i / C, t = bt % T, b = bt / T;
  return t > 0 ? z[i - C] : (prev ? prev[b * C + c] : 0.0f);
}

__global__ void token_shift_forward_kernel(float* out, const float* z, const float* prev, const float* mix,
                                           int64_t B, int64_t T, int64_t C) {
  RWKVS_GRID_STRIDE(i, B * T * C) {
    const float zs = shifted(z, prev, i, T, C);
    out[i] = zs + mix[i % C] * (z[i] - zs);
  }
}

// z_t feeds output t (weight mix) and output t+1 (weight 1 - mix); prev feeds output 0.
__global__ void token_shift_backward_kernel(float* dz, float* dprev, const float* dout, const float* mix,
                                            int64_t B, int64_t T, int64_t C) {
  RWKVS_GRID_STRIDE(i, B * T * C) {
    const int64_t c = i % C, bt = i / C, t = bt % T, b = bt / T;
    const float g = dout[i], mc = mix[c];
    dz[i] += g * mc + (t + 1 < T ? dout[i + C] * (1.0f - mc) : 0.0f);
    if (t == 0 && dprev) dprev[b * C + c] += g * (1.0f - mc);
  }
}

struct MixGradTerm {  // dout * (z_t - z_{t-1}) over rows r = (b, t)
  const float* dout;
  const float* z;
  const float* prev;
  int64_t T, C;
  __device__ float operator()(int64_t r, int64_t c) const {
    const int64_t i = r * C + c;
    return dout[i] * (z[i] - shifted(z, prev, i, T, C));
  }
};

}  // namespace

void token_shift_mix_forward(const CudaContext& ctx, float* out, const float* z, const float* prev,
                             const float* mix, int64_t B, int64_t T, int64_t C) {
  const char* op = "cuda token_shift_mix_forward";
  require_positive(op, "B, T, C", B, T, C);
  token_shift_forward_kernel<<<grid_for(B * T * C), kThreads, 0, stream_of(ctx)>>>(out, z, prev, mix, B, T,
                                                                                   C);
  check_launch(op);
}

void token_shift_mix_backward(const CudaContext& ctx, float* dz, float* dprev, float* dmix, const float* dout,
                              const float* z, const float* prev, const float* mix, int64_t B, int64_t T,
                              int64_t C) {
  const char* op = "cuda token_shift_mix_backward";
  require_positive(op, "B, T, C", B, T, C);
  token_shift_backward_kernel<<<grid_for(B * T * C), kThreads, 0, stream_of(ctx)>>>(dz, dprev, dout, mix, B,
                                                                                    T, C);
  check_launch(op);
  accumulate_column_sums(ctx, dmix, nullptr, MixGradTerm{dout, z, prev, T, C}, B * T, C, op);
}

}  // namespace rwkvs::kernels::cuda
