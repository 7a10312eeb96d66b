// CTC loss on the GPU (kernels/cuda/ctc_loss.h): the recursion of kernels/ctc_loss.h in double and
// in log space, as the CPU reference computes it, over float logits. Three launches on ctx's stream:
//   1. frame_lse: the log-sum-exp of every frame's logits (frames t < N), one warp per frame.
//   2. ctc_alpha: one block per sequence walks frames 0..N-1, its threads over the states s (two
//      rows in shared memory); alpha is stored for every frame when a gradient follows, and
//      log p = lse(alpha_{N-1}(2U), alpha_{N-1}(2U-1)).
//   3. ctc_beta_grad: one block per sequence walks frames N-1..0 with two rows of beta, and
//      writes frame t's gradient from occ_t(s) = exp(alpha_t(s) + beta_t(s) - log p):
//        dlogits[t, v] = scale * (softmax_v - sum_{s: l'_s = v} occ_t(s))
//      The blank's states are summed by a block reduction; a label class is summed along the chain
//      of its equal labels by the thread owning its first occurrence, so the sums are
//      deterministic. Frame t's logits are read (emissions, softmax) before frame t's gradient is
//      written and never after, so dlogits may be the logits.
// Double matters here: in float, log alpha of a 2,000-frame sequence reaches the thousands (and
// kept relative to each frame's best state, the states that carry the probability sit hundreds
// below it), where float keeps ~1e-5 absolute and every step adds to the error; float versions of
// these kernels were off by up to 2e-4 of the largest gradient on long random sequences, this one
// by ~1e-7, the rounding of the float logits and gradients themselves.
// The per-sequence rules (infeasible, invalid, blank only, N = 0) are those of kernels/ctc_loss.h.
#include <cmath>

#include "kernels/cuda/ctc_loss.h"
#include "kernels/cuda/launch.cuh"

namespace rwkvs::kernels::cuda {
namespace {

enum Status : int { kOk = 0, kInfeasible = 1, kInvalid = 2 };

// log(e^a + e^b), exact for -inf arguments.
__device__ __forceinline__ double log_add(double a, double b) {
  const double m = fmax(a, b);
  if (m == -INFINITY) return m;
  return m + log1p(exp(-fabs(a - b)));
}

__global__ void frame_lse_kernel(double* lse, const float* logits, const int64_t* input_lengths, int64_t B,
                                 int64_t T, int64_t V) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32; row < B * T;
       row += warps) {
    if (row % T >= input_lengths[row / T]) continue;  // the same for the whole warp
    const float* x = logits + row * V;
    float m = -INFINITY;
    for (int64_t v = lane; v < V; v += 32) m = fmaxf(m, x[v]);
    m = warp_max(m);
    double s = 0;
    for (int64_t v = lane; v < V; v += 32) s += exp(static_cast<double>(x[v]) - m);
    s = warp_sum(s);
    if (lane == 0) lse[row] = m + log(s);
  }
}

struct Sequence {
  int64_t N, U, L;  // input length, labels, states 2U+1
  int status;
};

// The extended labels of a sequence in shared memory.
struct States {
  int32_t* label;       // (L) l'_s: blank at even s, l_{(s+1)/2} at odd s
  unsigned char* skip;  // (L) whether a path may go from s-2 straight to s
};

// Reads sequence b's lengths and labels; the whole block takes part. For a valid, feasible
// sequence fills st[0, L) and returns kOk; the labels of an invalid one are only range-checked.
__device__ Sequence load_sequence(int64_t b, const int64_t* input_lengths, const int32_t* labels,
                                  const int64_t* label_lengths, int64_t T, int64_t V, int64_t S,
                                  int32_t blank, States st, int* ishared) {
  Sequence q;
  q.N = input_lengths[b];
  q.U = label_lengths[b];
  const bool sizes_ok = q.N >= 0 && q.N <= T && q.U >= 0 && q.U <= S;
  if (!sizes_ok) q.U = 0;
  const int32_t* l = labels + b * S;
  int bad = 0, repeats = 0;
  for (int64_t i = threadIdx.x; i < q.U; i += blockDim.x) {
    const int32_t c = l[i];
    bad += c < 0 || c >= V || c == blank;
    repeats += i > 0 && l[i - 1] == c;
  }
  bad = block_sum(bad, ishared);
  repeats = block_sum(repeats, ishared);
  q.L = 2 * q.U + 1;
  q.status = !sizes_ok || bad > 0 ? kInvalid : q.U + repeats > q.N ? kInfeasible : kOk;
  if (q.status == kOk)
    for (int64_t s = threadIdx.x; s < q.L; s += blockDim.x) {
      st.label[s] = s % 2 == 1 ? l[s / 2] : blank;
      st.skip[s] = s % 2 == 1 && s >= 3 && l[s / 2] != l[s / 2 - 1];
    }
  __syncthreads();
  return q;
}

