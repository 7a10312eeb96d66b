#pragma once
// Linear layers without bias, weights in nn.Linear layout (out, in): out = inp @ weight^T.
// The CPU versions call cblas (OpenBLAS); N = 1 uses gemv, which streams weights faster.
#include <cstdint>

namespace rwkvs::kernels {

// out (N, O) = inp (N, I) @ weight (O, I)^T, or += when accumulate (fused residual add).
template <class R>
void matmul_forward(R* out, const R* inp, const R* weight, int64_t N, int64_t I, int64_t O, bool accumulate = false);

// dinp (N, I) += dout (N, O) @ weight (O, I);  dweight (O, I) += dout^T @ inp. Either may be null.
template <class R>
void matmul_backward(R* dinp, R* dweight, const R* dout, const R* inp, const R* weight, int64_t N, int64_t I,
                     int64_t O);

// RWKV-7's LoRA matrices are stored (in, out): out (N, O) = inp (N, I) @ weight (I, O), or +=.
template <class R>
void matmul_nn_forward(R* out, const R* inp, const R* weight, int64_t N, int64_t I, int64_t O,
                       bool accumulate = false);

// dinp (N, I) += dout (N, O) @ weight (I, O)^T;  dweight (I, O) += inp^T @ dout. Either may be null.
template <class R>
void matmul_nn_backward(R* dinp, R* dweight, const R* dout, const R* inp, const R* weight, int64_t N, int64_t I,
                        int64_t O);

}  // namespace rwkvs::kernels
