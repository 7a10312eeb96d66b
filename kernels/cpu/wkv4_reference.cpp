// The readable WKV-4 reference: spec §4.2 forward and the two-pass backward of spec §6, written
// out per (b, c) with plain std::exp and whole-sequence arrays. Slow and simple on purpose: the
// chunked kernel and the CUDA kernels are tested against it.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/wkv4.h"
#include "kernels/wkv4_math.h"

namespace rwkvs::kernels {

template <class R>
void wkv4_reference_forward(R* y, Wkv4State<R> state_out, const R* w, const R* u, const R* k, const R* v,
                            Wkv4ConstState<R> state_in, int64_t B, int64_t T, int64_t C) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c) {
      const R wd = -std::exp(w[c]);
      R aa = state_in.aa ? state_in.aa[b * C + c] : R(0);
      R bb = state_in.bb ? state_in.bb[b * C + c] : R(0);
      R pp = state_in.pp ? state_in.pp[b * C + c] : R(kWkvEmpty);
      for (int64_t t = 0; t < T; ++t) {
        const int64_t i = (b * T + t) * C + c;
        R o = u[c] + k[i];
        R p = std::max(pp, o);
        R e1 = std::exp(pp - p), e2 = std::exp(o - p);
        y[i] = (e1 * aa + e2 * v[i]) / (e1 * bb + e2);
        o = pp + wd;
        p = std::max(o, k[i]);
        e1 = std::exp(o - p);
        e2 = std::exp(k[i] - p);
        aa = e1 * aa + e2 * v[i];
        bb = e1 * bb + e2;
        pp = p;
      }
      if (state_out.aa) {
        state_out.aa[b * C + c] = aa;
        state_out.bb[b * C + c] = bb;
        state_out.pp[b * C + c] = pp;
      }
    }
}

template <class R>
void wkv4_reference_backward(R* gk, R* gv, R* gw, R* gu, const R* gy, const R* w, const R* u, const R* k,
                             const R* v, int64_t B, int64_t T, int64_t C) {
  std::vector<R> y(T), q(T), r(T);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c) {
      const R wd = -std::exp(w[c]);
      // pass 1, forward in time: y, gw, gu, and the per-step q_t, r_t
      R aa = 0, bb = 0, pp = kWkvEmpty, ga = 0, gb = 0, sw = 0, su = 0;
      for (int64_t t = 0; t < T; ++t) {
        const int64_t i = (b * T + t) * C + c;
        R o = u[c] + k[i];
        R p = std::max(pp, o);
        R e1 = std::exp(pp - p), e2 = std::exp(o - p);
        y[t] = (e1 * aa + e2 * v[i]) / (e1 * bb + e2);
        q[t] = gy[i] / (e1 * bb + e2);
        sw += (ga - gb * y[t]) * e1 * q[t];
        su += (v[i] - y[t]) * e2 * q[t];
        r[t] = o - p;
        o = wd + pp;
        p = std::max(o, k[i]);
        e1 = std::exp(o - p);
        e2 = std::exp(k[i] - p);
        ga = e1 * (aa + ga);
        gb = e1 * (bb + gb);
        aa = e1 * aa + e2 * v[i];
        bb = e1 * bb + e2;
        pp = p;
      }
      gw[c] += sw * wd;
      gu[c] += su;
      // pass 2, backward in time: gk, gv
      R al = 0, be = 0, pr = kWkvEmpty;
      for (int64_t t = T - 1; t >= 0; --t) {
        const int64_t i = (b * T + t) * C + c;
        R e1 = q[t] * std::exp(r[t]);
        R e2 = std::exp(k[i] + pr);
        gk[i] = e1 * (v[i] - y[t]) + e2 * (al * v[i] + be);
        gv[i] = e1 + e2 * al;
        const R o1 = wd + pr, o2 = r[t] - u[c] - k[i];
        const R p = std::max(o1, o2);
        e1 = std::exp(o1 - p);
        e2 = q[t] * std::exp(o2 - p);
        al = e1 * al + e2;
        be = e1 * be - e2 * y[t];
        pr = p;
      }
    }
}

template void wkv4_reference_forward<float>(float*, Wkv4State<float>, const float*, const float*, const float*,
                                            const float*, Wkv4ConstState<float>, int64_t, int64_t, int64_t);
template void wkv4_reference_forward<double>(double*, Wkv4State<double>, const double*, const double*,
                                             const double*, const double*, Wkv4ConstState<double>, int64_t,
                                             int64_t, int64_t);
template void wkv4_reference_backward<float>(float*, float*, float*, float*, const float*, const float*,
                                             const float*, const float*, const float*, int64_t, int64_t, int64_t);
template void wkv4_reference_backward<double>(double*, double*, double*, double*, const double*, const double*,
                                              const double*, const double*, const double*, int64_t, int64_t,
                                              int64_t);

}  // namespace rwkvs::kernels
