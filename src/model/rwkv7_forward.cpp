// RWKV-7 parallel forward and backward on the CPU: the shared graph (rwkv7_graph.h) on CpuOps.
#include "base/error.h"
#include "src/model/lm_loss.h"
#include "src/model/rwkv7.h"

namespace rwkvs {

void rwkv7_forward(const Model& model, Activations7& acts, const ModelInput& input, int64_t B, int64_t T,
                   const RecurrentState* state_in, RecurrentState* state_out, const Forward7Options& opt) {
  const ModelConfig& c = model.config();
  if (!c.rwkv7()) fail("forward: rwkv7_forward called with an ", c.arch, " model");
  if (B < 1 || T < 1) fail("forward: batch and length must be positive, got B=", B, " T=", T);
  validate_input(c, input, B * T, "forward");
  for (const RecurrentState* s : {state_in, static_cast<const RecurrentState*>(state_out)})
    if (s && (!s->rwkv7() || s->batch() != B || s->n_layer() != c.n_layer))
      fail("forward: the state is not an RWKV-7 state of this model with batch ", B);
  graph7::forward(CpuOps{}, c, model.view(), acts, input, B, T, state_in, state_out, opt);
}

void rwkv7_backward(const Model& model, Activations7& acts, float* grads, RecurrentState* gstate_in,
                    const Forward7Options& opt) {
  const ModelConfig& c = model.config();
  if (gstate_in && (!gstate_in->rwkv7() || gstate_in->batch() != acts.B))
    fail("backward: the state gradient is not an RWKV-7 state with batch ", acts.B);
  graph7::backward(CpuOps{}, c, model.view(), make_view(model.layout(), grads, c.n_layer), acts, gstate_in, opt);
}

double lm_loss(const Activations7& acts, const int32_t* targets, int64_t vocab) {
  return mean_cross_entropy(acts.logits.data(), targets, acts.B * acts.T, vocab);
}

double lm_loss_backward(Activations7& acts, const int32_t* targets, int64_t vocab) {
  return mean_cross_entropy_backward(acts.logits.data(), targets, acts.B * acts.T, vocab);
}

}  // namespace rwkvs
