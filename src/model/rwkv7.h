#pragma once
// RWKV-7 (x070) forward and backward in parallel (training) form on the CPU: the shared graph
// (src/model/rwkv7_graph.h) on CpuOps. The math is ../shared/reference/rwkv7-spec.md §3 exactly.
#include <cstdint>

#include "src/model/cpu_ops.h"
#include "src/model/model.h"
#include "src/model/model_io.h"
#include "src/model/rwkv7_graph.h"

namespace rwkvs {

using Activations7 = Activations7T<CpuOps>;

// Parallel forward of B sequences of T positions from the empty state (ids or frames, row-major
// (B, T)). Logits land in acts.logits (B, T, output_dim). Inputs are validated.
void rwkv7_forward(const Model& model, Activations7& acts, const ModelInput& input, int64_t B, int64_t T,
                   const Forward7Options& opt = {});

// Backward of rwkv7_forward given dlogits in acts.logits; accumulates into grads (flat block laid
// out like the parameters; the caller zeroes it). Uses the same chunk length as the forward.
void rwkv7_backward(const Model& model, Activations7& acts, float* grads, const Forward7Options& opt = {});

// Mean cross-entropy of acts.logits against targets (B*T; < 0 = ignored); the _backward form turns
// acts.logits into d(mean loss)/d(logits) in place.
double lm_loss(const Activations7& acts, const int32_t* targets, int64_t vocab);
double lm_loss_backward(Activations7& acts, const int32_t* targets, int64_t vocab);

}  // namespace rwkvs
