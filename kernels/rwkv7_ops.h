#pragma once
// The elementwise and per-head ops of the RWKV-7 block (../shared/reference/rwkv7-spec.md §3) that
// RWKV-4 has no use for. Rows are positions (N = B*T), C = H * Nh channels, heads contiguous.
// Backward functions accumulate (+=) into their gradients; the caller zeroes them.
#include <cstdint>

namespace rwkvs::kernels {

// GroupNorm's eps in RWKV-7's ln_x (hard-coded 64e-5 in the official code, not scaled with N).
constexpr double kRwkv7GroupNormEps = 64e-5;
// The soft clamp of the decay: logw = -e^-0.5 * sigmoid(u), so every step keeps at least 0.5452.
constexpr double kRwkv7DecayScale = 0.60653065971263342;  // e^-0.5

// Token shift with RWKV-7's mix convention: out_t = z_t + (z_{t-1} - z_t) * mu (mu = 1: all previous
// token), z_{-1} = prev (B, C) or zeros. out, z (B, T, C); mu (C).
template <class R>
void token_shift_lerp_forward(R* out, const R* z, const R* prev, const R* mu, int64_t B, int64_t T, int64_t C);
// dz (B, T, C), dprev (B, C) (may be null), dmu (C) accumulated.
template <class R>
void token_shift_lerp_backward(R* dz, R* dprev, R* dmu, const R* dout, const R* z, const R* prev, const R* mu,
                               int64_t B, int64_t T, int64_t C);

// out = tanh(inp);  dinp += dout * (1 - out^2).  All (n).
template <class R>
void tanh_forward(R* out, const R* inp, int64_t n);
template <class R>
void tanh_backward(R* dinp, const R* dout, const R* out, int64_t n);

// The decay: logw (N, C) = -e^-0.5 * sigmoid(w0 + u), u (N, C), w0 (C).
template <class R>
void rwkv7_decay_forward(R* logw, const R* u, const R* w0, int64_t N, int64_t C);
// du (N, C), dw0 (C) accumulated from dlogw.
template <class R>
void rwkv7_decay_backward(R* du, R* dw0, const R* dlogw, const R* u, const R* w0, int64_t N, int64_t C);

// out = x + (target - x) * gate (the value residual toward layer 0's v).  All (n).
template <class R>
void lerp_forward(R* out, const R* x, const R* target, const R* gate, int64_t n);
// dx, dtarget, dgate accumulated (any may be null).
template <class R>
void lerp_backward(R* dx, R* dtarget, R* dgate, const R* dout, const R* x, const R* target, const R* gate, int64_t n);

// The key paths of the time-mix, per row and head h (Nh channels):
//   kappa = k * k_k,  kappa_hat = kappa / max(|kappa|_2, 1e-12),  a = -kappa_hat,  b = kappa_hat * alpha,
//   kmod = k * (1 + (alpha - 1) * k_a).
// k, alpha (N, C); k_k, k_a (C). Out: kappa_hat, a, b, kmod (N, C); norm (N, H) = max(|kappa|, 1e-12).
template <class R>
void rwkv7_keys_forward(R* kappa_hat, R* norm, R* a, R* b, R* kmod, const R* k, const R* alpha, const R* k_k,
                        const R* k_a, int64_t N, int64_t H, int64_t Nh);
// dk, dalpha (N, C), dk_k, dk_a (C) accumulated from da, db, dkmod (N, C) (any of those may be null).
template <class R>
void rwkv7_keys_backward(R* dk, R* dalpha, R* dk_k, R* dk_a, const R* da, const R* db, const R* dkmod, const R* k,
                         const R* alpha, const R* k_k, const R* k_a, const R* kappa_hat, const R* norm, int64_t N,
                         int64_t H, int64_t Nh);

// Per-head GroupNorm: each row's H groups of Nh channels normalised by their own mean and biased
// variance, then out = xhat * weight + bias with weight, bias (C). mean, rstd (N, H), may be null.
template <class R>
void groupnorm_forward(R* out, R* mean, R* rstd, const R* inp, const R* weight, const R* bias, int64_t N, int64_t H,
                       int64_t Nh, double eps);
// dinp (N, C), dweight, dbias (C) accumulated.
template <class R>
void groupnorm_backward(R* dinp, R* dweight, R* dbias, const R* dout, const R* inp, const R* weight, const R* mean,
                        const R* rstd, int64_t N, int64_t H, int64_t Nh);

// The bonus: y += (sum_j r_j k_j r_k[h, j]) v per row and head h. y, r, k, v (N, C); r_k (H, Nh).
template <class R>
void rwkv7_bonus_forward(R* y, const R* r, const R* k, const R* v, const R* r_k, int64_t N, int64_t H, int64_t Nh);
// dr, dk, dv (N, C), dr_k (H, Nh) accumulated from dy.
template <class R>
void rwkv7_bonus_backward(R* dr, R* dk, R* dv, R* dr_k, const R* dy, const R* r, const R* k, const R* v,
                          const R* r_k, int64_t N, int64_t H, int64_t Nh);

}  // namespace rwkvs::kernels
