// WKV-4 on the GPU against its CPU twin (kernels/cpu/wkv4.cpp, float): forward outputs, final and
// chunk-boundary states, and every gradient (gk, gv, accumulated gw/gu, the initial-state gradient)
// for both schedules and several chunk lengths, at T = 1, odd T, T = 2^20 on one short row of
// channels, and many channels; the sequential baseline against the CPU reference; launcher errors.
//
// Tolerances are relative to the largest magnitude of the CPU result (CHECK_CLOSE_SCALED): 1e-4
// for y, states, gk, gv and the initial-state gradient; 1e-3 for gw, gu (sums over B*T terms,
// added in another order); 5e-4 for everything at T = 2^20. The GPU's __expf and the CPU's
// polynomial exp differ by ~1e-6 relative, so any indexing or recurrence mistake is far outside.
#include <cmath>
#include <vector>

#include "base/error.h"
#include "kernels/cuda/wkv4.h"
#include "kernels/wkv4.h"
#include "kernels/wkv4_math.h"
#include "tests/gpu/gpu_support.h"

using namespace rwkvs;
using namespace rwkvs::test::gpu;
using kernels::Wkv4ConstState;
using kernels::Wkv4Options;
using kernels::Wkv4Schedule;
using kernels::Wkv4State;

namespace {

// Inputs of one case, on the host and on the device.
struct Case {
  int64_t B, T, C;
  std::vector<float> w, u, k, v, gy, aa0, bb0, pp0, gaaT, gbbT, gw0, gu0;
  DeviceBuffer<float> dw, du, dk, dv, dgy, daa0, dbb0, dpp0, dgaaT, dgbbT;
  Case(int64_t B_, int64_t T_, int64_t C_, uint64_t seed, double k_scale = 1.0) : B(B_), T(T_), C(C_) {
    const size_t n = static_cast<size_t>(B * T * C), s = static_cast<size_t>(B * C);
    w = uniform(C, seed, -5, 3);  // decays from slow to fast
    u = normal(C, seed + 1);
    k = normal(n, seed + 2, k_scale);
    v = normal(n, seed + 3);
    gy = normal(n, seed + 4);
    bb0 = uniform(s, seed + 5, 0.5, 1.5);
    aa0 = normal(s, seed + 6);
    for (size_t i = 0; i < s; ++i) aa0[i] *= bb0[i];
    pp0 = normal(s, seed + 7, 2.0);
    gaaT = normal(s, seed + 8);
    gbbT = normal(s, seed + 9);
    gw0 = normal(C, seed + 10);  // gw, gu start non-zero: the ops must add, not overwrite
    gu0 = normal(C, seed + 11);
    dw = to_device(ctx(), w), du = to_device(ctx(), u), dk = to_device(ctx(), k), dv = to_device(ctx(), v);
    dgy = to_device(ctx(), gy), daa0 = to_device(ctx(), aa0), dbb0 = to_device(ctx(), bb0);
    dpp0 = to_device(ctx(), pp0), dgaaT = to_device(ctx(), gaaT), dgbbT = to_device(ctx(), gbbT);
  }
  size_t n() const { return k.size(); }
  size_t s() const { return aa0.size(); }
  Wkv4ConstState<float> host_state(bool with) const {
    return with ? Wkv4ConstState<float>(aa0.data(), bb0.data(), pp0.data()) : Wkv4ConstState<float>();
  }
  Wkv4ConstState<float> device_state(bool with) const {
    return with ? Wkv4ConstState<float>(daa0.data(), dbb0.data(), dpp0.data()) : Wkv4ConstState<float>();
  }
};

struct Results {
  std::vector<float> y, aa, bb, pp, boundary, gk, gv, gw, gu, ga0, gb0, gp0;
};

// a = aa e^pp and b = bb e^pp: what a (aa, bb, pp) triple stands for, free of the choice of pp.
std::vector<double> sums(const std::vector<float>& aa, const std::vector<float>& bb,
                         const std::vector<float>& pp) {
  std::vector<double> s;
  for (size_t i = 0; i < aa.size(); ++i) {
    s.push_back(aa[i] * std::exp(static_cast<double>(pp[i])));
    s.push_back(bb[i] * std::exp(static_cast<double>(pp[i])));
  }
  return s;
}
// The same for a (B, nchunks, 3, C) boundary buffer.
std::vector<double> boundary_sums(const std::vector<float>& buf, int64_t C) {
  std::vector<float> aa, bb, pp;
  for (size_t r = 0; r + 3 * C <= buf.size(); r += 3 * C)
    for (int64_t c = 0; c < C; ++c) {
      aa.push_back(buf[r + c]);
      bb.push_back(buf[r + C + c]);
      pp.push_back(buf[r + 2 * C + c]);
    }
  return sums(aa, bb, pp);
}

Results run_cpu(const Case& c, bool with_state, bool with_gout, const Wkv4Options& opt) {
  Results r;
  const size_t n = c.n(), s = c.s();
  r.y.resize(n), r.aa.resize(s), r.bb.resize(s), r.pp.resize(s);
  r.boundary.resize(kernels::wkv4_boundary_size(c.B, c.T, c.C, opt.chunk_len));
  kernels::wkv4_forward<float>(r.y.data(), r.boundary.data(), {r.aa.data(), r.bb.data(), r.pp.data()},
                               c.w.data(), c.u.data(), c.k.data(), c.v.data(), c.host_state(with_state), c.B,
                               c.T, c.C, opt);
  r.gk.resize(n), r.gv.resize(n), r.gw = c.gw0, r.gu = c.gu0, r.ga0.resize(s), r.gb0.resize(s),
                                  r.gp0.resize(s);
  const Wkv4ConstState<float> gout =
      with_gout ? Wkv4ConstState<float>(c.gaaT.data(), c.gbbT.data(), r.pp.data()) : Wkv4ConstState<float>();
  kernels::wkv4_backward<float>(r.gk.data(), r.gv.data(), r.gw.data(), r.gu.data(),
                                {r.ga0.data(), r.gb0.data(), r.gp0.data()}, c.gy.data(), gout, c.w.data(),
                                c.u.data(), c.k.data(), c.v.data(), r.y.data(), r.boundary.data(),
                                c.host_state(with_state), c.B, c.T, c.C, opt);
  return r;
}

// recompute_boundary: the backward gets no boundary buffer and must rebuild it.
Results run_gpu(const Case& c, bool with_state, bool with_gout, const Wkv4Options& opt,
                bool recompute_boundary = false) {
  const size_t n = c.n(), s = c.s();
  DeviceBuffer<float> y(n), aa(s), bb(s), pp(s),
      boundary(kernels::wkv4_boundary_size(c.B, c.T, c.C, opt.chunk_len));
  kernels::cuda::wkv4_forward(ctx(), y.data(), boundary.data(), {aa.data(), bb.data(), pp.data()},
                              c.dw.data(), c.du.data(), c.dk.data(), c.dv.data(), c.device_state(with_state),
                              c.B, c.T, c.C, opt);
  DeviceBuffer<float> gk(n), gv(n), gw = to_device(ctx(), c.gw0), gu = to_device(ctx(), c.gu0), ga0(s),
                                    gb0(s), gp0(s);
  const Wkv4ConstState<float> gout =
      with_gout ? Wkv4ConstState<float>(c.dgaaT.data(), c.dgbbT.data(), nullptr) : Wkv4ConstState<float>();
  kernels::cuda::wkv4_backward(
      ctx(), gk.data(), gv.data(), gw.data(), gu.data(), {ga0.data(), gb0.data(), gp0.data()}, c.dgy.data(),
      gout, c.dw.data(), c.du.data(), c.dk.data(), c.dv.data(), y.data(),
      recompute_boundary ? nullptr : boundary.data(), c.device_state(with_state), c.B, c.T, c.C, opt);
  return {host(y),  host(aa), host(bb), host(pp),  host(boundary), host(gk),
          host(gv), host(gw), host(gu), host(ga0), host(gb0),      host(gp0)};
}

void check_same(const Results& got, const Results& want, int64_t C, double tol, double sum_tol) {
  CHECK_CLOSE_SCALED(got.y, want.y, tol);
  const auto gs = sums(got.aa, got.bb, got.pp), ws = sums(want.aa, want.bb, want.pp);
  CHECK_CLOSE_SCALED(gs, ws, tol);
  const auto gb = boundary_sums(got.boundary, C), wb = boundary_sums(want.boundary, C);
  CHECK_CLOSE_SCALED(gb, wb, tol);
  CHECK_CLOSE_SCALED(got.gk, want.gk, tol);
  CHECK_CLOSE_SCALED(got.gv, want.gv, tol);
  CHECK_CLOSE_SCALED(got.gw, want.gw, sum_tol);
  CHECK_CLOSE_SCALED(got.gu, want.gu, sum_tol);
  CHECK_CLOSE_SCALED(got.ga0, want.ga0, tol);
  CHECK_CLOSE_SCALED(got.gb0, want.gb0, tol);
  CHECK_CLOSE_SCALED(got.gp0, want.gp0, tol);
}

struct Shape {
  int64_t B, T, C;
};

const Wkv4Schedule kSchedules[] = {Wkv4Schedule::through_time, Wkv4Schedule::chunk_parallel};

}  // namespace

