// WKV-7 forward on the GPU (kernels/cuda/wkv7.h): one block per (batch, head) walks the sequence,
// each thread keeping its value row of the state in registers.
#include <utility>

#include "kernels/cuda/wkv7.h"
#include "kernels/cuda/wkv7_device.cuh"

namespace rwkvs::kernels::cuda {
namespace {

using wkv7::Inputs;

// The states in and out are [value][key]: a thread's row is strided in memory, so they pass through
// a padded shared tile (stride NP + 1, free of bank conflicts both ways) to keep global accesses
// coalesced. A null src is the zero state.
template <int NP>
__device__ __forceinline__ void load_state_rows(float (&s)[NP], float* tile, const float* src, int N) {
  constexpr int LD = NP + 1;
  const int x = threadIdx.x;
  if (!src) {  // the same for the whole block, so the barrier below is reached by all or none
#pragma unroll
    for (int j = 0; j < NP; ++j) s[j] = 0.0f;
    return;
  }
  if (x < N)
    for (int i = 0; i < N; ++i) tile[i * LD + x] = src[int64_t(i) * N + x];
  __syncthreads();
#pragma unroll
  for (int j = 0; j < NP; ++j) s[j] = (x < N && j < N) ? tile[x * LD + j] : 0.0f;
}

template <int NP>
__device__ __forceinline__ void store_state_rows(float* dst, const float (&s)[NP], float* tile, int N) {
  constexpr int LD = NP + 1;
  const int x = threadIdx.x;
  if (x < N) {
#pragma unroll
    for (int j = 0; j < NP; ++j)
      if (j < N) tile[x * LD + j] = s[j];
  }
  __syncthreads();
  if (x < N)
    for (int i = 0; i < N; ++i) dst[int64_t(i) * N + x] = tile[i * LD + x];
}

// Blocks of NP threads, one (batch, head) each (grid-stride over the B*H tasks). boundary gets the
// state before every step t with t % Q == 0, transposed, at (task*chunks + t/Q)*N*N.
template <int NP>
__global__ void __launch_bounds__(NP)
    forward_kernel(float* y, float* boundary, float* state_out, Inputs in, const float* state_in,
                   int64_t tasks, int64_t Q, int64_t chunks) {
  __shared__ float keys[2 * 5 * NP];
  __shared__ float tile[NP * (NP + 1)];
  const int x = threadIdx.x, N = static_cast<int>(in.N);
  const int64_t NN = in.N * in.N;
  unsigned tick = 0;
  for (int64_t task = blockIdx.x; task < tasks; task += gridDim.x) {
    const int64_t base = in.base(task);
    float s[NP];
    load_state_rows<NP>(s, tile, state_in ? state_in + task * NN : nullptr, N);
    for (int64_t t = 0; t < in.T; ++t) {
      if (boundary && t % Q == 0)
        wkv7::store_row_transposed<NP>(boundary + (task * chunks + t / Q) * NN, s, N);
      const int64_t o = base + t * in.C;
      const float yx = wkv7::replay_step<NP>(s, keys, tick, in, o);
      if (y && x < N) y[o + x] = yx;
    }
    if (state_out) store_state_rows<NP>(state_out + task * NN, s, tile, N);
    __syncthreads();  // the next task reuses keys and tile
  }
}

template <int NP>
void launch_forward(const CudaContext& ctx, float* y, float* boundary, float* state_out, const Inputs& in,
                    const float* state_in, int64_t tasks, int64_t Q, const char* op) {
  const unsigned grid = static_cast<unsigned>(wkv7::min64(tasks, int64_t(1) << 30));
  forward_kernel<NP><<<grid, NP, 0, stream_of(ctx)>>>(y, boundary, state_out, in, state_in, tasks, Q,
                                                      wkv7::ceil_div(in.T, Q));
  check_launch(op);
}

}  // namespace

void wkv7_forward(const CudaContext& ctx, float* y, float* boundary, float* state_out, const float* r,
                  const float* logw, const float* k, const float* v, const float* a, const float* b,
                  const float* state_in, int64_t B, int64_t T, int64_t H, int64_t N, const Wkv7Options& opt) {
  const char* op = "cuda wkv7_forward";
  wkv7::validate_sizes(op, B, T, H, N, opt);
  for (auto [name, p] :
       {std::pair<const char*, const void*>{"r", r}, {"logw", logw}, {"k", k}, {"v", v}, {"a", a}, {"b", b}})
    wkv7::require_pointer(op, name, p);
  const Inputs in{r, logw, k, v, a, b, T, H, N, H * N};
  const int64_t tasks = B * H, Q = opt.chunk_len;
  switch (wkv7::padded_head(N)) {
    case 16:
      return launch_forward<16>(ctx, y, boundary, state_out, in, state_in, tasks, Q, op);
    case 32:
      return launch_forward<32>(ctx, y, boundary, state_out, in, state_in, tasks, Q, op);
    default:
      return launch_forward<64>(ctx, y, boundary, state_out, in, state_in, tasks, Q, op);
  }
}

}  // namespace rwkvs::kernels::cuda
