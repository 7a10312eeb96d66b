// WKV-4 forward on the GPU (kernels/cuda/wkv4.h): through time, or chunk-parallel with a scan.
#include "kernels/cuda/wkv4.h"
#include "kernels/cuda/wkv4_device.cuh"
#include "kernels/cuda/wkv4_scan.cuh"

namespace rwkvs::kernels::cuda {
namespace {

using wkv::Channel;
using wkv::State;

// One thread per (b, c): the whole sequence from state_in, the state at every chunk start into
// boundary (when given), the final state into state_out (when given).
__global__ void __launch_bounds__(kThreads)
    forward_through_time_kernel(float* y, float* boundary, Wkv4State<float> state_out, const float* wd,
                                const float* u, const float* k, const float* v,
                                Wkv4ConstState<float> state_in, int64_t B, int64_t T, int64_t C, int L) {
  const int64_t nchunks = wkv::ceil_div(T, L);
  RWKVS_GRID_STRIDE(i, B * C) {
    const int64_t b = i / C, c = i % C;
    const Channel ch = wkv::channel_of(k, v, wd, u, b, c, T, C);
    float* yc = y ? y + b * T * C + c : nullptr;
    State st = wkv::load_state(state_in, i);
    if (!boundary) {
      wkv::forward_steps(yc, st, ch, 0, T);
    } else {
      for (int64_t ci = 0; ci < nchunks; ++ci) {
        wkv::store_slot(boundary, wkv::slot_at(b, ci, c, nchunks, C), C, st);
        wkv::forward_steps(yc, st, ch, ci * L, wkv::chunk_end(ci, L, T));
      }
    }
    if (state_out.aa) wkv::store_state(state_out, i, st);
  }
}

// One thread per (b, chunk, c): the chunk's summary from the empty state.
__global__ void __launch_bounds__(kThreads)
    chunk_summaries_kernel(float* boundary, const float* wd, const float* u, const float* k, const float* v,
                           int64_t B, int64_t T, int64_t C, int L, int64_t nchunks) {
  RWKVS_GRID_STRIDE(i, B * nchunks * C) {
    const int64_t c = i % C, ci = (i / C) % nchunks, b = i / C / nchunks;
    State st = wkv::empty_state();
    wkv::forward_steps(nullptr, st, wkv::channel_of(k, v, wd, u, b, c, T, C), ci * L,
                       wkv::chunk_end(ci, L, T));
    wkv::store_slot(boundary, wkv::slot_at(b, ci, c, nchunks, C), C, st);
  }
}

// One thread per (b, chunk, c): the chunk's outputs from its incoming state.
__global__ void __launch_bounds__(kThreads)
    chunk_outputs_kernel(float* y, const float* boundary, const float* wd, const float* u, const float* k,
                         const float* v, int64_t B, int64_t T, int64_t C, int L, int64_t nchunks) {
  RWKVS_GRID_STRIDE(i, B * nchunks * C) {
    const int64_t c = i % C, ci = (i / C) % nchunks, b = i / C / nchunks;
    State st = wkv::load_slot(boundary, wkv::slot_at(b, ci, c, nchunks, C), C);
    wkv::forward_steps(y + b * T * C + c, st, wkv::channel_of(k, v, wd, u, b, c, T, C), ci * L,
                       wkv::chunk_end(ci, L, T));
  }
}

__global__ void state_reset_kernel(Wkv4State<float> s, int64_t n) {
  RWKVS_GRID_STRIDE(i, n) wkv::store_state(s, i, wkv::empty_state());
}

}  // namespace

// Below this many channels per multiprocessor a thread per (b, c) leaves the GPU mostly idle.
constexpr int64_t kThroughTimeChannelsPerSm = 128;

Wkv4Schedule wkv4_resolve_schedule(const CudaContext& ctx, const Wkv4Options& opt, int64_t B, int64_t T,
                                   int64_t C) {
  if (opt.schedule != Wkv4Schedule::automatic) return opt.schedule;
  const int64_t sms = ctx.sm_count > 0 ? ctx.sm_count : 132;
  return B * C >= kThroughTimeChannelsPerSm * sms ? Wkv4Schedule::through_time : Wkv4Schedule::chunk_parallel;
}

void wkv4_state_reset(const CudaContext& ctx, Wkv4State<float> state, int64_t B, int64_t C) {
  const char* op = "cuda wkv4_state_reset";
  require_positive(op, "B, C", B, C);
  wkv::validate_state(op, "state", state);
  wkv::require_pointer(op, "state", state.aa);
  state_reset_kernel<<<grid_for(B * C), kThreads, 0, stream_of(ctx)>>>(state, B * C);
  check_launch(op);
}

void wkv4_forward(const CudaContext& ctx, float* y, float* boundary, Wkv4State<float> state_out,
                  const float* w, const float* u, const float* k, const float* v,
                  Wkv4ConstState<float> state_in, int64_t B, int64_t T, int64_t C, const Wkv4Options& opt) {
  const char* op = "cuda wkv4_forward";
  wkv::validate_sizes(op, B, T, C, opt);
  wkv::validate_state(op, "state_in", state_in);
  wkv::validate_state(op, "state_out", state_out);
  for (auto [name, p] : {std::pair<const char*, const void*>{"w", w}, {"u", u}, {"k", k}, {"v", v}})
    wkv::require_pointer(op, name, p);
  const int L = opt.chunk_len;
  const int64_t nchunks = wkv::ceil_div(T, L);
  Scratch<float> wd(ctx, static_cast<size_t>(C), op);
  wkv::decay_of(ctx, wd.get(), w, C, op);
  const cudaStream_t s = stream_of(ctx);
  if (wkv4_resolve_schedule(ctx, opt, B, T, C) == Wkv4Schedule::through_time) {
    forward_through_time_kernel<<<grid_for(B * C), kThreads, 0, s>>>(y, boundary, state_out, wd.get(), u, k,
                                                                     v, state_in, B, T, C, L);
    check_launch(op);
    return;
  }
  Scratch<float> local(ctx, boundary ? 0 : wkv4_boundary_size(B, T, C, L), op);
  float* slots = boundary ? boundary : local.get();
  chunk_summaries_kernel<<<grid_for(B * nchunks * C), kThreads, 0, s>>>(slots, wd.get(), u, k, v, B, T, C, L,
                                                                        nchunks);
  check_launch(op);
  Scratch<float> seed(ctx, static_cast<size_t>(3 * B * C), op);
  wkv::seed_from_state(ctx, seed.get(), state_in, B * C, op);
  wkv::scan_chunk_summaries(ctx, slots, seed.get(), state_out, wd.get(), B, T, C, L, /*reverse=*/false, op);
  if (y) {
    chunk_outputs_kernel<<<grid_for(B * nchunks * C), kThreads, 0, s>>>(y, slots, wd.get(), u, k, v, B, T, C,
                                                                        L, nchunks);
    check_launch(op);
  }
}

}  // namespace rwkvs::kernels::cuda
