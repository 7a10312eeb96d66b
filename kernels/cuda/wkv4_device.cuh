#pragma once
// Per-thread pieces of the WKV-4 CUDA kernels: one thread owns one channel c of one sequence b and
// walks a range of time steps with the shared arithmetic of kernels/wkv4_math.h. Internal to
// kernels/cuda/wkv4_*.cu.
#include "kernels/cuda/launch.cuh"
#include "kernels/wkv4.h"
#include "kernels/wkv4_math.h"

namespace rwkvs::kernels::cuda::wkv {

// Forward: k, v of this many steps are loaded while the previous batch is being computed, so each
// thread keeps 2 x kBatch loads in flight (the step recurrence itself is sequential).
constexpr int kBatch = 8;
// Backward: the states before this many steps are recomputed into registers, then walked backwards.
constexpr int kSpan = 16;

struct State {
  float aa, bb, pp;  // a forward state, or an adjoint (al, be, pr) in the same scaled form
};

__device__ __forceinline__ State empty_state() { return {0.0f, 0.0f, kWkvEmpty}; }

inline __host__ __device__ int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline __host__ __device__ int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
// One past the last step of chunk ci (chunks of L steps; the last one may be shorter).
inline __host__ __device__ int64_t chunk_end(int64_t ci, int64_t L, int64_t T) {
  return min64(T, (ci + 1) * L);
}

// Launcher checks shared by the WKV-4 ops: sizes, chunk length, and that a state's fields are all
// given or all null.
inline void validate_sizes(const char* op, int64_t B, int64_t T, int64_t C, const Wkv4Options& opt) {
  if (B < 1 || T < 1 || C < 1) fail(op, ": sizes must be positive, got B=", B, " T=", T, " C=", C);
  if (opt.chunk_len < 1) fail(op, ": chunk length must be >= 1, got ", opt.chunk_len);
}
template <class S>
void validate_state(const char* op, const char* name, const S& s) {
  const int given = (s.aa != nullptr) + (s.bb != nullptr) + (s.pp != nullptr);
  if (given != 0 && given != 3)
    fail(op, ": ", name, " must have all of aa, bb, pp or none, got ", given, " of 3");
}
inline void require_pointer(const char* op, const char* name, const void* p) {
  if (!p) fail(op, ": ", name, " must not be null");
}

// A (B, nchunks, 3, C) buffer of per-chunk states: 'at' is the offset of field 0 of (b, chunk, c);
// fields are C apart.
__device__ __forceinline__ int64_t slot_at(int64_t b, int64_t ci, int64_t c, int64_t nchunks, int64_t C) {
  return (b * nchunks + ci) * 3 * C + c;
}
__device__ __forceinline__ State load_slot(const float* buf, int64_t at, int64_t C) {
  return {buf[at], buf[at + C], buf[at + 2 * C]};
}
__device__ __forceinline__ void store_slot(float* buf, int64_t at, int64_t C, State s) {
  buf[at] = s.aa;
  buf[at + C] = s.bb;
  buf[at + 2 * C] = s.pp;
}

// Element i of a (B, C) x 3 state; null fields read as the empty state.
__device__ __forceinline__ State load_state(Wkv4ConstState<float> s, int64_t i) {
  return {s.aa ? s.aa[i] : 0.0f, s.bb ? s.bb[i] : 0.0f, s.pp ? s.pp[i] : kWkvEmpty};
}
__device__ __forceinline__ void store_state(Wkv4State<float> s, int64_t i, State v) {
  s.aa[i] = v.aa;
  s.bb[i] = v.bb;
  s.pp[i] = v.pp;
}

// One channel's inputs: k, v point at (b, t = 0, c), rows C apart; wd = w' = -exp(w).
struct Channel {
  const float* k;
  const float* v;
  float wd, u;
  int64_t C;
};

__device__ __forceinline__ Channel channel_of(const float* k, const float* v, const float* wd, const float* u,
                                              int64_t b, int64_t c, int64_t T, int64_t C) {
  const int64_t base = b * T * C + c;
  return {k + base, v + base, wd[c], u[c], C};
}

template <int N>
__device__ __forceinline__ void load_batch(float (&kk)[N], float (&vv)[N], const Channel& ch, int64_t t,
                                           int64_t t1) {
#pragma unroll
  for (int j = 0; j < N; ++j) {
    const bool in = t + j < t1;
    kk[j] = in ? __ldg(ch.k + (t + j) * ch.C) : 0.0f;
    vv[j] = in ? __ldg(ch.v + (t + j) * ch.C) : 0.0f;
  }
}

// Steps [t0, t1) from state s (left at t1). y (at (b, 0, c)) receives the outputs unless null:
//   y_t = wkv_output(s, u, k_t, v_t);  s = wkv_update(s, w', k_t, v_t)
__device__ __forceinline__ void forward_steps(float* y, State& s, const Channel& ch, int64_t t0, int64_t t1) {
  float kk[kBatch], vv[kBatch];
  load_batch(kk, vv, ch, t0, t1);
  for (int64_t t = t0; t < t1; t += kBatch) {
    float kn[kBatch], vn[kBatch];
    load_batch(kn, vn, ch, t + kBatch, t1);  // next batch in flight while this one is computed
#pragma unroll
    for (int j = 0; j < kBatch; ++j) {
      if (t + j < t1) {
        if (y) y[(t + j) * ch.C] = wkv_output(s.aa, s.bb, s.pp, ch.u, kk[j], vv[j]);
        wkv_update(s.aa, s.bb, s.pp, ch.wd, kk[j], vv[j]);
      }
    }
#pragma unroll
    for (int j = 0; j < kBatch; ++j) {
      kk[j] = kn[j];
      vv[j] = vn[j];
    }
  }
}

// Upstream and output gradients of one channel, each at (b, t = 0, c), rows C apart.
struct ChannelGrads {
  const float* y;
  const float* gy;
  float* gk;  // null: only the adjoint and the gw/gu sums are wanted
  float* gv;
};

// Backward through steps [t0, t1) of one chunk. st0: the forward state at t0. adj: the adjoint at
// t1, left at t0. gwp, gu: accumulate d/dw' and d/du (wkv_step_backward). The chunk is walked in
// spans of kSpan steps from its end; each span replays the forward from t0 to its start, then keeps
// the states before each of its steps in registers.
__device__ __forceinline__ void backward_steps(const ChannelGrads& g, float& gwp, float& gu, State& adj,
                                               State st0, const Channel& ch, int64_t t0, int64_t t1) {
  for (int64_t s1 = t1; s1 > t0;) {
    const int64_t s0 = t0 + (s1 - 1 - t0) / kSpan * kSpan;
    float kk[kSpan], vv[kSpan], yy[kSpan], gg[kSpan], saa[kSpan], sbb[kSpan], spp[kSpan];
#pragma unroll
    for (int j = 0; j < kSpan; ++j) {  // all loads of the span up front: many in flight at once
      const bool in = s0 + j < s1;
      const int64_t o = (s0 + j) * ch.C;
      kk[j] = in ? __ldg(ch.k + o) : 0.0f;
      vv[j] = in ? __ldg(ch.v + o) : 0.0f;
      yy[j] = in ? __ldg(g.y + o) : 0.0f;
      gg[j] = in ? __ldg(g.gy + o) : 0.0f;
    }
    State st = st0;
    forward_steps(nullptr, st, ch, t0, s0);
#pragma unroll
    for (int j = 0; j < kSpan; ++j) {
      saa[j] = st.aa;
      sbb[j] = st.bb;
      spp[j] = st.pp;
      if (s0 + j < s1) wkv_update(st.aa, st.bb, st.pp, ch.wd, kk[j], vv[j]);
    }
#pragma unroll
    for (int j = kSpan - 1; j >= 0; --j) {
      if (s0 + j < s1) {
        float gk, gv;
        wkv_step_backward(gk, gv, gwp, gu, adj.aa, adj.bb, adj.pp, saa[j], sbb[j], spp[j], ch.wd, ch.u, kk[j],
                          vv[j], yy[j], gg[j]);
        if (g.gk) {
          const int64_t o = (s0 + j) * ch.C;
          g.gk[o] = gk;
          g.gv[o] = gv;
        }
      }
    }
    s1 = s0;
  }
}

// dL/d(aa, bb, pp) of the initial state from the adjoint at t = 0 (kernels/cpu/wkv4.cpp):
// a_0 = aa e^pp gives dL/daa = alpha_0 e^pp, and dL/dpp = dL/daa aa + dL/dbb bb.
__device__ __forceinline__ void store_initial_state_grad(Wkv4State<float> g, int64_t i, State adj,
                                                         Wkv4ConstState<float> state_in) {
  const State s0 = load_state(state_in, i);
  const float scale = exp_approx(adj.pp + s0.pp);
  const float gaa = adj.aa * scale, gbb = adj.bb * scale;
  store_state(g, i, {gaa, gbb, gaa * s0.aa + gbb * s0.bb});
}

}  // namespace rwkvs::kernels::cuda::wkv
