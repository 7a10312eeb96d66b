// The RWKV-7 block's own elementwise and per-head ops on the CPU (contract in kernels/rwkv7_ops.h).
// Per-row outputs run in parallel over rows; parameter gradients (sums over rows) are accumulated
// by one thread in row order, so results do not depend on the thread count.
#include "kernels/rwkv7_ops.h"

#include <algorithm>
#include <cmath>

#include "kernels/fast_math.h"

namespace rwkvs::kernels {
namespace {

// Threshold below which threading costs more than it saves.
constexpr int64_t kParallelMin = 1 << 15;

template <class R>
R sigmoid(R x) {
  return R(1) / (R(1) + exp_approx(-x));
}

}  // namespace

template <class R>
void token_shift_lerp_forward(R* out, const R* z, const R* prev, const R* mu, int64_t B, int64_t T, int64_t C) {
#pragma omp parallel for schedule(static) if (B * T * C > kParallelMin)
  for (int64_t row = 0; row < B * T; ++row) {
    const int64_t t = row % T;
    const R* zt = z + row * C;
    const R* p = t > 0 ? zt - C : (prev ? prev + (row / T) * C : nullptr);
    R* o = out + row * C;
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) o[c] = zt[c] + ((p ? p[c] : R(0)) - zt[c]) * mu[c];
  }
}

template <class R>
void token_shift_lerp_backward(R* dz, R* dprev, R* dmu, const R* dout, const R* z, const R* prev, const R* mu,
                               int64_t B, int64_t T, int64_t C) {
  // z_t feeds out_t with weight (1 - mu) and out_{t+1} with weight mu: each row gathers both
#pragma omp parallel for schedule(static) if (B * T * C > kParallelMin)
  for (int64_t row = 0; row < B * T; ++row) {
    const int64_t t = row % T;
    const R* d = dout + row * C;
    const R* dnext = t + 1 < T ? d + C : nullptr;
    R* g = dz + row * C;
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) g[c] += d[c] * (R(1) - mu[c]) + (dnext ? dnext[c] * mu[c] : R(0));
  }
  for (int64_t bb = 0; bb < B; ++bb) {
    if (dprev)
      for (int64_t c = 0; c < C; ++c) dprev[bb * C + c] += dout[bb * T * C + c] * mu[c];
    for (int64_t t = 0; t < T; ++t) {
      const int64_t row = bb * T + t;
      const R* zt = z + row * C;
      const R* p = t > 0 ? zt - C : (prev ? prev + bb * C : nullptr);
      const R* d = dout + row * C;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) dmu[c] += d[c] * ((p ? p[c] : R(0)) - zt[c]);
    }
  }
}

template <class R>
void tanh_forward(R* out, const R* inp, int64_t n) {
#pragma omp parallel for schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = std::tanh(inp[i]);
}

template <class R>
void tanh_backward(R* dinp, const R* dout, const R* out, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) dinp[i] += dout[i] * (R(1) - out[i] * out[i]);
}

template <class R>
void rwkv7_decay_forward(R* logw, const R* u, const R* w0, int64_t N, int64_t C) {
  const R scale = static_cast<R>(kRwkv7DecayScale);
#pragma omp parallel for schedule(static) if (N * C > kParallelMin)
  for (int64_t row = 0; row < N; ++row)
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) logw[row * C + c] = -scale * sigmoid(w0[c] + u[row * C + c]);
}

template <class R>
void rwkv7_decay_backward(R* du, R* dw0, const R* dlogw, const R* u, const R* w0, int64_t N, int64_t C) {
  const R scale = static_cast<R>(kRwkv7DecayScale);
  for (int64_t row = 0; row < N; ++row)
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) {
      const int64_t i = row * C + c;
      const R s = sigmoid(w0[c] + u[i]);
      const R g = -scale * dlogw[i] * s * (R(1) - s);
      du[i] += g;
      dw0[c] += g;
    }
}

template <class R>
void lerp_forward(R* out, const R* x, const R* target, const R* gate, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] + (target[i] - x[i]) * gate[i];
}

template <class R>
void lerp_backward(R* dx, R* dtarget, R* dgate, const R* dout, const R* x, const R* target, const R* gate,
                   int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    if (dx) dx[i] += dout[i] * (R(1) - gate[i]);
    if (dtarget) dtarget[i] += dout[i] * gate[i];
    if (dgate) dgate[i] += dout[i] * (target[i] - x[i]);
  }
}

