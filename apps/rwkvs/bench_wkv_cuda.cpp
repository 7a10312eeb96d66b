// rwkvs bench wkv --device cuda: the chunked WKV-4 CUDA kernels, checked against the CPU kernel on
// a prefix of the inputs, then timed with CUDA events beside the official one-thread-per-channel
// design (the sequential kernel) in the same run. Bandwidth is reported against the GPU's peak
// (memory clock x bus width) and against a device-to-device copy measured in the same run.
#include "apps/rwkvs/bench_util.h"
#include "apps/rwkvs/bench_wkv.h"
#include "base/error.h"
#include "kernels/cuda_device.h"

#if RWKVS_HAVE_CUDA
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/wkv4.h"
#include "src/core/buffer.h"
#endif

namespace rwkvs::app {

#if !RWKVS_HAVE_CUDA

void run_bench_wkv_cuda(const WkvBenchArgs&) {
  fail("bench wkv --device cuda: ", kernels::cuda_device_info().problem);
}

#else

namespace {

namespace kc = kernels::cuda;
using kc::DeviceBuffer;

// The first Tc steps of every sequence, and what the CPU kernel computes on them.
struct Prefix {
  int64_t Tc = 0;
  std::vector<float> k, v, gy, y, gk, gv, gw, gu;
};

Prefix cpu_prefix(const WkvBenchArgs& a, const float* w, const float* u, const float* k, const float* v,
                  const float* gy) {
  Prefix p;
  p.Tc = std::min<int64_t>(a.T, 2048);
  const int64_t B = a.B, C = a.C, Tc = p.Tc;
  const size_t n = static_cast<size_t>(B * Tc * C);
  p.k.resize(n), p.v.resize(n), p.gy.resize(n), p.y.resize(n), p.gk.resize(n), p.gv.resize(n);
  p.gw.assign(C, 0.0f), p.gu.assign(C, 0.0f);
  for (int64_t b = 0; b < B; ++b) {
    std::copy(k + b * a.T * C, k + (b * a.T + Tc) * C, p.k.begin() + b * Tc * C);
    std::copy(v + b * a.T * C, v + (b * a.T + Tc) * C, p.v.begin() + b * Tc * C);
    std::copy(gy + b * a.T * C, gy + (b * a.T + Tc) * C, p.gy.begin() + b * Tc * C);
  }
  const kernels::Wkv4Options opt{a.chunk, kernels::Wkv4Schedule::automatic};
  kernels::wkv4_forward<float>(p.y.data(), nullptr, {}, w, u, p.k.data(), p.v.data(), {}, B, Tc, C, opt);
  kernels::wkv4_backward<float>(p.gk.data(), p.gv.data(), p.gw.data(), p.gu.data(), {}, p.gy.data(), {}, w, u,
                                p.k.data(), p.v.data(), p.y.data(), nullptr, {}, B, Tc, C, opt);
  return p;
}

// The bench's measure of agreement: y, gk, gv absolute; gw, gu relative to max(1, max|gw|).
double max_diff(const Prefix& p, const std::vector<float>& y, const std::vector<float>& gk,
                const std::vector<float>& gv, const std::vector<float>& gw, const std::vector<float>& gu) {
  double worst = 0;
  auto upd = [&](const std::vector<float>& got, const std::vector<float>& want, double scale) {
    for (size_t i = 0; i < want.size(); ++i)
      worst = std::max(
          worst, std::fabs(double(got[i]) - want[i]) / scale);  // NaN: caught by the caller's !(x < tol)
    for (float g : got)
      if (!std::isfinite(g)) worst = INFINITY;
  };
  double gscale = 1;
  for (float g : p.gw) gscale = std::max(gscale, double(std::fabs(g)));
  upd(y, p.y, 1);
  upd(gk, p.gk, 1);
  upd(gv, p.gv, 1);
  upd(gw, p.gw, gscale);
  upd(gu, p.gu, gscale);
  return worst;
}

// Device copies of one problem's inputs and room for its outputs.
struct DeviceProblem {
  int64_t B, T, C;
  DeviceBuffer<float> w, u, k, v, gy, y, gk, gv, gw, gu, boundary;
  DeviceProblem(const kc::CudaContext& ctx, int64_t B_, int64_t T_, int64_t C_, int chunk, const float* hw,
                const float* hu, const float* hk, const float* hv, const float* hgy)
      : B(B_),
        T(T_),
        C(C_),
        w(C),
        u(C),
        k(n()),
        v(n()),
        gy(n()),
        y(n()),
        gk(n()),
        gv(n()),
        gw(C),
        gu(C),
        boundary(kernels::wkv4_boundary_size(B, T, C, chunk)) {
    w.upload(ctx, hw, C);
    u.upload(ctx, hu, C);
    k.upload(ctx, hk, n());
    v.upload(ctx, hv, n());
    gy.upload(ctx, hgy, n());
  }
  size_t n() const { return static_cast<size_t>(B * T * C); }
};

void chunked_forward(const kc::CudaContext& ctx, DeviceProblem& d, const kernels::Wkv4Options& opt) {
  kc::wkv4_forward(ctx, d.y.data(), d.boundary.data(), {}, d.w.data(), d.u.data(), d.k.data(), d.v.data(), {},
                   d.B, d.T, d.C, opt);
}
void chunked_backward(const kc::CudaContext& ctx, DeviceProblem& d, const kernels::Wkv4Options& opt) {
  kc::wkv4_backward(ctx, d.gk.data(), d.gv.data(), d.gw.data(), d.gu.data(), {}, d.gy.data(), {}, d.w.data(),
                    d.u.data(), d.k.data(), d.v.data(), d.y.data(), d.boundary.data(), {}, d.B, d.T, d.C,
                    opt);
}
void sequential_forward(const kc::CudaContext& ctx, DeviceProblem& d) {
  kc::wkv4_sequential_forward(ctx, d.y.data(), d.w.data(), d.u.data(), d.k.data(), d.v.data(), d.B, d.T, d.C);
}
void sequential_backward(const kc::CudaContext& ctx, DeviceProblem& d, DeviceBuffer<float>& q,
                         DeviceBuffer<float>& r) {
  kc::wkv4_sequential_backward(ctx, d.gk.data(), d.gv.data(), d.gw.data(), d.gu.data(), q.data(), r.data(),
                               d.gy.data(), d.w.data(), d.u.data(), d.k.data(), d.v.data(), d.y.data(), d.B,
                               d.T, d.C);
}

// Best time in seconds of 'repeat' runs of f (after a warm-up run unless told otherwise), each
// measured with CUDA events.
template <class F>
double best_gpu_time(const kc::CudaContext& ctx, int repeat, F&& f, bool warm_up = true) {
  kc::EventTimer timer;
  if (warm_up) f();
  double best = 1e300;
  for (int i = 0; i < std::max(repeat, 1); ++i) {
    timer.start(ctx);
    f();
    best = std::min(best, timer.stop(ctx));
  }
  return best;
}

}  // namespace

void run_bench_wkv_cuda(const WkvBenchArgs& a) {
  const kernels::CudaDeviceInfo info = kernels::cuda_device_info();
  if (info.count == 0) fail("bench wkv --device cuda: no usable CUDA GPU (", info.problem, ")");
  const kc::OwnedCudaContext owner;
  const kc::CudaContext& ctx = owner.get();
  const kernels::Wkv4Options opt{a.chunk, a.schedule};
  const kernels::Wkv4Schedule schedule = kc::wkv4_resolve_schedule(ctx, opt, a.B, a.T, a.C);

  const size_t n = static_cast<size_t>(a.B * a.T * a.C);
  AlignedBuffer<float> w(a.C), u(a.C), k(n), v(n), gy(n);
  fill_wkv_bench_inputs(a, w.data(), u.data(), k.data(), v.data(), gy.data());

  // validation on the prefix: the chunked and the sequential GPU kernels against the CPU kernel
  const Prefix p = cpu_prefix(a, w.data(), u.data(), k.data(), v.data(), gy.data());
  DeviceProblem pd(ctx, a.B, p.Tc, a.C, a.chunk, w.data(), u.data(), p.k.data(), p.v.data(), p.gy.data());
  chunked_forward(ctx, pd, opt);
  chunked_backward(ctx, pd, opt);
  const double diff = max_diff(p, pd.y.to_host(ctx), pd.gk.to_host(ctx), pd.gv.to_host(ctx),
                               pd.gw.to_host(ctx), pd.gu.to_host(ctx));
  if (!(diff < 1e-3))
    fail("bench wkv --device cuda: the CUDA kernel disagrees with the CPU kernel (max diff ", diff, ")");
  double seq_diff = 0;
  if (a.baseline) {
    DeviceBuffer<float> q(pd.n()), r(pd.n());
    pd.gw.zero(ctx), pd.gu.zero(ctx);
    sequential_forward(ctx, pd);
    sequential_backward(ctx, pd, q, r);
    seq_diff = max_diff(p, pd.y.to_host(ctx), pd.gk.to_host(ctx), pd.gv.to_host(ctx), pd.gw.to_host(ctx),
                        pd.gu.to_host(ctx));
    if (!(seq_diff < 1e-3))
      fail("bench wkv --device cuda: the sequential kernel disagrees with the CPU kernel (max diff ",
           seq_diff, ")");
  }

  DeviceProblem d(ctx, a.B, a.T, a.C, a.chunk, w.data(), u.data(), k.data(), v.data(), gy.data());
  const double t_fwd = best_gpu_time(ctx, a.repeat, [&] { chunked_forward(ctx, d, opt); });
  const double t_bwd = best_gpu_time(ctx, a.repeat, [&] { chunked_backward(ctx, d, opt); });
  const double copy_gbs = kc::measure_copy_bandwidth_gbs(ctx, size_t(1) << 30);
  const double peak_gbs = info.peak_memory_gbs > 0 ? info.peak_memory_gbs : copy_gbs;

  nlohmann::json r = wkv_timing_fields(a, t_fwd, t_bwd);
  const double fwd_gbs = r.at("fwd_gb_per_s").get<double>(), fb_gbs = r.at("fwd_bwd_gb_per_s").get<double>();
  r.update({{"device", info.name},
            {"schedule", schedule_name(schedule)},
            {"peak_gb_per_s", info.peak_memory_gbs},
            {"copy_gb_per_s", copy_gbs},
            {"fwd_fraction_of_peak", fwd_gbs / peak_gbs},
            {"fwd_bwd_fraction_of_peak", fb_gbs / peak_gbs},
            {"fwd_fraction_of_copy", fwd_gbs / copy_gbs},
            {"max_diff_vs_cpu", diff}});
  if (a.baseline) {
    // The official design in the same run: one thread per (b, c) through the whole sequence.
    DeviceBuffer<float> q(n), rr(n);
    // one run each: long at large T, and its code is already loaded by the prefix check
    const double s_fwd = best_gpu_time(
        ctx, 1, [&] { sequential_forward(ctx, d); }, false);
    const double s_bwd = best_gpu_time(
        ctx, 1, [&] { sequential_backward(ctx, d, q, rr); }, false);
    r["sequential_fwd_s"] = s_fwd;
    r["sequential_fwd_bwd_s"] = s_fwd + s_bwd;
    r["sequential_max_diff_vs_cpu"] = seq_diff;
    r["speedup_fwd"] = s_fwd / t_fwd;
    r["speedup_fwd_bwd"] = (s_fwd + s_bwd) / (t_fwd + t_bwd);
  }
  print_result(r, a.json);
}

#endif

}  // namespace rwkvs::app
