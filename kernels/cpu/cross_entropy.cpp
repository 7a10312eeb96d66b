#include "kernels/cross_entropy.h"

#include <algorithm>
#include <cmath>

namespace rwkvs::kernels {

template <class R>
void cross_entropy_forward(R* losses, const R* logits, const int32_t* targets, int64_t N, int64_t V) {
#pragma omp parallel for schedule(static) if (N * V > 32768)
  for (int64_t n = 0; n < N; ++n) {
    if (targets[n] < 0) {
      losses[n] = 0;
      continue;
    }
    const R* x = logits + n * V;
    const R m = *std::max_element(x, x + V);
    double s = 0;
    for (int64_t v = 0; v < V; ++v) s += std::exp(static_cast<double>(x[v] - m));
    losses[n] = static_cast<R>(std::log(s) + m - x[targets[n]]);
  }
}

template <class R>
void cross_entropy_backward(R* dlogits, const R* logits, const int32_t* targets, R dloss, int64_t N, int64_t V) {
#pragma omp parallel for schedule(static) if (N * V > 32768)
  for (int64_t n = 0; n < N; ++n) {
    const R* x = logits + n * V;
    R* d = dlogits + n * V;
    if (targets[n] < 0) {
      std::fill(d, d + V, R(0));
      continue;
    }
    const R m = *std::max_element(x, x + V);
    double s = 0;
    for (int64_t v = 0; v < V; ++v) s += std::exp(static_cast<double>(x[v] - m));
    const R inv = static_cast<R>(1.0 / s);
    for (int64_t v = 0; v < V; ++v) d[v] = std::exp(x[v] - m) * inv * dloss;
    d[targets[n]] -= dloss;
  }
}

template void cross_entropy_forward<float>(float*, const float*, const int32_t*, int64_t, int64_t);
template void cross_entropy_forward<double>(double*, const double*, const int32_t*, int64_t, int64_t);
template void cross_entropy_backward<float>(float*, const float*, const int32_t*, float, int64_t, int64_t);
template void cross_entropy_backward<double>(double*, const double*, const int32_t*, double, int64_t, int64_t);

}  // namespace rwkvs::kernels
