// WKV-4 on the CPU: chunked forward and backward for any T (see kernels/wkv4.h for the contract and
// kernels/wkv4_math.h for the per-step arithmetic). Channels are processed in tiles of 32, 8 or 1
// lanes so the compiler vectorises the lane loops; the sequential dependence is only along time.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/error.h"
#include "kernels/wkv4.h"
#include "kernels/wkv4_math.h"

namespace rwkvs::kernels {
namespace {

struct Tile {
  int64_t b;      // batch element
  int64_t c0;     // first channel
  int width;      // 32, 8 or 1
  int64_t chunk;  // chunk index (chunk-parallel schedule), else 0
};

// Channel tiles covering [0, C): as many 32-wide as fit, then 8-wide, then single lanes.
std::vector<std::pair<int64_t, int>> channel_tiles(int64_t C) {
  std::vector<std::pair<int64_t, int>> out;
  int64_t c = 0;
  for (int width : {32, 8, 1})
    for (; c + width <= C; c += width) out.emplace_back(c, width);
  return out;
}

// Calls f.template operator()<W>() with the tile width as a compile-time constant.
template <class F>
void with_width(int width, F&& f) {
  switch (width) {
    case 32: f.template operator()<32>(); break;
    case 8: f.template operator()<8>(); break;
    default: f.template operator()<1>(); break;
  }
}

// Strides of one (b, c0) tile into (B, T, C) arrays.
template <class R>
struct TileIo {
  const R* k;
  const R* v;
  R* y;  // null when only the state is wanted
  int64_t stride;  // C
};

// Runs steps [t0, t1) of one tile from state (aa, bb, pp), writing y when asked.
template <class R, int W>
void forward_tile(TileIo<R> io, R* aa, R* bb, R* pp, const R* wd, const R* u, int64_t t0, int64_t t1) {
  for (int64_t t = t0; t < t1; ++t) {
    const R* kt = io.k + t * io.stride;
    const R* vt = io.v + t * io.stride;
    if (io.y) {
      R* yt = io.y + t * io.stride;
      for (int j = 0; j < W; ++j) {
        yt[j] = wkv_output(aa[j], bb[j], pp[j], u[j], kt[j], vt[j]);
        wkv_update(aa[j], bb[j], pp[j], wd[j], kt[j], vt[j]);
      }
    } else {
      for (int j = 0; j < W; ++j) wkv_update(aa[j], bb[j], pp[j], wd[j], kt[j], vt[j]);
    }
  }
}

// Backward through steps [t0, t1) of one tile. 'state' holds the forward state at t0 (3 x W) and
// is left at t1; 'adj' holds the adjoint (al, be, pr) at t1 and is left at t0. scratch: >= 3*W*(t1-t0).
// gk/gv null: only the adjoint is propagated (chunk summaries).
template <class R, int W>
void backward_tile(R* gk, R* gv, R* gw_prime, R* gu, R* adj, R* state, R* scratch, const R* gy, const R* k,
                   const R* v, const R* y, const R* wd, const R* u, int64_t t0, int64_t t1, int64_t stride) {
  R* aa = state;
  R* bb = state + W;
  R* pp = state + 2 * W;
  for (int64_t t = t0; t < t1; ++t) {
    R* s = scratch + (t - t0) * 3 * W;
    const R* kt = k + t * stride;
    const R* vt = v + t * stride;
    for (int j = 0; j < W; ++j) {
      s[j] = aa[j];
      s[W + j] = bb[j];
      s[2 * W + j] = pp[j];
      wkv_update(aa[j], bb[j], pp[j], wd[j], kt[j], vt[j]);
    }
  }
  R* al = adj;
  R* be = adj + W;
  R* pr = adj + 2 * W;
  R gkl[W], gvl[W];
  for (int64_t t = t1 - 1; t >= t0; --t) {
    const R* s = scratch + (t - t0) * 3 * W;
    const int64_t o = t * stride;
    for (int j = 0; j < W; ++j)
      wkv_step_backward(gkl[j], gvl[j], gw_prime[j], gu[j], al[j], be[j], pr[j], s[j], s[W + j], s[2 * W + j],
                        wd[j], u[j], k[o + j], v[o + j], y[o + j], gy[o + j]);
    if (gk) {
      for (int j = 0; j < W; ++j) {
        gk[o + j] = gkl[j];
        gv[o + j] = gvl[j];
      }
    }
  }
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

bool use_chunk_parallel(const Wkv4Options& opt, int64_t B, int64_t T, int64_t C) {
  if (opt.schedule != Wkv4Schedule::automatic) return opt.schedule == Wkv4Schedule::chunk_parallel;
  const int threads = omp_get_max_threads();
  if (threads <= 1) return false;
  const int64_t tiles = B * static_cast<int64_t>(channel_tiles(C).size());
  const int64_t chunks = ceil_div(T, opt.chunk_len);
  // Through-time does half the work; use it whenever the tiles alone keep every thread busy.
  return tiles < 2 * threads && chunks >= 2 * threads;
}

void validate(const char* what, int64_t B, int64_t T, int64_t C, const Wkv4Options& opt) {
  if (B < 1 || T < 1 || C < 1)
    fail(what, ": sizes must be positive, got B=", B, " T=", T, " C=", C);
  if (opt.chunk_len < 1) fail(what, ": chunk length must be >= 1, got ", opt.chunk_len);
}

template <class R>
std::vector<R> decay_of(const R* w, int64_t C) {
  std::vector<R> wd(C);
  for (int64_t c = 0; c < C; ++c) wd[c] = static_cast<R>(-std::exp(static_cast<double>(w[c])));
  return wd;
}

// Index of field f (0 aa, 1 bb, 2 pp) of chunk ci, batch b, channel c in a (B, n, 3, C) buffer.
inline int64_t bidx(int64_t b, int64_t ci, int f, int64_t c, int64_t nchunks, int64_t C) {
  return ((b * nchunks + ci) * 3 + f) * C + c;
}

template <class R>
void load_state(R* dst, int W, Wkv4ConstState<R> s, int64_t off) {
  for (int j = 0; j < W; ++j) {
    dst[j] = s.aa ? s.aa[off + j] : R(0);
    dst[W + j] = s.bb ? s.bb[off + j] : R(0);
    dst[2 * W + j] = s.pp ? s.pp[off + j] : R(kWkvEmpty);
  }
}

template <class R>
void empty_state(R* dst, int W) {
  for (int j = 0; j < W; ++j) {
    dst[j] = 0;
    dst[W + j] = 0;
    dst[2 * W + j] = kWkvEmpty;
  }
}

template <class R>
void store_boundary(R* boundary, const R* st, int W, int64_t b, int64_t ci, int64_t c0, int64_t nchunks,
                    int64_t C) {
  for (int f = 0; f < 3; ++f)
    for (int j = 0; j < W; ++j) boundary[bidx(b, ci, f, c0 + j, nchunks, C)] = st[f * W + j];
}

template <class R>
void load_boundary(R* st, const R* boundary, int W, int64_t b, int64_t ci, int64_t c0, int64_t nchunks,
                   int64_t C) {
  for (int f = 0; f < 3; ++f)
    for (int j = 0; j < W; ++j) st[f * W + j] = boundary[bidx(b, ci, f, c0 + j, nchunks, C)];
}

// Forward, one thread per (b, tile), each through the whole sequence.
template <class R>
void forward_through_time(R* y, R* boundary, Wkv4State<R> state_out, const R* wd, const R* u, const R* k,
                          const R* v, Wkv4ConstState<R> state_in, int64_t B, int64_t T, int64_t C, int L) {
  const auto tiles = channel_tiles(C);
  const int64_t ntiles = static_cast<int64_t>(tiles.size());
  const int64_t nchunks = ceil_div(T, L);
#pragma omp parallel for schedule(dynamic)
  for (int64_t i = 0; i < B * ntiles; ++i) {
    const int64_t b = i / ntiles;
    const auto [c0, width] = tiles[i % ntiles];
    with_width(width, [&]<int W>() {
      R st[3 * W];
      load_state(st, W, state_in, b * C + c0);
      const int64_t base = b * T * C + c0;
      TileIo<R> io{k + base, v + base, y ? y + base : nullptr, C};
      for (int64_t ci = 0; ci < nchunks; ++ci) {
        if (boundary) store_boundary(boundary, st, W, b, ci, c0, nchunks, C);
        forward_tile<R, W>(io, st, st + W, st + 2 * W, wd + c0, u + c0, ci * L, std::min(T, (ci + 1) * L));
      }
      if (state_out.aa)
        for (int j = 0; j < W; ++j) {
          state_out.aa[b * C + c0 + j] = st[j];
          state_out.bb[b * C + c0 + j] = st[W + j];
          state_out.pp[b * C + c0 + j] = st[2 * W + j];
        }
    });
  }
}

// Forward with parallelism across chunks: summaries, scan, recompute.
template <class R>
void forward_chunk_parallel(R* y, R* boundary, Wkv4State<R> state_out, const R* wd, const R* u, const R* k,
                            const R* v, Wkv4ConstState<R> state_in, int64_t B, int64_t T, int64_t C, int L) {
  const auto tiles = channel_tiles(C);
  const int64_t ntiles = static_cast<int64_t>(tiles.size());
  const int64_t nchunks = ceil_div(T, L);
  // 1. each chunk's summary from the empty state, into the boundary slots
#pragma omp parallel for schedule(dynamic)
  for (int64_t i = 0; i < B * ntiles * nchunks; ++i) {
    const int64_t ci = i % nchunks, b = i / nchunks / ntiles;
    const auto [c0, width] = tiles[(i / nchunks) % ntiles];
    with_width(width, [&]<int W>() {
      R st[3 * W];
      empty_state(st, W);
      const int64_t base = b * T * C + c0;
      forward_tile<R, W>({k + base, v + base, nullptr, C}, st, st + W, st + 2 * W, wd + c0, u + c0, ci * L,
                         std::min(T, (ci + 1) * L));
      store_boundary(boundary, st, W, b, ci, c0, nchunks, C);
    });
  }
  // 2. scan: replace each summary by the chunk's incoming state
#pragma omp parallel for
  for (int64_t i = 0; i < B * C; ++i) {
    const int64_t b = i / C, c = i % C;
    R aa = state_in.aa ? state_in.aa[i] : R(0);
    R bb = state_in.bb ? state_in.bb[i] : R(0);
    R pp = state_in.pp ? state_in.pp[i] : R(kWkvEmpty);
    for (int64_t ci = 0; ci < nchunks; ++ci) {
      R* slot = boundary + bidx(b, ci, 0, c, nchunks, C);
      const R sa = slot[0], sb = slot[C], sp = slot[2 * C];
      slot[0] = aa;
      slot[C] = bb;
      slot[2 * C] = pp;
      const int64_t n = std::min(T, (ci + 1) * L) - ci * L;
      wkv_merge(aa, bb, pp, static_cast<R>(n) * wd[c], sa, sb, sp);
    }
    if (state_out.aa) {
      state_out.aa[i] = aa;
      state_out.bb[i] = bb;
      state_out.pp[i] = pp;
    }
  }
  // 3. every chunk's outputs from its incoming state
#pragma omp parallel for schedule(dynamic)
  for (int64_t i = 0; i < B * ntiles * nchunks; ++i) {
    const int64_t ci = i % nchunks, b = i / nchunks / ntiles;
    const auto [c0, width] = tiles[(i / nchunks) % ntiles];
    with_width(width, [&]<int W>() {
      R st[3 * W];
      load_boundary(st, boundary, W, b, ci, c0, nchunks, C);
      const int64_t base = b * T * C + c0;
      forward_tile<R, W>({k + base, v + base, y + base, C}, st, st + W, st + 2 * W, wd + c0, u + c0, ci * L,
                         std::min(T, (ci + 1) * L));
    });
  }
}

// Maps dL/d(aa, bb) of the final state to the scaled adjoint (al, be, pr); pr = -pp_T.
template <class R>
void adjoint_from_state_grad(R* adj, int W, Wkv4ConstState<R> g, const R* final_pp, int64_t off) {
  for (int j = 0; j < W; ++j) {
    const bool given = g.aa != nullptr;
    adj[j] = given ? g.aa[off + j] : R(0);
    adj[W + j] = given ? g.bb[off + j] : R(0);
    adj[2 * W + j] = given ? -final_pp[j] : R(kWkvEmpty);
  }
}

// Writes dL/d(aa, bb, pp) of the initial state from the adjoint at t = 0.
template <class R>
void write_initial_state_grad(Wkv4State<R> g, const R* adj, int W, Wkv4ConstState<R> state_in, int64_t off) {
  if (!g.aa) return;
  for (int j = 0; j < W; ++j) {
    const R aa0 = state_in.aa ? state_in.aa[off + j] : R(0);
    const R bb0 = state_in.bb ? state_in.bb[off + j] : R(0);
    const R pp0 = state_in.pp ? state_in.pp[off + j] : R(kWkvEmpty);
    const R scale = exp_approx(adj[2 * W + j] + pp0);
    g.aa[off + j] = adj[j] * scale;
    g.bb[off + j] = adj[W + j] * scale;
    g.pp[off + j] = g.aa[off + j] * aa0 + g.bb[off + j] * bb0;
  }
}

template <class R>
void backward_through_time(R* gk, R* gv, R* gw_part, R* gu_part, Wkv4State<R> gstate_in, const R* gy,
                           Wkv4ConstState<R> gstate_out, const R* wd, const R* u, const R* k, const R* v,
                           const R* y, const R* boundary, Wkv4ConstState<R> state_in, int64_t B, int64_t T,
                           int64_t C, int L) {
  const auto tiles = channel_tiles(C);
  const int64_t ntiles = static_cast<int64_t>(tiles.size());
  const int64_t nchunks = ceil_div(T, L);
#pragma omp parallel
  {
    std::vector<R> scratch(static_cast<size_t>(3 * 32 * L));
#pragma omp for schedule(dynamic)
    for (int64_t i = 0; i < B * ntiles; ++i) {
      const int64_t b = i / ntiles;
      const auto [c0, width] = tiles[i % ntiles];
      with_width(width, [&]<int W>() {
        R st[3 * W], adj[3 * W], gwp[W] = {}, gu[W] = {};
        const int64_t base = b * T * C + c0;
        for (int64_t ci = nchunks - 1; ci >= 0; --ci) {
          const int64_t t0 = ci * L, t1 = std::min(T, t0 + L);
          load_boundary(st, boundary, W, b, ci, c0, nchunks, C);
          if (ci == nchunks - 1) {
            // the final state is needed to seed the adjoint: run the last chunk's states first
            R fin[3 * W];
            std::copy(st, st + 3 * W, fin);
            forward_tile<R, W>({k + base, v + base, nullptr, C}, fin, fin + W, fin + 2 * W, wd + c0, u + c0, t0,
                               t1);
            adjoint_from_state_grad(adj, W, gstate_out, fin + 2 * W, b * C + c0);
          }
          backward_tile<R, W>(gk + base, gv + base, gwp, gu, adj, st, scratch.data(), gy + base, k + base,
                              v + base, y + base, wd + c0, u + c0, t0, t1, C);
        }
        for (int j = 0; j < W; ++j) {
          gw_part[b * C + c0 + j] = gwp[j];
          gu_part[b * C + c0 + j] = gu[j];
        }
        write_initial_state_grad(gstate_in, adj, W, state_in, b * C + c0);
      });
    }
  }
}

template <class R>
void backward_chunk_parallel(R* gk, R* gv, R* gw_part, R* gu_part, Wkv4State<R> gstate_in, const R* gy,
                             Wkv4ConstState<R> gstate_out, const R* wd, const R* u, const R* k, const R* v,
                             const R* y, const R* boundary, Wkv4ConstState<R> state_in, int64_t B, int64_t T,
                             int64_t C, int L) {
  const auto tiles = channel_tiles(C);
  const int64_t ntiles = static_cast<int64_t>(tiles.size());
  const int64_t nchunks = ceil_div(T, L);
  std::vector<R> adjoints(wkv4_boundary_size(B, T, C, L));  // (B, n, 3, C)
  std::vector<R> final_pp(static_cast<size_t>(B * C));
  // gw', gu partial sums per (b, chunk): (B, n, 2, C)
  std::vector<R> partial(static_cast<size_t>(B * nchunks * 2 * C));
  // R1. each chunk's adjoint summary, propagated from an empty adjoint at its end
#pragma omp parallel
  {
    std::vector<R> scratch(static_cast<size_t>(3 * 32 * L));
#pragma omp for schedule(dynamic)
    for (int64_t i = 0; i < B * ntiles * nchunks; ++i) {
      const int64_t ci = i % nchunks, b = i / nchunks / ntiles;
      const auto [c0, width] = tiles[(i / nchunks) % ntiles];
      with_width(width, [&]<int W>() {
        R st[3 * W], adj[3 * W], gwp[W] = {}, gu[W] = {};
        const int64_t base = b * T * C + c0;
        const int64_t t0 = ci * L, t1 = std::min(T, t0 + L);
        load_boundary(st, boundary, W, b, ci, c0, nchunks, C);
        empty_state(adj, W);
        backward_tile<R, W>(nullptr, nullptr, gwp, gu, adj, st, scratch.data(), gy + base, k + base, v + base,
                            y + base, wd + c0, u + c0, t0, t1, C);
        store_boundary(adjoints.data(), adj, W, b, ci, c0, nchunks, C);
        if (ci == nchunks - 1)
          for (int j = 0; j < W; ++j) final_pp[b * C + c0 + j] = st[2 * W + j];
      });
    }
  }
  // R2. scan right to left: each slot becomes the adjoint at its chunk's end
#pragma omp parallel for
  for (int64_t i = 0; i < B * C; ++i) {
    const int64_t b = i / C, c = i % C;
    R al = gstate_out.aa ? gstate_out.aa[i] : R(0);
    R be = gstate_out.bb ? gstate_out.bb[i] : R(0);
    R pr = gstate_out.aa ? -final_pp[i] : R(kWkvEmpty);
    for (int64_t ci = nchunks - 1; ci >= 0; --ci) {
      R* slot = adjoints.data() + bidx(b, ci, 0, c, nchunks, C);
      const R sa = slot[0], sb = slot[C], sp = slot[2 * C];
      slot[0] = al;
      slot[C] = be;
      slot[2 * C] = pr;
      const int64_t n = std::min(T, (ci + 1) * L) - ci * L;
      wkv_merge(al, be, pr, static_cast<R>(n) * wd[c], sa, sb, sp);
    }
  }
  // R3. every chunk's gradients from its incoming forward state and adjoint
#pragma omp parallel
  {
    std::vector<R> scratch(static_cast<size_t>(3 * 32 * L));
#pragma omp for schedule(dynamic)
    for (int64_t i = 0; i < B * ntiles * nchunks; ++i) {
      const int64_t ci = i % nchunks, b = i / nchunks / ntiles;
      const auto [c0, width] = tiles[(i / nchunks) % ntiles];
      with_width(width, [&]<int W>() {
        R st[3 * W], adj[3 * W], gwp[W] = {}, gu[W] = {};
        const int64_t base = b * T * C + c0;
        const int64_t t0 = ci * L, t1 = std::min(T, t0 + L);
        load_boundary(st, boundary, W, b, ci, c0, nchunks, C);
        load_boundary(adj, adjoints.data(), W, b, ci, c0, nchunks, C);
        backward_tile<R, W>(gk + base, gv + base, gwp, gu, adj, st, scratch.data(), gy + base, k + base,
                            v + base, y + base, wd + c0, u + c0, t0, t1, C);
        for (int j = 0; j < W; ++j) {
          partial[((b * nchunks + ci) * 2 + 0) * C + c0 + j] = gwp[j];
          partial[((b * nchunks + ci) * 2 + 1) * C + c0 + j] = gu[j];
        }
        if (ci == 0) write_initial_state_grad(gstate_in, adj, W, state_in, b * C + c0);
      });
    }
  }
#pragma omp parallel for
  for (int64_t i = 0; i < B * C; ++i) {
    const int64_t b = i / C, c = i % C;
    R sw = 0, su = 0;
    for (int64_t ci = 0; ci < nchunks; ++ci) {
      sw += partial[((b * nchunks + ci) * 2 + 0) * C + c];
      su += partial[((b * nchunks + ci) * 2 + 1) * C + c];
    }
    gw_part[i] = sw;
    gu_part[i] = su;
  }
}

}  // namespace

size_t wkv4_boundary_size(int64_t B, int64_t T, int64_t C, int chunk_len) {
  return static_cast<size_t>(3 * B * ceil_div(T, std::max(chunk_len, 1)) * C);
}

template <class R>
void wkv4_state_reset(Wkv4State<R> s, int64_t B, int64_t C) {
  for (int64_t i = 0; i < B * C; ++i) {
    s.aa[i] = 0;
    s.bb[i] = 0;
    s.pp[i] = kWkvEmpty;
  }
}

template <class R>
void wkv4_forward(R* y, R* boundary, Wkv4State<R> state_out, const R* w, const R* u, const R* k, const R* v,
                  Wkv4ConstState<R> state_in, int64_t B, int64_t T, int64_t C, const Wkv4Options& opt) {
  validate("wkv4_forward", B, T, C, opt);
  const std::vector<R> wd = decay_of(w, C);
  const int L = opt.chunk_len;
  if (!use_chunk_parallel(opt, B, T, C)) {
    forward_through_time(y, boundary, state_out, wd.data(), u, k, v, state_in, B, T, C, L);
    return;
  }
  std::vector<R> local;
  if (!boundary) {
    local.resize(wkv4_boundary_size(B, T, C, L));
    boundary = local.data();
  }
  forward_chunk_parallel(y, boundary, state_out, wd.data(), u, k, v, state_in, B, T, C, L);
}

template <class R>
void wkv4_backward(R* gk, R* gv, R* gw, R* gu, Wkv4State<R> gstate_in, const R* gy, Wkv4ConstState<R> gstate_out,
                   const R* w, const R* u, const R* k, const R* v, const R* y, const R* boundary,
                   Wkv4ConstState<R> state_in, int64_t B, int64_t T, int64_t C, const Wkv4Options& opt) {
  validate("wkv4_backward", B, T, C, opt);
  const std::vector<R> wd = decay_of(w, C);
  const int L = opt.chunk_len;
  std::vector<R> local;
  if (!boundary) {
    local.resize(wkv4_boundary_size(B, T, C, L));
    forward_through_time<R>(nullptr, local.data(), {}, wd.data(), u, k, v, state_in, B, T, C, L);
    boundary = local.data();
  }
  std::vector<R> gw_part(static_cast<size_t>(B * C)), gu_part(static_cast<size_t>(B * C));
  if (use_chunk_parallel(opt, B, T, C))
    backward_chunk_parallel(gk, gv, gw_part.data(), gu_part.data(), gstate_in, gy, gstate_out, wd.data(), u, k, v,
                            y, boundary, state_in, B, T, C, L);
  else
    backward_through_time(gk, gv, gw_part.data(), gu_part.data(), gstate_in, gy, gstate_out, wd.data(), u, k, v,
                          y, boundary, state_in, B, T, C, L);
  // batch reduction, and the chain rule through w' = -exp(w): dw'/dw = w'
  for (int64_t c = 0; c < C; ++c) {
    R sw = 0, su = 0;
    for (int64_t b = 0; b < B; ++b) {
      sw += gw_part[b * C + c];
      su += gu_part[b * C + c];
    }
    gw[c] += sw * wd[c];
    gu[c] += su;
  }
}

#define RWKVS_INSTANTIATE_WKV4(R)                                                                              \
  template void wkv4_state_reset<R>(Wkv4State<R>, int64_t, int64_t);                                         \
  template void wkv4_forward<R>(R*, R*, Wkv4State<R>, const R*, const R*, const R*, const R*,                \
                                Wkv4ConstState<R>, int64_t, int64_t, int64_t, const Wkv4Options&);           \
  template void wkv4_backward<R>(R*, R*, R*, R*, Wkv4State<R>, const R*, Wkv4ConstState<R>, const R*,        \
                                 const R*, const R*, const R*, const R*, const R*, Wkv4ConstState<R>,        \
                                 int64_t, int64_t, int64_t, const Wkv4Options&);
RWKVS_INSTANTIATE_WKV4(float)
RWKVS_INSTANTIATE_WKV4(double)

}  // namespace rwkvs::kernels
