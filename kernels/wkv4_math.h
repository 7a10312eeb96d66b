#pragma once
// Per-channel WKV-4 arithmetic shared by the CPU kernels, the CUDA kernels and the recurrent path.
//
// State after t tokens, per channel: a_t = aa*e^pp, b_t = bb*e^pp with
//   a_t = e^{w'} a_{t-1} + e^{k_t} v_t,   b_t = e^{w'} b_{t-1} + e^{k_t},   w' = -exp(time_decay)
//   y_t = (a_{t-1} + e^{u+k_t} v_t) / (b_{t-1} + e^{u+k_t})
// pp is a running max exponent so every exp argument is <= 0 (spec §4.2). The empty state is
// aa = bb = 0, pp = kWkvEmpty (a finite stand-in for -inf: -inf - -inf would be NaN).
//
// Reverse-mode adjoints alpha_t = dL/da_t, beta_t = dL/db_t are kept scaled the same way:
// alpha = al*e^pr, beta = be*e^pr, and run backwards:
//   alpha_{t-1} = e^{w'} alpha_t + gy_t/Z_t,   beta_{t-1} = e^{w'} beta_t - gy_t y_t/Z_t,
//   Z_t = b_{t-1} + e^{u+k_t}.
#include "kernels/fast_math.h"

namespace rwkvs::kernels {

constexpr float kWkvEmpty = -1e38f;

// Two-term log-sum-exp weights: p = max(x1, x2), f1 = e^{x1-p}, f2 = e^{x2-p}. One of them is
// exactly 1, so a single exp serves both.
// R is a scalar (float, double) or a SIMD lane vector (Float8); the formulas are the same.
template <class R>
struct Lse2 {
  R p, f1, f2;
};

template <class R>
RWKVS_HD Lse2<R> lse2(R x1, R x2) {
  const auto first = x1 >= x2;
  const R one = splat<R>(1.0f);
  const R d = exp_approx(select(first, x2 - x1, x1 - x2));
  return {select(first, x1, x2), select(first, one, d), select(first, d, one)};
}

// Output of one step from the state before it.
template <class R>
RWKVS_HD R wkv_output(R aa, R bb, R pp, R u, R k, R v) {
  const Lse2<R> e = lse2(pp, u + k);
  return (e.f1 * aa + e.f2 * v) / (e.f1 * bb + e.f2);
}

// Folds token (k, v) into the state: decays the old sums by e^{wd} (wd = w' = -exp(w)).
template <class R>
RWKVS_HD void wkv_update(R& aa, R& bb, R& pp, R wd, R k, R v) {
  const Lse2<R> e = lse2(pp + wd, k);
  aa = e.f1 * aa + e.f2 * v;
  bb = e.f1 * bb + e.f2;
  pp = e.p;
}

// Merges a state decayed over n steps with the summary of those n steps computed from empty:
// (aa,bb,pp) <- e^{n wd} (aa,bb,pp) + (sa,sb,sp). The same operator merges reverse adjoints.
template <class R>
RWKVS_HD void wkv_merge(R& aa, R& bb, R& pp, R n_wd, R sa, R sb, R sp) {
  const Lse2<R> e = lse2(pp + n_wd, sp);
  aa = e.f1 * aa + e.f2 * sa;
  bb = e.f1 * bb + e.f2 * sb;
  pp = e.p;
}

// Gradients of one step, given the state before it, its output y and upstream gy, and the adjoint
// (al, be, pr) of the state after it. Writes gk, gv, adds into gw_prime (d/dw') and gu, and moves
// the adjoint to the state before the step.
template <class R>
RWKVS_HD void wkv_step_backward(R& gk, R& gv, R& gw_prime, R& gu, R& al, R& be, R& pr, R aa, R bb, R pp,
                                R wd, R u, R k, R v, R y, R gy) {
  const Lse2<R> e = lse2(pp, u + k);
  const R q = gy / (e.f1 * bb + e.f2);      // gy_t / Z_t, times e^{p}
  const R g_self = q * e.f2;                // gy_t e^{u+k_t} / Z_t
  const R ek = exp_approx(k + pr);          // e^{k_t} times the adjoint scale; bounded (spec §6)
  gv = g_self + ek * al;
  gk = g_self * (v - y) + ek * (al * v + be);
  gu += g_self * (v - y);
  // a_t = e^{w'} a_{t-1} + ...: d/dw' = e^{w'} (alpha_t a_{t-1} + beta_t b_{t-1})
  gw_prime += exp_approx(wd + pr + pp) * (al * aa + be * bb);
  const Lse2<R> f = lse2(pr + wd, -e.p);
  al = f.f1 * al + f.f2 * q;
  be = f.f1 * be - f.f2 * q * y;
  pr = f.p;
}

}  // namespace rwkvs::kernels
