// WKV-4 on the CPU: chunked forward and backward for any T (see kernels/wkv4.h for the contract and
// kernels/wkv4_math.h for the per-step arithmetic).
//
// Work is split into channel bands (contiguous channel ranges of at most kMaxBand) per sequence, and
// for the chunk-parallel schedule also into chunks of L steps. Inside a band every step walks the
// band's channels left to right in SIMD lane groups, so memory is read in long contiguous rows
// (which the hardware prefetcher follows) and the only sequential dependence is along time.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "base/error.h"
#include "kernels/wkv4.h"
#include "kernels/wkv4_math.h"

namespace rwkvs::kernels {
namespace {

constexpr int64_t kMaxBand = 512;
// Below this many token-channels a single thread beats waking the others (one recurrent step).
constexpr int64_t kMinParallelWork = 1 << 14;

int threads_for(int64_t B, int64_t T, int64_t C) {
  return B * T * C >= kMinParallelWork ? omp_get_max_threads() : 1;
}  // channels per band: the backward scratch (3 x band x L) stays in L2

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct Band {
  int64_t c0, n;  // first channel, channel count
};

// Bands covering [0, C): as wide as possible while B x bands still gives every thread work.
std::vector<Band> channel_bands(int64_t B, int64_t C, int threads) {
  const int64_t per_seq = std::max<int64_t>(1, ceil_div(threads, B));
  int64_t width = ceil_div(C, per_seq);
  width = std::min(kMaxBand, ceil_div(width, 8) * 8);
  std::vector<Band> bands;
  for (int64_t c0 = 0; c0 < C; c0 += width) bands.push_back({c0, std::min(width, C - c0)});
  return bands;
}

// Calls f.template operator()<V, NV>(c) for SIMD lane groups covering channels [0, n): NV vectors of
// V (Float8 = 8 float lanes) where they fit, then single lanes.
template <class R, class F>
void for_lane_groups(int64_t n, F&& f) {
  int64_t c = 0;
  if constexpr (std::is_same_v<R, float>) {
    for (; c + 32 <= n; c += 32) f.template operator()<Float8, 4>(c);
    for (; c + 8 <= n; c += 8) f.template operator()<Float8, 1>(c);
  } else {
    for (; c + 8 <= n; c += 8) f.template operator()<R, 8>(c);
  }
  for (; c < n; ++c) f.template operator()<R, 1>(c);
}

// Rows ahead to prefetch. A band narrower than a row leaves gaps the hardware prefetcher does not
// bridge, so the next rows of the band are requested explicitly.
constexpr int64_t kPrefetchRows = 6;

inline void prefetch_span(const void* p, int64_t bytes) {
  const char* c = static_cast<const char*>(p);
  for (int64_t off = 0; off < bytes; off += 64) __builtin_prefetch(c + off);
}

template <class R, class V>
constexpr int kLanes = static_cast<int>(sizeof(V) / sizeof(R));

// A band's running state: aa, bb, pp (or an adjoint al, be, pr), n values each, in one array of 3n.
// Runs steps [t0, t1) of a band. k, v, y point at the band's first channel of one sequence; rows are
// 'stride' (= C) apart; wd, u at the band's first channel. y may be null (state only).
template <class R>
void forward_band(R* y, R* st, const R* k, const R* v, const R* wd, const R* u, int64_t n, int64_t t0, int64_t t1,
                  int64_t stride) {
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t o = t * stride;
    if (t + kPrefetchRows < t1) {
      prefetch_span(k + o + kPrefetchRows * stride, n * sizeof(R));
      prefetch_span(v + o + kPrefetchRows * stride, n * sizeof(R));
    }
    for_lane_groups<R>(n, [&]<class V, int NV>(int64_t c) {
      for (int i = 0; i < NV; ++i) {
        const int64_t j = c + i * kLanes<R, V>;
        V aa = load_lanes<V>(st + j), bb = load_lanes<V>(st + n + j), pp = load_lanes<V>(st + 2 * n + j);
        const V kt = load_lanes<V>(k + o + j), vt = load_lanes<V>(v + o + j);
        if (y) store_lanes(y + o + j, wkv_output(aa, bb, pp, load_lanes<V>(u + j), kt, vt));
        wkv_update(aa, bb, pp, load_lanes<V>(wd + j), kt, vt);
        store_lanes(st + j, aa);
        store_lanes(st + n + j, bb);
        store_lanes(st + 2 * n + j, pp);
      }
    });
  }
}

// Backward through steps [t0, t1) of a band. st: forward state at t0 (left at t1). adj: adjoint
// (al, be, pr) at t1 (left at t0). gwp, gu (n): accumulate d/dw' and d/du. scratch: 3 n (t1 - t0)
// values. gk == null: only the adjoint is propagated (chunk summaries).
template <class R>
void backward_band(R* gk, R* gv, R* gwp, R* gu, R* adj, R* st, R* scratch, const R* gy, const R* k, const R* v,
                   const R* y, const R* wd, const R* u, int64_t n, int64_t t0, int64_t t1, int64_t stride) {
  for (int64_t t = t0; t < t1; ++t) {  // the state before each step, from the chunk's start state
    std::copy(st, st + 3 * n, scratch + (t - t0) * 3 * n);
    forward_band<R>(nullptr, st, k, v, wd, u, n, t, t + 1, stride);
  }
  for (int64_t t = t1 - 1; t >= t0; --t) {
    const R* s = scratch + (t - t0) * 3 * n;
    const int64_t o = t * stride;
    if (t - kPrefetchRows >= t0) {  // k and v of the chunk are still cached from the recompute
      prefetch_span(y + o - kPrefetchRows * stride, n * sizeof(R));
      prefetch_span(gy + o - kPrefetchRows * stride, n * sizeof(R));
    }
    for_lane_groups<R>(n, [&]<class V, int NV>(int64_t c) {
      for (int i = 0; i < NV; ++i) {
        const int64_t j = c + i * kLanes<R, V>;
        V al = load_lanes<V>(adj + j), be = load_lanes<V>(adj + n + j), pr = load_lanes<V>(adj + 2 * n + j);
        V gw_acc = load_lanes<V>(gwp + j), gu_acc = load_lanes<V>(gu + j);
        V gkv, gvv;
        wkv_step_backward(gkv, gvv, gw_acc, gu_acc, al, be, pr, load_lanes<V>(s + j), load_lanes<V>(s + n + j),
                          load_lanes<V>(s + 2 * n + j), load_lanes<V>(wd + j), load_lanes<V>(u + j),
                          load_lanes<V>(k + o + j), load_lanes<V>(v + o + j), load_lanes<V>(y + o + j),
                          load_lanes<V>(gy + o + j));
        if (gk) {
          store_lanes(gk + o + j, gkv);
          store_lanes(gv + o + j, gvv);
        }
        store_lanes(adj + j, al);
        store_lanes(adj + n + j, be);
        store_lanes(adj + 2 * n + j, pr);
        store_lanes(gwp + j, gw_acc);
        store_lanes(gu + j, gu_acc);
      }
    });
  }
}

bool use_chunk_parallel(const Wkv4Options& opt, int64_t B, int64_t T, int64_t C) {
  if (opt.schedule != Wkv4Schedule::automatic) return opt.schedule == Wkv4Schedule::chunk_parallel;
  const int threads = omp_get_max_threads();
  if (threads <= 1) return false;
  // Through-time does half the work: use it whenever (sequence, band) pairs of at least 32
  // channels keep every thread busy.
  const int64_t units = B * std::max<int64_t>(1, C / 32);
  return units < threads && ceil_div(T, opt.chunk_len) >= 2 * threads;
}

void validate(const char* what, int64_t B, int64_t T, int64_t C, const Wkv4Options& opt) {
  if (B < 1 || T < 1 || C < 1) fail(what, ": sizes must be positive, got B=", B, " T=", T, " C=", C);
  if (opt.chunk_len < 1) fail(what, ": chunk length must be >= 1, got ", opt.chunk_len);
}

template <class R>
std::vector<R> decay_of(const R* w, int64_t C) {
  std::vector<R> wd(C);
  for (int64_t c = 0; c < C; ++c) wd[c] = static_cast<R>(-std::exp(static_cast<double>(w[c])));
  return wd;
}

// Offset of field f (0 aa, 1 bb, 2 pp) of chunk ci, sequence b, channel c in a (B, n, 3, C) buffer.
inline int64_t bidx(int64_t b, int64_t ci, int f, int64_t c, int64_t nchunks, int64_t C) {
  return ((b * nchunks + ci) * 3 + f) * C + c;
}

// Band state <-> a (B, C) x 3 state (null fields: the empty state, or nothing to store).
template <class R>
void load_state(R* st, Wkv4ConstState<R> s, int64_t off, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    st[j] = s.aa ? s.aa[off + j] : R(0);
    st[n + j] = s.bb ? s.bb[off + j] : R(0);
    st[2 * n + j] = s.pp ? s.pp[off + j] : R(kWkvEmpty);
  }
}
template <class R>
void store_state(Wkv4State<R> s, const R* st, int64_t off, int64_t n) {
  if (!s.aa) return;
  std::copy(st, st + n, s.aa + off);
  std::copy(st + n, st + 2 * n, s.bb + off);
  std::copy(st + 2 * n, st + 3 * n, s.pp + off);
}

