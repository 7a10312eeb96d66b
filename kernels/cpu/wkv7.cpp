// WKV-7 on the CPU: chunked forward and backward for any T (contract in kernels/wkv7.h).
//
// One (batch, head) is one task; tasks run in parallel. Inside a task the state is held transposed,
// St[j][i] = S[i][j] (key j, value i), so each step is two sweeps over the rows of St in which every
// inner loop runs along the contiguous value index i: no gathers, and the sums over keys become
// vector accumulators instead of horizontal reductions. The state of a 64-wide head (16 KiB in fp32)
// stays in L1 across steps.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/fast_math.h"
#include "kernels/wkv7.h"

namespace rwkvs::kernels {
namespace {

// Below this many state updates (T*N*N summed over tasks) one thread beats waking the others.
constexpr int64_t kMinParallelWork = int64_t(1) << 20;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Pointers to one (batch, head)'s inputs at step 0; step t is at + t*C.
template <class R>
struct HeadInputs {
  const R *r, *logw, *k, *v, *a, *b;
  int64_t C;
};

template <class R>
HeadInputs<R> head_inputs(const R* r, const R* logw, const R* k, const R* v, const R* a, const R* b, int64_t bb,
                          int64_t h, int64_t T, int64_t H, int64_t N) {
  const int64_t o = bb * T * H * N + h * N;
  return {r + o, logw + o, k + o, v + o, a + o, b + o, H * N};
}

// w = exp(logw) for one step: a branch-free exp that vectorises (glibc's does not without
// -ffast-math); exact std::exp in double.
template <class R>
void decay(R* w, const R* logw, int64_t N) {
#pragma omp simd
  for (int64_t j = 0; j < N; ++j) w[j] = exp_approx(logw[j]);
}

// One step on the transposed state: sa = S_{t-1} a, then St <- St, w, sa, b, v, k; y = S_t r when y
// is given. sa is kept for the backward pass; w is scratch (N).
template <class R>
void step(R* St, R* sa, R* w, R* y, const HeadInputs<R>& in, int64_t t, int64_t N) {
  const int64_t o = t * in.C;
  const R *a = in.a + o, *b = in.b + o, *k = in.k + o, *v = in.v + o, *r = in.r + o;
  decay(w, in.logw + o, N);
  std::fill(sa, sa + N, R(0));
  for (int64_t j = 0; j < N; ++j) {
    const R aj = a[j];
    const R* row = St + j * N;
#pragma omp simd
    for (int64_t i = 0; i < N; ++i) sa[i] += row[i] * aj;
  }
  if (y) std::fill(y, y + N, R(0));
  for (int64_t j = 0; j < N; ++j) {
    const R wj = w[j], bj = b[j], kj = k[j], rj = y ? r[j] : R(0);
    R* row = St + j * N;
    if (y) {
#pragma omp simd
      for (int64_t i = 0; i < N; ++i) {
        const R s = row[i] * wj + sa[i] * bj + v[i] * kj;
        row[i] = s;
        y[i] += s * rj;
      }
    } else {
#pragma omp simd
      for (int64_t i = 0; i < N; ++i) row[i] = row[i] * wj + sa[i] * bj + v[i] * kj;
    }
  }
}

// St = transpose of S (N x N), or zero when S is null.
template <class R>
void load_transposed(R* St, const R* S, int64_t N) {
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < N; ++j) St[j * N + i] = S ? S[i * N + j] : R(0);
}
template <class R>
void store_transposed(R* S, const R* St, int64_t N) {
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < N; ++j) S[i * N + j] = St[j * N + i];
}

// Runs one task forward from S0, saving the state at each chunk start into boundary (when given)
// and writing y (when given) and the final state (when given).
template <class R>
void forward_task(R* y, R* boundary, R* state_out, const HeadInputs<R>& in, const R* S0, int64_t T, int64_t N,
                  int64_t Q) {
  const int64_t NN = N * N;
  std::vector<R> St(NN), sa(N), w(N);
  load_transposed(St.data(), S0, N);
  for (int64_t t = 0; t < T; ++t) {
    if (boundary && t % Q == 0) std::copy(St.begin(), St.end(), boundary + (t / Q) * NN);
    step(St.data(), sa.data(), w.data(), y ? y + t * in.C : nullptr, in, t, N);
  }
  if (state_out) store_transposed(state_out, St.data(), N);
}

// dL/d(inputs of step t) and dSt <- dL/dS_{t-1}, given dSt = dL/dS_t from later steps (not yet
// including y_t's part), Sc = S_t and Sp = S_{t-1} (both transposed), sa = S_{t-1} a_t.
// dv, dsa, w are scratch (N).
template <class R>
void step_backward(R* dSt, R* dv, R* dsa, R* w, const R* Sc, const R* Sp, const R* sa, const HeadInputs<R>& in,
                   const R* gy_t, R* gr, R* glogw, R* gk, R* gv, R* ga, R* gb, int64_t t, int64_t N) {
  const int64_t o = t * in.C;
  const R *a = in.a + o, *b = in.b + o, *k = in.k + o, *v = in.v + o, *r = in.r + o;
  decay(w, in.logw + o, N);
  std::fill(dv, dv + N, R(0));
  std::fill(dsa, dsa + N, R(0));
  // sweep 1: add y_t = S_t r_t to dS_t, then every sum that needs dS_t alone
  for (int64_t j = 0; j < N; ++j) {
    const R rj = r[j], kj = k[j], bj = b[j];
    R* drow = dSt + j * N;
    const R *crow = Sc + j * N, *prow = Sp + j * N;
    R sr = 0, sk = 0, sb = 0, sw = 0;
#pragma omp simd reduction(+ : sr, sk, sb, sw)
    for (int64_t i = 0; i < N; ++i) {
      sr += crow[i] * gy_t[i];
      const R d = drow[i] + rj * gy_t[i];
      drow[i] = d;
      sk += d * v[i];
      sb += d * sa[i];
      sw += d * prow[i];
      dv[i] += d * kj;
      dsa[i] += d * bj;
    }
    gr[o + j] = sr;
    gk[o + j] = sk;
    gb[o + j] = sb;
    glogw[o + j] = sw * w[j];
  }
  // sweep 2: sa = S_{t-1} a gives da and dS_{t-1} its share; the decay carries dS_t back
  for (int64_t j = 0; j < N; ++j) {
    const R aj = a[j], wj = w[j];
    R* drow = dSt + j * N;
    const R* prow = Sp + j * N;
    R sA = 0;
#pragma omp simd reduction(+ : sA)
    for (int64_t i = 0; i < N; ++i) {
      sA += prow[i] * dsa[i];
      drow[i] = drow[i] * wj + aj * dsa[i];
    }
    ga[o + j] = sA;
  }
  for (int64_t i = 0; i < N; ++i) gv[o + i] = dv[i];
}

}  // namespace

