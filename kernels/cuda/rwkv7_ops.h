#pragma once
// The RWKV-7 block's own elementwise and per-head ops on the GPU: the twins of kernels/rwkv7_ops.h
// (same formulas, argument order and null-pointer rules; see there), float, device pointers, work
// queued on ctx.stream. Includes no CUDA header.
// Backward functions accumulate (+=). Parameter gradients (sums over rows) are deterministic: fixed
// row groups summed in double, then the groups in order (column_sums.cuh), no atomics.
#include <cstdint>

#include "kernels/cuda/context.h"

namespace rwkvs::kernels::cuda {

// out (B, T, C) = z_t + (z_{t-1} - z_t) * mu; z (B, T, C); prev (B, C) or null (zeros); mu (C).
void token_shift_lerp_forward(const CudaContext& ctx, float* out, const float* z, const float* prev,
                              const float* mu, int64_t B, int64_t T, int64_t C);
// dz (B, T, C), dprev (B, C) (may be null), dmu (C) accumulated from dout (B, T, C).
void token_shift_lerp_backward(const CudaContext& ctx, float* dz, float* dprev, float* dmu, const float* dout,
                               const float* z, const float* prev, const float* mu, int64_t B, int64_t T,
                               int64_t C);

// out = tanh(inp);  dinp += dout * (1 - out^2).  All (n); out may be inp.
void tanh_forward(const CudaContext& ctx, float* out, const float* inp, int64_t n);
void tanh_backward(const CudaContext& ctx, float* dinp, const float* dout, const float* out, int64_t n);

// logw (N, C) = -e^-0.5 * sigmoid(w0 + u); u (N, C), w0 (C).
void rwkv7_decay_forward(const CudaContext& ctx, float* logw, const float* u, const float* w0, int64_t N,
                         int64_t C);
// du (N, C), dw0 (C) accumulated from dlogw (N, C).
void rwkv7_decay_backward(const CudaContext& ctx, float* du, float* dw0, const float* dlogw, const float* u,
                          const float* w0, int64_t N, int64_t C);

// out = x + (target - x) * gate;  dx, dtarget, dgate accumulated (any may be null).  All (n).
void lerp_forward(const CudaContext& ctx, float* out, const float* x, const float* target, const float* gate,
                  int64_t n);
void lerp_backward(const CudaContext& ctx, float* dx, float* dtarget, float* dgate, const float* dout,
                   const float* x, const float* target, const float* gate, int64_t n);

// Per row and head: kappa = k * k_k, kappa_hat = kappa / max(|kappa|, 1e-12), a = -kappa_hat,
// b = kappa_hat * alpha, kmod = k * (1 + (alpha - 1) * k_a). k, alpha, outputs (N, C); k_k, k_a (C);
// norm (N, H) = max(|kappa|, 1e-12).
void rwkv7_keys_forward(const CudaContext& ctx, float* kappa_hat, float* norm, float* a, float* b,
                        float* kmod, const float* k, const float* alpha, const float* k_k, const float* k_a,
                        int64_t N, int64_t H, int64_t Nh);
// dk, dalpha (N, C), dk_k, dk_a (C) accumulated from da, db, dkmod (N, C) (any of those may be null);
// a norm clamped at 1e-12 is a constant divisor, as on the CPU.
void rwkv7_keys_backward(const CudaContext& ctx, float* dk, float* dalpha, float* dk_k, float* dk_a,
                         const float* da, const float* db, const float* dkmod, const float* k,
                         const float* alpha, const float* k_k, const float* k_a, const float* kappa_hat,
                         const float* norm, int64_t N, int64_t H, int64_t Nh);

// Per-head GroupNorm of inp (N, C = H * Nh): out = xhat * weight + bias, weight, bias (C); mean, rstd
// (N, H) written (may be null). Biased variance, eps added to it (RWKV-7 passes 64e-5).
void groupnorm_forward(const CudaContext& ctx, float* out, float* mean, float* rstd, const float* inp,
                       const float* weight, const float* bias, int64_t N, int64_t H, int64_t Nh, double eps);
// dinp (N, C), dweight, dbias (C) accumulated from dout (N, C); mean, rstd as forward wrote them.
void groupnorm_backward(const CudaContext& ctx, float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* weight, const float* mean, const float* rstd,
                        int64_t N, int64_t H, int64_t Nh);

// The bonus: y += (sum_j r_j k_j r_k[h, j]) v per row and head h. y, r, k, v (N, C); r_k (H, Nh).
void rwkv7_bonus_forward(const CudaContext& ctx, float* y, const float* r, const float* k, const float* v,
                         const float* r_k, int64_t N, int64_t H, int64_t Nh);
// dr, dk, dv (N, C), dr_k (H, Nh) accumulated from dy (N, C).
void rwkv7_bonus_backward(const CudaContext& ctx, float* dr, float* dk, float* dv, float* dr_k,
                          const float* dy, const float* r, const float* k, const float* v, const float* r_k,
                          int64_t N, int64_t H, int64_t Nh);

}  // namespace rwkvs::kernels::cuda
