#include "kernels/cuda/wkv4_device.cuh"
#include "kernels/cuda/wkv4_scan.cuh"

namespace rwkvs::kernels::cuda::wkv {
namespace {

constexpr int64_t kScanGroup = 64;

// Walks chunks [c0, c1) of sequence b, channel c in scan order. Each slot is replaced by the
// carry entering it (when 'replace'); the carry absorbs the slot's old summary over its length.
__device__ void walk_chunks(float* slots, State& carry, int64_t b, int64_t c, int64_t c0, int64_t c1,
                            int64_t nchunks, int64_t T, int64_t C, int64_t L, float wd, bool reverse,
                            bool replace) {
  for (int64_t k = c0; k < c1; ++k) {
    const int64_t ci = reverse ? c1 - 1 - (k - c0) : k;
    const int64_t at = slot_at(b, ci, c, nchunks, C);
    const State s = load_slot(slots, at, C);
    if (replace) store_slot(slots, at, C, carry);
    const int64_t len = chunk_end(ci, L, T) - ci * L;
    wkv_merge(carry.aa, carry.bb, carry.pp, static_cast<float>(len) * wd, s.aa, s.bb, s.pp);
  }
}

// groups (B, ngroups, 3, C) = the summary of each group's chunks, from the empty carry.
__global__ void group_summaries_kernel(float* groups, const float* slots, const float* wd, int64_t B,
                                       int64_t T, int64_t C, int L, int64_t nchunks, int64_t ngroups,
                                       bool reverse) {
  RWKVS_GRID_STRIDE(i, B * ngroups * C) {
    const int64_t c = i % C, g = (i / C) % ngroups, b = i / C / ngroups;
    State carry = empty_state();
    walk_chunks(const_cast<float*>(slots), carry, b, c, g * kScanGroup, min64(nchunks, (g + 1) * kScanGroup),
                nchunks, T, C, L, wd[c], reverse, /*replace=*/false);
    store_slot(groups, slot_at(b, g, c, ngroups, C), C, carry);
  }
}

// Sequential over groups per (b, c): each group summary becomes the carry entering the group.
__global__ void scan_groups_kernel(float* groups, const float* seed, Wkv4State<float> carry_out,
                                   const float* wd, int64_t B, int64_t T, int64_t C, int L, int64_t ngroups,
                                   bool reverse) {
  RWKVS_GRID_STRIDE(i, B * C) {
    const int64_t b = i / C, c = i % C;
    State carry = {seed[i], seed[B * C + i], seed[2 * B * C + i]};
    // A group is a chunk of kScanGroup * L steps for the walk.
    walk_chunks(groups, carry, b, c, 0, ngroups, ngroups, T, C, kScanGroup * L, wd[c], reverse,
                /*replace=*/true);
    if (carry_out.aa) store_state(carry_out, i, carry);
  }
}

// Each group's chunks from the carry entering the group.
__global__ void apply_groups_kernel(float* slots, const float* groups, const float* wd, int64_t B, int64_t T,
                                    int64_t C, int L, int64_t nchunks, int64_t ngroups, bool reverse) {
  RWKVS_GRID_STRIDE(i, B * ngroups * C) {
    const int64_t c = i % C, g = (i / C) % ngroups, b = i / C / ngroups;
    State carry = load_slot(groups, slot_at(b, g, c, ngroups, C), C);
    walk_chunks(slots, carry, b, c, g * kScanGroup, min64(nchunks, (g + 1) * kScanGroup), nchunks, T, C, L,
                wd[c], reverse, /*replace=*/true);
  }
}

__global__ void seed_from_state_kernel(float* seed, Wkv4ConstState<float> s, int64_t n) {
  RWKVS_GRID_STRIDE(i, n) {
    const State v = load_state(s, i);
    seed[i] = v.aa;
    seed[n + i] = v.bb;
    seed[2 * n + i] = v.pp;
  }
}

__global__ void decay_kernel(float* wd, const float* w, int64_t C) {
  RWKVS_GRID_STRIDE(c, C) wd[c] = static_cast<float>(-exp(static_cast<double>(w[c])));
}

}  // namespace

void scan_chunk_summaries(const CudaContext& ctx, float* slots, const float* seed, Wkv4State<float> carry_out,
                          const float* wd, int64_t B, int64_t T, int64_t C, int L, bool reverse,
                          const char* op) {
  const int64_t nchunks = ceil_div(T, L), ngroups = ceil_div(nchunks, kScanGroup);
  Scratch<float> groups(ctx, static_cast<size_t>(B * ngroups * 3 * C), op);
  const cudaStream_t s = stream_of(ctx);
  group_summaries_kernel<<<grid_for(B * ngroups * C), kThreads, 0, s>>>(groups.get(), slots, wd, B, T, C, L,
                                                                        nchunks, ngroups, reverse);
  check_launch(op);
  scan_groups_kernel<<<grid_for(B * C), kThreads, 0, s>>>(groups.get(), seed, carry_out, wd, B, T, C, L,
                                                          ngroups, reverse);
  check_launch(op);
  apply_groups_kernel<<<grid_for(B * ngroups * C), kThreads, 0, s>>>(slots, groups.get(), wd, B, T, C, L,
                                                                     nchunks, ngroups, reverse);
  check_launch(op);
}

void seed_from_state(const CudaContext& ctx, float* seed, Wkv4ConstState<float> s, int64_t n,
                     const char* op) {
  seed_from_state_kernel<<<grid_for(n), kThreads, 0, stream_of(ctx)>>>(seed, s, n);
  check_launch(op);
}

void decay_of(const CudaContext& ctx, float* wd, const float* w, int64_t C, const char* op) {
  decay_kernel<<<grid_for(C), kThreads, 0, stream_of(ctx)>>>(wd, w, C);
  check_launch(op);
}

}  // namespace rwkvs::kernels::cuda::wkv
