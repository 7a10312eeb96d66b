#pragma once
// Softmax cross-entropy on the GPU: the twin of kernels/cross_entropy.h (float, device pointers).
// A target < 0 marks a row to ignore. One block per row; nothing beyond the (N, V) logits is stored.
#include <cstdint>

#include "kernels/cuda/context.h"

namespace rwkvs::kernels::cuda {

// losses (N) = -log softmax(logits[n])[targets[n]] (0 for ignored rows); logits (N, V); targets (N).
void cross_entropy_forward(const CudaContext& ctx, float* losses, const float* logits, const int32_t* targets,
                           int64_t N, int64_t V);

// dlogits (N, V) = (softmax(logits[n]) - onehot(targets[n])) * dloss, zero for ignored rows.
// Written, not accumulated; dlogits may be logits itself (in place, one [N, V] buffer).
void cross_entropy_backward(const CudaContext& ctx, float* dlogits, const float* logits,
                            const int32_t* targets, float dloss, int64_t N, int64_t V);

}  // namespace rwkvs::kernels::cuda