TEST_CASE("T = 1: one step from the empty state and from a carried state") {
  const Case c(2, 1, 5, 101);
  for (bool with_state : {false, true})
    for (Wkv4Schedule sched : kSchedules) {
      CAPTURE(with_state);
      CAPTURE(int(sched));
      const Wkv4Options opt{64, sched};
      check_same(run_gpu(c, with_state, with_state, opt), run_cpu(c, with_state, with_state, opt), c.C, 1e-4,
                 1e-3);
    }
  // one token from the empty state outputs v exactly (up to the division's rounding)
  const Results r = run_gpu(c, false, false, {64, Wkv4Schedule::automatic});
  CHECK_CLOSE_SCALED(r.y, c.v, 1e-6);
}

TEST_CASE("odd T, every chunk length (1, 7, 16, 64, T), both schedules, with and without states") {
  const Case c(2, 77, 43, 202);  // C = 43: warps straddle rows; T = 77 chunks of 1 span two scan groups
  for (bool with_state : {false, true})
    for (int L : {1, 7, 16, 64, 77})
      for (Wkv4Schedule sched : kSchedules) {
        CAPTURE(with_state);
        CAPTURE(L);
        CAPTURE(int(sched));
        const Wkv4Options opt{L, sched};
        check_same(run_gpu(c, with_state, with_state, opt), run_cpu(c, with_state, with_state, opt), c.C,
                   1e-4, 1e-3);
      }
}

