#include "kernels/matmul.h"

#include <cblas.h>

namespace rwkvs::kernels {
namespace {

void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
          int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void gemv(int64_t m, int64_t n, const float* a, const float* x, float beta, float* y) {
  cblas_sgemv(CblasRowMajor, CblasNoTrans, m, n, 1.0f, a, n, x, 1, beta, y, 1);
}
void gemv(int64_t m, int64_t n, const double* a, const double* x, double beta, double* y) {
  cblas_dgemv(CblasRowMajor, CblasNoTrans, m, n, 1.0, a, n, x, 1, beta, y, 1);
}

}  // namespace

template <class R>
void matmul_forward(R* out, const R* inp, const R* weight, int64_t N, int64_t I, int64_t O, bool accumulate) {
  const R beta = accumulate ? R(1) : R(0);
  if (N == 1)
    gemv(O, I, weight, inp, beta, out);
  else
    gemm(CblasNoTrans, CblasTrans, N, O, I, R(1), inp, I, weight, I, beta, out, O);
}

template <class R>
void matmul_backward(R* dinp, R* dweight, const R* dout, const R* inp, const R* weight, int64_t N, int64_t I,
                     int64_t O) {
  if (dinp) gemm(CblasNoTrans, CblasNoTrans, N, I, O, R(1), dout, O, weight, I, R(1), dinp, I);
  if (dweight) gemm(CblasTrans, CblasNoTrans, O, I, N, R(1), dout, O, inp, I, R(1), dweight, I);
}

template void matmul_forward<float>(float*, const float*, const float*, int64_t, int64_t, int64_t, bool);
template void matmul_forward<double>(double*, const double*, const double*, int64_t, int64_t, int64_t, bool);
template void matmul_backward<float>(float*, float*, const float*, const float*, const float*, int64_t, int64_t,
                                     int64_t);
template void matmul_backward<double>(double*, double*, const double*, const double*, const double*, int64_t,
                                      int64_t, int64_t);

}  // namespace rwkvs::kernels
