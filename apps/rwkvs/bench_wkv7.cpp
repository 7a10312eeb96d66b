// rwkvs bench wkv --arch rwkv7: the chunked WKV-7 kernel, forward and forward+backward, after checking
// it against the sequential reference on a prefix of the same inputs; the reference's own time in the
// same run is the baseline (speedup_vs_reference).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "apps/rwkvs/bench_util.h"
#include "apps/rwkvs/bench_wkv.h"
#include "apps/rwkvs/commands.h"
#include "base/error.h"
#include "kernels/wkv7.h"
#include "src/core/buffer.h"

namespace rwkvs::app {
namespace {

struct Wkv7Inputs {
  AlignedBuffer<float> r, logw, k, v, a, b, gy;
  explicit Wkv7Inputs(size_t n) : r(n), logw(n), k(n), v(n), a(n), b(n), gy(n) {}
};

// Inputs with the model's statistics (rwkv7-spec §3): logw in (-e^-0.5, 0), a = -kappa_hat and
// b = kappa_hat * alpha with kappa_hat of unit norm per head. Hash-based, so 10^9 values fill fast.
void fill_inputs(Wkv7Inputs& in, int64_t rows, int64_t N) {
  auto unit = [](uint64_t i, uint32_t salt) {  // in [-1, 1)
    const uint32_t h = static_cast<uint32_t>((i * 2654435761u) ^ (salt * 40503u)) * 2246822519u;
    return static_cast<float>(h >> 8) / 8388608.0f - 1.0f;
  };
  const float w_scale = static_cast<float>(std::exp(-0.5));
#pragma omp parallel for
  for (int64_t row = 0; row < rows; ++row) {  // one head of one token
    float norm = 0;
    for (int64_t j = 0; j < N; ++j) {
      const uint64_t i = static_cast<uint64_t>(row * N + j);
      in.r[i] = unit(i, 1);
      in.k[i] = unit(i, 2);
      in.v[i] = unit(i, 3);
      in.gy[i] = unit(i, 4);
      in.logw[i] = -w_scale / (1.0f + std::exp(-3.0f * unit(i, 5)));
      in.a[i] = unit(i, 6);
      norm += in.a[i] * in.a[i];
    }
    norm = std::sqrt(std::max(norm, 1e-12f));
    for (int64_t j = 0; j < N; ++j) {
      const uint64_t i = static_cast<uint64_t>(row * N + j);
      const float kappa = in.a[i] / norm;
      in.a[i] = -kappa;
      in.b[i] = kappa * 0.5f * (unit(i, 7) + 1.0f);
    }
  }
}

// Max |kernel - reference| relative to each output's largest magnitude, over the first steps of
// every sequence (forward y, final state, and every gradient).
double check_against_reference(const WkvBenchArgs& a, const Wkv7Inputs& in, int64_t H, int64_t N) {
  const int64_t Tc = std::min<int64_t>(a.T, 512), B = a.B, C = a.C;
  const size_t n = static_cast<size_t>(B * Tc * C), ns = static_cast<size_t>(B * H * N * N);
  auto prefix = [&](const AlignedBuffer<float>& x) {
    std::vector<float> out(n);
    for (int64_t bb = 0; bb < B; ++bb)
      std::copy(x.data() + bb * a.T * C, x.data() + (bb * a.T + Tc) * C, out.begin() + bb * Tc * C);
    return out;
  };
  const auto r = prefix(in.r), lw = prefix(in.logw), k = prefix(in.k), v = prefix(in.v), aa = prefix(in.a),
             bb = prefix(in.b), gy = prefix(in.gy);
  struct Out {
    std::vector<float> y, S, g[6];
  };
  Out ref, got;
  for (Out* o : {&ref, &got}) {
    o->y.resize(n);
    o->S.resize(ns);
    for (auto& g : o->g) g.resize(n);
  }
  kernels::wkv7_reference_forward<float>(ref.y.data(), ref.S.data(), r.data(), lw.data(), k.data(), v.data(),
                                         aa.data(), bb.data(), nullptr, B, Tc, H, N);
  kernels::wkv7_reference_backward<float>(ref.g[0].data(), ref.g[1].data(), ref.g[2].data(), ref.g[3].data(),
                                          ref.g[4].data(), ref.g[5].data(), nullptr, gy.data(), nullptr, r.data(),
                                          lw.data(), k.data(), v.data(), aa.data(), bb.data(), nullptr, B, Tc, H,
                                          N);
  const kernels::Wkv7Options opt{a.chunk};
  kernels::wkv7_forward<float>(got.y.data(), nullptr, got.S.data(), r.data(), lw.data(), k.data(), v.data(),
                               aa.data(), bb.data(), nullptr, B, Tc, H, N, opt);
  kernels::wkv7_backward<float>(got.g[0].data(), got.g[1].data(), got.g[2].data(), got.g[3].data(),
                                got.g[4].data(), got.g[5].data(), nullptr, gy.data(), nullptr, r.data(), lw.data(),
                                k.data(), v.data(), aa.data(), bb.data(), nullptr, nullptr, B, Tc, H, N, opt);
  double worst = 0;
  auto upd = [&](const std::vector<float>& x, const std::vector<float>& want) {
    double scale = 1e-30, diff = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      scale = std::max(scale, double(std::fabs(want[i])));
      diff = std::max(diff, std::fabs(double(x[i]) - want[i]));
    }
    worst = std::max(worst, diff / scale);
  };
  upd(got.y, ref.y);
  upd(got.S, ref.S);
  for (int i = 0; i < 6; ++i) upd(got.g[i], ref.g[i]);
  return worst;
}

}  // namespace

