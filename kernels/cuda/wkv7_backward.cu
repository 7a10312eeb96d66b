// WKV-7 backward on the GPU (kernels/cuda/wkv7.h). One block per (batch, head) walks the chunks in
// reverse. For each span of steps it replays the forward from the span's saved start (registers,
// one value row per thread), writing the state before every step to its scratch area, then steps
// back through the span exactly as kernels/cpu/wkv7.cpp step_backward does, with dS_t, S_t and
// S_{t-1} in shared memory: thread x first owns row x of dS (the sums over keys: dv_x, (dS b)_x),
// then column x (the sums over values: dr_x, dk_x, db_x, dw_x, da_x, and dS_{t-1}'s column).
#include <algorithm>
#include <cmath>
#include <utility>

#include "kernels/cuda/wkv7.h"
#include "kernels/cuda/wkv7_device.cuh"

namespace rwkvs::kernels::cuda {
namespace {

using wkv7::Inputs;

// Spans: a chunk of Q <= kMaxSpan steps is one span; a longer one is split into spans of
// P = max(kMaxSpan, ceil(sqrt(Q))) steps whose starts are saved by one more replay of the chunk, so
// scratch is ceil(Q/P) - 1 + P - 1 states a block instead of Q.
constexpr int64_t kMaxSpan = 64;
// Scratch for all resident blocks together stays under this (fewer blocks run at once otherwise).
constexpr int64_t kScratchBudgetFloats = int64_t(1) << 27;  // 512 MiB

int64_t span_len(int64_t Q) {
  if (Q <= kMaxSpan) return Q;
  return std::max(kMaxSpan, static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(Q)))));
}

struct BackwardArgs {
  float *gr, *glogw, *gk, *gv, *ga, *gb;  // (B, T, H, N) out
  float* gstate_in;                       // (B, H, N, N) out, or null
  const float* gy;                        // (B, T, H, N)
  const float* gstate_out;                // (B, H, N, N), or null for zero
  const float* boundary;                  // (B*H, chunks, N, N) chunk starts, [key][value]
  float* scratch;                         // (gridDim.x, slots, N, N): per block sub_slots span starts, then
                                          // P - 1 states inside the span, all [key][value]
  int64_t tasks, Q, chunks, P, sub_slots, slots;
};

// Floats of shared memory: the tiles S_t, S_{t-1}, dS (NP x (NP + 1)); the replay keys (2 x 5 x NP);
// the backward vectors r, w, k, v, a, b, gy, sa, dsa (9 x NP).
template <int NP>
constexpr int64_t shared_floats() {
  return 3 * NP * (NP + 1) + 10 * NP + 9 * NP;
}

// Step t (inputs at o) backwards. On entry dS = dL/dS_t from later steps (not yet including y_t's
// part) and cur = S_t (rows x < N); prev_src is S_{t-1} in [key][value] order. On exit dS =
// dL/dS_{t-1} and prev = S_{t-1}; the gradients of step t are written.
template <int NP>
__device__ __forceinline__ void step_back(float* dS, const float* cur, float* prev, float* vec,
                                          const float* prev_src, const Inputs& in, const BackwardArgs& g,
                                          int64_t o) {
  constexpr int LD = NP + 1;
  const int x = threadIdx.x, N = static_cast<int>(in.N);
  float *vr = vec, *vw = vec + NP, *vk = vec + 2 * NP, *vv = vec + 3 * NP, *va = vec + 4 * NP;
  float *vb = vec + 5 * NP, *vgy = vec + 6 * NP, *vsa = vec + 7 * NP, *vdsa = vec + 8 * NP;
  if (x < N) {
    for (int j = 0; j < N; ++j) prev[x * LD + j] = prev_src[int64_t(j) * N + x];
    vr[x] = __ldg(in.r + o + x);
    vw[x] = expf(__ldg(in.logw + o + x));
    vk[x] = __ldg(in.k + o + x);
    vv[x] = __ldg(in.v + o + x);
    va[x] = __ldg(in.a + o + x);
    vb[x] = __ldg(in.b + o + x);
    vgy[x] = __ldg(g.gy + o + x);
  }
  __syncthreads();
  if (x < N) {  // row x: y_t's part of dS_t, then the sums over keys
    const float* p = prev + x * LD;
    float* d = dS + x * LD;
    const float gyx = vgy[x];
    float sa = 0.0f, dv = 0.0f, dsa = 0.0f;
#pragma unroll 8
    for (int j = 0; j < N; ++j) sa += p[j] * va[j];
#pragma unroll 8
    for (int j = 0; j < N; ++j) {
      const float dd = d[j] + vr[j] * gyx;
      d[j] = dd;
      dv += dd * vk[j];
      dsa += dd * vb[j];
    }
    vsa[x] = sa;
    vdsa[x] = dsa;
    g.gv[o + x] = dv;
  }
  __syncthreads();
  if (x < N) {  // column x: the sums over values, and the decay and sa carry dS back a step
    const float wx = vw[x], ax = va[x];
    float sr = 0.0f, sk = 0.0f, sb = 0.0f, sw = 0.0f, sA = 0.0f;
#pragma unroll 8
    for (int i = 0; i < N; ++i) {
      const int at = i * LD + x;
      const float dd = dS[at], p = prev[at], dsa = vdsa[i];
      sr += cur[at] * vgy[i];
      sk += dd * vv[i];
      sb += dd * vsa[i];
      sw += dd * p;
      sA += p * dsa;
      dS[at] = dd * wx + ax * dsa;
    }
    g.gr[o + x] = sr;
    g.gk[o + x] = sk;
    g.gb[o + x] = sb;
    g.glogw[o + x] = sw * wx;
    g.ga[o + x] = sA;
  }
  __syncthreads();  // the next step reloads prev and the vectors
}

