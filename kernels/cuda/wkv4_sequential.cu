// The official one-thread-per-channel WKV-4 design (spec §4.2 and §6, RWKV-LM v4neo wkv_cuda.cu),
// kept as the benchmark baseline for the chunked kernels. Written out with the spec's formulas and
// __expf (the official extension builds with --use_fast_math). The only change from the original:
// the per-step q_t, r_t live in global (B, T, C) buffers instead of per-thread T_MAX arrays.
#include "kernels/cuda/column_sums.cuh"
#include "kernels/cuda/wkv4.h"
#include "kernels/cuda/wkv4_device.cuh"
#include "kernels/cuda/wkv4_scan.cuh"

namespace rwkvs::kernels::cuda {
namespace {

__global__ void sequential_forward_kernel(float* y, const float* wd, const float* u, const float* k,
                                          const float* v, int64_t B, int64_t T, int64_t C) {
  RWKVS_GRID_STRIDE(i, B * C) {
    const int64_t b = i / C, c = i % C, base = b * T * C + c;
    const float w = wd[c], uc = u[c];
    float aa = 0, bb = 0, pp = kWkvEmpty;
    for (int64_t t = 0; t < T; ++t) {
      const int64_t ii = base + t * C;
      const float kt = k[ii], vt = v[ii];
      float o = uc + kt;
      float p = fmaxf(pp, o);
      float e1 = __expf(pp - p), e2 = __expf(o - p);
      y[ii] = (e1 * aa + e2 * vt) / (e1 * bb + e2);
      o = pp + w;
      p = fmaxf(o, kt);
      e1 = __expf(o - p);
      e2 = __expf(kt - p);
      aa = e1 * aa + e2 * vt;
      bb = e1 * bb + e2;
      pp = p;
    }
  }
}

// part (B, 2, C): per-sequence d/dw' and d/du.
__global__ void sequential_backward_kernel(float* gk, float* gv, float* part, float* q, float* r,
                                           const float* gy, const float* wd, const float* u, const float* k,
                                           const float* v, const float* y, int64_t B, int64_t T, int64_t C) {
  RWKVS_GRID_STRIDE(i, B * C) {
    const int64_t b = i / C, c = i % C, base = b * T * C + c;
    const float w = wd[c], uc = u[c];
    // pass 1, forward in time: gw, gu and the per-step q_t, r_t
    float aa = 0, bb = 0, pp = kWkvEmpty, ga = 0, gb = 0, sw = 0, su = 0;
    for (int64_t t = 0; t < T; ++t) {
      const int64_t ii = base + t * C;
      const float kt = k[ii], vt = v[ii], yt = y[ii];
      float o = uc + kt;
      float p = fmaxf(pp, o);
      float e1 = __expf(pp - p), e2 = __expf(o - p);
      const float qt = gy[ii] / (e1 * bb + e2);
      sw += (ga - gb * yt) * e1 * qt;
      su += (vt - yt) * e2 * qt;
      q[ii] = qt;
      r[ii] = o - p;
      o = w + pp;
      p = fmaxf(o, kt);
      e1 = __expf(o - p);
      e2 = __expf(kt - p);
      ga = e1 * (aa + ga);
      gb = e1 * (bb + gb);
      aa = e1 * aa + e2 * vt;
      bb = e1 * bb + e2;
      pp = p;
    }
    part[(b * 2 + 0) * C + c] = sw;
    part[(b * 2 + 1) * C + c] = su;
    // pass 2, backward in time: gk, gv
    float al = 0, be = 0, pr = kWkvEmpty;
    for (int64_t t = T - 1; t >= 0; --t) {
      const int64_t ii = base + t * C;
      const float kt = k[ii], vt = v[ii], yt = y[ii], qt = q[ii], rt = r[ii];
      float e1 = qt * __expf(rt);
      float e2 = __expf(kt + pr);
      gk[ii] = e1 * (vt - yt) + e2 * (al * vt + be);
      gv[ii] = e1 + e2 * al;
      const float o1 = w + pr, o2 = rt - uc - kt;
      const float p = fmaxf(o1, o2);
      e1 = __expf(o1 - p);
      e2 = qt * __expf(o2 - p);
      al = e1 * al + e2;
      be = e1 * be - e2 * yt;
      pr = p;
    }
  }
}

struct PartTerm {
  const float* part;
  int64_t C;
  int f;
  __device__ float operator()(int64_t r, int64_t c) const { return part[(r * 2 + f) * C + c]; }
};

void validate(const char* op, int64_t B, int64_t T, int64_t C) { require_positive(op, "B, T, C", B, T, C); }

}  // namespace

void wkv4_sequential_forward(const CudaContext& ctx, float* y, const float* w, const float* u, const float* k,
                             const float* v, int64_t B, int64_t T, int64_t C) {
  const char* op = "cuda wkv4_sequential_forward";
  validate(op, B, T, C);
  Scratch<float> wd(ctx, static_cast<size_t>(C), op);
  wkv::decay_of(ctx, wd.get(), w, C, op);
  sequential_forward_kernel<<<grid_for(B * C), kThreads, 0, stream_of(ctx)>>>(y, wd.get(), u, k, v, B, T, C);
  check_launch(op);
}

void wkv4_sequential_backward(const CudaContext& ctx, float* gk, float* gv, float* gw, float* gu, float* q,
                              float* r, const float* gy, const float* w, const float* u, const float* k,
                              const float* v, const float* y, int64_t B, int64_t T, int64_t C) {
  const char* op = "cuda wkv4_sequential_backward";
  validate(op, B, T, C);
  Scratch<float> wd(ctx, static_cast<size_t>(C), op);
  wkv::decay_of(ctx, wd.get(), w, C, op);
  Scratch<float> part(ctx, static_cast<size_t>(B * 2 * C), op);
  sequential_backward_kernel<<<grid_for(B * C), kThreads, 0, stream_of(ctx)>>>(gk, gv, part.get(), q, r, gy,
                                                                               wd.get(), u, k, v, y, B, T, C);
  check_launch(op);
  accumulate_column_sums(ctx, gw, wd.get(), PartTerm{part.get(), C, 0}, B, C, op);
  accumulate_column_sums(ctx, gu, nullptr, PartTerm{part.get(), C, 1}, B, C, op);
}

}  // namespace rwkvs::kernels::cuda
