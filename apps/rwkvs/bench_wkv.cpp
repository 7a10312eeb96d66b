// rwkvs bench wkv: the chunked WKV-4 kernel, forward and forward+backward, after checking it
// against the sequential reference on a prefix of the same inputs. --device cuda runs the GPU
// twin instead (bench_wkv_cuda.cpp); --arch rwkv7 the WKV-7 kernel (bench_wkv7.cpp).
#include "apps/rwkvs/bench_wkv.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "apps/rwkvs/bench_util.h"
#include "apps/rwkvs/commands.h"
#include "base/error.h"
#include "base/rng.h"
#include "kernels/wkv4.h"
#include "src/core/buffer.h"
#include "src/core/threads.h"

namespace rwkvs::app {

const char* schedule_name(kernels::Wkv4Schedule s) {
  switch (s) {
    case kernels::Wkv4Schedule::through_time:
      return "through_time";
    case kernels::Wkv4Schedule::chunk_parallel:
      return "chunk_parallel";
    case kernels::Wkv4Schedule::automatic:
      break;
  }
  return "auto";
}

nlohmann::json wkv_timing_fields(const WkvBenchArgs& a, double t_fwd, double t_bwd) {
  const double tokens = static_cast<double>(a.B * a.T), tc = tokens * a.C;
  const double fwd_bytes = 12.0, fb_bytes = 12.0 + 24.0;
  return {{"bench", "wkv"},
          {"B", a.B},
          {"T", a.T},
          {"C", a.C},
          {"chunk", a.chunk},
          {"fwd_s", t_fwd},
          {"fwd_tokens_per_s", tokens / t_fwd},
          {"fwd_ns_per_token_channel", t_fwd / tc * 1e9},
          {"fwd_bwd_s", t_fwd + t_bwd},
          {"fwd_bwd_tokens_per_s", tokens / (t_fwd + t_bwd)},
          {"fwd_bwd_ns_per_token_channel", (t_fwd + t_bwd) / tc * 1e9},
          {"fwd_bwd_bytes_per_token_channel", fb_bytes},
          {"fwd_gb_per_s", fwd_bytes * tc / t_fwd / 1e9},
          {"fwd_bwd_gb_per_s", fb_bytes * tc / (t_fwd + t_bwd) / 1e9}};
}

void fill_wkv_bench_inputs(const WkvBenchArgs& a, float* w, float* u, float* k, float* v, float* gy) {
  Rng rng(1);
  for (int64_t c = 0; c < a.C; ++c) {
    w[c] = static_cast<float>(rng.uniform() * 8 - 5);
    u[c] = static_cast<float>(rng.normal() * 0.5);
  }
  const size_t n = static_cast<size_t>(a.B * a.T * a.C);
#pragma omp parallel for
  for (size_t i = 0; i < n; ++i) {  // cheap hash-based values: generating 10^9 normals serially is slow
    const uint32_t h = static_cast<uint32_t>(i * 2654435761u);
    k[i] = static_cast<float>((h >> 8) % 4000) / 1000.0f - 2.0f;
    v[i] = static_cast<float>((h >> 4) % 2000) / 1000.0f - 1.0f;
    gy[i] = static_cast<float>((h >> 12) % 2000) / 1000.0f - 1.0f;
  }
}

namespace {

// Max |fast - reference| over the first 'Tc' steps of every sequence (forward and backward).
double check_against_reference(const WkvBenchArgs& a, const float* w, const float* u, const float* k,
                               const float* v, const float* gy) {
  const int64_t Tc = std::min<int64_t>(a.T, 2048), B = a.B, C = a.C;
  const size_t n = static_cast<size_t>(B * Tc * C);
  std::vector<float> kc(n), vc(n), gc(n);
  for (int64_t b = 0; b < B; ++b) {
    std::copy(k + b * a.T * C, k + (b * a.T + Tc) * C, kc.begin() + b * Tc * C);
    std::copy(v + b * a.T * C, v + (b * a.T + Tc) * C, vc.begin() + b * Tc * C);
    std::copy(gy + b * a.T * C, gy + (b * a.T + Tc) * C, gc.begin() + b * Tc * C);
  }
  std::vector<float> y1(n), y2(n), gk1(n), gv1(n), gk2(n), gv2(n), gw1(C), gu1(C), gw2(C), gu2(C);
  kernels::wkv4_reference_forward<float>(y1.data(), {}, w, u, kc.data(), vc.data(), {}, B, Tc, C);
  kernels::wkv4_reference_backward<float>(gk1.data(), gv1.data(), gw1.data(), gu1.data(), gc.data(), w, u,
                                          kc.data(), vc.data(), B, Tc, C);
  const kernels::Wkv4Options opt{a.chunk, a.schedule};
  kernels::wkv4_forward<float>(y2.data(), nullptr, {}, w, u, kc.data(), vc.data(), {}, B, Tc, C, opt);
  kernels::wkv4_backward<float>(gk2.data(), gv2.data(), gw2.data(), gu2.data(), {}, gc.data(), {}, w, u,
                                kc.data(), vc.data(), y2.data(), nullptr, {}, B, Tc, C, opt);
  double worst = 0;
  auto upd = [&](const std::vector<float>& x, const std::vector<float>& y, double scale) {
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(double(x[i]) - y[i]) / scale);
  };
  upd(y1, y2, 1);
  upd(gk1, gk2, 1);
  upd(gv1, gv2, 1);
  double gscale = 1;
  for (float g : gw1) gscale = std::max(gscale, double(std::fabs(g)));
  upd(gw1, gw2, gscale);
  upd(gu1, gu2, gscale);
  return worst;
}

void run_bench_wkv(WkvBenchArgs a) {
  if (a.B < 1 || a.T < 1 || a.C < 1) fail_usage("--B, --T and --C must be positive");
  if (a.chunk < 0) fail_usage("--chunk must be >= 1 (or 0 for the kernel's default)");
  set_num_threads(a.threads);
  if (a.arch == "rwkv7") {
    run_bench_wkv7(a);
    return;
  }
  if (a.chunk == 0) a.chunk = kernels::Wkv4Options{}.chunk_len;
  if (a.device == "cuda") {
    run_bench_wkv_cuda(a);
    return;
  }
  const size_t n = static_cast<size_t>(a.B * a.T * a.C);
  AlignedBuffer<float> w(a.C), u(a.C), k(n), v(n), y(n), gy(n), gk(n), gv(n), gw(a.C), gu(a.C);
  AlignedBuffer<float> boundary(kernels::wkv4_boundary_size(a.B, a.T, a.C, a.chunk));
  fill_wkv_bench_inputs(a, w.data(), u.data(), k.data(), v.data(), gy.data());
  const double max_diff = check_against_reference(a, w.data(), u.data(), k.data(), v.data(), gy.data());
  if (!(max_diff < 1e-3)) fail("bench wkv: kernel disagrees with the reference (max diff ", max_diff, ")");

  const kernels::Wkv4Options opt{a.chunk, a.schedule};
  auto forward = [&] {
    kernels::wkv4_forward<float>(y.data(), boundary.data(), {}, w.data(), u.data(), k.data(), v.data(), {},
                                 a.B, a.T, a.C, opt);
  };
  auto backward = [&] {
    kernels::wkv4_backward<float>(gk.data(), gv.data(), gw.data(), gu.data(), {}, gy.data(), {}, w.data(),
                                  u.data(), k.data(), v.data(), y.data(), boundary.data(), {}, a.B, a.T, a.C,
                                  opt);
  };
  const double t_fwd = best_time(a.repeat, forward);
  const double t_bwd = best_time(a.repeat, backward);
  nlohmann::json r = wkv_timing_fields(a, t_fwd, t_bwd);
  r["device"] = cpu_description();
  r["max_diff_vs_reference"] = max_diff;
  if (a.baseline && static_cast<double>(a.B * a.T * a.C) <= 64.0 * 1024 * 1024) {
    // The official design: one sequential pass per channel, two-pass backward with T-sized arrays.
    const double t_ref = best_time(1, [&] {
      kernels::wkv4_reference_forward<float>(y.data(), {}, w.data(), u.data(), k.data(), v.data(), {}, a.B,
                                             a.T, a.C);
      kernels::wkv4_reference_backward<float>(gk.data(), gv.data(), gw.data(), gu.data(), gy.data(), w.data(),
                                              u.data(), k.data(), v.data(), a.B, a.T, a.C);
    });
    r["reference_fwd_bwd_s"] = t_ref;
    r["speedup_vs_reference"] = t_ref / (t_fwd + t_bwd);
  }
  print_result(r, a.json);
}

}  // namespace

