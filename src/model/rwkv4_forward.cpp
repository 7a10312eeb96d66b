// RWKV-4 parallel forward on the CPU: the shared graph (rwkv4_graph.h) on CpuOps, and the LM loss
// (src/model/lm_loss.h, shared with RWKV-7).
#include <algorithm>
#include <vector>

#include "base/error.h"
#include "kernels/cross_entropy.h"
#include "src/model/lm_loss.h"
#include "src/model/rwkv4.h"

namespace rwkvs {

using namespace kernels;

void rwkv4_forward(const Model& model, Activations& acts, const ModelInput& input, int64_t B, int64_t T,
                   const RecurrentState* state_in, RecurrentState* state_out, const ForwardOptions& opt) {
  const ModelConfig& c = model.config();
  if (c.rwkv7()) fail("forward: the RWKV-4 forward was given an RWKV-7 model (use rwkv7_forward)");
  if (B < 1 || T < 1) fail("forward: batch and length must be positive, got B=", B, " T=", T);
  validate_input(c, input, B * T, "forward");
  if (state_in && state_in->batch() != B) fail("forward: state has batch ", state_in->batch(), ", input has ", B);
  if (state_out && state_out->batch() != B) fail("forward: state_out has batch ", state_out->batch(), ", input has ", B);
  graph::forward(CpuOps{}, c, model.view(), acts, input, B, T, state_in, state_out, opt);
}

double mean_cross_entropy(const float* logits, const int32_t* targets, int64_t N, int64_t V) {
  std::vector<float> losses(N);
  cross_entropy_forward(losses.data(), logits, targets, N, V);
  double sum = 0;
  int64_t count = 0;
  for (int64_t i = 0; i < N; ++i)
    if (targets[i] >= 0) {
      sum += losses[i];
      ++count;
    }
  return count ? sum / count : 0.0;
}

double mean_cross_entropy_backward(float* logits, const int32_t* targets, int64_t N, int64_t V) {
  const double loss = mean_cross_entropy(logits, targets, N, V);
  int64_t count = 0;
  for (int64_t i = 0; i < N; ++i) count += targets[i] >= 0;
  const float dloss = count ? 1.0f / static_cast<float>(count) : 0.0f;
  cross_entropy_backward(logits, logits, targets, dloss, N, V);
  return loss;
}

double lm_loss(const Activations& acts, const int32_t* targets, int64_t V) {
  return mean_cross_entropy(acts.logits.data(), targets, acts.B * acts.T, V);
}

double lm_loss_backward(Activations& acts, const int32_t* targets, int64_t V) {
  return mean_cross_entropy_backward(acts.logits.data(), targets, acts.B * acts.T, V);
}

}  // namespace rwkvs
