#pragma once
// RWKV-4 forward and backward in parallel (training) form, and the one-token recurrent step.
// The math is spec §3 exactly: ln0 on block 0 only, token shift of the LayerNorm output, raw
// time_decay in the parameters with -exp applied by the WKV kernel, untied head.
#include <cstdint>
#include <vector>

#include "kernels/wkv4.h"
#include "src/core/buffer.h"
#include "src/model/cpu_ops.h"
#include "src/model/model.h"
#include "src/model/model_io.h"
#include "src/model/rwkv4_graph.h"
#include "src/model/state.h"

namespace rwkvs {

// What forward keeps for backward, in host memory (the graph's buffers: src/model/rwkv4_graph.h).
using Activations = ActivationsT<CpuOps>;

// Parallel forward of B sequences of T positions (token ids or feature frames, row-major (B, T)).
// Logits land in acts.logits (B, T, output_dim). state_in (batch B) is the state before the first
// position (null: empty); state_out, when given, receives the state after the last one, so segments
// can be chained (streaming prefill). Inputs are validated (ids < V, finite frames).
void rwkv4_forward(const Model& model, Activations& acts, const ModelInput& input, int64_t B, int64_t T,
                   const RecurrentState* state_in, RecurrentState* state_out, const ForwardOptions& opt = {});
inline void rwkv4_forward(const Model& model, Activations& acts, const int32_t* tokens, int64_t B, int64_t T,
                          const RecurrentState* state_in, RecurrentState* state_out, const ForwardOptions& opt = {}) {
  rwkv4_forward(model, acts, ModelInput{tokens, nullptr}, B, T, state_in, state_out, opt);
}

// Mean cross-entropy of acts.logits against targets (B*T; < 0 = ignored), turning acts.logits
// into d(mean loss)/d(logits) in place. Returns the mean over counted rows (0 if none).
double lm_loss_backward(Activations& acts, const int32_t* targets, int64_t vocab);

// Mean cross-entropy of acts.logits against targets without touching the logits.
double lm_loss(const Activations& acts, const int32_t* targets, int64_t vocab);

// Backward of rwkv4_forward given dlogits in acts.logits; accumulates into grads (flat block laid
// out like the parameters; the caller zeroes it). Uses the same chunk length as the forward.
void rwkv4_backward(const Model& model, Activations& acts, float* grads, const ForwardOptions& opt = {});

// Scratch for rwkv4_step, reused across calls.
struct StepWorkspace {
  AlignedBuffer<float> x, z, xk, xv, xr, k, v, r, y, fk, fr, fv, mean, rstd, frames_norm;
  int64_t B = 0;
  void resize(const ModelConfig& c, int64_t B);
};

// One position (token or frame) for each of B sequences (recurrent form): advances state, writes
// logits (B, output_dim).
void rwkv4_step(const Model& model, RecurrentState& state, const ModelInput& input, float* logits,
                StepWorkspace& ws);
inline void rwkv4_step(const Model& model, RecurrentState& state, const int32_t* tokens, float* logits,
                       StepWorkspace& ws) {
  rwkv4_step(model, state, ModelInput{tokens, nullptr}, logits, ws);
}

}  // namespace rwkvs