void add_bench_wkv(CLI::App& bench) {
  auto a = std::make_shared<WkvBenchArgs>();
  CLI::App* cmd = bench.add_subcommand("wkv", "WKV kernel (RWKV-4 or RWKV-7) forward and forward+backward throughput");
  cmd->add_option("--arch", a->arch, "rwkv4 or rwkv7")->check(CLI::IsMember({"rwkv4", "rwkv7"}))->capture_default_str();
  cmd->add_option("--B", a->B, "batch size")->capture_default_str();
  cmd->add_option("--T", a->T, "sequence length")->capture_default_str();
  cmd->add_option("--C", a->C, "channels")->capture_default_str();
  cmd->add_option("--head-size", a->head_size, "rwkv7: head size N (C / N heads)")->capture_default_str();
  cmd->add_option("--chunk", a->chunk, "chunk length (0: 64 for rwkv4, 16 for rwkv7)")->capture_default_str();
  cmd->add_option("--threads", a->threads, "threads (0 = all cores)")->capture_default_str();
  cmd->add_option("--repeat", a->repeat, "timed repetitions (best is reported)")->capture_default_str();
  cmd->add_flag("--json", a->json, "print one JSON object");
  cmd->add_flag("!--no-baseline", a->baseline, "skip timing the sequential reference");
  cmd->add_option("--device", a->device, "cpu, or cuda for the GPU kernels")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  const std::map<std::string, kernels::Wkv4Schedule> schedules = {
      {"auto", kernels::Wkv4Schedule::automatic},
      {"through_time", kernels::Wkv4Schedule::through_time},
      {"chunk_parallel", kernels::Wkv4Schedule::chunk_parallel}};
  cmd->add_option("--schedule", a->schedule, "WKV schedule: auto, through_time or chunk_parallel")
      ->transform(CLI::CheckedTransformer(schedules, CLI::ignore_case))
      ->default_str("auto");
  cmd->callback([a] { run_bench_wkv(*a); });
}

}  // namespace rwkvs::app
