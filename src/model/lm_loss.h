#pragma once
// The language-model loss on a host logits block, shared by the RWKV-4 and RWKV-7 entry points.
#include <cstdint>

namespace rwkvs {

// Mean cross-entropy of logits (N, V) against targets (N; < 0 = ignored); 0 when none count.
double mean_cross_entropy(const float* logits, const int32_t* targets, int64_t N, int64_t V);

// The same, turning logits into d(mean loss)/d(logits) in place.
double mean_cross_entropy_backward(float* logits, const int32_t* targets, int64_t N, int64_t V);

}  // namespace rwkvs
