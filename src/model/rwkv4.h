#pragma once
// RWKV-4 forward and backward in parallel (training) form, and the one-token recurrent step.
// The math is spec §3 exactly: ln0 on block 0 only, token shift of the LayerNorm output, raw
// time_decay in the parameters with -exp applied by the WKV kernel, untied head.
#include <cstdint>
#include <vector>

#include "kernels/wkv4.h"
#include "src/core/buffer.h"
#include "src/model/model.h"
#include "src/model/model_io.h"
#include "src/model/state.h"

namespace rwkvs {

// What one block keeps from forward for backward. N = B*T rows.
struct BlockActivations {
  AlignedBuffer<float> x_in;                    // (N, C) residual stream entering the block
  AlignedBuffer<float> ln1, ln1_mean, ln1_rstd;  // (N, C), (N), (N)
  AlignedBuffer<float> xk, xv, xr;              // (N, C) token-shift mixes for key, value, receptance
  AlignedBuffer<float> k, v, r, y, ry;          // (N, A) key, value, sigmoid(receptance), WKV out, r*y
  AlignedBuffer<float> wkv_boundary;            // WKV chunk-start states
  AlignedBuffer<float> x_mid;                   // (N, C) residual after time-mix
  AlignedBuffer<float> ln2, ln2_mean, ln2_rstd;  // (N, C), (N), (N)
  AlignedBuffer<float> fxk, fxr;                // (N, C) channel-mix mixes
  AlignedBuffer<float> fk_pre, fk;              // (N, F) key before and after squared ReLU
  AlignedBuffer<float> fr, fv;                  // (N, C) sigmoid(receptance), value
};

struct Activations {
  int64_t B = 0, T = 0;
  std::vector<int32_t> tokens;                    // (N) input ids (tokens models)
  AlignedBuffer<float> frames_norm;               // (N, input_dim) normalised frames (frames models)
  AlignedBuffer<float> emb, ln0_mean, ln0_rstd;   // (N, C) embedding rows, ln0 statistics
  std::vector<BlockActivations> blocks;           // L
  AlignedBuffer<float> x_out;                     // (N, C) residual stream after the last block
  AlignedBuffer<float> xf, lnf_mean, lnf_rstd;    // (N, C) ln_out output and statistics
  AlignedBuffer<float> logits;                    // (N, V or K); after a loss backward: its gradient
  const RecurrentState* state_in = nullptr;       // the state forward started from (null: empty)
  // backward scratch: (N, C) x 6, (N, A) x 5, (N, F) x 2
  AlignedBuffer<float> gC[6], gA[5], gF[2];

  // Sizes every buffer for (B, T) with this model; keeps allocations when the shape is unchanged.
  void resize(const ModelConfig& c, int64_t B, int64_t T, int chunk_len);
};

struct ForwardOptions {
  kernels::Wkv4Options wkv;  // chunk length and schedule of the WKV kernel
};

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