// Shared memory of the two sequence kernels, for S labels (Lmax = 2S+1 states).
size_t alpha_shared_bytes(int64_t S) {  // prev, cur; label, skip
  const size_t L = static_cast<size_t>(2 * S + 1);
  return L * (2 * sizeof(double) + sizeof(int32_t) + 1);
}
size_t beta_shared_bytes(int64_t S) {  // beta, next_beta, emit, occ; label, skip; next_same, first
  const size_t L = static_cast<size_t>(2 * S + 1), U = static_cast<size_t>(S > 0 ? S : 1);
  return L * (4 * sizeof(double) + sizeof(int32_t) + 1) + U * (sizeof(int32_t) + 1);
}

// losses (B); logp (B) = log p in double; alpha (B, T, Lmax) when not null.
__global__ void ctc_alpha_kernel(float* losses, double* logp, double* alpha, const float* logits,
                                 const double* lse, const int64_t* input_lengths, const int32_t* labels,
                                 const int64_t* label_lengths, int64_t B, int64_t T, int64_t V, int64_t S,
                                 int32_t blank) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ int ishared[32];
  const int64_t Lmax = 2 * S + 1;
  double* prev = reinterpret_cast<double*>(smem);
  double* cur = prev + Lmax;
  States st;
  st.label = reinterpret_cast<int32_t*>(cur + Lmax);
  st.skip = reinterpret_cast<unsigned char*>(st.label + Lmax);
  for (int64_t b = blockIdx.x; b < B; b += gridDim.x) {
    const Sequence q = load_sequence(b, input_lengths, labels, label_lengths, T, V, S, blank, st, ishared);
    if (q.status != kOk || q.N == 0) {  // here N = 0 means U = 0: probability 1
      if (threadIdx.x == 0) {
        const double lp = q.status == kInvalid ? NAN : q.status == kInfeasible ? -INFINITY : 0.0;
        logp[b] = lp;
        losses[b] = static_cast<float>(-lp);
      }
    } else {
      const float* x = logits + b * T * V;
      const int64_t L = q.L;
      for (int64_t t = 0; t < q.N; ++t) {
        const float* xt = x + t * V;
        const double lt = lse[b * T + t];
        for (int64_t s = threadIdx.x; s < L; s += blockDim.x) {
          double a;
          if (t == 0) {
            a = s < 2 ? 0.0 : -INFINITY;
          } else {
            a = prev[s];
            if (s >= 1) a = log_add(a, prev[s - 1]);
            if (st.skip[s]) a = log_add(a, prev[s - 2]);
          }
          if (a != -INFINITY) a += xt[st.label[s]] - lt;
          cur[s] = a;
          if (alpha) alpha[(b * T + t) * Lmax + s] = a;
        }
        __syncthreads();
        double* const done = cur;
        cur = prev;
        prev = done;
      }
      if (threadIdx.x == 0) {
        const double lp = L > 1 ? log_add(prev[L - 1], prev[L - 2]) : prev[0];
        logp[b] = lp;
        losses[b] = static_cast<float>(-lp);
      }
    }
    __syncthreads();
  }
}