TEST_CASE("a final-state gradient without an initial state, and the backward rebuilding its boundary") {
  const Case c(3, 130, 33, 303);
  for (Wkv4Schedule sched : kSchedules) {
    CAPTURE(int(sched));
    const Wkv4Options opt{16, sched};
    const Results want = run_cpu(c, false, true, opt);
    check_same(run_gpu(c, false, true, opt), want, c.C, 1e-4, 1e-3);
    const Results rebuilt = run_gpu(c, false, true, opt, /*recompute_boundary=*/true);
    CHECK_CLOSE_SCALED(rebuilt.gk, want.gk, 1e-4);
    CHECK_CLOSE_SCALED(rebuilt.gw, want.gw, 1e-3);
  }
}

TEST_CASE("T = 2^20 on one stream of 4 channels") {
  const Case c(1, int64_t(1) << 20, 4, 404);
  for (Wkv4Schedule sched : kSchedules) {
    CAPTURE(int(sched));
    const Wkv4Options opt{64, sched};  // 16384 chunks: 256 scan groups
    check_same(run_gpu(c, true, true, opt), run_cpu(c, true, true, opt), c.C, 5e-4, 5e-4);
  }
}

TEST_CASE("many channels: B = 8, T = 512, C = 1024") {
  const Case c(8, 512, 1024, 505);
  for (Wkv4Schedule sched :
       {Wkv4Schedule::automatic, Wkv4Schedule::through_time, Wkv4Schedule::chunk_parallel})
    for (bool with_state : {false, true}) {
      CAPTURE(int(sched));
      CAPTURE(with_state);
      const Wkv4Options opt{64, sched};
      check_same(run_gpu(c, with_state, with_state, opt), run_cpu(c, with_state, with_state, opt), c.C, 1e-4,
                 1e-3);
    }
}

