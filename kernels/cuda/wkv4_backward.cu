// WKV-4 backward on the GPU (kernels/cuda/wkv4.h). Both schedules walk each chunk backwards from
// its boundary state (wkv::backward_steps). Through time, one thread per (b, c) carries the adjoint
// across chunks. Chunk-parallel: every chunk's adjoint summary from an empty adjoint at its end,
// a right-to-left scan of the summaries, then every chunk's gradients from its true adjoint.
#include "kernels/cuda/column_sums.cuh"
#include "kernels/cuda/wkv4.h"
#include "kernels/cuda/wkv4_device.cuh"
#include "kernels/cuda/wkv4_scan.cuh"

namespace rwkvs::kernels::cuda {
namespace {

using wkv::Channel;
using wkv::ChannelGrads;
using wkv::State;

struct BackwardArgs {
  float* gk;
  float* gv;
  const float* gy;
  const float* y;
  const float* k;
  const float* v;
  const float* wd;
  const float* u;
  const float* boundary;  // (B, nchunks, 3, C) forward state at every chunk start
  int64_t B, T, C, nchunks;
  int L;
  __device__ Channel channel(int64_t b, int64_t c) const { return wkv::channel_of(k, v, wd, u, b, c, T, C); }
  __device__ ChannelGrads grads(int64_t b, int64_t c, bool write) const {
    const int64_t base = b * T * C + c;
    return {y + base, gy + base, write ? gk + base : nullptr, write ? gv + base : nullptr};
  }
  __device__ State start_state(int64_t b, int64_t ci, int64_t c) const {
    return wkv::load_slot(boundary, wkv::slot_at(b, ci, c, nchunks, C), C);
  }
};

// seed (3, B*C): the adjoint at the end of the sequence. From dL/d(aa, bb) of the final state it
// is (gaa, gbb, -pp_T) (alpha_T = dL/daa e^{-pp_T}); pp_T comes from replaying the last chunk.
// Without a final-state gradient it is the empty adjoint.
__global__ void seed_adjoint_kernel(float* seed, BackwardArgs a, Wkv4ConstState<float> gstate_out) {
  const int64_t n = a.B * a.C;
  RWKVS_GRID_STRIDE(i, n) {
    State adj = wkv::empty_state();
    if (gstate_out.aa) {
      const int64_t b = i / a.C, c = i % a.C, last = a.nchunks - 1;
      State st = a.start_state(b, last, c);
      wkv::forward_steps(nullptr, st, a.channel(b, c), last * a.L, a.T);
      adj = {gstate_out.aa[i], gstate_out.bb[i], -st.pp};
    }
    seed[i] = adj.aa;
    seed[n + i] = adj.bb;
    seed[2 * n + i] = adj.pp;
  }
}

// One thread per (b, c): all chunks from the last, carrying the adjoint. part (B, 2, C): the
// sequence's d/dw' and d/du sums.
__global__ void __launch_bounds__(kThreads)
    backward_through_time_kernel(float* part, Wkv4State<float> gstate_in, BackwardArgs a, const float* seed,
                                 Wkv4ConstState<float> state_in) {
  const int64_t n = a.B * a.C;
  RWKVS_GRID_STRIDE(i, n) {
    const int64_t b = i / a.C, c = i % a.C;
    const Channel ch = a.channel(b, c);
    const ChannelGrads g = a.grads(b, c, true);
    State adj = {seed[i], seed[n + i], seed[2 * n + i]};
    float gwp = 0, gu = 0;
    for (int64_t ci = a.nchunks - 1; ci >= 0; --ci)
      wkv::backward_steps(g, gwp, gu, adj, a.start_state(b, ci, c), ch, ci * a.L,
                          wkv::chunk_end(ci, a.L, a.T));
    part[(b * 2 + 0) * a.C + c] = gwp;
    part[(b * 2 + 1) * a.C + c] = gu;
    if (gstate_in.aa) wkv::store_initial_state_grad(gstate_in, i, adj, state_in);
  }
}

// One thread per (b, chunk, c): the adjoint at the chunk's start from an empty adjoint at its end.
__global__ void __launch_bounds__(kThreads) adjoint_summaries_kernel(float* adjoints, BackwardArgs a) {
  RWKVS_GRID_STRIDE(i, a.B * a.nchunks * a.C) {
    const int64_t c = i % a.C, ci = (i / a.C) % a.nchunks, b = i / a.C / a.nchunks;
    State adj = wkv::empty_state();
    float unused_w = 0, unused_u = 0;
    wkv::backward_steps(a.grads(b, c, false), unused_w, unused_u, adj, a.start_state(b, ci, c),
                        a.channel(b, c), ci * a.L, wkv::chunk_end(ci, a.L, a.T));
    wkv::store_slot(adjoints, wkv::slot_at(b, ci, c, a.nchunks, a.C), a.C, adj);
  }
}

// One thread per (b, chunk, c): gk, gv of the chunk from its true adjoint at its end (adjoints,
// after the scan); part (B * nchunks, 2, C): the chunk's d/dw' and d/du sums.
__global__ void __launch_bounds__(kThreads)
    chunk_gradients_kernel(float* part, Wkv4State<float> gstate_in, const float* adjoints, BackwardArgs a,
                           Wkv4ConstState<float> state_in) {
  RWKVS_GRID_STRIDE(i, a.B * a.nchunks * a.C) {
    const int64_t c = i % a.C, ci = (i / a.C) % a.nchunks, b = i / a.C / a.nchunks;
    State adj = wkv::load_slot(adjoints, wkv::slot_at(b, ci, c, a.nchunks, a.C), a.C);
    float gwp = 0, gu = 0;
    wkv::backward_steps(a.grads(b, c, true), gwp, gu, adj, a.start_state(b, ci, c), a.channel(b, c), ci * a.L,
                        wkv::chunk_end(ci, a.L, a.T));
    const int64_t row = b * a.nchunks + ci;
    part[(row * 2 + 0) * a.C + c] = gwp;
    part[(row * 2 + 1) * a.C + c] = gu;
    if (ci == 0 && gstate_in.aa) wkv::store_initial_state_grad(gstate_in, b * a.C + c, adj, state_in);
  }
}

// Field f of row r of a (rows, 2, C) array of per-row gradient sums.
struct PartTerm {
  const float* part;
  int64_t C;
  int f;
  __device__ float operator()(int64_t r, int64_t c) const { return part[(r * 2 + f) * C + c]; }
};

}  // namespace

void wkv4_backward(const CudaContext& ctx, float* gk, float* gv, float* gw, float* gu,
                   Wkv4State<float> gstate_in, const float* gy, Wkv4ConstState<float> gstate_out,
                   const float* w, const float* u, const float* k, const float* v, const float* y,
                   const float* boundary, Wkv4ConstState<float> state_in, int64_t B, int64_t T, int64_t C,
                   const Wkv4Options& opt) {
  const char* op = "cuda wkv4_backward";
  wkv::validate_sizes(op, B, T, C, opt);
  wkv::validate_state(op, "gstate_in", gstate_in);
  wkv::validate_state(op, "state_in", state_in);
  if ((gstate_out.aa == nullptr) != (gstate_out.bb == nullptr))
    fail(op, ": gstate_out needs both aa and bb, or neither");
  for (auto [name, p] : {std::pair<const char*, const void*>{"gk", gk},
                         {"gv", gv},
                         {"gw", gw},
                         {"gu", gu},
                         {"gy", gy},
                         {"w", w},
                         {"u", u},
                         {"k", k},
                         {"v", v},
                         {"y", y}})
    wkv::require_pointer(op, name, p);
  const int L = opt.chunk_len;
  const int64_t nchunks = wkv::ceil_div(T, L);
  const cudaStream_t s = stream_of(ctx);
  const Wkv4Schedule schedule = wkv4_resolve_schedule(ctx, opt, B, T, C);
  Scratch<float> wd(ctx, static_cast<size_t>(C), op);
  wkv::decay_of(ctx, wd.get(), w, C, op);
  Scratch<float> local(ctx, boundary ? 0 : wkv4_boundary_size(B, T, C, L), op);
  if (!boundary) {  // recompute the chunk-boundary states with the same schedule's forward
    wkv4_forward(ctx, nullptr, local.get(), {}, w, u, k, v, state_in, B, T, C, {L, schedule});
    boundary = local.get();
  }
  const BackwardArgs a{gk, gv, gy, y, k, v, wd.get(), u, boundary, B, T, C, nchunks, L};
  Scratch<float> seed(ctx, static_cast<size_t>(3 * B * C), op);
  seed_adjoint_kernel<<<grid_for(B * C), kThreads, 0, s>>>(seed.get(), a, gstate_out);
  check_launch(op);

  // per-row d/dw', d/du sums, (rows, 2, C): one row per sequence, or per (sequence, chunk)
  const bool through_time = schedule == Wkv4Schedule::through_time;
  const int64_t rows = through_time ? B : B * nchunks;
  Scratch<float> part(ctx, static_cast<size_t>(rows * 2 * C), op);
  if (through_time) {
    backward_through_time_kernel<<<grid_for(B * C), kThreads, 0, s>>>(part.get(), gstate_in, a, seed.get(),
                                                                      state_in);
    check_launch(op);
  } else {
    Scratch<float> adjoints(ctx, wkv4_boundary_size(B, T, C, L), op);
    adjoint_summaries_kernel<<<grid_for(B * nchunks * C), kThreads, 0, s>>>(adjoints.get(), a);
    check_launch(op);
    wkv::scan_chunk_summaries(ctx, adjoints.get(), seed.get(), {}, wd.get(), B, T, C, L, /*reverse=*/true,
                              op);
    chunk_gradients_kernel<<<grid_for(B * nchunks * C), kThreads, 0, s>>>(part.get(), gstate_in,
                                                                          adjoints.get(), a, state_in);
    check_launch(op);
  }
  // batch (and chunk) reduction; the chain rule through w' = -exp(w) scales d/dw' by w'
  accumulate_column_sums(ctx, gw, wd.get(), PartTerm{part.get(), C, 0}, rows, C, op);
  accumulate_column_sums(ctx, gu, nullptr, PartTerm{part.get(), C, 1}, rows, C, op);
}

}  // namespace rwkvs::kernels::cuda
