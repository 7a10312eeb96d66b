#pragma once
// Token-shift mixing on the GPU: the twin of kernels/token_shift.h (float, device pointers).
// dmix is reduced over (b, t) deterministically (fixed row groups, no atomics).
#include <cstdint>

#include "kernels/cuda/context.h"

namespace rwkvs::kernels::cuda {

// out (B, T, C) = z_t * mix + z_{t-1} * (1 - mix); z (B, T, C); prev (B, C) or null (zeros); mix (C).
void token_shift_mix_forward(const CudaContext& ctx, float* out, const float* z, const float* prev,
                             const float* mix, int64_t B, int64_t T, int64_t C);

// dz (B, T, C), dprev (B, C) (may be null), dmix (C) accumulated (+=); dout (B, T, C).
void token_shift_mix_backward(const CudaContext& ctx, float* dz, float* dprev, float* dmix, const float* dout,
                              const float* z, const float* prev, const float* mix, int64_t B, int64_t T,
                              int64_t C);

}  // namespace rwkvs::kernels::cuda