template <int NP>
__global__ void __launch_bounds__(NP) backward_kernel(Inputs in, BackwardArgs g) {
  constexpr int LD = NP + 1;
  extern __shared__ float smem[];
  float* tile_a = smem;
  float* tile_b = tile_a + NP * LD;
  float* dS = tile_b + NP * LD;
  float* keys = dS + NP * LD;
  float* vec = keys + 10 * NP;
  const int x = threadIdx.x, N = static_cast<int>(in.N);
  const int64_t NN = in.N * in.N;
  float* sub = g.scratch + static_cast<int64_t>(blockIdx.x) * g.slots * NN;
  float* span = sub + g.sub_slots * NN;
  unsigned tick = 0;
  for (int64_t task = blockIdx.x; task < g.tasks; task += gridDim.x) {
    const int64_t base = in.base(task);
    // column x of dS from dL/dS_T ([value][key]: coalesced); read by rows only after the barriers below
    if (x < N)
      for (int i = 0; i < N; ++i) dS[i * LD + x] = g.gstate_out ? g.gstate_out[task * NN + i * N + x] : 0.0f;
    for (int64_t c = g.chunks - 1; c >= 0; --c) {
      const int64_t t0 = c * g.Q, len = wkv7::min64(g.Q, in.T - t0), nsub = wkv7::ceil_div(len, g.P);
      const float* start = g.boundary + (task * g.chunks + c) * NN;
      float s[NP];
      // Scratch states are written and read back by the thread that owns the row: no barrier needed.
      if (nsub > 1) {  // the starts of spans 1 .. nsub-1
        wkv7::load_row_transposed<NP>(s, start, N);
        for (int64_t rel = 0; rel < (nsub - 1) * g.P; ++rel) {
          wkv7::replay_step<NP>(s, keys, tick, in, base + (t0 + rel) * in.C);
          if ((rel + 1) % g.P == 0) wkv7::store_row_transposed<NP>(sub + ((rel + 1) / g.P - 1) * NN, s, N);
        }
      }
      for (int64_t u = nsub - 1; u >= 0; --u) {
        const int64_t u0 = t0 + u * g.P, ulen = wkv7::min64(g.P, t0 + len - u0);
        const float* src = u == 0 ? start : sub + (u - 1) * NN;
        wkv7::load_row_transposed<NP>(s, src, N);
        for (int64_t rel = 0; rel < ulen; ++rel) {
          if (rel > 0) wkv7::store_row_transposed<NP>(span + (rel - 1) * NN, s, N);
          wkv7::replay_step<NP>(s, keys, tick, in, base + (u0 + rel) * in.C);
        }
        float* cur = tile_a;
        float* prev = tile_b;
        if (x < N) {
#pragma unroll
          for (int j = 0; j < NP; ++j)
            if (j < N) cur[x * LD + j] = s[j];
        }
        __syncthreads();  // cur and dS are read across threads from here
        for (int64_t rel = ulen - 1; rel >= 0; --rel) {
          step_back<NP>(dS, cur, prev, vec, rel == 0 ? src : span + (rel - 1) * NN, in, g,
                        base + (u0 + rel) * in.C);
          float* const was_cur = cur;  // S_{t-1} becomes the next step's S_t
          cur = prev;
          prev = was_cur;
        }
      }
    }
    if (g.gstate_in && x < N)
      for (int i = 0; i < N; ++i) g.gstate_in[task * NN + i * N + x] = dS[i * LD + x];
    __syncthreads();  // the next task reuses dS
  }
}

