// The readable WKV-7 reference: spec §4's element-wise recurrence in the [value][key] layout, and a
// backward that keeps every state of one (batch, head). Slow and simple on purpose: the chunked CPU
// kernel and the CUDA twin are tested against it, and it against the PyTorch oracle.
#include <cmath>
#include <vector>

#include "kernels/wkv7.h"

namespace rwkvs::kernels {
namespace {

// The inputs of head h of batch element bb at step t: N values at (bb*T + t)*C + h*N.
struct HeadIndex {
  int64_t T, C, N;
  int64_t at(int64_t bb, int64_t h, int64_t t) const { return (bb * T + t) * C + h * N; }
};

// S (N x N, [value i][key j]) <- S diag(w) + (S a) b^T + v k^T; sa = S a of the state before.
template <class R>
void step(const R* Sp, R* Sc, R* sa, const R* logw, const R* k, const R* v, const R* a, const R* b, int64_t N) {
  for (int64_t i = 0; i < N; ++i) {
    R s = 0;
    for (int64_t j = 0; j < N; ++j) s += Sp[i * N + j] * a[j];
    sa[i] = s;
  }
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < N; ++j)
      Sc[i * N + j] = Sp[i * N + j] * std::exp(logw[j]) + sa[i] * b[j] + v[i] * k[j];
}

}  // namespace

template <class R>
void wkv7_reference_forward(R* y, R* state_out, const R* r, const R* logw, const R* k, const R* v, const R* a,
                            const R* b, const R* state_in, int64_t B, int64_t T, int64_t H, int64_t N) {
  const HeadIndex ix{T, H * N, N};
  const int64_t NN = N * N;
  std::vector<R> S(NN), next(NN), sa(N);
  for (int64_t bb = 0; bb < B; ++bb)
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t e = 0; e < NN; ++e) S[e] = state_in ? state_in[(bb * H + h) * NN + e] : R(0);
      for (int64_t t = 0; t < T; ++t) {
        const int64_t o = ix.at(bb, h, t);
        step(S.data(), next.data(), sa.data(), logw + o, k + o, v + o, a + o, b + o, N);
        S.swap(next);
        for (int64_t i = 0; i < N; ++i) {
          R s = 0;
          for (int64_t j = 0; j < N; ++j) s += S[i * N + j] * r[o + j];
          y[o + i] = s;
        }
      }
      if (state_out)
        for (int64_t e = 0; e < NN; ++e) state_out[(bb * H + h) * NN + e] = S[e];
    }
}

template <class R>
void wkv7_reference_backward(R* gr, R* glogw, R* gk, R* gv, R* ga, R* gb, R* gstate_in, const R* gy,
                             const R* gstate_out, const R* r, const R* logw, const R* k, const R* v, const R* a,
                             const R* b, const R* state_in, int64_t B, int64_t T, int64_t H, int64_t N) {
  const HeadIndex ix{T, H * N, N};
  const int64_t NN = N * N;
  std::vector<R> S((T + 1) * NN), sa(T * N), dS(NN), dsa(N);
  for (int64_t bb = 0; bb < B; ++bb)
    for (int64_t h = 0; h < H; ++h) {
      // every state S_0..S_T and every sa_t = S_{t-1} a_t
      for (int64_t e = 0; e < NN; ++e) S[e] = state_in ? state_in[(bb * H + h) * NN + e] : R(0);
      for (int64_t t = 0; t < T; ++t) {
        const int64_t o = ix.at(bb, h, t);
        step(&S[t * NN], &S[(t + 1) * NN], &sa[t * N], logw + o, k + o, v + o, a + o, b + o, N);
      }
      for (int64_t e = 0; e < NN; ++e) dS[e] = gstate_out ? gstate_out[(bb * H + h) * NN + e] : R(0);
      for (int64_t t = T - 1; t >= 0; --t) {
        const int64_t o = ix.at(bb, h, t);
        const R* Sp = &S[t * NN];
        const R* Sc = &S[(t + 1) * NN];
        const R* sat = &sa[t * N];
        // y_t = S_t r_t
        for (int64_t j = 0; j < N; ++j) {
          R s = 0;
          for (int64_t i = 0; i < N; ++i) s += Sc[i * N + j] * gy[o + i];
          gr[o + j] = s;
        }
        for (int64_t i = 0; i < N; ++i)
          for (int64_t j = 0; j < N; ++j) dS[i * N + j] += gy[o + i] * r[o + j];
        // S_t = S_{t-1} diag(w) + sa b^T + v k^T
        for (int64_t i = 0; i < N; ++i) {
          R sv = 0, ss = 0;
          for (int64_t j = 0; j < N; ++j) {
            sv += dS[i * N + j] * k[o + j];
            ss += dS[i * N + j] * b[o + j];
          }
          gv[o + i] = sv;
          dsa[i] = ss;
        }
        for (int64_t j = 0; j < N; ++j) {
          R sk = 0, sb = 0, sw = 0, sA = 0;
          for (int64_t i = 0; i < N; ++i) {
            sk += dS[i * N + j] * v[o + i];
            sb += dS[i * N + j] * sat[i];
            sw += dS[i * N + j] * Sp[i * N + j];
            sA += Sp[i * N + j] * dsa[i];  // sa = S_{t-1} a
          }
          gk[o + j] = sk;
          gb[o + j] = sb;
          glogw[o + j] = sw * std::exp(logw[o + j]);  // d/dlogw of w = exp(logw)
          ga[o + j] = sA;
        }
        for (int64_t i = 0; i < N; ++i)
          for (int64_t j = 0; j < N; ++j)
            dS[i * N + j] = dS[i * N + j] * std::exp(logw[o + j]) + dsa[i] * a[o + j];
      }
      if (gstate_in)
        for (int64_t e = 0; e < NN; ++e) gstate_in[(bb * H + h) * NN + e] = dS[e];
    }
}

#define RWKVS_WKV7_REFERENCE(R)                                                                              \
  template void wkv7_reference_forward<R>(R*, R*, const R*, const R*, const R*, const R*, const R*, const R*, \
                                          const R*, int64_t, int64_t, int64_t, int64_t);                      \
  template void wkv7_reference_backward<R>(R*, R*, R*, R*, R*, R*, R*, const R*, const R*, const R*, const R*, \
                                           const R*, const R*, const R*, const R*, const R*, int64_t, int64_t, \
                                           int64_t, int64_t);
RWKVS_WKV7_REFERENCE(float)
RWKVS_WKV7_REFERENCE(double)
#undef RWKVS_WKV7_REFERENCE

}  // namespace rwkvs::kernels