__global__ void ctc_beta_grad_kernel(float* dlogits, const float* logits, const double* lse,
                                     const double* alpha, const double* logp, const int64_t* input_lengths,
                                     const int32_t* labels, const int64_t* label_lengths, const float* scales,
                                     int64_t B, int64_t T, int64_t V, int64_t S, int32_t blank) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ int ishared[32];
  __shared__ double dshared[32];
  const int64_t Lmax = 2 * S + 1, Umax = S > 0 ? S : 1;
  double* beta = reinterpret_cast<double*>(smem);
  double* next_beta = beta + Lmax;
  double* emit = next_beta + Lmax;  // y_t(l'_s)
  double* occ = emit + Lmax;        // occ_t(s)
  States st;
  st.label = reinterpret_cast<int32_t*>(occ + Lmax);
  int32_t* next_same = st.label + Lmax;  // (U) index of the next equal label, or -1
  st.skip = reinterpret_cast<unsigned char*>(next_same + Umax);
  unsigned char* first = st.skip + Lmax;  // (U) whether no earlier label is equal
  for (int64_t b = blockIdx.x; b < B; b += gridDim.x) {
    const Sequence q = load_sequence(b, input_lengths, labels, label_lengths, T, V, S, blank, st, ishared);
    const double lp = logp[b];
    const bool grad = q.status == kOk && isfinite(lp);
    float* d = dlogits + b * T * V;
    for (int64_t i = (grad ? q.N : 0) * V + threadIdx.x; i < T * V; i += blockDim.x) d[i] = 0.0f;
    if (grad && q.N > 0) {
      const float* x = logits + b * T * V;
      const int64_t L = q.L, U = q.U;
      const double scale = scales ? scales[b] : 1.0;
      for (int64_t i = threadIdx.x; i < U; i += blockDim.x) {
        const int32_t c = st.label[2 * i + 1];
        bool is_first = true;
        for (int64_t j = 0; j < i && is_first; ++j) is_first = st.label[2 * j + 1] != c;
        int32_t next = -1;
        for (int64_t j = i + 1; j < U && next < 0; ++j)
          if (st.label[2 * j + 1] == c) next = static_cast<int32_t>(j);
        first[i] = is_first;
        next_same[i] = next;
      }
      for (int64_t s = threadIdx.x; s < L; s += blockDim.x) beta[s] = s >= L - 2 ? 0.0 : -INFINITY;
      __syncthreads();
      for (int64_t t = q.N - 1; t >= 0; --t) {
        const float* xt = x + t * V;
        float* dt = d + t * V;  // may be xt
        const double lt = lse[b * T + t];
        const double* at = alpha + (b * T + t) * Lmax;
        double blank_occ = 0;
        for (int64_t s = threadIdx.x; s < L; s += blockDim.x) {
          emit[s] = xt[st.label[s]] - lt;
          const double o = exp(at[s] + beta[s] - lp);
          occ[s] = o;
          if (s % 2 == 0) blank_occ += o;
        }
        blank_occ = block_sum(blank_occ, dshared);  // after it, no thread reads xt for emissions
        for (int64_t v = threadIdx.x; v < V; v += blockDim.x) {
          const double p = exp(xt[v] - lt);
          dt[v] = static_cast<float>(scale * (v == blank ? p - blank_occ : p));
        }
        __syncthreads();
        for (int64_t i = threadIdx.x; i < U; i += blockDim.x) {
          if (!first[i]) continue;
          double sum = 0;
          for (int64_t j = i; j >= 0; j = next_same[j]) sum += occ[2 * j + 1];
          dt[st.label[2 * i + 1]] = static_cast<float>(scale * (exp(emit[2 * i + 1]) - sum));
        }
        if (t == 0) break;
        for (int64_t s = threadIdx.x; s < L; s += blockDim.x) {
          double v = emit[s] + beta[s];
          if (s + 1 < L) v = log_add(v, emit[s + 1] + beta[s + 1]);
          if (s + 2 < L && st.skip[s + 2]) v = log_add(v, emit[s + 2] + beta[s + 2]);
          next_beta[s] = v;
        }
        double* const done = next_beta;
        next_beta = beta;
        beta = done;
        __syncthreads();
      }
    }
    __syncthreads();
  }
}

// Threads of the sequence kernels: the states, rounded up to warps, 64 to 512.
int sequence_threads(int64_t S) {
  const int64_t warps = (2 * S + 1 + 31) / 32;
  return static_cast<int>(std::min<int64_t>(std::max<int64_t>(warps * 32, 64), 512));
}

