#pragma once
// Per-column affine pieces of the input projection and the classes head.
#include <cstdint>

namespace rwkvs::kernels {

// out (N, C) += bias (C) on every row.
template <class R>
void add_bias_forward(R* out, const R* bias, int64_t N, int64_t C);

// dbias (C) += column sums of dout (N, C).
template <class R>
void add_bias_backward(R* dbias, const R* dout, int64_t N, int64_t C);

// out (N, F) = (inp (N, F) - mean (F)) * scale (F): feature normalisation with stored statistics.
template <class R>
void normalize_columns(R* out, const R* inp, const R* mean, const R* scale, int64_t N, int64_t F);

}  // namespace rwkvs::kernels
