#include "kernels/adamw.h"

#include <cmath>

namespace rwkvs::kernels {

void adamw_update(float* params, float* m, float* v, const float* grads, int64_t n, const AdamWHyper& h,
                  int64_t step) {
  const float bc1 = 1.0f - static_cast<float>(std::pow(h.beta1, static_cast<double>(step)));
  const float bc2 = 1.0f - static_cast<float>(std::pow(h.beta2, static_cast<double>(step)));
#pragma omp parallel for simd schedule(static) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) {
    const float g = grads[i];
    m[i] = h.beta1 * m[i] + (1.0f - h.beta1) * g;
    v[i] = h.beta2 * v[i] + (1.0f - h.beta2) * g * g;
    const float mhat = m[i] / bc1;
    const float vhat = v[i] / bc2;
    params[i] -= h.lr * (mhat / (std::sqrt(vhat) + h.eps) + h.weight_decay * params[i]);
  }
}

}  // namespace rwkvs::kernels