void run_bench_wkv7(const WkvBenchArgs& args) {
  WkvBenchArgs a = args;
  if (a.device == "cuda")
    fail("bench wkv --arch rwkv7 --device cuda: not benchmarked yet (the CUDA twin is checked by tests/gpu/test_gpu_wkv7)");
  if (a.head_size < 1 || a.C % a.head_size != 0)
    fail_usage("--head-size must divide --C (", a.C, " channels, head size ", a.head_size, ")");
  if (a.chunk == 0) a.chunk = kernels::Wkv7Options{}.chunk_len;
  const int64_t N = a.head_size, H = a.C / N;
  const size_t n = static_cast<size_t>(a.B * a.T * a.C);
  Wkv7Inputs in(n);
  fill_inputs(in, a.B * a.T * H, N);
  const double max_diff = check_against_reference(a, in, H, N);
  if (!(max_diff < 1e-3)) fail("bench wkv: the WKV-7 kernel disagrees with the reference (max diff ", max_diff, ")");

  AlignedBuffer<float> y(n), boundary(kernels::wkv7_boundary_size(a.B, a.T, H, N, a.chunk));
  AlignedBuffer<float> gr(n), glogw(n), gk(n), gv(n), ga(n), gb(n);
  const kernels::Wkv7Options opt{a.chunk};
  auto forward = [&] {
    kernels::wkv7_forward<float>(y.data(), boundary.data(), nullptr, in.r.data(), in.logw.data(), in.k.data(),
                                 in.v.data(), in.a.data(), in.b.data(), nullptr, a.B, a.T, H, N, opt);
  };
  auto backward = [&] {
    kernels::wkv7_backward<float>(gr.data(), glogw.data(), gk.data(), gv.data(), ga.data(), gb.data(), nullptr,
                                  in.gy.data(), nullptr, in.r.data(), in.logw.data(), in.k.data(), in.v.data(),
                                  in.a.data(), in.b.data(), boundary.data(), nullptr, a.B, a.T, H, N, opt);
  };
  const double t_fwd = best_time(a.repeat, forward);
  const double t_bwd = best_time(a.repeat, backward);
  const double tokens = static_cast<double>(a.B * a.T);
  nlohmann::json r = {{"bench", "wkv"},
                      {"arch", "rwkv7"},
                      {"B", a.B},
                      {"T", a.T},
                      {"C", a.C},
                      {"head_size", N},
                      {"chunk", a.chunk},
                      {"fwd_s", t_fwd},
                      {"fwd_tokens_per_s", tokens / t_fwd},
                      {"fwd_bwd_s", t_fwd + t_bwd},
                      {"fwd_bwd_tokens_per_s", tokens / (t_fwd + t_bwd)},
                      {"fwd_bwd_ns_per_token_head", (t_fwd + t_bwd) / (tokens * H) * 1e9},
                      {"device", cpu_description()},
                      {"max_diff_vs_reference", max_diff}};
  // The reference backward holds every state of one head: (T+1) N^2 floats; time it when that fits.
  const double ref_bytes = static_cast<double>(a.T + 1) * N * N * 4;
  if (a.baseline && ref_bytes <= 2e9) {
    const double t_ref = best_time(1, [&] {
      kernels::wkv7_reference_forward<float>(y.data(), nullptr, in.r.data(), in.logw.data(), in.k.data(),
                                             in.v.data(), in.a.data(), in.b.data(), nullptr, a.B, a.T, H, N);
      kernels::wkv7_reference_backward<float>(gr.data(), glogw.data(), gk.data(), gv.data(), ga.data(), gb.data(),
                                              nullptr, in.gy.data(), nullptr, in.r.data(), in.logw.data(),
                                              in.k.data(), in.v.data(), in.a.data(), in.b.data(), nullptr, a.B, a.T,
                                              H, N);
    });
    r["reference_fwd_bwd_s"] = t_ref;
    r["speedup_vs_reference"] = t_ref / (t_fwd + t_bwd);
  }
  print_result(r, a.json);
}

}  // namespace rwkvs::app
