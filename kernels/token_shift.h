#pragma once
// Token-shift mixing of RWKV-4: out_t = z_t * mix + z_{t-1} * (1 - mix), per channel, where z is the
// LayerNorm output entering a sub-layer and z_{-1} is the carried 'prev' (zeros for a fresh sequence).
#include <cstdint>

namespace rwkvs::kernels {

// out (B, T, C) written; z (B, T, C); prev (B, C) or null for zeros; mix (C).
template <class R>
void token_shift_mix_forward(R* out, const R* z, const R* prev, const R* mix, int64_t B, int64_t T, int64_t C);

// dz (B, T, C), dprev (B, C) (may be null), dmix (C) accumulated (+=); dout (B, T, C).
template <class R>
void token_shift_mix_backward(R* dz, R* dprev, R* dmix, const R* dout, const R* z, const R* prev, const R* mix,
                              int64_t B, int64_t T, int64_t C);

}  // namespace rwkvs::kernels
