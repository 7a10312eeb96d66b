#include "kernels/matmul.h"

#include <cblas.h>

#include <algorithm>

#include "kernels/fast_math.h"

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
// y (m) = a (m, n) @ x (n) [+ y]: token-by-token inference is this product, bound by streaming
// a from memory. Rows are contiguous, so walking them in order is one linear stream the hardware
// prefetcher follows; four independent 8-lane accumulators per row keep enough loads in flight.
void gemv(int64_t m, int64_t n, const float* a, const float* x, float beta, float* y) {
  const int64_t n32 = n / 32 * 32, n8 = n / 8 * 8;
  const bool parallel = m * n >= (int64_t(1) << 16);
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t r = 0; r < m; ++r) {
    const float* row = a + r * n;
    Float8 acc0 = {}, acc1 = {}, acc2 = {}, acc3 = {};
    int64_t i = 0;
    for (; i < n32; i += 32) {
      acc0 += load_lanes<Float8>(row + i) * load_lanes<Float8>(x + i);
      acc1 += load_lanes<Float8>(row + i + 8) * load_lanes<Float8>(x + i + 8);
      acc2 += load_lanes<Float8>(row + i + 16) * load_lanes<Float8>(x + i + 16);
      acc3 += load_lanes<Float8>(row + i + 24) * load_lanes<Float8>(x + i + 24);
    }
    for (; i < n8; i += 8) acc0 += load_lanes<Float8>(row + i) * load_lanes<Float8>(x + i);
    const Float8 acc = (acc0 + acc1) + (acc2 + acc3);
    float sum = 0;
    for (int j = 0; j < 8; ++j) sum += acc[j];
    for (; i < n; ++i) sum += row[i] * x[i];
    y[r] = sum + (beta != 0.0f ? beta * y[r] : 0.0f);
  }
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

template <class R>
void matmul_nn_forward(R* out, const R* inp, const R* weight, int64_t N, int64_t I, int64_t O, bool accumulate) {
  gemm(CblasNoTrans, CblasNoTrans, N, O, I, R(1), inp, I, weight, O, accumulate ? R(1) : R(0), out, O);
}

template <class R>
void matmul_nn_backward(R* dinp, R* dweight, const R* dout, const R* inp, const R* weight, int64_t N, int64_t I,
                        int64_t O) {
  if (dinp) gemm(CblasNoTrans, CblasTrans, N, I, O, R(1), dout, O, weight, O, R(1), dinp, I);
  if (dweight) gemm(CblasTrans, CblasNoTrans, I, O, N, R(1), inp, I, dout, O, R(1), dweight, O);
}

template void matmul_nn_forward<float>(float*, const float*, const float*, int64_t, int64_t, int64_t, bool);
template void matmul_nn_forward<double>(double*, const double*, const double*, int64_t, int64_t, int64_t, bool);
template void matmul_nn_backward<float>(float*, float*, const float*, const float*, const float*, int64_t,
                                        int64_t, int64_t);
template void matmul_nn_backward<double>(double*, double*, const double*, const double*, const double*, int64_t,
                                         int64_t, int64_t);
template void matmul_forward<float>(float*, const float*, const float*, int64_t, int64_t, int64_t, bool);
template void matmul_forward<double>(double*, const double*, const double*, int64_t, int64_t, int64_t, bool);
template void matmul_backward<float>(float*, float*, const float*, const float*, const float*, int64_t, int64_t,
                                     int64_t);
template void matmul_backward<double>(double*, double*, const double*, const double*, const double*, int64_t,
                                      int64_t, int64_t);

}  // namespace rwkvs::kernels
