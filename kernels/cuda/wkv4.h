#pragma once
// WKV-4 on the GPU: the twins of kernels/wkv4.h (same recurrence, arguments, layouts and
// accumulation rules; see there and kernels/wkv4_math.h), float only, all pointers on the device,
// work queued on ctx.stream. Includes no CUDA header.
//
// Schedules (Wkv4Options::schedule):
//   through_time    one thread per (b, c) runs the whole sequence (enough when B*C fills the GPU);
//   chunk_parallel  one thread per (b, chunk, c): every chunk's summary from the empty state, a
//                   scan across chunks (grouped, so its sequential depth is about sqrt(T/L)), then
//                   every chunk recomputed from its incoming state. A single stream fills the GPU.
//   automatic       through_time when B*C >= 128 per multiprocessor, else chunk_parallel.
// Backward keeps only the (B, ceil(T/L), 3, C) chunk-boundary states; inside a chunk it replays
// the forward from the chunk start in spans of 16 steps held in registers. No array is sized by T,
// nothing depends on T at compile time, and grids are 1-D grid-stride loops (any B*C*T/L).
// gw and gu are reduced over the batch and the chunks deterministically (no atomics).
#include <cstdint>

#include "kernels/cuda/context.h"
#include "kernels/wkv4.h"

namespace rwkvs::kernels::cuda {

// The schedule 'automatic' resolves to for these sizes on ctx's device (never 'automatic').
Wkv4Schedule wkv4_resolve_schedule(const CudaContext& ctx, const Wkv4Options& opt, int64_t B, int64_t T,
                                   int64_t C);

// Fills an empty state (aa = bb = 0, pp = kWkvEmpty) for B x C channels.
void wkv4_state_reset(const CudaContext& ctx, Wkv4State<float> state, int64_t B, int64_t C);

// As kernels::wkv4_forward. y may be null (only states wanted); boundary may be null.
void wkv4_forward(const CudaContext& ctx, float* y, float* boundary, Wkv4State<float> state_out,
                  const float* w, const float* u, const float* k, const float* v,
                  Wkv4ConstState<float> state_in, int64_t B, int64_t T, int64_t C,
                  const Wkv4Options& opt = {});

// As kernels::wkv4_backward: gk, gv written; gw, gu accumulated (+=); gstate_in written when given.
void wkv4_backward(const CudaContext& ctx, float* gk, float* gv, float* gw, float* gu,
                   Wkv4State<float> gstate_in, const float* gy, Wkv4ConstState<float> gstate_out,
                   const float* w, const float* u, const float* k, const float* v, const float* y,
                   const float* boundary, Wkv4ConstState<float> state_in, int64_t B, int64_t T, int64_t C,
                   const Wkv4Options& opt = {});

// The official design, kept as the benchmark baseline: one thread per (b, c) walks the whole
// sequence. Forward as kernels::wkv4_reference_forward (empty initial state, no state out).
// Backward is the two-pass kernel of spec §6 on the saved y: pass 1 forward in time for gw, gu and
// the per-step q_t, r_t, which go to the global (B, T, C) buffers q, r (where the official kernel keeps
// per-thread arrays sized by a compile-time T_MAX); pass 2 backward in time for gk, gv.
// gw, gu accumulate (+=) as kernels::wkv4_reference_backward.
void wkv4_sequential_forward(const CudaContext& ctx, float* y, const float* w, const float* u, const float* k,
                             const float* v, int64_t B, int64_t T, int64_t C);
void wkv4_sequential_backward(const CudaContext& ctx, float* gk, float* gv, float* gw, float* gu, float* q,
                              float* r, const float* gy, const float* w, const float* u, const float* k,
                              const float* v, const float* y, int64_t B, int64_t T, int64_t C);

}  // namespace rwkvs::kernels::cuda