TEST_CASE("extreme keys (|k| ~ 40) stay finite and agree with the CPU") {
  const Case c(1, 600, 16, 606, 40.0);
  for (Wkv4Schedule sched : kSchedules) {
    CAPTURE(int(sched));
    const Results got = run_gpu(c, false, false, {32, sched});
    for (float y : got.y) REQUIRE(std::isfinite(y));
    for (float g : got.gk) REQUIRE(std::isfinite(g));
    // spec §11.8: float rounding of e^k with |k| ~ 40 moves y by up to ~2.5e-3 absolute
    const Results want = run_cpu(c, false, false, {32, sched});
    CHECK_ARRAYS_CLOSE(got.y.data(), want.y.data(), want.y.size(), 1e-2, 1e-3);
  }
}

TEST_CASE("sequential one-thread-per-channel baseline equals the CPU reference") {
  for (const Shape sh : {Shape{2, 77, 43}, Shape{1, 4096, 64}}) {
    const int64_t B = sh.B, T = sh.T, C = sh.C;
    CAPTURE(T);
    const Case c(B, T, C, 707);
    const size_t n = c.n();
    std::vector<float> y(n), gk(n), gv(n), gw = c.gw0, gu = c.gu0;
    kernels::wkv4_reference_forward<float>(y.data(), {}, c.w.data(), c.u.data(), c.k.data(), c.v.data(), {},
                                           B, T, C);
    kernels::wkv4_reference_backward<float>(gk.data(), gv.data(), gw.data(), gu.data(), c.gy.data(),
                                            c.w.data(), c.u.data(), c.k.data(), c.v.data(), B, T, C);
    DeviceBuffer<float> dy(n), dgk(n), dgv(n), q(n), r(n), dgw = to_device(ctx(), c.gw0),
                                                           dgu = to_device(ctx(), c.gu0);
    kernels::cuda::wkv4_sequential_forward(ctx(), dy.data(), c.dw.data(), c.du.data(), c.dk.data(),
                                           c.dv.data(), B, T, C);
    kernels::cuda::wkv4_sequential_backward(ctx(), dgk.data(), dgv.data(), dgw.data(), dgu.data(), q.data(),
                                            r.data(), c.dgy.data(), c.dw.data(), c.du.data(), c.dk.data(),
                                            c.dv.data(), dy.data(), B, T, C);
    CHECK_CLOSE_SCALED(host(dy), y, 1e-4);
    CHECK_CLOSE_SCALED(host(dgk), gk, 1e-4);
    CHECK_CLOSE_SCALED(host(dgv), gv, 1e-4);
    CHECK_CLOSE_SCALED(host(dgw), gw, 1e-3);
    CHECK_CLOSE_SCALED(host(dgu), gu, 1e-3);
  }
}

TEST_CASE("state reset writes the empty state") {
  DeviceBuffer<float> aa = to_device(ctx(), normal(12, 1)), bb = to_device(ctx(), normal(12, 2)),
                      pp = to_device(ctx(), normal(12, 3));
  kernels::cuda::wkv4_state_reset(ctx(), {aa.data(), bb.data(), pp.data()}, 3, 4);
  for (float x : host(aa)) CHECK(x == 0.0f);
  for (float x : host(bb)) CHECK(x == 0.0f);
  for (float x : host(pp)) CHECK(x == kernels::kWkvEmpty);
}

TEST_CASE("launcher errors name the op and the bad value") {
  DeviceBuffer<float> x(16);
  float* p = x.data();
  using kernels::cuda::wkv4_forward;
  CHECK(test::error_of([&] {
          wkv4_forward(ctx(), p, nullptr, {}, p, p, p, p, {}, 1, 0, 1, {});
        }).find("T=0") != std::string::npos);
  CHECK(test::error_of([&] {
          wkv4_forward(ctx(), p, nullptr, {}, p, p, p, p, {}, 1, 1, 1, {0});
        }).find("cuda wkv4_forward: chunk length") != std::string::npos);
  CHECK(test::error_of([&] {
          wkv4_forward(ctx(), p, nullptr, {}, p, p, p, p, {p, nullptr, p}, 1, 1, 1, {});
        }).find("state_in") != std::string::npos);
  CHECK(test::error_of([&] {
          wkv4_forward(ctx(), p, nullptr, {}, p, p, nullptr, p, {}, 1, 1, 1, {});
        }).find("k must not be null") != std::string::npos);
}
