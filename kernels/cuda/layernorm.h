#pragma once
// LayerNorm on the GPU: the twin of kernels/layernorm.h (same contract, float, device pointers).
// dweight and dbias are reduced over rows deterministically (fixed row groups, no atomics).
#include <cstdint>

#include "kernels/cuda/context.h"

namespace rwkvs::kernels::cuda {

// out (N, C), mean (N), rstd (N) written (mean/rstd may be null); inp (N, C), weight (C), bias (C).
void layernorm_forward(const CudaContext& ctx, float* out, float* mean, float* rstd, const float* inp,
                       const float* weight, const float* bias, int64_t N, int64_t C);

// dinp (N, C), dweight (C), dbias (C) accumulated (+=); dout (N, C); inp, weight, mean, rstd as saved.
void layernorm_backward(const CudaContext& ctx, float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* weight, const float* mean, const float* rstd,
                        int64_t N, int64_t C);

}  // namespace rwkvs::kernels::cuda
