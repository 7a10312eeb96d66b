// RWKV-7 parallel forward and backward on the CPU: the shared graph (rwkv7_graph.h) on CpuOps.
#include "base/error.h"
#include "src/model/lm_loss.h"
#include "src/model/rwkv7.h"

namespace rwkvs {

void rwkv7_forward(const Model& model, Activations7& acts, const ModelInput& input, int64_t B, int64_t T,
                   const Forward7Options& opt) {
  const ModelConfig& c = model.config();
  if (!c.rwkv7()) fail("forward: rwkv7_forward called with an ", c.arch, " model");
  if (B < 1 || T < 1) fail("forward: batch and length must be positive, got B=", B, " T=", T);
  validate_input(c, input, B * T, "forward");
  graph7::forward(CpuOps{}, c, model.view(), acts, input, B, T, opt);
}

void rwkv7_backward(const Model& model, Activations7& acts, float* grads, const Forward7Options& opt) {
  const ModelConfig& c = model.config();
  graph7::backward(CpuOps{}, c, model.view(), make_view(model.layout(), grads, c.n_layer), acts, opt);
}

double lm_loss(const Activations7& acts, const int32_t* targets, int64_t vocab) {
  return mean_cross_entropy(acts.logits.data(), targets, acts.B * acts.T, vocab);
}

double lm_loss_backward(Activations7& acts, const int32_t* targets, int64_t vocab) {
  return mean_cross_entropy_backward(acts.logits.data(), targets, acts.B * acts.T, vocab);
}

}  // namespace rwkvs
