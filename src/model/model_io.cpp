#include "src/model/model_io.h"

#include <cmath>

#include "base/error.h"
#include "src/model/cpu_ops.h"
#include "src/model/rwkv4_graph.h"

namespace rwkvs {

void validate_input(const ModelConfig& c, const ModelInput& in, int64_t N, const char* what) {
  if (c.frames_input()) {
    if (!in.frames) fail(what, ": this model takes feature frames (", c.input_dim, " per frame), not token ids");
    for (int64_t i = 0; i < N * c.input_dim; ++i)
      if (!std::isfinite(in.frames[i]))
        fail(what, ": frame ", i / c.input_dim, " holds a non-finite value (", in.frames[i], ")");
  } else {
    if (!in.tokens) fail(what, ": this model takes token ids, not feature frames");
    for (int64_t i = 0; i < N; ++i)
      if (in.tokens[i] < 0 || in.tokens[i] >= c.vocab_size)
        fail(what, ": token ", in.tokens[i], " at position ", i, " is outside the vocabulary [0, ", c.vocab_size, ")");
  }
}

void input_forward(const Model& model, const ModelInput& in, int64_t N, float* emb, float* frames_norm) {
  graph::input_forward(CpuOps{}, model.config(), model.view(), in, N, emb, frames_norm);
}

void input_backward(const Model& model, const ModelView& g, const ModelInput& in, const float* frames_norm,
                    const float* demb, int64_t N) {
  graph::input_backward(CpuOps{}, model.config(), model.view(), g, in.tokens, frames_norm, demb, N);
}

void head_forward(const Model& model, const float* xf, int64_t N, float* logits) {
  graph::head_forward(CpuOps{}, model.config(), model.view(), xf, N, logits);
}

void head_backward(const Model& model, const ModelView& g, const float* dlogits, const float* xf, float* dxf,
                   int64_t N) {
  graph::head_backward(CpuOps{}, model.config(), model.view(), g, dlogits, xf, dxf, N);
}

}  // namespace rwkvs
