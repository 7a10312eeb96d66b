#pragma once
// WKV-4: the time-mix recurrence of RWKV-4, per batch element b and channel c (spec §4):
//   y_t = (a_{t-1} + e^{u+k_t} v_t) / (b_{t-1} + e^{u+k_t})
//   a_t = e^{w'} a_{t-1} + e^{k_t} v_t,   b_t = e^{w'} b_{t-1} + e^{k_t},   w' = -exp(w)
// w is the raw time_decay as stored in checkpoints; the kernel applies -exp itself.
// The state (a, b) is carried as (aa, bb, pp) with a = aa e^pp, b = bb e^pp (kernels/wkv4_math.h).
//
// Any T >= 1: time is split into chunks of L steps. The kernel either runs each (b, channel tile)
// through time (enough tiles to fill the threads) or, when B*C is small, computes every chunk's
// summary in parallel, scans the summaries, and recomputes each chunk from its incoming state, so a
// single long stream still uses every core. Backward keeps only chunk-boundary states:
// extra memory O(B*C*T/L), no array sized by T.
#include <cstddef>
#include <cstdint>

namespace rwkvs::kernels {

enum class Wkv4Schedule {
  automatic,       // pick by B, C and the thread count
  through_time,    // parallel over (b, channel tile), each runs the whole sequence
  chunk_parallel,  // parallel over (b, channel tile, chunk) with a scan across chunks
};

struct Wkv4Options {
  int chunk_len = 64;  // L: steps per chunk (any value >= 1)
  Wkv4Schedule schedule = Wkv4Schedule::automatic;
};

// A WKV state for B x C channels: three (B, C) arrays. Null pointers mean "absent".
template <class R>
struct Wkv4State {
  R* aa = nullptr;  // (B, C)
  R* bb = nullptr;  // (B, C)
  R* pp = nullptr;  // (B, C)
};
template <class R>
struct Wkv4ConstState {
  const R* aa = nullptr;
  const R* bb = nullptr;
  const R* pp = nullptr;
  Wkv4ConstState() = default;
  Wkv4ConstState(const R* a, const R* b, const R* p) : aa(a), bb(b), pp(p) {}
  Wkv4ConstState(const Wkv4State<R>& s) : aa(s.aa), bb(s.bb), pp(s.pp) {}  // NOLINT: views convert
};

// Floats in the boundary buffer the forward pass fills for the backward pass: 3 * B * ceil(T/L) * C.
size_t wkv4_boundary_size(int64_t B, int64_t T, int64_t C, int chunk_len);

// Fills an empty state (aa = bb = 0, pp = kWkvEmpty) for B x C channels.
template <class R>
void wkv4_state_reset(Wkv4State<R> state, int64_t B, int64_t C);

// y:          (B, T, C) out
// boundary:   (B, ceil(T/L), 3, C) out, the state at every chunk start (for backward); may be null
// state_out:  final state, (B, C) x 3, out; may be null (fields all null)
// w, u:       (C) raw time_decay and time_first
// k, v:       (B, T, C)
// state_in:   initial state, (B, C) x 3; null fields mean the empty state
template <class R>
void wkv4_forward(R* y, R* boundary, Wkv4State<R> state_out, const R* w, const R* u, const R* k, const R* v,
                  Wkv4ConstState<R> state_in, int64_t B, int64_t T, int64_t C, const Wkv4Options& opt = {});

// Gradients. gk, gv (B, T, C) are written; gw, gu (C) are accumulated (+=, the caller zeroes);
// gstate_in (B, C) x 3, when given, is written with dL/d(aa, bb, pp) of the initial state.
// gy (B, T, C) is the upstream gradient of y; gstate_out (optional) that of the final state
// (only its aa, bb parts are read: the final pp is a gauge of the same sums).
// boundary must come from wkv4_forward with the same inputs and chunk length; when null it is
// recomputed here.
template <class R>
void wkv4_backward(R* gk, R* gv, R* gw, R* gu, Wkv4State<R> gstate_in, const R* gy, Wkv4ConstState<R> gstate_out,
                   const R* w, const R* u, const R* k, const R* v, const R* y, const R* boundary,
                   Wkv4ConstState<R> state_in, int64_t B, int64_t T, int64_t C, const Wkv4Options& opt = {});

// The readable reference: the sequential recurrence of spec §4.2 and the two-pass backward of
// spec §6, one channel at a time with whole-sequence arrays. For tests and the benchmark baseline.
template <class R>
void wkv4_reference_forward(R* y, Wkv4State<R> state_out, const R* w, const R* u, const R* k, const R* v,
                            Wkv4ConstState<R> state_in, int64_t B, int64_t T, int64_t C);
template <class R>
void wkv4_reference_backward(R* gk, R* gv, R* gw, R* gu, const R* gy, const R* w, const R* u, const R* k,
                             const R* v, int64_t B, int64_t T, int64_t C);

}  // namespace rwkvs::kernels
