#pragma once
// AdamW on the GPU: the twin of kernels/adamw.h (same update, fp32 params and moments on the device).
#include <cstdint>

#include "kernels/adamw.h"
#include "kernels/cuda/context.h"

namespace rwkvs::kernels::cuda {

// params, m, v (n) updated in place from grads (n); step is 1-based (bias correction).
void adamw_update(const CudaContext& ctx, float* params, float* m, float* v, const float* grads, int64_t n,
                  const AdamWHyper& h, int64_t step);

}  // namespace rwkvs::kernels::cuda
