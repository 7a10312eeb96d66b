#pragma once
// The ends of the network: the input stage (token embedding, or normalised feature frames through
// input_proj) and the head (lm logits, or per-frame class logits). The trunk in between is the same.
#include <cstdint>

#include "src/model/model.h"

namespace rwkvs {

// One of the two input kinds, row-major over N = B*T positions.
struct ModelInput {
  const int32_t* tokens = nullptr;  // (N) ids < V, for tokens models
  const float* frames = nullptr;    // (N, input_dim) raw feature frames, for frames models
};

// Checks the input matches the model (kind, ids in range, finite frames); 'what' prefixes errors.
void validate_input(const ModelConfig& c, const ModelInput& in, int64_t N, const char* what);

// emb (N, C) = the trunk's input rows. frames_norm (N, input_dim) receives the normalised frames
// (frames models; kept for backward).
void input_forward(const Model& model, const ModelInput& in, int64_t N, float* emb, float* frames_norm);

// Accumulates parameter gradients of the input stage from demb (N, C).
void input_backward(const Model& model, const ModelView& grads, const ModelInput& in, const float* frames_norm,
                    const float* demb, int64_t N);

// logits (N, output_dim) from the final normalised rows xf (N, C).
void head_forward(const Model& model, const float* xf, int64_t N, float* logits);

// dxf (N, C) += and head parameter gradients from dlogits (N, output_dim).
void head_backward(const Model& model, const ModelView& grads, const float* dlogits, const float* xf, float* dxf,
                   int64_t N);

}  // namespace rwkvs