size_t wkv7_boundary_size(int64_t B, int64_t T, int64_t H, int64_t N, int chunk_len) {
  return static_cast<size_t>(B * H * ceil_div(T, std::max(1, chunk_len)) * N * N);
}

template <class R>
void wkv7_forward(R* y, R* boundary, R* state_out, const R* r, const R* logw, const R* k, const R* v, const R* a,
                  const R* b, const R* state_in, int64_t B, int64_t T, int64_t H, int64_t N,
                  const Wkv7Options& opt) {
  const int64_t Q = std::max(1, opt.chunk_len), NN = N * N, chunks = ceil_div(T, Q), tasks = B * H;
  const bool parallel = tasks > 1 && tasks * T * NN >= kMinParallelWork;
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t bb = task / H, h = task % H;
    const HeadInputs<R> in = head_inputs(r, logw, k, v, a, b, bb, h, T, H, N);
    forward_task(y + bb * T * H * N + h * N, boundary ? boundary + task * chunks * NN : nullptr,
                 state_out ? state_out + task * NN : nullptr, in, state_in ? state_in + task * NN : nullptr, T, N,
                 Q);
  }
}

template <class R>
void wkv7_backward(R* gr, R* glogw, R* gk, R* gv, R* ga, R* gb, R* gstate_in, const R* gy, const R* gstate_out,
                   const R* r, const R* logw, const R* k, const R* v, const R* a, const R* b,
                   const R* boundary, const R* state_in, int64_t B, int64_t T, int64_t H, int64_t N,
                   const Wkv7Options& opt) {
  const int64_t Q = std::max(1, opt.chunk_len), NN = N * N, chunks = ceil_div(T, Q), tasks = B * H;
  const bool parallel = tasks > 1 && tasks * T * NN >= kMinParallelWork;
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t bb = task / H, h = task % H, o = bb * T * H * N + h * N;
    const HeadInputs<R> in = head_inputs(r, logw, k, v, a, b, bb, h, T, H, N);
    const R* S0 = state_in ? state_in + task * NN : nullptr;
    std::vector<R> own_boundary;
    const R* starts = boundary ? boundary + task * chunks * NN : nullptr;
    if (!starts) {
      own_boundary.resize(static_cast<size_t>(chunks * NN));
      forward_task<R>(nullptr, own_boundary.data(), nullptr, in, S0, T, N, Q);
      starts = own_boundary.data();
    }
    // the states S_{t0-1} .. S_{t1-1} of one chunk (transposed) and its sa_t
    std::vector<R> states(static_cast<size_t>((Q + 1) * NN)), sa(static_cast<size_t>(Q * N));
    std::vector<R> dSt(NN), dv(N), dsa(N), w(N);
    if (gstate_out)
      load_transposed(dSt.data(), gstate_out + task * NN, N);
    for (int64_t c = chunks - 1; c >= 0; --c) {
      const int64_t t0 = c * Q, t1 = std::min(T, t0 + Q);
      std::copy(starts + c * NN, starts + (c + 1) * NN, states.begin());
      for (int64_t t = t0; t < t1; ++t) {
        R* next = &states[(t - t0 + 1) * NN];
        std::copy(next - NN, next, next);
        step<R>(next, &sa[(t - t0) * N], w.data(), nullptr, in, t, N);
      }
      for (int64_t t = t1 - 1; t >= t0; --t)
        step_backward(dSt.data(), dv.data(), dsa.data(), w.data(), &states[(t - t0 + 1) * NN], &states[(t - t0) * NN],
                      &sa[(t - t0) * N], in, gy + o + t * in.C, gr + o, glogw + o, gk + o, gv + o, ga + o,
                      gb + o, t, N);
    }
    if (gstate_in) store_transposed(gstate_in + task * NN, dSt.data(), N);
  }
}

#define RWKVS_WKV7(R)                                                                                          \
  template void wkv7_forward<R>(R*, R*, R*, const R*, const R*, const R*, const R*, const R*, const R*,       \
                                const R*, int64_t, int64_t, int64_t, int64_t, const Wkv7Options&);            \
  template void wkv7_backward<R>(R*, R*, R*, R*, R*, R*, R*, const R*, const R*, const R*, const R*, const R*, \
                                 const R*, const R*, const R*, const R*, const R*, int64_t, int64_t, int64_t, \
                                 int64_t, const Wkv7Options&);
RWKVS_WKV7(float)
RWKVS_WKV7(double)
#undef RWKVS_WKV7

}  // namespace rwkvs::kernels