// Band state <-> a (B, nchunks, 3, C) boundary or adjoint buffer.
template <class R>
void store_boundary(R* buf, const R* st, int64_t b, int64_t ci, const Band& band, int64_t nchunks, int64_t C) {
  for (int f = 0; f < 3; ++f)
    std::copy(st + f * band.n, st + (f + 1) * band.n, buf + bidx(b, ci, f, band.c0, nchunks, C));
}
template <class R>
void load_boundary(R* st, const R* buf, int64_t b, int64_t ci, const Band& band, int64_t nchunks, int64_t C) {
  for (int f = 0; f < 3; ++f) {
    const R* src = buf + bidx(b, ci, f, band.c0, nchunks, C);
    std::copy(src, src + band.n, st + f * band.n);
  }
}

// The adjoint at the end of the sequence from dL/d(aa, bb) of the final state: alpha_T =
// dL/daa e^{-pp_T}, i.e. (al, be, pr) = (gaa, gbb, -pp_T). Absent: the empty adjoint.
template <class R>
void seed_adjoint(R* adj, Wkv4ConstState<R> g, const R* final_pp, int64_t off, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    const bool given = g.aa != nullptr;
    adj[j] = given ? g.aa[off + j] : R(0);
    adj[n + j] = given ? g.bb[off + j] : R(0);
    adj[2 * n + j] = given ? -final_pp[j] : R(kWkvEmpty);
  }
}

