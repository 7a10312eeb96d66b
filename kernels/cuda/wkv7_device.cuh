#pragma once
// Pieces of the WKV-7 CUDA kernels shared by forward and backward: launcher checks, the head's
// inputs, and the per-thread row of the state in registers. Internal to kernels/cuda/wkv7_*.cu.
//
// A block has NP threads (NP = 16, 32 or 64, the head size N rounded up), thread x owning value row
// x. Register rows are NP long so that every index is a compile-time constant; the padding keys
// j >= N see r = w = k = a = b = 0 and the padding rows x >= N see v = 0, so their state entries
// start at zero and stay zero, and nothing is written for them.
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/wkv7.h"

namespace rwkvs::kernels::cuda::wkv7 {

inline __host__ __device__ int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline __host__ __device__ int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// N rounded up to the register row length of the kernel that serves it.
inline int padded_head(int64_t N) { return N <= 16 ? 16 : N <= 32 ? 32 : 64; }

inline void validate_sizes(const char* op, int64_t B, int64_t T, int64_t H, int64_t N,
                           const Wkv7Options& opt) {
  if (B < 1 || T < 1 || H < 1 || N < 1)
    fail(op, ": sizes must be positive, got B=", B, " T=", T, " H=", H, " N=", N);
  if (N > kWkv7MaxHeadSize)
    fail(op, ": head size N=", N, " is above the supported maximum of ", kWkv7MaxHeadSize,
         " (one thread per value row of the state); use the CPU kernel for wider heads");
  if (opt.chunk_len < 1) fail(op, ": chunk length must be >= 1, got ", opt.chunk_len);
}
inline void require_pointer(const char* op, const char* name, const void* p) {
  if (!p) fail(op, ": ", name, " must not be null");
}

// The (B, T, H, N) inputs and the sizes; element (b, t, h, i) is at (b*T + t)*C + h*N + i.
struct Inputs {
  const float *r, *logw, *k, *v, *a, *b;
  int64_t T, H, N, C;
  __device__ int64_t base(int64_t task) const { return (task / H) * T * C + (task % H) * N; }
};

// One step's key vectors in shared memory, each NP long: r, w = exp(logw), k, a, b.
template <int NP>
struct StepKeys {
  float* p;
  __device__ const float* r() const { return p; }
  __device__ const float* w() const { return p + NP; }
  __device__ const float* k() const { return p + 2 * NP; }
  __device__ const float* a() const { return p + 3 * NP; }
  __device__ const float* b() const { return p + 4 * NP; }
};

// Fills keys (5 * NP floats) with step o's vectors (zero past N) and returns this thread's v. The
// caller synchronises before the keys are read.
template <int NP>
__device__ __forceinline__ float load_step(float* keys, const Inputs& in, int64_t o) {
  const int x = threadIdx.x;
  const bool on = x < in.N;
  keys[x] = on ? __ldg(in.r + o + x) : 0.0f;
  keys[NP + x] = on ? expf(__ldg(in.logw + o + x)) : 0.0f;
  keys[2 * NP + x] = on ? __ldg(in.k + o + x) : 0.0f;
  keys[3 * NP + x] = on ? __ldg(in.a + o + x) : 0.0f;
  keys[4 * NP + x] = on ? __ldg(in.b + o + x) : 0.0f;
  return on ? __ldg(in.v + o + x) : 0.0f;
}

// Row x of one step: sa = S_{t-1}[x] . a, then S_t[x][j] = S[x][j] w_j + sa b_j + v_x k_j; returns
// y_x = S_t[x] . r.
template <int NP>
__device__ __forceinline__ float step_row(float (&s)[NP], StepKeys<NP> keys, float v) {
  const float *r = keys.r(), *w = keys.w(), *k = keys.k(), *a = keys.a(), *b = keys.b();
  float sa = 0.0f;
#pragma unroll
  for (int j = 0; j < NP; ++j) sa += s[j] * a[j];
  float y = 0.0f;
#pragma unroll
  for (int j = 0; j < NP; ++j) {
    s[j] = s[j] * w[j] + sa * b[j] + v * k[j];
    y += s[j] * r[j];
  }
  return y;
}

// One step of the block from s: the keys go to the half of 'keys' (2 x 5 * NP floats) that 'tick'
// selects, so the next step's loads never overwrite keys a slower thread is still reading (one
// barrier per step). Returns y_x of the step.
template <int NP>
__device__ __forceinline__ float replay_step(float (&s)[NP], float* keys, unsigned& tick, const Inputs& in,
                                             int64_t o) {
  float* half = keys + (tick++ & 1u) * 5 * NP;
  const float v = load_step<NP>(half, in, o);
  __syncthreads();
  return step_row<NP>(s, StepKeys<NP>{half}, v);
}

// Row x of a state stored transposed ([key][value], N x N, the boundary layout): coalesced, since
// neighbouring threads touch neighbouring values. A null src is the zero state.
template <int NP>
__device__ __forceinline__ void load_row_transposed(float (&s)[NP], const float* src, int N) {
  const int x = threadIdx.x;
#pragma unroll
  for (int j = 0; j < NP; ++j) s[j] = (src && x < N && j < N) ? src[j * N + x] : 0.0f;
}
template <int NP>
__device__ __forceinline__ void store_row_transposed(float* dst, const float (&s)[NP], int N) {
  const int x = threadIdx.x;
  if (x >= N) return;
#pragma unroll
  for (int j = 0; j < NP; ++j)
    if (j < N) dst[j * N + x] = s[j];
}

}  // namespace rwkvs::kernels::cuda::wkv7