// Allows 'kernel' 'bytes' of dynamic shared memory, or fails naming S when the device cannot.
void allow_shared(const void* kernel, size_t bytes, const char* op, int64_t S) {
  constexpr size_t kDefault = 48 * 1024, kStatic = 32 * (sizeof(int) + sizeof(double));
  if (bytes + kStatic <= kDefault) return;
  int device = 0, limit = 0;
  check_cuda(cudaGetDevice(&device), op, "cudaGetDevice");
  check_cuda(cudaDeviceGetAttribute(&limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, device), op,
             "cudaDeviceGetAttribute");
  if (bytes + kStatic > static_cast<size_t>(limit))
    fail(op, ": S = ", S, " labels need ", bytes + kStatic,
         " bytes of shared memory per block, the device has ", limit);
  check_cuda(
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)), op,
      "cudaFuncSetAttribute");
}

void ctc_loss(const char* op, const CudaContext& ctx, float* losses, float* dlogits, const float* logits,
              const int64_t* input_lengths, const int32_t* labels, const int64_t* label_lengths,
              const float* scales, int64_t B, int64_t T, int64_t V, int64_t S, int32_t blank) {
  if (B < 0 || T < 0 || V < 1 || S < 0)
    fail(op, ": sizes must be B, T, S >= 0 and V >= 1, got B = ", B, ", T = ", T, ", V = ", V, ", S = ", S);
  if (blank < 0 || blank >= V) fail(op, ": blank must be in [0, V) = [0, ", V, "), got ", blank);
  if (B == 0) return;
  const cudaStream_t stream = stream_of(ctx);
  const size_t frames = static_cast<size_t>(B * T);
  Scratch<double> lse(ctx, frames, op);
  Scratch<double> logp(ctx, static_cast<size_t>(B), op);
  Scratch<double> alpha(ctx, dlogits ? frames * static_cast<size_t>(2 * S + 1) : 0, op);
  if (frames > 0) {
    frame_lse_kernel<<<grid_for(static_cast<int64_t>(frames) * 32), kThreads, 0, stream>>>(
        lse.get(), logits, input_lengths, B, T, V);
    check_launch(op);
  }
  const unsigned grid = static_cast<unsigned>(std::min<int64_t>(B, int64_t(1) << 30));
  const int threads = sequence_threads(S);
  const size_t alpha_bytes = alpha_shared_bytes(S);
  allow_shared(reinterpret_cast<const void*>(&ctc_alpha_kernel), alpha_bytes, op, S);
  ctc_alpha_kernel<<<grid, threads, alpha_bytes, stream>>>(losses, logp.get(), alpha.get(), logits, lse.get(),
                                                           input_lengths, labels, label_lengths, B, T, V, S,
                                                           blank);
  check_launch(op);
  if (!dlogits) return;
  const size_t beta_bytes = beta_shared_bytes(S);
  allow_shared(reinterpret_cast<const void*>(&ctc_beta_grad_kernel), beta_bytes, op, S);
  ctc_beta_grad_kernel<<<grid, threads, beta_bytes, stream>>>(dlogits, logits, lse.get(), alpha.get(),
                                                              logp.get(), input_lengths, labels,
                                                              label_lengths, scales, B, T, V, S, blank);
  check_launch(op);
}

}  // namespace

void ctc_loss_forward_backward(const CudaContext& ctx, float* losses, float* dlogits, const float* logits,
                               const int64_t* input_lengths, const int32_t* labels,
                               const int64_t* label_lengths, const float* scales, int64_t B, int64_t T,
                               int64_t V, int64_t S, int32_t blank) {
  ctc_loss("cuda ctc_loss_forward_backward", ctx, losses, dlogits, logits, input_lengths, labels,
           label_lengths, scales, B, T, V, S, blank);
}

void ctc_loss_forward(const CudaContext& ctx, float* losses, const float* logits,
                      const int64_t* input_lengths, const int32_t* labels, const int64_t* label_lengths,
                      int64_t B, int64_t T, int64_t V, int64_t S, int32_t blank) {
  ctc_loss("cuda ctc_loss_forward", ctx, losses, nullptr, logits, input_lengths, labels, label_lengths,
           nullptr, B, T, V, S, blank);
}

}  // namespace rwkvs::kernels::cuda
