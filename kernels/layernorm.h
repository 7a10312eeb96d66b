#pragma once
// LayerNorm over the last dimension, eps = 1e-5 (torch default): out = (x - mean) * rstd * weight + bias.
#include <cstdint>

namespace rwkvs::kernels {

constexpr double kLayerNormEps = 1e-5;

// out (N, C), mean (N), rstd (N) written; inp (N, C), weight (C), bias (C).
// mean/rstd may be null when no backward follows.
template <class R>
void layernorm_forward(R* out, R* mean, R* rstd, const R* inp, const R* weight, const R* bias, int64_t N,
                       int64_t C);

// dinp (N, C), dweight (C), dbias (C) accumulated (+=); dout (N, C); inp, weight, mean, rstd as saved.
template <class R>
void layernorm_backward(R* dinp, R* dweight, R* dbias, const R* dout, const R* inp, const R* weight, const R* mean,
                        const R* rstd, int64_t N, int64_t C);

}  // namespace rwkvs::kernels
