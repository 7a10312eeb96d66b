// Linear layers on the GPU (kernels/cuda/matmul.h) through cublasGemmEx. cuBLAS is column-major: a
// row-major (R, K) array is its (K, R) transpose there, so each row-major product is issued as the
// transposed product (out^T = W inp^T and so on), with no copies.
#include <cublas_v2.h>

#include <limits>

#include "kernels/cuda/cublas_library.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/matmul.h"

namespace rwkvs::kernels::cuda {
namespace {

cublasComputeType_t compute_type(MatmulPrecision p) {
  switch (p) {
    case MatmulPrecision::tf32:
      return CUBLAS_COMPUTE_32F_FAST_TF32;
    case MatmulPrecision::bf16:
      return CUBLAS_COMPUTE_32F_FAST_16BF;
    case MatmulPrecision::fp32:
      break;
  }
  return CUBLAS_COMPUTE_32F;
}

// Column-major C (m, n) = alpha op(A) op(B) + beta C, all fp32 in memory.
void gemm(const CudaContext& ctx, const char* op, cublasOperation_t ta, cublasOperation_t tb, int64_t m,
          int64_t n, int64_t k, const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
          float* C, int64_t ldc) {
  if (!ctx.cublas) fail(op, ": the context has no cuBLAS handle (use OwnedCudaContext)");
  const CublasLibrary& cublas = cublas_library();
  if (cublas.set_stream(ctx.cublas, ctx.stream) != CUBLAS_STATUS_SUCCESS) fail(op, ": cublasSetStream failed");
  const float alpha = 1.0f;
  const cublasStatus_t st =
      cublas.gemm_ex(ctx.cublas, ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), &alpha,
                   A, CUDA_R_32F, static_cast<int>(lda), B, CUDA_R_32F, static_cast<int>(ldb), &beta, C,
                   CUDA_R_32F, static_cast<int>(ldc), compute_type(ctx.precision), CUBLAS_GEMM_DEFAULT);
  if (st != CUBLAS_STATUS_SUCCESS)
    fail(op, ": cublasGemmEx failed: ", cublas.status_name(st), " (", cublas.status_string(st), ")");
}

void validate(const char* op, int64_t N, int64_t I, int64_t O) {
  require_positive(op, "N, I, O", N, I, O);
  const int64_t limit = std::numeric_limits<int>::max();
  if (N > limit || I > limit || O > limit)
    fail(op, ": sizes above 2^31 - 1 are not supported, got N=", N, " I=", I, " O=", O);
}

}  // namespace

void matmul_forward(const CudaContext& ctx, float* out, const float* inp, const float* weight, int64_t N,
                    int64_t I, int64_t O, bool accumulate) {
  const char* op = "cuda matmul_forward";
  validate(op, N, I, O);
  // out^T (O, N) = weight (O, I) @ inp^T (I, N): weight is stored as its transpose (I, O).
  gemm(ctx, op, CUBLAS_OP_T, CUBLAS_OP_N, O, N, I, weight, I, inp, I, accumulate ? 1.0f : 0.0f, out, O);
}

void matmul_backward(const CudaContext& ctx, float* dinp, float* dweight, const float* dout, const float* inp,
                     const float* weight, int64_t N, int64_t I, int64_t O) {
  const char* op = "cuda matmul_backward";
  validate(op, N, I, O);
  // dinp^T (I, N) += weight^T (I, O) @ dout^T (O, N)
  if (dinp) gemm(ctx, op, CUBLAS_OP_N, CUBLAS_OP_N, I, N, O, weight, I, dout, O, 1.0f, dinp, I);
  // dweight^T (I, O) += inp^T (I, N) @ dout (N, O)
  if (dweight) gemm(ctx, op, CUBLAS_OP_N, CUBLAS_OP_T, I, O, N, inp, I, dout, O, 1.0f, dweight, I);
}

void matmul_nn_forward(const CudaContext& ctx, float* out, const float* inp, const float* weight, int64_t N,
                       int64_t I, int64_t O, bool accumulate) {
  const char* op = "cuda matmul_nn_forward";
  validate(op, N, I, O);
  // out^T (O, N) = weight^T (O, I) @ inp^T (I, N): a row-major (I, O) weight is its transpose already.
  gemm(ctx, op, CUBLAS_OP_N, CUBLAS_OP_N, O, N, I, weight, O, inp, I, accumulate ? 1.0f : 0.0f, out, O);
}

void matmul_nn_backward(const CudaContext& ctx, float* dinp, float* dweight, const float* dout, const float* inp,
                        const float* weight, int64_t N, int64_t I, int64_t O) {
  const char* op = "cuda matmul_nn_backward";
  validate(op, N, I, O);
  // dinp^T (I, N) += weight (I, O) @ dout^T (O, N); weight is stored as weight^T (O, I) there
  if (dinp) gemm(ctx, op, CUBLAS_OP_T, CUBLAS_OP_N, I, N, O, weight, O, dout, O, 1.0f, dinp, I);
  // dweight^T (O, I) += dout^T (O, N) @ inp (N, I)
  if (dweight) gemm(ctx, op, CUBLAS_OP_N, CUBLAS_OP_T, O, I, N, dout, O, inp, I, 1.0f, dweight, O);
}

}  // namespace rwkvs::kernels::cuda
