#pragma once
// Picks the next token from logits. Steps, in order: temperature, softmax, top-k, top-p (nucleus),
// then the rule of the original RWKV README: drop every token whose probability is below
// alpha * p_max^power, renormalise, draw. Each filter is off at its neutral value.
#include <cstdint>
#include <vector>

#include "base/rng.h"

namespace rwkvs {

struct SamplerOptions {
  double temperature = 1.0;  // > 0; 0 means greedy (arg max)
  int top_k = 0;             // keep the k most likely; 0 = off
  double top_p = 1.0;        // keep the smallest set with this much probability; 1 = off
  double alpha = 0.02;       // RWKV rule: drop p < alpha * p_max^power; 0 = off
  double power = 2.0;
};

// Validates the options; errors name the flag (--temperature, --top-k, --top-p, --alpha, --power).
void validate_sampler(const SamplerOptions& o);

// The filtered, renormalised distribution over logits (V) (exposed for tests).
std::vector<double> sampling_distribution(const float* logits, int64_t V, const SamplerOptions& o);

// Draws a token id.
int32_t sample_token(const float* logits, int64_t V, const SamplerOptions& o, Rng& rng);

}  // namespace rwkvs