template <class R>
void rwkv7_keys_forward(R* kappa_hat, R* norm, R* a, R* b, R* kmod, const R* k, const R* alpha, const R* k_k,
                        const R* k_a, int64_t N, int64_t H, int64_t Nh) {
  const int64_t C = H * Nh;
#pragma omp parallel for schedule(static) if (N * C > kParallelMin)
  for (int64_t row = 0; row < N; ++row)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t o = row * C + h * Nh;
      R sq = 0;
      for (int64_t j = 0; j < Nh; ++j) {
        const R kappa = k[o + j] * k_k[h * Nh + j];
        sq += kappa * kappa;
      }
      const R n = std::max(std::sqrt(sq), R(1e-12));
      norm[row * H + h] = n;
      for (int64_t j = 0; j < Nh; ++j) {
        const int64_t i = o + j, c = h * Nh + j;
        const R kh = k[i] * k_k[c] / n;
        kappa_hat[i] = kh;
        a[i] = -kh;
        b[i] = kh * alpha[i];
        kmod[i] = k[i] * (R(1) + (alpha[i] - R(1)) * k_a[c]);
      }
    }
}

template <class R>
void rwkv7_keys_backward(R* dk, R* dalpha, R* dk_k, R* dk_a, const R* da, const R* db, const R* dkmod, const R* k,
                         const R* alpha, const R* k_k, const R* k_a, const R* kappa_hat, const R* norm, int64_t N,
                         int64_t H, int64_t Nh) {
  const int64_t C = H * Nh;
  for (int64_t row = 0; row < N; ++row)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t o = row * C + h * Nh;
      const R n = norm[row * H + h];
      // d kappa_hat from a = -kappa_hat and b = kappa_hat * alpha
      R dot = 0;
      for (int64_t j = 0; j < Nh; ++j) {
        const int64_t i = o + j;
        const R dkh = (da ? -da[i] : R(0)) + (db ? db[i] * alpha[i] : R(0));
        dot += dkh * kappa_hat[i];
      }
      // F.normalize: through the norm unless it was clamped at 1e-12 (then a constant divisor)
      const bool clamped = !(n > R(1e-12));
      for (int64_t j = 0; j < Nh; ++j) {
        const int64_t i = o + j, c = h * Nh + j;
        const R dkh = (da ? -da[i] : R(0)) + (db ? db[i] * alpha[i] : R(0));
        const R dkappa = (dkh - (clamped ? R(0) : kappa_hat[i] * dot)) / n;
        const R dm = dkmod ? dkmod[i] : R(0);
        dk[i] += dkappa * k_k[c] + dm * (R(1) + (alpha[i] - R(1)) * k_a[c]);
        dalpha[i] += (db ? db[i] * kappa_hat[i] : R(0)) + dm * k[i] * k_a[c];
        dk_k[c] += dkappa * k[i];
        dk_a[c] += dm * k[i] * (alpha[i] - R(1));
      }
    }
}

template <class R>
void groupnorm_forward(R* out, R* mean, R* rstd, const R* inp, const R* weight, const R* bias, int64_t N, int64_t H,
                       int64_t Nh, double eps) {
  const int64_t C = H * Nh;
#pragma omp parallel for schedule(static) if (N * C > kParallelMin)
  for (int64_t row = 0; row < N; ++row)
    for (int64_t h = 0; h < H; ++h) {
      const R* x = inp + row * C + h * Nh;
      R m = 0;
      for (int64_t j = 0; j < Nh; ++j) m += x[j];
      m /= static_cast<R>(Nh);
      R var = 0;
      for (int64_t j = 0; j < Nh; ++j) var += (x[j] - m) * (x[j] - m);
      var /= static_cast<R>(Nh);
      const R rs = R(1) / std::sqrt(var + static_cast<R>(eps));
      if (mean) mean[row * H + h] = m;
      if (rstd) rstd[row * H + h] = rs;
      R* o = out + row * C + h * Nh;
      for (int64_t j = 0; j < Nh; ++j) o[j] = (x[j] - m) * rs * weight[h * Nh + j] + bias[h * Nh + j];
    }
}

