// The RWKV-7 block's own ops on the GPU (kernels/cuda/rwkv7_ops.h), the twins of
// kernels/cpu/rwkv7_ops.cpp with the same formulas. Elementwise ops are grid-stride loops; the
// per-head ops give one warp to each (row, head), its lanes striding over the head's Nh channels and
// reducing with warp sums. Parameter gradients are deterministic column sums (column_sums.cuh); where
// a term needs a per-(row, head) scalar of the backward (the keys' normalize dot product, the bonus's
// dL/ds) the warp kernel leaves it in scratch for the column-sum term to read.
#include <cmath>

#include "kernels/cuda/column_sums.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/rwkv7_ops.h"
#include "kernels/fast_math.h"
#include "kernels/rwkv7_ops.h"

namespace rwkvs::kernels::cuda {
namespace {

constexpr int kWarpsPerBlock = kThreads / 32;
constexpr float kDecayScale = static_cast<float>(kRwkv7DecayScale);
constexpr float kNormFloor = 1e-12f;  // F.normalize's clamp of the key norm

// Each warp takes items (row, head) = item / H, item % H, striding by all warps of the grid.
#define RWKVS_FOR_EACH_WARP_ITEM(item, n)                                                             \
  for (int64_t item = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32; item < (n); \
       item += static_cast<int64_t>(gridDim.x) * blockDim.x / 32)

inline unsigned grid_for_items(int64_t n) { return grid_for(n, kWarpsPerBlock); }

__device__ __forceinline__ float sigmoidf_approx(float x) { return 1.0f / (1.0f + exp_approx(-x)); }

// z_{t-1} for element i = (b, t, c): the previous row, the carried prev at t = 0, or 0.
__device__ __forceinline__ float shifted(const float* z, const float* prev, int64_t i, int64_t T, int64_t C) {
  const int64_t c = i % C, bt = i / C, t = bt % T, b = bt / T;
  return t > 0 ? z[i - C] : (prev ? prev[b * C + c] : 0.0f);
}

// --- token shift (lerp form) ---------------------------------------------------------------------

__global__ void token_shift_lerp_forward_kernel(float* out, const float* z, const float* prev,
                                                const float* mu, int64_t B, int64_t T, int64_t C) {
  RWKVS_GRID_STRIDE(i, B * T * C) {
    const float zt = z[i];
    out[i] = zt + (shifted(z, prev, i, T, C) - zt) * mu[i % C];
  }
}

// z_t feeds out_t with weight 1 - mu and out_{t+1} with weight mu; prev feeds out_0 with weight mu.
__global__ void token_shift_lerp_backward_kernel(float* dz, float* dprev, const float* dout, const float* mu,
                                                 int64_t B, int64_t T, int64_t C) {
  RWKVS_GRID_STRIDE(i, B * T * C) {
    const int64_t c = i % C, bt = i / C, t = bt % T, b = bt / T;
    const float d = dout[i], m = mu[c];
    dz[i] += d * (1.0f - m) + (t + 1 < T ? dout[i + C] * m : 0.0f);
    if (t == 0 && dprev) dprev[b * C + c] += d * m;
  }
}

struct LerpMixGradTerm {  // dout * (z_{t-1} - z_t) over rows (b, t)
  const float* dout;
  const float* z;
  const float* prev;
  int64_t T, C;
  __device__ float operator()(int64_t r, int64_t c) const {
    const int64_t i = r * C + c;
    return dout[i] * (shifted(z, prev, i, T, C) - z[i]);
  }
};

// --- elementwise ---------------------------------------------------------------------------------

__global__ void tanh_forward_kernel(float* out, const float* inp, int64_t n) {
  RWKVS_GRID_STRIDE(i, n) out[i] = tanhf(inp[i]);
}
__global__ void tanh_backward_kernel(float* dinp, const float* dout, const float* out, int64_t n) {
  RWKVS_GRID_STRIDE(i, n) dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
}

__global__ void decay_forward_kernel(float* logw, const float* u, const float* w0, int64_t N, int64_t C) {
  RWKVS_GRID_STRIDE(i, N * C) logw[i] = -kDecayScale * sigmoidf_approx(w0[i % C] + u[i]);
}
__device__ __forceinline__ float decay_grad(const float* dlogw, const float* u, const float* w0, int64_t i,
                                            int64_t c) {
  const float s = sigmoidf_approx(w0[c] + u[i]);
  return -kDecayScale * dlogw[i] * s * (1.0f - s);
}
__global__ void decay_backward_kernel(float* du, const float* dlogw, const float* u, const float* w0,
                                      int64_t N, int64_t C) {
  RWKVS_GRID_STRIDE(i, N * C) du[i] += decay_grad(dlogw, u, w0, i, i % C);
}
struct DecayBiasGradTerm {
  const float* dlogw;
  const float* u;
  const float* w0;
  int64_t C;
  __device__ float operator()(int64_t r, int64_t c) const { return decay_grad(dlogw, u, w0, r * C + c, c); }
};

__global__ void lerp_forward_kernel(float* out, const float* x, const float* target, const float* gate,
                                    int64_t n) {
  RWKVS_GRID_STRIDE(i, n) out[i] = x[i] + (target[i] - x[i]) * gate[i];
}
__global__ void lerp_backward_kernel(float* dx, float* dtarget, float* dgate, const float* dout,
                                     const float* x, const float* target, const float* gate, int64_t n) {
  RWKVS_GRID_STRIDE(i, n) {
    const float d = dout[i];
    if (dx) dx[i] += d * (1.0f - gate[i]);
    if (dtarget) dtarget[i] += d * gate[i];
    if (dgate) dgate[i] += d * (target[i] - x[i]);
  }
}

// --- keys ------------------------------------------------------------------------------------------

__global__ void keys_forward_kernel(float* kappa_hat, float* norm, float* a, float* b, float* kmod,
                                    const float* k, const float* alpha, const float* k_k, const float* k_a,
                                    int64_t N, int64_t H, int64_t Nh) {
  const int lane = threadIdx.x % 32;
  const int64_t C = H * Nh;
  RWKVS_FOR_EACH_WARP_ITEM(item, N * H) {
    const int64_t row = item / H, h = item % H, o = row * C + h * Nh, ch = h * Nh;
    float sq = 0;
    for (int64_t j = lane; j < Nh; j += 32) {
      const float kappa = k[o + j] * k_k[ch + j];
      sq += kappa * kappa;
    }
    const float n = fmaxf(sqrtf(warp_sum(sq)), kNormFloor);
    if (lane == 0) norm[item] = n;
    for (int64_t j = lane; j < Nh; j += 32) {
      const int64_t i = o + j, c = ch + j;
      const float kh = k[i] * k_k[c] / n;
      kappa_hat[i] = kh;
      a[i] = -kh;
      b[i] = kh * alpha[i];
      kmod[i] = k[i] * (1.0f + (alpha[i] - 1.0f) * k_a[c]);
    }
  }
}

// d kappa_hat from a = -kappa_hat and b = kappa_hat * alpha.
__device__ __forceinline__ float dkappa_hat(const float* da, const float* db, const float* alpha, int64_t i) {
  return (da ? -da[i] : 0.0f) + (db ? db[i] * alpha[i] : 0.0f);
}
// d kappa through F.normalize: through the norm unless it was clamped (then a constant divisor).
__device__ __forceinline__ float dkappa(float dkh, float kh, float dot, float n) {
  return (dkh - (n > kNormFloor ? kh * dot : 0.0f)) / n;
}

// Per (row, head): dot = sum_j dkappa_hat_j kappa_hat_j into dots[item], then dk and dalpha.
__global__ void keys_backward_kernel(float* dk, float* dalpha, float* dots, const float* da, const float* db,
                                     const float* dkmod, const float* k, const float* alpha, const float* k_k,
                                     const float* k_a, const float* kappa_hat, const float* norm, int64_t N,
                                     int64_t H, int64_t Nh) {
  const int lane = threadIdx.x % 32;
  const int64_t C = H * Nh;
  RWKVS_FOR_EACH_WARP_ITEM(item, N * H) {
    const int64_t row = item / H, h = item % H, o = row * C + h * Nh, ch = h * Nh;
    float dot = 0;
    for (int64_t j = lane; j < Nh; j += 32) dot += dkappa_hat(da, db, alpha, o + j) * kappa_hat[o + j];
    dot = warp_sum(dot);
    if (lane == 0) dots[item] = dot;
    const float n = norm[item];
    for (int64_t j = lane; j < Nh; j += 32) {
      const int64_t i = o + j, c = ch + j;
      const float dkap = dkappa(dkappa_hat(da, db, alpha, i), kappa_hat[i], dot, n);
      const float dm = dkmod ? dkmod[i] : 0.0f;
      dk[i] += dkap * k_k[c] + dm * (1.0f + (alpha[i] - 1.0f) * k_a[c]);
      dalpha[i] += (db ? db[i] * kappa_hat[i] : 0.0f) + dm * k[i] * k_a[c];
    }
  }
}

struct KeyScaleGradTerm {  // dk_k: dkappa * k
  const float *da, *db, *alpha, *k, *kappa_hat, *norm, *dots;
  int64_t H, Nh;
  __device__ float operator()(int64_t r, int64_t c) const {
    const int64_t i = r * H * Nh + c, item = r * H + c / Nh;
    return dkappa(dkappa_hat(da, db, alpha, i), kappa_hat[i], dots[item], norm[item]) * k[i];
  }
};
struct KeyRateGradTerm {  // dk_a: dkmod * k * (alpha - 1)
  const float *dkmod, *k, *alpha;
  int64_t C;
  __device__ float operator()(int64_t r, int64_t c) const {
    const int64_t i = r * C + c;
    return dkmod ? dkmod[i] * k[i] * (alpha[i] - 1.0f) : 0.0f;
  }
};

// --- GroupNorm -------------------------------------------------------------------------------------

// Two passes per (row, head): the mean, then the centred variance.
__global__ void groupnorm_forward_kernel(float* out, float* mean, float* rstd, const float* inp,
                                         const float* weight, const float* bias, int64_t N, int64_t H,
                                         int64_t Nh, float eps) {
  const int lane = threadIdx.x % 32;
  const int64_t C = H * Nh;
  RWKVS_FOR_EACH_WARP_ITEM(item, N * H) {
    const int64_t row = item / H, h = item % H, ch = h * Nh;
    const float* x = inp + row * C + ch;
    float s = 0;
    for (int64_t j = lane; j < Nh; j += 32) s += x[j];
    const float m = warp_sum(s) / static_cast<float>(Nh);
    float v = 0;
    for (int64_t j = lane; j < Nh; j += 32) v += (x[j] - m) * (x[j] - m);
    const float rs = 1.0f / sqrtf(warp_sum(v) / static_cast<float>(Nh) + eps);
    if (lane == 0) {
      if (mean) mean[item] = m;
      if (rstd) rstd[item] = rs;
    }
    float* o = out + row * C + ch;
    for (int64_t j = lane; j < Nh; j += 32) o[j] = (x[j] - m) * rs * weight[ch + j] + bias[ch + j];
  }
}

// dx += rs * (g w - mean(g w) - xhat mean(g w xhat)) per (row, head).
__global__ void groupnorm_backward_kernel(float* dinp, const float* dout, const float* inp,
                                          const float* weight, const float* mean, const float* rstd,
                                          int64_t N, int64_t H, int64_t Nh) {
  const int lane = threadIdx.x % 32;
  const int64_t C = H * Nh;
  RWKVS_FOR_EACH_WARP_ITEM(item, N * H) {
    const int64_t row = item / H, h = item % H, ch = h * Nh, o = row * C + ch;
    const float m = mean[item], rs = rstd[item];
    float sum_d = 0, sum_dx = 0;
    for (int64_t j = lane; j < Nh; j += 32) {
      const float d = dout[o + j] * weight[ch + j];
      sum_d += d;
      sum_dx += d * ((inp[o + j] - m) * rs);
    }
    const float mean_d = warp_sum(sum_d) / static_cast<float>(Nh);
    const float mean_dx = warp_sum(sum_dx) / static_cast<float>(Nh);
    for (int64_t j = lane; j < Nh; j += 32) {
      const float xhat = (inp[o + j] - m) * rs;
      dinp[o + j] += rs * (dout[o + j] * weight[ch + j] - mean_d - xhat * mean_dx);
    }
  }
}

struct GroupNormWeightGradTerm {  // dout * xhat
  const float *dout, *inp, *mean, *rstd;
  int64_t H, Nh;
  __device__ float operator()(int64_t r, int64_t c) const {
    const int64_t i = r * H * Nh + c, item = r * H + c / Nh;
    return dout[i] * ((inp[i] - mean[item]) * rstd[item]);
  }
};
struct ColumnValue {  // dout
  const float* dout;
  int64_t C;
  __device__ float operator()(int64_t r, int64_t c) const { return dout[r * C + c]; }
};

// --- bonus -----------------------------------------------------------------------------------------

__global__ void bonus_forward_kernel(float* y, const float* r, const float* k, const float* v,
                                     const float* r_k, int64_t N, int64_t H, int64_t Nh) {
  const int lane = threadIdx.x % 32;
  const int64_t C = H * Nh;
  RWKVS_FOR_EACH_WARP_ITEM(item, N * H) {
    const int64_t row = item / H, h = item % H, ch = h * Nh, o = row * C + ch;
    float s = 0;
    for (int64_t j = lane; j < Nh; j += 32) s += r[o + j] * k[o + j] * r_k[ch + j];
    s = warp_sum(s);
    for (int64_t j = lane; j < Nh; j += 32) y[o + j] += s * v[o + j];
  }
}

// Per (row, head): s = sum r k r_k and ds = sum dy v (ds kept in dss[item]); then dv, dr, dk.
__global__ void bonus_backward_kernel(float* dr, float* dk, float* dv, float* dss, const float* dy,
                                      const float* r, const float* k, const float* v, const float* r_k,
                                      int64_t N, int64_t H, int64_t Nh) {
  const int lane = threadIdx.x % 32;
  const int64_t C = H * Nh;
  RWKVS_FOR_EACH_WARP_ITEM(item, N * H) {
    const int64_t row = item / H, h = item % H, ch = h * Nh, o = row * C + ch;
    float s = 0, ds = 0;
    for (int64_t j = lane; j < Nh; j += 32) {
      s += r[o + j] * k[o + j] * r_k[ch + j];
      ds += dy[o + j] * v[o + j];
    }
    s = warp_sum(s);
    ds = warp_sum(ds);
    if (lane == 0) dss[item] = ds;
    for (int64_t j = lane; j < Nh; j += 32) {
      const float rk = r_k[ch + j];
      dv[o + j] += dy[o + j] * s;
      dr[o + j] += ds * k[o + j] * rk;
      dk[o + j] += ds * r[o + j] * rk;
    }
  }
}

struct BonusGradTerm {  // dr_k: ds * r * k
  const float *dss, *r, *k;
  int64_t H, Nh;
  __device__ float operator()(int64_t row, int64_t c) const {
    const int64_t i = row * H * Nh + c;
    return dss[row * H + c / Nh] * r[i] * k[i];
  }
};

void check_n(const char* op, int64_t n) {
  if (n < 0) fail(op, ": element count must not be negative, got ", n);
}

}  // namespace

void token_shift_lerp_forward(const CudaContext& ctx, float* out, const float* z, const float* prev,
                              const float* mu, int64_t B, int64_t T, int64_t C) {
  const char* op = "cuda token_shift_lerp_forward";
  require_positive(op, "B, T, C", B, T, C);
  token_shift_lerp_forward_kernel<<<grid_for(B * T * C), kThreads, 0, stream_of(ctx)>>>(out, z, prev, mu, B,
                                                                                        T, C);
  check_launch(op);
}

void token_shift_lerp_backward(const CudaContext& ctx, float* dz, float* dprev, float* dmu, const float* dout,
                               const float* z, const float* prev, const float* mu, int64_t B, int64_t T,
                               int64_t C) {
  const char* op = "cuda token_shift_lerp_backward";
  require_positive(op, "B, T, C", B, T, C);
  token_shift_lerp_backward_kernel<<<grid_for(B * T * C), kThreads, 0, stream_of(ctx)>>>(dz, dprev, dout, mu,
                                                                                         B, T, C);
  check_launch(op);
  accumulate_column_sums(ctx, dmu, nullptr, LerpMixGradTerm{dout, z, prev, T, C}, B * T, C, op);
}

void tanh_forward(const CudaContext& ctx, float* out, const float* inp, int64_t n) {
  const char* op = "cuda tanh_forward";
  check_n(op, n);
  if (n == 0) return;
  tanh_forward_kernel<<<grid_for(n), kThreads, 0, stream_of(ctx)>>>(out, inp, n);
  check_launch(op);
}

void tanh_backward(const CudaContext& ctx, float* dinp, const float* dout, const float* out, int64_t n) {
  const char* op = "cuda tanh_backward";
  check_n(op, n);
  if (n == 0) return;
  tanh_backward_kernel<<<grid_for(n), kThreads, 0, stream_of(ctx)>>>(dinp, dout, out, n);
  check_launch(op);
}

void rwkv7_decay_forward(const CudaContext& ctx, float* logw, const float* u, const float* w0, int64_t N,
                         int64_t C) {
  const char* op = "cuda rwkv7_decay_forward";
  require_positive(op, "N, C", N, C);
  decay_forward_kernel<<<grid_for(N * C), kThreads, 0, stream_of(ctx)>>>(logw, u, w0, N, C);
  check_launch(op);
}

void rwkv7_decay_backward(const CudaContext& ctx, float* du, float* dw0, const float* dlogw, const float* u,
                          const float* w0, int64_t N, int64_t C) {
  const char* op = "cuda rwkv7_decay_backward";
  require_positive(op, "N, C", N, C);
  decay_backward_kernel<<<grid_for(N * C), kThreads, 0, stream_of(ctx)>>>(du, dlogw, u, w0, N, C);
  check_launch(op);
  accumulate_column_sums(ctx, dw0, nullptr, DecayBiasGradTerm{dlogw, u, w0, C}, N, C, op);
}

void lerp_forward(const CudaContext& ctx, float* out, const float* x, const float* target, const float* gate,
                  int64_t n) {
  const char* op = "cuda lerp_forward";
  check_n(op, n);
  if (n == 0) return;
  lerp_forward_kernel<<<grid_for(n), kThreads, 0, stream_of(ctx)>>>(out, x, target, gate, n);
  check_launch(op);
}

void lerp_backward(const CudaContext& ctx, float* dx, float* dtarget, float* dgate, const float* dout,
                   const float* x, const float* target, const float* gate, int64_t n) {
  const char* op = "cuda lerp_backward";
  check_n(op, n);
  if (n == 0) return;
  lerp_backward_kernel<<<grid_for(n), kThreads, 0, stream_of(ctx)>>>(dx, dtarget, dgate, dout, x, target,
                                                                     gate, n);
  check_launch(op);
}

void rwkv7_keys_forward(const CudaContext& ctx, float* kappa_hat, float* norm, float* a, float* b,
                        float* kmod, const float* k, const float* alpha, const float* k_k, const float* k_a,
                        int64_t N, int64_t H, int64_t Nh) {
  const char* op = "cuda rwkv7_keys_forward";
  require_positive(op, "N, H, Nh", N, H, Nh);
  keys_forward_kernel<<<grid_for_items(N * H), kThreads, 0, stream_of(ctx)>>>(kappa_hat, norm, a, b, kmod, k,
                                                                              alpha, k_k, k_a, N, H, Nh);
  check_launch(op);
}

void rwkv7_keys_backward(const CudaContext& ctx, float* dk, float* dalpha, float* dk_k, float* dk_a,
                         const float* da, const float* db, const float* dkmod, const float* k,
                         const float* alpha, const float* k_k, const float* k_a, const float* kappa_hat,
                         const float* norm, int64_t N, int64_t H, int64_t Nh) {
  const char* op = "cuda rwkv7_keys_backward";
  require_positive(op, "N, H, Nh", N, H, Nh);
  Scratch<float> dots(ctx, static_cast<size_t>(N * H), op);
  keys_backward_kernel<<<grid_for_items(N * H), kThreads, 0, stream_of(ctx)>>>(
      dk, dalpha, dots.get(), da, db, dkmod, k, alpha, k_k, k_a, kappa_hat, norm, N, H, Nh);
  check_launch(op);
  const int64_t C = H * Nh;
  accumulate_column_sums(ctx, dk_k, nullptr,
                         KeyScaleGradTerm{da, db, alpha, k, kappa_hat, norm, dots.get(), H, Nh}, N, C, op);
  accumulate_column_sums(ctx, dk_a, nullptr, KeyRateGradTerm{dkmod, k, alpha, C}, N, C, op);
}

void groupnorm_forward(const CudaContext& ctx, float* out, float* mean, float* rstd, const float* inp,
                       const float* weight, const float* bias, int64_t N, int64_t H, int64_t Nh, double eps) {
  const char* op = "cuda groupnorm_forward";
  require_positive(op, "N, H, Nh", N, H, Nh);
  if (!(eps >= 0)) fail(op, ": eps must be non-negative, got ", eps);
  groupnorm_forward_kernel<<<grid_for_items(N * H), kThreads, 0, stream_of(ctx)>>>(
      out, mean, rstd, inp, weight, bias, N, H, Nh, static_cast<float>(eps));
  check_launch(op);
}

void groupnorm_backward(const CudaContext& ctx, float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* weight, const float* mean, const float* rstd,
                        int64_t N, int64_t H, int64_t Nh) {
  const char* op = "cuda groupnorm_backward";
  require_positive(op, "N, H, Nh", N, H, Nh);
  groupnorm_backward_kernel<<<grid_for_items(N * H), kThreads, 0, stream_of(ctx)>>>(dinp, dout, inp, weight,
                                                                                    mean, rstd, N, H, Nh);
  check_launch(op);
  const int64_t C = H * Nh;
  accumulate_column_sums(ctx, dweight, nullptr, GroupNormWeightGradTerm{dout, inp, mean, rstd, H, Nh}, N, C,
                         op);
  accumulate_column_sums(ctx, dbias, nullptr, ColumnValue{dout, C}, N, C, op);
}

void rwkv7_bonus_forward(const CudaContext& ctx, float* y, const float* r, const float* k, const float* v,
                         const float* r_k, int64_t N, int64_t H, int64_t Nh) {
  const char* op = "cuda rwkv7_bonus_forward";
  require_positive(op, "N, H, Nh", N, H, Nh);
  bonus_forward_kernel<<<grid_for_items(N * H), kThreads, 0, stream_of(ctx)>>>(y, r, k, v, r_k, N, H, Nh);
  check_launch(op);
}

void rwkv7_bonus_backward(const CudaContext& ctx, float* dr, float* dk, float* dv, float* dr_k,
                          const float* dy, const float* r, const float* k, const float* v, const float* r_k,
                          int64_t N, int64_t H, int64_t Nh) {
  const char* op = "cuda rwkv7_bonus_backward";
  require_positive(op, "N, H, Nh", N, H, Nh);
  Scratch<float> dss(ctx, static_cast<size_t>(N * H), op);
  bonus_backward_kernel<<<grid_for_items(N * H), kThreads, 0, stream_of(ctx)>>>(dr, dk, dv, dss.get(), dy, r,
                                                                                k, v, r_k, N, H, Nh);
  check_launch(op);
  accumulate_column_sums(ctx, dr_k, nullptr, BonusGradTerm{dss.get(), r, k, H, Nh}, N, H * Nh, op);
}

}  // namespace rwkvs::kernels::cuda
