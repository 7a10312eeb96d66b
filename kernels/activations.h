#pragma once
// Elementwise ops of the RWKV-4 block. Backward functions accumulate (+=) into their gradients.
#include <cstdint>

namespace rwkvs::kernels {

// out = 1 / (1 + e^-inp);  dinp += dout * out * (1 - out).  All arrays (n).
template <class R>
void sigmoid_forward(R* out, const R* inp, int64_t n);
template <class R>
void sigmoid_backward(R* dinp, const R* dout, const R* out, int64_t n);

// out = max(inp, 0)^2 (channel-mix key);  dinp += dout * 2 max(inp, 0).
template <class R>
void relu_square_forward(R* out, const R* inp, int64_t n);
template <class R>
void relu_square_backward(R* dinp, const R* dout, const R* inp, int64_t n);

// out = a * b;  da += dout * b, db += dout * a (either may be null).
template <class R>
void mul_forward(R* out, const R* a, const R* b, int64_t n);
template <class R>
void mul_backward(R* da, R* db, const R* dout, const R* a, const R* b, int64_t n);

// out += inp (residual connections when not fused into a GEMM).
template <class R>
void add_inplace(R* out, const R* inp, int64_t n);

// Sum of squares in double (gradient-norm clipping).
template <class R>
double sum_squares(const R* x, int64_t n);

}  // namespace rwkvs::kernels
