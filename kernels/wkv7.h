#pragma once
// WKV-7: the time-mix recurrence of RWKV-7 (../shared/reference/rwkv7-spec.md §4), per batch element
// and head, with an N x N state S[i][j] (i = value index, j = key index):
//   S_t = S_{t-1} diag(exp(logw_t)) + (S_{t-1} a_t) b_t^T + v_t k_t^T,    y_t = S_t r_t
// logw is the log of the decay (< 0; the model's soft clamp keeps it above -e^-0.5). In the model
// a = -kappa_hat and b = kappa_hat * alpha; the kernel takes any a, b.
//
// Layouts: r, logw, k, v, a, b, y are (B, T, H, N) row-major, i.e. (B, T, C) with C = H*N and head h
// in channels [h*N, (h+1)*N). States are (B, H, N, N) in the [value][key] order above (the official
// RNN state layout). Null state pointers mean "zero" (in) or "not wanted" (out).
//
// Any T >= 1: time is split into chunks of Q steps (Wkv7Options::chunk_len). Forward saves the state
// at every chunk start (N*N/Q floats per token per head, the official training kernel's budget);
// backward walks the chunks in reverse, recomputes the Q states of one chunk from its saved start,
// and steps back through them exactly (no division by the decay, unlike the official
// "backstepping", so fp32 gradients keep full accuracy). Work is parallel over (batch, head).
//
// On the CPU each step is written with the state transposed ([key][value]) so that every inner
// loop runs along contiguous value lanes; the WY/UT chunk form of spec §9 spends ~1.4x the FLOPs
// in matrices too small (16 x 64) for BLAS to win back on a CPU, so it is left to the GPU twin.
#include <cstddef>
#include <cstdint>

namespace rwkvs::kernels {

struct Wkv7Options {
  int chunk_len = 16;  // Q: steps between saved states (any value >= 1)
};

// Floats in the boundary buffer wkv7_forward fills for wkv7_backward: B * H * ceil(T/Q) * N * N.
size_t wkv7_boundary_size(int64_t B, int64_t T, int64_t H, int64_t N, int chunk_len);

// y:          (B, T, H, N) out
// boundary:   (wkv7_boundary_size floats) out, the state at every chunk start; may be null
// state_out:  (B, H, N, N) final state, out; may be null
// r..b:       (B, T, H, N) inputs; logw is the log decay
// state_in:   (B, H, N, N) initial state; null means zero
template <class R>
void wkv7_forward(R* y, R* boundary, R* state_out, const R* r, const R* logw, const R* k, const R* v, const R* a,
                  const R* b, const R* state_in, int64_t B, int64_t T, int64_t H, int64_t N,
                  const Wkv7Options& opt = {});

// Gradients of a loss L through wkv7_forward. gr, glogw, gk, gv, ga, gb (B, T, H, N) are written;
// gstate_in (B, H, N, N), when given, is written with dL/dS_0. gy (B, T, H, N) is dL/dy; gstate_out
// (optional) is dL/dS_T. boundary must come from wkv7_forward with the same inputs and chunk length;
// when null it is recomputed here (one more forward pass, O(B*H*T/Q*N*N) scratch).
template <class R>
void wkv7_backward(R* gr, R* glogw, R* gk, R* gv, R* ga, R* gb, R* gstate_in, const R* gy, const R* gstate_out,
                   const R* r, const R* logw, const R* k, const R* v, const R* a, const R* b,
                   const R* boundary, const R* state_in, int64_t B, int64_t T, int64_t H, int64_t N,
                   const Wkv7Options& opt = {});

// The readable reference: the element-wise recurrence of spec §4 in the [value][key] layout, and a
// backward that keeps every state S_0..S_T of one (batch, head) in memory ((T+1)*N*N values). For
// tests and the benchmark baseline. Same contract as above (no boundary, no options).
template <class R>
void wkv7_reference_forward(R* y, R* state_out, const R* r, const R* logw, const R* k, const R* v, const R* a,
                            const R* b, const R* state_in, int64_t B, int64_t T, int64_t H, int64_t N);
template <class R>
void wkv7_reference_backward(R* gr, R* glogw, R* gk, R* gv, R* ga, R* gb, R* gstate_in, const R* gy,
                             const R* gstate_out, const R* r, const R* logw, const R* k, const R* v, const R* a,
                             const R* b, const R* state_in, int64_t B, int64_t T, int64_t H, int64_t N);

}  // namespace rwkvs::kernels