template <int NP>
void launch_backward(const CudaContext& ctx, const Inputs& in, BackwardArgs g, const char* op) {
  const size_t smem = static_cast<size_t>(shared_floats<NP>()) * sizeof(float);
  check_cuda(cudaFuncSetAttribute(backward_kernel<NP>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  static_cast<int>(smem)),
             op, "setting the kernel's shared memory size");
  int per_sm = 0;
  check_cuda(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, backward_kernel<NP>, NP, smem), op,
             "the occupancy query");
  // Only resident blocks need scratch: launch no more than fit at once and loop over the tasks.
  const int64_t sms = ctx.sm_count > 0 ? ctx.sm_count : 132;
  int64_t grid = std::min(g.tasks, std::max(1, per_sm) * sms);
  const int64_t block_floats = g.slots * in.N * in.N;
  if (block_floats > 0) grid = std::min(grid, std::max<int64_t>(1, kScratchBudgetFloats / block_floats));
  Scratch<float> scratch(ctx, static_cast<size_t>(grid * block_floats), op);
  g.scratch = scratch.get();
  backward_kernel<NP><<<static_cast<unsigned>(grid), NP, smem, stream_of(ctx)>>>(in, g);
  check_launch(op);
}

}  // namespace

void wkv7_backward(const CudaContext& ctx, float* gr, float* glogw, float* gk, float* gv, float* ga,
                   float* gb, float* gstate_in, const float* gy, const float* gstate_out, const float* r,
                   const float* logw, const float* k, const float* v, const float* a, const float* b,
                   const float* boundary, const float* state_in, int64_t B, int64_t T, int64_t H, int64_t N,
                   const Wkv7Options& opt) {
  const char* op = "cuda wkv7_backward";
  wkv7::validate_sizes(op, B, T, H, N, opt);
  for (auto [name, p] : {std::pair<const char*, const void*>{"gr", gr},
                         {"glogw", glogw},
                         {"gk", gk},
                         {"gv", gv},
                         {"ga", ga},
                         {"gb", gb},
                         {"gy", gy},
                         {"r", r},
                         {"logw", logw},
                         {"k", k},
                         {"v", v},
                         {"a", a},
                         {"b", b}})
    wkv7::require_pointer(op, name, p);
  const int64_t Q = opt.chunk_len;
  Scratch<float> local(ctx, boundary ? 0 : wkv7_boundary_size(B, T, H, N, opt.chunk_len), op);
  if (!boundary) {  // the chunk starts, from one more forward pass
    wkv7_forward(ctx, nullptr, local.get(), nullptr, r, logw, k, v, a, b, state_in, B, T, H, N, opt);
    boundary = local.get();
  }
  const int64_t P = span_len(Q), sub_slots = wkv7::ceil_div(Q, P) - 1;
  const BackwardArgs g{gr,
                       glogw,
                       gk,
                       gv,
                       ga,
                       gb,
                       gstate_in,
                       gy,
                       gstate_out,
                       boundary,
                       nullptr,
                       B * H,
                       Q,
                       wkv7::ceil_div(T, Q),
                       P,
                       sub_slots,
                       sub_slots + P - 1};
  const Inputs in{r, logw, k, v, a, b, T, H, N, H * N};
  switch (wkv7::padded_head(N)) {
    case 16:
      return launch_backward<16>(ctx, in, g, op);
    case 32:
      return launch_backward<32>(ctx, in, g, op);
    default:
      return launch_backward<64>(ctx, in, g, op);
  }
}

}  // namespace rwkvs::kernels::cuda
