// RWKV-4 backward on the CPU: the shared graph (rwkv4_graph.h) on CpuOps.
#include "src/model/rwkv4.h"

namespace rwkvs {

void rwkv4_backward(const Model& model, Activations& acts, float* grads, const ForwardOptions& opt) {
  const ModelConfig& c = model.config();
  graph::backward(CpuOps{}, c, model.view(), make_view(model.layout(), grads, c.n_layer), acts, opt);
}

}  // namespace rwkvs
