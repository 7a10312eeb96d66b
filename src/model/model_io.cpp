#include "src/model/model_io.h"

#include <cmath>

#include "base/error.h"
#include "kernels/bias.h"
#include "kernels/embedding.h"
#include "kernels/matmul.h"

namespace rwkvs {

using namespace kernels;

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
  const ModelConfig& c = model.config();
  const ModelView p = model.view();
  if (!c.frames_input()) {
    embedding_forward(emb, in.tokens, p.emb, N, c.n_embd);
    return;
  }
  normalize_columns(frames_norm, in.frames, p.input_mean, p.input_scale, N, c.input_dim);
  matmul_forward(emb, frames_norm, p.input_proj_w, N, c.input_dim, c.n_embd);
  add_bias_forward(emb, p.input_proj_b, N, c.n_embd);
}

void input_backward(const Model& model, const ModelView& g, const ModelInput& in, const float* frames_norm,
                    const float* demb, int64_t N) {
  const ModelConfig& c = model.config();
  if (!c.frames_input()) {
    embedding_backward(g.emb, demb, in.tokens, N, c.n_embd);
    return;
  }
  matmul_backward(static_cast<float*>(nullptr), g.input_proj_w, demb, frames_norm, model.view().input_proj_w, N, c.input_dim, c.n_embd);
  add_bias_backward(g.input_proj_b, demb, N, c.n_embd);
}

void head_forward(const Model& model, const float* xf, int64_t N, float* logits) {
  const ModelConfig& c = model.config();
  const ModelView p = model.view();
  if (c.classes_head()) {
    matmul_forward(logits, xf, p.cls_w, N, c.n_embd, c.output_dim());
    add_bias_forward(logits, p.cls_b, N, c.output_dim());
  } else {
    matmul_forward(logits, xf, p.head, N, c.n_embd, c.vocab_size);
  }
}

void head_backward(const Model& model, const ModelView& g, const float* dlogits, const float* xf, float* dxf,
                   int64_t N) {
  const ModelConfig& c = model.config();
  const ModelView p = model.view();
  if (c.classes_head()) {
    matmul_backward(dxf, g.cls_w, dlogits, xf, p.cls_w, N, c.n_embd, c.output_dim());
    add_bias_backward(g.cls_b, dlogits, N, c.output_dim());
  } else {
    matmul_backward(dxf, g.head, dlogits, xf, p.head, N, c.n_embd, c.vocab_size);
  }
}

}  // namespace rwkvs
