// AdamW on the GPU (kernels/cuda/adamw.h): the CPU twin's update, one thread per parameter.
#include <cmath>

#include "kernels/cuda/adamw.h"
#include "kernels/cuda/launch.cuh"

namespace rwkvs::kernels::cuda {
namespace {

// bc1, bc2: the bias corrections 1 - beta^step, computed once on the host as the CPU twin does.
__global__ void adamw_kernel(float* params, float* m, float* v, const float* grads, int64_t n, AdamWHyper h,
                             float bc1, float bc2) {
  RWKVS_GRID_STRIDE(i, n) {
    const float g = grads[i];
    const float mi = h.beta1 * m[i] + (1.0f - h.beta1) * g;
    const float vi = h.beta2 * v[i] + (1.0f - h.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    const float mhat = mi / bc1;
    const float vhat = vi / bc2;
    params[i] -= h.lr * (mhat / (sqrtf(vhat) + h.eps) + h.weight_decay * params[i]);
  }
}

}  // namespace

void adamw_update(const CudaContext& ctx, float* params, float* m, float* v, const float* grads, int64_t n,
                  const AdamWHyper& h, int64_t step) {
  const char* op = "cuda adamw_update";
  if (n < 0) fail(op, ": element count must not be negative, got ", n);
  if (step < 1) fail(op, ": step is 1-based, got ", step);
  if (n == 0) return;
  const float bc1 = 1.0f - static_cast<float>(std::pow(h.beta1, static_cast<double>(step)));
  const float bc2 = 1.0f - static_cast<float>(std::pow(h.beta2, static_cast<double>(step)));
  adamw_kernel<<<grid_for(n), kThreads, 0, stream_of(ctx)>>>(params, m, v, grads, n, h, bc1, bc2);
  check_launch(op);
}

}  // namespace rwkvs::kernels::cuda