// dL/d(aa, bb, pp) of the initial state from the adjoint at t = 0: a_0 = aa e^pp gives
// dL/daa = alpha_0 e^pp, and dL/dpp = dL/daa * aa + dL/dbb * bb.
template <class R>
void write_initial_state_grad(Wkv4State<R> g, const R* adj, Wkv4ConstState<R> state_in, int64_t off, int64_t n) {
  if (!g.aa) return;
  for (int64_t j = 0; j < n; ++j) {
    const R aa0 = state_in.aa ? state_in.aa[off + j] : R(0);
    const R bb0 = state_in.bb ? state_in.bb[off + j] : R(0);
    const R pp0 = state_in.pp ? state_in.pp[off + j] : R(kWkvEmpty);
    const R scale = exp_approx(adj[2 * n + j] + pp0);
    g.aa[off + j] = adj[j] * scale;
    g.bb[off + j] = adj[n + j] * scale;
    g.pp[off + j] = g.aa[off + j] * aa0 + g.bb[off + j] * bb0;
  }
}

// The scan of the chunk-parallel schedule for one (sequence b, channel c): each chunk's slot holds
// its summary (computed from empty) and is replaced by the carry entering it; the carry (x, y, p)
// starts as given and ends as the carry out of the sequence. Forward states run left to right;
// reverse adjoints run right to left through the same merge (both decay by e^{w'} per step).
template <class R>
void scan_chunk_summaries(R* buf, int64_t b, int64_t c, R& x, R& y, R& p, R wd, int64_t nchunks, int64_t T,
                          int64_t C, int L, bool reverse) {
  for (int64_t k = 0; k < nchunks; ++k) {
    const int64_t ci = reverse ? nchunks - 1 - k : k;
    R* slot = buf + bidx(b, ci, 0, c, nchunks, C);
    const R sx = slot[0], sy = slot[C], sp = slot[2 * C];
    slot[0] = x;
    slot[C] = y;
    slot[2 * C] = p;
    const int64_t len = std::min(T, (ci + 1) * L) - ci * L;
    wkv_merge(x, y, p, static_cast<R>(len) * wd, sx, sy, sp);
  }
}

// Per-thread working memory of one band: state, adjoint, gradient accumulators and recompute scratch.
template <class R>
struct BandWork {
  explicit BandWork(int L) : st(3 * kMaxBand), adj(3 * kMaxBand), gwp(kMaxBand), gu(kMaxBand),
                             scratch(static_cast<size_t>(3 * kMaxBand) * L) {}
  std::vector<R> st, adj, gwp, gu, scratch;
};

// Work item i of (sequence, band[, chunk]).
struct Item {
  int64_t b, ci;
  Band band;
};
inline Item item_of(int64_t i, const std::vector<Band>& bands, int64_t nchunks) {
  const int64_t nb = static_cast<int64_t>(bands.size());
  return {i / nchunks / nb, i % nchunks, bands[(i / nchunks) % nb]};
}

