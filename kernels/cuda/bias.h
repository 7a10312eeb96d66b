#pragma once
// The input projection's and classes head's per-column pieces on the GPU: the twins of
// kernels/bias.h (float, device pointers). dbias is reduced over rows deterministically.
#include <cstdint>

#include "kernels/cuda/context.h"

namespace rwkvs::kernels::cuda {

// out (N, C) += bias (C) on every row.
void add_bias_forward(const CudaContext& ctx, float* out, const float* bias, int64_t N, int64_t C);
// dbias (C) += column sums of dout (N, C).
void add_bias_backward(const CudaContext& ctx, float* dbias, const float* dout, int64_t N, int64_t C);
// out (N, F) = (inp (N, F) - mean (F)) * scale (F).
void normalize_columns(const CudaContext& ctx, float* out, const float* inp, const float* mean,
                       const float* scale, int64_t N, int64_t F);

}  // namespace rwkvs::kernels::cuda
