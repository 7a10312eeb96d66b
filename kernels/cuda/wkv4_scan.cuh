#pragma once
// The scan across chunks shared by the chunk-parallel WKV-4 forward (states, left to right) and
// backward (adjoints, right to left): both decay by e^{w'} per step and merge with wkv_merge.
// Internal to kernels/cuda/wkv4_*.cu.
#include <cstdint>

#include "kernels/cuda/context.h"
#include "kernels/wkv4.h"

namespace rwkvs::kernels::cuda::wkv {

// slots (B, nchunks, 3, C): on entry each chunk's summary computed from the empty carry; on exit
// the carry entering that chunk in scan order (forward: the state at the chunk's start; reverse:
// the adjoint at its end). seed (3, B*C): the carry entering the sequence. carry_out: the carry
// leaving it, when its fields are set. wd (C): w' = -exp(w).
// Chunks are scanned in groups of kScanGroup: group summaries in parallel, a sequential scan over
// the groups, then each group's chunks in parallel, so no thread walks more than
// max(kScanGroup, nchunks / kScanGroup) chunks.
void scan_chunk_summaries(const CudaContext& ctx, float* slots, const float* seed, Wkv4State<float> carry_out,
                          const float* wd, int64_t B, int64_t T, int64_t C, int L, bool reverse,
                          const char* op);

// seed (3, B*C) from a state: null fields give the empty state.
void seed_from_state(const CudaContext& ctx, float* seed, Wkv4ConstState<float> s, int64_t n, const char* op);

// wd (C) = -exp(w), computed in double and rounded once, as the CPU kernel does.
void decay_of(const CudaContext& ctx, float* wd, const float* w, int64_t C, const char* op);

}  // namespace rwkvs::kernels::cuda::wkv
