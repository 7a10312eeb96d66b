#pragma once
// WKV-7 on the GPU: the twins of kernels/wkv7.h (same recurrence, arguments, layouts and null-pointer
// rules; see there), float only, all pointers on the device, work queued on ctx.stream. Includes no
// CUDA header.
//
// One thread block per (batch, head); thread i owns the value row S[i][:] of the state (N keys),
// so heads of up to 64 channels are supported (N > 64 is rejected). Per step the block loads the
// head's r, w = exp(logw), k, a, b into shared memory and each thread does
//   sa_i = sum_j S[i][j] a_j,  S[i][j] = S[i][j] w_j + sa_i b_j + v_i k_j,  y_i = sum_j S[i][j] r_j.
// The rows evolve independently, so the forward needs one barrier per step.
//
// boundary holds the state at every chunk start, wkv7_boundary_size floats, in the same layout as
// the CPU kernel's (per (b, h, chunk) the state transposed, [key][value]); callers should still
// treat it as opaque.
// Backward walks the chunks in reverse: it recomputes one span of states from its saved start into
// a per-block scratch area, then steps back through them exactly (no division by the decay), the
// adjoint dS held in shared memory so that the sums over values (dr, dk, db, dw, da) run down its
// columns and those over keys (dv, dS a) along its rows. Chunks longer than 64 steps are walked in
// spans of P = max(64, sqrt(Q)) steps with a second level of saved states, so scratch stays at about
// Q/P + P states per resident block.
// Results are deterministic: no atomics, fixed summation orders.
#include <cstdint>

#include "kernels/cuda/context.h"
#include "kernels/wkv7.h"

namespace rwkvs::kernels::cuda {

// The largest head size N the kernels take.
constexpr int64_t kWkv7MaxHeadSize = 64;

// As kernels::wkv7_forward. y may be null (only states wanted); boundary and state_out may be null;
// a null state_in is the zero state.
void wkv7_forward(const CudaContext& ctx, float* y, float* boundary, float* state_out, const float* r,
                  const float* logw, const float* k, const float* v, const float* a, const float* b,
                  const float* state_in, int64_t B, int64_t T, int64_t H, int64_t N,
                  const Wkv7Options& opt = {});

// As kernels::wkv7_backward: gr, glogw, gk, gv, ga, gb written; gstate_in written when given. A null
// gstate_out is a zero final-state gradient; a null boundary is recomputed (B*H*ceil(T/Q)*N*N floats
// of scratch).
void wkv7_backward(const CudaContext& ctx, float* gr, float* glogw, float* gk, float* gv, float* ga,
                   float* gb, float* gstate_in, const float* gy, const float* gstate_out, const float* r,
                   const float* logw, const float* k, const float* v, const float* a, const float* b,
                   const float* boundary, const float* state_in, int64_t B, int64_t T, int64_t H, int64_t N,
                   const Wkv7Options& opt = {});

}  // namespace rwkvs::kernels::cuda
