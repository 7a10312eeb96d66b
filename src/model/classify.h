#pragma once
// Utterance classification from per-frame class logits: the utterance's logits are those of its
// last frame ("last": what a stream has seen so far, so streaming and training agree) or the mean
// over its frames ("mean"). Sequences in a batch are right-padded; frames at or beyond a
// sequence's length never reach the loss or the pooled logits (the trunk is causal, so padding
// cannot change earlier frames either).
#include <cstdint>
#include <string>
#include <vector>

#include "src/model/rwkv4.h"

namespace rwkvs {

// pooled (B, K) from logits (B, T, K) with lengths (B) in [1, T].
void pool_logits(float* pooled, const float* logits, const int64_t* lengths, const std::string& pool, int64_t B,
                 int64_t T, int64_t K);

// Mean cross-entropy of the pooled logits against labels (B) in [0, K); turns acts.logits into
// d(loss)/d(logits) (zero on padding). predicted (B), when given, receives each arg max.
double classification_loss_backward(Activations& acts, const int64_t* lengths, const int32_t* labels,
                                    const std::string& pool, int64_t K, int32_t* predicted = nullptr);

// The same loss without gradients (evaluation).
double classification_loss(const Activations& acts, const int64_t* lengths, const int32_t* labels,
                           const std::string& pool, int64_t K, int32_t* predicted = nullptr);

// Both on raw logits (B, T, K) (e.g. copied back from a GPU); the backward overwrites them with
// their gradient.
double classification_loss_backward(float* logits, int64_t B, int64_t T, const int64_t* lengths,
                                    const int32_t* labels, const std::string& pool, int64_t K,
                                    int32_t* predicted = nullptr);
double classification_loss(const float* logits, int64_t B, int64_t T, const int64_t* lengths, const int32_t* labels,
                           const std::string& pool, int64_t K, int32_t* predicted = nullptr);

}  // namespace rwkvs