template <class R>
void forward_through_time(R* y, R* boundary, Wkv4State<R> state_out, const R* wd, const R* u, const R* k,
                          const R* v, Wkv4ConstState<R> state_in, int64_t B, int64_t T, int64_t C, int L) {
  const int threads = threads_for(B, T, C);
  const auto bands = channel_bands(B, C, threads);
  const int64_t nchunks = ceil_div(T, L);
#pragma omp parallel num_threads(threads)
  {
    std::vector<R> st(3 * kMaxBand);
#pragma omp for schedule(dynamic)
    for (int64_t i = 0; i < B * static_cast<int64_t>(bands.size()); ++i) {
      const Item it = item_of(i, bands, 1);
      const int64_t c0 = it.band.c0, n = it.band.n, base = it.b * T * C + c0;
      load_state(st.data(), state_in, it.b * C + c0, n);
      for (int64_t ci = 0; ci < nchunks; ++ci) {
        if (boundary) store_boundary(boundary, st.data(), it.b, ci, it.band, nchunks, C);
        forward_band<R>(y ? y + base : nullptr, st.data(), k + base, v + base, wd + c0, u + c0, n, ci * L,
                        std::min(T, (ci + 1) * L), C);
      }
      store_state(state_out, st.data(), it.b * C + c0, n);
    }
  }
}

// Forward with parallelism across chunks: summaries from the empty state, scan, recompute.
template <class R>
void forward_chunk_parallel(R* y, R* boundary, Wkv4State<R> state_out, const R* wd, const R* u, const R* k,
                            const R* v, Wkv4ConstState<R> state_in, int64_t B, int64_t T, int64_t C, int L) {
  const auto bands = channel_bands(B, C, 1);
  const int64_t nchunks = ceil_div(T, L);
  const int64_t items = B * static_cast<int64_t>(bands.size()) * nchunks;
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) {  // scan: each summary slot becomes the chunk's incoming state
#pragma omp parallel for
      for (int64_t i = 0; i < B * C; ++i) {
        R aa = state_in.aa ? state_in.aa[i] : R(0);
        R bb = state_in.bb ? state_in.bb[i] : R(0);
        R pp = state_in.pp ? state_in.pp[i] : R(kWkvEmpty);
        scan_chunk_summaries(boundary, i / C, i % C, aa, bb, pp, wd[i % C], nchunks, T, C, L, /*reverse=*/false);
        if (state_out.aa) {
          state_out.aa[i] = aa;
          state_out.bb[i] = bb;
          state_out.pp[i] = pp;
        }
      }
    }
#pragma omp parallel
    {
      std::vector<R> st(3 * kMaxBand);
#pragma omp for schedule(dynamic)
      for (int64_t i = 0; i < items; ++i) {
        const Item it = item_of(i, bands, nchunks);
        const int64_t c0 = it.band.c0, n = it.band.n, base = it.b * T * C + c0;
        if (pass == 0)
          load_state<R>(st.data(), {}, 0, n);
        else
          load_boundary(st.data(), boundary, it.b, it.ci, it.band, nchunks, C);
        forward_band<R>(pass == 0 ? nullptr : y + base, st.data(), k + base, v + base, wd + c0, u + c0, n,
                        it.ci * L, std::min(T, (it.ci + 1) * L), C);
        if (pass == 0) store_boundary(boundary, st.data(), it.b, it.ci, it.band, nchunks, C);
      }
    }
  }
}

template <class R>
void backward_through_time(R* gk, R* gv, R* gw_part, R* gu_part, Wkv4State<R> gstate_in, const R* gy,
                           Wkv4ConstState<R> gstate_out, const R* wd, const R* u, const R* k, const R* v,
                           const R* y, const R* boundary, Wkv4ConstState<R> state_in, int64_t B, int64_t T,
                           int64_t C, int L) {
  const int threads = threads_for(B, T, C);
  const auto bands = channel_bands(B, C, threads);
  const int64_t nchunks = ceil_div(T, L);
#pragma omp parallel num_threads(threads)
  {
    BandWork<R> w(L);
#pragma omp for schedule(dynamic)
    for (int64_t i = 0; i < B * static_cast<int64_t>(bands.size()); ++i) {
      const Item it = item_of(i, bands, 1);
      const int64_t c0 = it.band.c0, n = it.band.n, base = it.b * T * C + c0;
      std::fill(w.gwp.begin(), w.gwp.end(), R(0));
      std::fill(w.gu.begin(), w.gu.end(), R(0));
      for (int64_t ci = nchunks - 1; ci >= 0; --ci) {
        const int64_t t0 = ci * L, t1 = std::min(T, t0 + L);
        load_boundary(w.st.data(), boundary, it.b, ci, it.band, nchunks, C);
        if (ci == nchunks - 1) {  // the final state's pp seeds the adjoint
          std::vector<R> fin(w.st.begin(), w.st.begin() + 3 * n);
          forward_band<R>(nullptr, fin.data(), k + base, v + base, wd + c0, u + c0, n, t0, t1, C);
          seed_adjoint(w.adj.data(), gstate_out, fin.data() + 2 * n, it.b * C + c0, n);
        }
        backward_band<R>(gk + base, gv + base, w.gwp.data(), w.gu.data(), w.adj.data(), w.st.data(),
                         w.scratch.data(), gy + base, k + base, v + base, y + base, wd + c0, u + c0, n, t0, t1, C);
      }
      std::copy(w.gwp.begin(), w.gwp.begin() + n, gw_part + it.b * C + c0);
      std::copy(w.gu.begin(), w.gu.begin() + n, gu_part + it.b * C + c0);
      write_initial_state_grad(gstate_in, w.adj.data(), state_in, it.b * C + c0, n);
    }
  }
}

