#include "kernels/activations.h"

#include <cmath>

#include "kernels/fast_math.h"

namespace rwkvs::kernels {

// Threshold below which threading costs more than it saves.
constexpr int64_t kParallelMin = 1 << 15;

template <class R>
void sigmoid_forward(R* out, const R* inp, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = R(1) / (R(1) + exp_approx(-inp[i]));
}

template <class R>
void sigmoid_backward(R* dinp, const R* dout, const R* out, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) dinp[i] += dout[i] * out[i] * (R(1) - out[i]);
}

template <class R>
void relu_square_forward(R* out, const R* inp, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const R r = inp[i] > R(0) ? inp[i] : R(0);
    out[i] = r * r;
  }
}

template <class R>
void relu_square_backward(R* dinp, const R* dout, const R* inp, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) dinp[i] += inp[i] > R(0) ? dout[i] * R(2) * inp[i] : R(0);
}

template <class R>
void mul_forward(R* out, const R* a, const R* b, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

template <class R>
void mul_backward(R* da, R* db, const R* dout, const R* a, const R* b, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    if (da) da[i] += dout[i] * b[i];
    if (db) db[i] += dout[i] * a[i];
  }
}

template <class R>
void add_inplace(R* out, const R* inp, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] += inp[i];
}

template <class R>
double sum_squares(const R* x, int64_t n) {
  double s = 0;
#pragma omp parallel for reduction(+ : s) schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

#define RWKVS_INSTANTIATE_ACTIVATIONS(R)                                   \
  template void sigmoid_forward<R>(R*, const R*, int64_t);                 \
  template void sigmoid_backward<R>(R*, const R*, const R*, int64_t);      \
  template void relu_square_forward<R>(R*, const R*, int64_t);             \
  template void relu_square_backward<R>(R*, const R*, const R*, int64_t);  \
  template void mul_forward<R>(R*, const R*, const R*, int64_t);           \
  template void mul_backward<R>(R*, R*, const R*, const R*, const R*, int64_t); \
  template void add_inplace<R>(R*, const R*, int64_t);                     \
  template double sum_squares<R>(const R*, int64_t);
RWKVS_INSTANTIATE_ACTIVATIONS(float)
RWKVS_INSTANTIATE_ACTIVATIONS(double)

}  // namespace rwkvs::kernels
