#include "kernels/bias.h"

#include <omp.h>

#include <cstddef>
#include <vector>

namespace rwkvs::kernels {

template <class R>
void add_bias_forward(R* out, const R* bias, int64_t N, int64_t C) {
#pragma omp parallel for schedule(static) if (N * C > 32768)
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) out[n * C + c] += bias[c];
}

template <class R>
void add_bias_backward(R* dbias, const R* dout, int64_t N, int64_t C) {
  const int threads = N * C > 32768 ? omp_get_max_threads() : 1;
  std::vector<R> part(static_cast<size_t>(threads) * C, R(0));  // per-thread sums, reduced in order
#pragma omp parallel num_threads(threads)
  {
    R* p = part.data() + static_cast<size_t>(omp_get_thread_num()) * C;
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c) p[c] += dout[n * C + c];
  }
  for (int t = 0; t < threads; ++t)
    for (int64_t c = 0; c < C; ++c) dbias[c] += part[static_cast<size_t>(t) * C + c];
}

template <class R>
void normalize_columns(R* out, const R* inp, const R* mean, const R* scale, int64_t N, int64_t F) {
#pragma omp parallel for schedule(static) if (N * F > 32768)
  for (int64_t n = 0; n < N; ++n)
    for (int64_t f = 0; f < F; ++f) out[n * F + f] = (inp[n * F + f] - mean[f]) * scale[f];
}

template void add_bias_forward<float>(float*, const float*, int64_t, int64_t);
template void add_bias_forward<double>(double*, const double*, int64_t, int64_t);
template void add_bias_backward<float>(float*, const float*, int64_t, int64_t);
template void add_bias_backward<double>(double*, const double*, int64_t, int64_t);
template void normalize_columns<float>(float*, const float*, const float*, const float*, int64_t, int64_t);
template void normalize_columns<double>(double*, const double*, const double*, const double*, int64_t, int64_t);

}  // namespace rwkvs::kernels
