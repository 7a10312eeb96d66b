#include "kernels/layernorm.h"

#include <omp.h>

#include <cmath>
#include <cstddef>
#include <vector>

namespace rwkvs::kernels {

template <class R>
void layernorm_forward(R* out, R* mean, R* rstd, const R* inp, const R* weight, const R* bias, int64_t N,
                       int64_t C) {
#pragma omp parallel for schedule(static) if (N * C > 32768)
  for (int64_t n = 0; n < N; ++n) {
    const R* x = inp + n * C;
    // Two passes in the working precision; double accumulation keeps float rows exact enough.
    double s = 0;
    for (int64_t c = 0; c < C; ++c) s += x[c];
    const double m = s / C;
    double v = 0;
    for (int64_t c = 0; c < C; ++c) v += (x[c] - m) * (x[c] - m);
    const R rs = static_cast<R>(1.0 / std::sqrt(v / C + kLayerNormEps));
    const R mr = static_cast<R>(m);
    R* o = out + n * C;
    for (int64_t c = 0; c < C; ++c) o[c] = (x[c] - mr) * rs * weight[c] + bias[c];
    if (mean) mean[n] = mr;
    if (rstd) rstd[n] = rs;
  }
}

template <class R>
void layernorm_backward(R* dinp, R* dweight, R* dbias, const R* dout, const R* inp, const R* weight, const R* mean,
                        const R* rstd, int64_t N, int64_t C) {
  const int threads = N * C > 32768 ? omp_get_max_threads() : 1;
  // per-thread partial sums for the parameter gradients, reduced at the end
  std::vector<R> part(static_cast<size_t>(threads) * 2 * C, R(0));
#pragma omp parallel num_threads(threads)
  {
    R* dw = part.data() + static_cast<size_t>(omp_get_thread_num()) * 2 * C;
    R* db = dw + C;
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      const R* x = inp + n * C;
      const R* g = dout + n * C;
      const R m = mean[n], rs = rstd[n];
      // dxhat = g * weight; dx = rs * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
      R sum_d = 0, sum_dx = 0;
      for (int64_t c = 0; c < C; ++c) {
        const R xhat = (x[c] - m) * rs;
        const R d = g[c] * weight[c];
        sum_d += d;
        sum_dx += d * xhat;
        dw[c] += g[c] * xhat;
        db[c] += g[c];
      }
      const R mean_d = sum_d / C, mean_dx = sum_dx / C;
      R* dx = dinp + n * C;
      for (int64_t c = 0; c < C; ++c) {
        const R xhat = (x[c] - m) * rs;
        dx[c] += rs * (g[c] * weight[c] - mean_d - xhat * mean_dx);
      }
    }
  }
  for (int t = 0; t < threads; ++t) {
    const R* dw = part.data() + static_cast<size_t>(t) * 2 * C;
    for (int64_t c = 0; c < C; ++c) {
      dweight[c] += dw[c];
      dbias[c] += dw[C + c];
    }
  }
}

template void layernorm_forward<float>(float*, float*, float*, const float*, const float*, const float*, int64_t,
                                       int64_t);
template void layernorm_forward<double>(double*, double*, double*, const double*, const double*, const double*,
                                        int64_t, int64_t);
template void layernorm_backward<float>(float*, float*, float*, const float*, const float*, const float*,
                                        const float*, const float*, int64_t, int64_t);
template void layernorm_backward<double>(double*, double*, double*, const double*, const double*, const double*,
                                         const double*, const double*, int64_t, int64_t);

}  // namespace rwkvs::kernels
