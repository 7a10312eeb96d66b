#pragma once
// Token embedding on the GPU: the twin of kernels/embedding.h (float table, device pointers).
#include <cstdint>

#include "kernels/cuda/context.h"

namespace rwkvs::kernels::cuda {

// out (N, C) = table[ids[n]]; ids (N) must lie in [0, V) (the caller validates).
void embedding_forward(const CudaContext& ctx, float* out, const int32_t* ids, const float* table, int64_t N,
                       int64_t C);

// dtable (V, C) += dout rows scattered by ids. Deterministic: rows are stably sorted by id, and each
// id's rows are summed in their original order (no atomics), as the CPU twin does.
void embedding_backward(const CudaContext& ctx, float* dtable, const float* dout, const int32_t* ids,
                        int64_t N, int64_t C);

}  // namespace rwkvs::kernels::cuda
