#pragma once
// Token embedding lookup.
#include <cstdint>

namespace rwkvs::kernels {

// out (N, C) = table[ids[n]]; ids (N) must lie in [0, V) (the caller validates).
template <class R>
void embedding_forward(R* out, const int32_t* ids, const R* table, int64_t N, int64_t C);

// dtable (V, C) += dout rows scattered by ids.
template <class R>
void embedding_backward(R* dtable, const R* dout, const int32_t* ids, int64_t N, int64_t C);

}  // namespace rwkvs::kernels
