#pragma once
// Pieces shared by the RWKV-4 (init.cpp) and RWKV-7 (init_rwkv7.cpp) initialisations.
#include <cstdint>

#include "base/rng.h"
#include "src/model/model.h"

namespace rwkvs {

// Fills 'out' (rows x cols, row-major) with a matrix whose rows (rows <= cols) or columns
// (rows > cols) are orthonormal, times 'gain': torch.nn.init.orthogonal_ semantics.
void fill_orthogonal(float* out, int64_t rows, int64_t cols, float gain, Rng& rng);

// RWKV-7 (rwkv7-spec §8): the official vector ramps; official = true gives the exact trainer recipe
// (zero output, ffn.value and LoRA input matrices; uniform +-emb_scale embedding), false the
// oracle's test init (the ramps plus noise, random-normal matrices with std 1/sqrt(fan-in)), in
// which every path carries signal.
void init_rwkv7(Model& model, uint64_t seed, bool official, float emb_scale);

}  // namespace rwkvs
