#pragma once
// Linear layers on the GPU with cuBLAS: the twins of kernels/matmul.h (row-major, weights in
// nn.Linear layout (out, in), out = inp @ weight^T; the _nn forms take RWKV-7's LoRA matrices
// stored (in, out), out = inp @ weight). ctx.precision picks the multiply, for all of them:
//   fp32  CUBLAS_COMPUTE_32F (IEEE fp32);
//   tf32  CUBLAS_COMPUTE_32F_FAST_TF32 (inputs rounded to TF32 on tensor cores);
//   bf16  CUBLAS_COMPUTE_32F_FAST_16BF (inputs rounded to bf16 on tensor cores).
// Storage and accumulation stay fp32 in all three, so fp32 master weights are updated as they are.
#include <cstdint>

#include "kernels/cuda/context.h"

namespace rwkvs::kernels::cuda {

// out (N, O) = inp (N, I) @ weight (O, I)^T, or += when accumulate (fused residual add).
void matmul_forward(const CudaContext& ctx, float* out, const float* inp, const float* weight, int64_t N,
                    int64_t I, int64_t O, bool accumulate = false);

// dinp (N, I) += dout (N, O) @ weight (O, I);  dweight (O, I) += dout^T @ inp. Either may be null.
void matmul_backward(const CudaContext& ctx, float* dinp, float* dweight, const float* dout, const float* inp,
                     const float* weight, int64_t N, int64_t I, int64_t O);

// out (N, O) = inp (N, I) @ weight (I, O), or += when accumulate.
void matmul_nn_forward(const CudaContext& ctx, float* out, const float* inp, const float* weight, int64_t N,
                       int64_t I, int64_t O, bool accumulate = false);

// dinp (N, I) += dout (N, O) @ weight (I, O)^T;  dweight (I, O) += inp^T @ dout. Either may be null.
void matmul_nn_backward(const CudaContext& ctx, float* dinp, float* dweight, const float* dout, const float* inp,
                        const float* weight, int64_t N, int64_t I, int64_t O);

}  // namespace rwkvs::kernels::cuda