template <class R>
void backward_chunk_parallel(R* gk, R* gv, R* gw_part, R* gu_part, Wkv4State<R> gstate_in, const R* gy,
                             Wkv4ConstState<R> gstate_out, const R* wd, const R* u, const R* k, const R* v,
                             const R* y, const R* boundary, Wkv4ConstState<R> state_in, int64_t B, int64_t T,
                             int64_t C, int L) {
  const auto bands = channel_bands(B, C, 1);
  const int64_t nchunks = ceil_div(T, L);
  const int64_t items = B * static_cast<int64_t>(bands.size()) * nchunks;
  std::vector<R> adjoints(wkv4_boundary_size(B, T, C, L));            // (B, n, 3, C)
  std::vector<R> final_pp(static_cast<size_t>(B * C));                // (B, C)
  std::vector<R> partial(static_cast<size_t>(B * nchunks * 2 * C));  // d/dw', d/du per (b, chunk)
  // pass 0: each chunk's adjoint summary from an empty adjoint at its end;
  // then a right-to-left scan turns summaries into the adjoint at each chunk's end;
  // pass 1: every chunk's gradients from its incoming forward state and adjoint.
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) {
#pragma omp parallel for
      for (int64_t i = 0; i < B * C; ++i) {
        R al = gstate_out.aa ? gstate_out.aa[i] : R(0);
        R be = gstate_out.bb ? gstate_out.bb[i] : R(0);
        R pr = gstate_out.aa ? -final_pp[i] : R(kWkvEmpty);
        scan_chunk_summaries(adjoints.data(), i / C, i % C, al, be, pr, wd[i % C], nchunks, T, C, L,
                             /*reverse=*/true);
      }
    }
#pragma omp parallel
    {
      BandWork<R> w(L);
#pragma omp for schedule(dynamic)
      for (int64_t i = 0; i < items; ++i) {
        const Item it = item_of(i, bands, nchunks);
        const int64_t c0 = it.band.c0, n = it.band.n, base = it.b * T * C + c0;
        const int64_t t0 = it.ci * L, t1 = std::min(T, t0 + L);
        std::fill(w.gwp.begin(), w.gwp.end(), R(0));
        std::fill(w.gu.begin(), w.gu.end(), R(0));
        load_boundary(w.st.data(), boundary, it.b, it.ci, it.band, nchunks, C);
        if (pass == 0)
          load_state<R>(w.adj.data(), {}, 0, n);
        else
          load_boundary(w.adj.data(), adjoints.data(), it.b, it.ci, it.band, nchunks, C);
        backward_band<R>(pass == 0 ? nullptr : gk + base, gv + base, w.gwp.data(), w.gu.data(), w.adj.data(),
                         w.st.data(), w.scratch.data(), gy + base, k + base, v + base, y + base, wd + c0, u + c0,
                         n, t0, t1, C);
        if (pass == 0) {
          store_boundary(adjoints.data(), w.adj.data(), it.b, it.ci, it.band, nchunks, C);
          if (it.ci == nchunks - 1) std::copy(w.st.begin() + 2 * n, w.st.begin() + 3 * n, &final_pp[it.b * C + c0]);
        } else {
          std::copy(w.gwp.begin(), w.gwp.begin() + n, &partial[((it.b * nchunks + it.ci) * 2 + 0) * C + c0]);
          std::copy(w.gu.begin(), w.gu.begin() + n, &partial[((it.b * nchunks + it.ci) * 2 + 1) * C + c0]);
          if (it.ci == 0) write_initial_state_grad(gstate_in, w.adj.data(), state_in, it.b * C + c0, n);
        }
      }
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
