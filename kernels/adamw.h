#pragma once
// AdamW (decoupled weight decay, Loshchilov & Hutter) with bias correction.
#include <cstdint>

namespace rwkvs::kernels {

struct AdamWHyper {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.99f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;  // applied as p -= lr * wd * p
};

// params, m, v (n) updated in place from grads (n); step is 1-based (bias correction).
//   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
//   p -= lr * (m / (1-b1^step)) / (sqrt(v / (1-b2^step)) + eps) + lr * wd * p
void adamw_update(float* params, float* m, float* v, const float* grads, int64_t n, const AdamWHyper& h,
                  int64_t step);

}  // namespace rwkvs::kernels
