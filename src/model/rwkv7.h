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

// Parallel forward of B sequences of T positions (ids or frames, row-major (B, T)). Logits land in
// acts.logits (B, T, output_dim). state_in (batch B) is the state before the first position (null:
// empty); state_out, when given, receives the state after the last one, so segments chain
// (streaming, generation: T = 1 with state_out = state_in is the recurrent step). Inputs are validated.
void rwkv7_forward(const Model& model, Activations7& acts, const ModelInput& input, int64_t B, int64_t T,
                   const RecurrentState* state_in = nullptr, RecurrentState* state_out = nullptr,
                   const Forward7Options& opt = {});

// Backward of rwkv7_forward given dlogits in acts.logits; accumulates into grads (flat block laid
// out like the parameters; the caller zeroes it). Uses the same chunk length as the forward.
// gstate_in, when given, receives the gradient of the state the forward started from.
void rwkv7_backward(const Model& model, Activations7& acts, float* grads, RecurrentState* gstate_in = nullptr,
                    const Forward7Options& opt = {});

// Mean cross-entropy of acts.logits against targets (B*T; < 0 = ignored); the _backward form turns
// acts.logits into d(mean loss)/d(logits) in place.
double lm_loss(const Activations7& acts, const int32_t* targets, int64_t vocab);
double lm_loss_backward(Activations7& acts, const int32_t* targets, int64_t vocab);

}  // namespace rwkvs