template <class R>
void groupnorm_backward(R* dinp, R* dweight, R* dbias, const R* dout, const R* inp, const R* weight, const R* mean,
                        const R* rstd, int64_t N, int64_t H, int64_t Nh) {
  const int64_t C = H * Nh;
#pragma omp parallel for schedule(static) if (N * C > kParallelMin)
  for (int64_t row = 0; row < N; ++row)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t o = row * C + h * Nh;
      const R m = mean[row * H + h], rs = rstd[row * H + h];
      R sum_d = 0, sum_dx = 0;  // means of dxhat and dxhat * xhat
      for (int64_t j = 0; j < Nh; ++j) {
        const R xhat = (inp[o + j] - m) * rs;
        const R d = dout[o + j] * weight[h * Nh + j];
        sum_d += d;
        sum_dx += d * xhat;
      }
      sum_d /= static_cast<R>(Nh);
      sum_dx /= static_cast<R>(Nh);
      for (int64_t j = 0; j < Nh; ++j) {
        const R xhat = (inp[o + j] - m) * rs;
        const R d = dout[o + j] * weight[h * Nh + j];
        dinp[o + j] += rs * (d - sum_d - xhat * sum_dx);
      }
    }
  for (int64_t row = 0; row < N; ++row)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t o = row * C + h * Nh;
      const R m = mean[row * H + h], rs = rstd[row * H + h];
      for (int64_t j = 0; j < Nh; ++j) {
        dweight[h * Nh + j] += dout[o + j] * (inp[o + j] - m) * rs;
        dbias[h * Nh + j] += dout[o + j];
      }
    }
}

template <class R>
void rwkv7_bonus_forward(R* y, const R* r, const R* k, const R* v, const R* r_k, int64_t N, int64_t H, int64_t Nh) {
  const int64_t C = H * Nh;
#pragma omp parallel for schedule(static) if (N * C > kParallelMin)
  for (int64_t row = 0; row < N; ++row)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t o = row * C + h * Nh;
      R s = 0;
      for (int64_t j = 0; j < Nh; ++j) s += r[o + j] * k[o + j] * r_k[h * Nh + j];
      for (int64_t j = 0; j < Nh; ++j) y[o + j] += s * v[o + j];
    }
}

template <class R>
void rwkv7_bonus_backward(R* dr, R* dk, R* dv, R* dr_k, const R* dy, const R* r, const R* k, const R* v,
                          const R* r_k, int64_t N, int64_t H, int64_t Nh) {
  const int64_t C = H * Nh;
  for (int64_t row = 0; row < N; ++row)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t o = row * C + h * Nh;
      R s = 0, ds = 0;
      for (int64_t j = 0; j < Nh; ++j) {
        s += r[o + j] * k[o + j] * r_k[h * Nh + j];
        ds += dy[o + j] * v[o + j];
      }
      for (int64_t j = 0; j < Nh; ++j) {
        const R rk = r_k[h * Nh + j];
        dv[o + j] += dy[o + j] * s;
        dr[o + j] += ds * k[o + j] * rk;
        dk[o + j] += ds * r[o + j] * rk;
        dr_k[h * Nh + j] += ds * r[o + j] * k[o + j];
      }
    }
}

#define RWKVS_RWKV7_OPS(R)                                                                                         \
  template void token_shift_lerp_forward<R>(R*, const R*, const R*, const R*, int64_t, int64_t, int64_t);          \
  template void token_shift_lerp_backward<R>(R*, R*, R*, const R*, const R*, const R*, const R*, int64_t, int64_t, \
                                             int64_t);                                                             \
  template void tanh_forward<R>(R*, const R*, int64_t);                                                            \
  template void tanh_backward<R>(R*, const R*, const R*, int64_t);                                                 \
  template void rwkv7_decay_forward<R>(R*, const R*, const R*, int64_t, int64_t);                                  \
  template void rwkv7_decay_backward<R>(R*, R*, const R*, const R*, const R*, int64_t, int64_t);                   \
  template void lerp_forward<R>(R*, const R*, const R*, const R*, int64_t);                                        \
  template void lerp_backward<R>(R*, R*, R*, const R*, const R*, const R*, const R*, int64_t);                     \
  template void rwkv7_keys_forward<R>(R*, R*, R*, R*, R*, const R*, const R*, const R*, const R*, int64_t, int64_t, \
                                      int64_t);                                                                    \
  template void rwkv7_keys_backward<R>(R*, R*, R*, R*, const R*, const R*, const R*, const R*, const R*, const R*, \
                                       const R*, const R*, const R*, int64_t, int64_t, int64_t);                   \
  template void groupnorm_forward<R>(R*, R*, R*, const R*, const R*, const R*, int64_t, int64_t, int64_t, double); \
  template void groupnorm_backward<R>(R*, R*, R*, const R*, const R*, const R*, const R*, const R*, int64_t,        \
                                      int64_t, int64_t);                                                           \
  template void rwkv7_bonus_forward<R>(R*, const R*, const R*, const R*, const R*, int64_t, int64_t, int64_t);     \
  template void rwkv7_bonus_backward<R>(R*, R*, R*, R*, const R*, const R*, const R*, const R*, const R*, int64_t, \
                                        int64_t, int64_t);
RWKVS_RWKV7_OPS(float)
RWKVS_RWKV7_OPS(double)
#undef RWKVS_RWKV7_OPS

}  // namespace rwkvs::kernels
