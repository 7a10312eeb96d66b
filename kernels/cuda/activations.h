#pragma once
// Elementwise ops on the GPU: the twins of kernels/activations.h (float, device pointers).
// Backward functions accumulate (+=) into their gradients.
#include <cstdint>

#include "kernels/cuda/context.h"

namespace rwkvs::kernels::cuda {

// out = 1 / (1 + e^-inp);  dinp += dout * out * (1 - out).  All arrays (n).
void sigmoid_forward(const CudaContext& ctx, float* out, const float* inp, int64_t n);
void sigmoid_backward(const CudaContext& ctx, float* dinp, const float* dout, const float* out, int64_t n);

// out = max(inp, 0)^2;  dinp += dout * 2 max(inp, 0).
void relu_square_forward(const CudaContext& ctx, float* out, const float* inp, int64_t n);
void relu_square_backward(const CudaContext& ctx, float* dinp, const float* dout, const float* inp,
                          int64_t n);

// out = a * b;  da += dout * b, db += dout * a (either may be null).
void mul_forward(const CudaContext& ctx, float* out, const float* a, const float* b, int64_t n);
void mul_backward(const CudaContext& ctx, float* da, float* db, const float* dout, const float* a,
                  const float* b, int64_t n);

// out += inp.
void add_inplace(const CudaContext& ctx, float* out, const float* inp, int64_t n);

// Sum of squares accumulated in double, deterministic (fixed grid, partials summed in order).
// sum_squares waits for the result; sum_squares_accumulate adds it to a device double (*total) and
// returns at once, so many tensors can be summed (gradient-norm clipping) with one transfer.
double sum_squares(const CudaContext& ctx, const float* x, int64_t n);
void sum_squares_accumulate(const CudaContext& ctx, double* total, const float* x, int64_t n);

}  // namespace rwkvs::kernels::cuda
