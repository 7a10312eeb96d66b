#pragma once
// Softmax cross-entropy over V classes per row. A target < 0 marks a row to ignore (padding).
#include <cstdint>

namespace rwkvs::kernels {

// losses (N) = -log softmax(logits[n])[targets[n]] (0 for ignored rows); logits (N, V); targets (N).
template <class R>
void cross_entropy_forward(R* losses, const R* logits, const int32_t* targets, int64_t N, int64_t V);

// dlogits (N, V) = (softmax(logits[n]) - onehot(targets[n])) * dloss, zero for ignored rows.
// Written, not accumulated, so dlogits may alias logits (one [N, V] buffer for both).
template <class R>
void cross_entropy_backward(R* dlogits, const R* logits, const int32_t* targets, R dloss, int64_t N, int64_t V);

}  // namespace rwkvs::kernels
