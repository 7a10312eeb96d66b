// WKV-4 kernel: the chunked kernel (both schedules, any chunk length) against the sequential
// reference, its backward against the two-pass reference and against finite differences in double,
// initial/final state handling, extreme k and very long T.
#include <cmath>
#include <vector>

#include "base/error.h"
#include "base/rng.h"
#include "kernels/wkv4.h"
#include "tests/support.h"

using namespace rwkvs;
using namespace rwkvs::kernels;

namespace {

template <class R>
struct WkvCase {
  int64_t B, T, C;
  std::vector<R> w, u, k, v, gy;
  std::vector<R> aa0, bb0, pp0;  // an initial state (used when with_state)
  WkvCase(int64_t B_, int64_t T_, int64_t C_, uint64_t seed, double k_scale = 1.0)
      : B(B_), T(T_), C(C_), w(C_), u(C_), k(B_ * T_ * C_), v(k.size()), gy(k.size()), aa0(B_ * C_),
        bb0(B_ * C_), pp0(B_ * C_) {
    Rng rng(seed);
    for (auto& x : w) x = static_cast<R>(rng.uniform() * 8 - 5);  // decays from slow to fast
    for (auto& x : u) x = static_cast<R>(rng.normal());
    for (auto& x : k) x = static_cast<R>(rng.normal() * k_scale);
    for (auto& x : v) x = static_cast<R>(rng.normal());
    for (auto& x : gy) x = static_cast<R>(rng.normal());
    for (size_t i = 0; i < aa0.size(); ++i) {
      bb0[i] = static_cast<R>(0.5 + rng.uniform());
      aa0[i] = static_cast<R>(rng.normal()) * bb0[i];
      pp0[i] = static_cast<R>(rng.normal() * 2);
    }
  }
  Wkv4ConstState<R> state(bool with) const {
    return with ? Wkv4ConstState<R>(aa0.data(), bb0.data(), pp0.data()) : Wkv4ConstState<R>();
  }
};

template <class R>
struct Outputs {
  std::vector<R> y, aa, bb, pp;
};

template <class R>
Outputs<R> run_forward(const WkvCase<R>& c, bool with_state, const Wkv4Options& opt) {
  Outputs<R> o{std::vector<R>(c.k.size()), std::vector<R>(c.B * c.C), std::vector<R>(c.B * c.C),
               std::vector<R>(c.B * c.C)};
  std::vector<R> boundary(wkv4_boundary_size(c.B, c.T, c.C, opt.chunk_len));
  wkv4_forward<R>(o.y.data(), boundary.data(), {o.aa.data(), o.bb.data(), o.pp.data()}, c.w.data(), c.u.data(),
                  c.k.data(), c.v.data(), c.state(with_state), c.B, c.T, c.C, opt);
  return o;
}

Outputs<double> run_reference(const WkvCase<double>& c, bool with_state) {
  Outputs<double> o{std::vector<double>(c.k.size()), std::vector<double>(c.B * c.C),
                    std::vector<double>(c.B * c.C), std::vector<double>(c.B * c.C)};
  wkv4_reference_forward<double>(o.y.data(), {o.aa.data(), o.bb.data(), o.pp.data()}, c.w.data(), c.u.data(),
                                 c.k.data(), c.v.data(), c.state(with_state), c.B, c.T, c.C);
  return o;
}

// The state's numerator and denominator sums, which are what the (aa, bb, pp) triple represents.
template <class R>
std::vector<double> state_sums(const Outputs<R>& o) {
  std::vector<double> s;
  for (size_t i = 0; i < o.aa.size(); ++i) {
    s.push_back(o.aa[i] * std::exp(static_cast<double>(o.pp[i])));
    s.push_back(o.bb[i] * std::exp(static_cast<double>(o.pp[i])));
  }
  return s;
}

const Wkv4Schedule kSchedules[] = {Wkv4Schedule::through_time, Wkv4Schedule::chunk_parallel};

}  // namespace

TEST_CASE("chunked forward equals the sequential recurrence for every chunk length and schedule") {
  const int64_t T = 100;
  WkvCase<double> cd(2, T, 43, 11);  // C = 43: tiles of 32, 8 and single lanes
  for (bool with_state : {false, true}) {
    const Outputs<double> ref = run_reference(cd, with_state);
    for (int L : {1, 2, 16, 7, int(T), 1000}) {
      for (Wkv4Schedule s : kSchedules) {
        CAPTURE(L);
        CAPTURE(with_state);
        CAPTURE(int(s));
        const Outputs<double> got = run_forward(cd, with_state, {L, s});
        CHECK_ARRAYS_CLOSE(got.y.data(), ref.y.data(), got.y.size(), 1e-12, 1e-10);
        const auto gs = state_sums(got), rs = state_sums(ref);
        CHECK_ARRAYS_CLOSE(gs.data(), rs.data(), gs.size(), 1e-12, 1e-10);
      }
    }
  }
}

TEST_CASE("float kernel stays within float rounding of the double reference") {
  WkvCase<double> cd(3, 257, 40, 5);
  WkvCase<float> cf(3, 257, 40, 5);
  const Outputs<double> ref = run_reference(cd, true);
  for (Wkv4Schedule s : kSchedules) {
    const Outputs<float> got = run_forward(cf, true, {16, s});
    CHECK_ARRAYS_CLOSE(got.y.data(), ref.y.data(), got.y.size(), 2e-5, 2e-5);
  }
}

TEST_CASE("T = 1 and a single channel") {
  WkvCase<double> cd(1, 1, 1, 3);
  const Outputs<double> ref = run_reference(cd, false);
  const Outputs<double> got = run_forward(cd, false, {64, Wkv4Schedule::automatic});
  // one token from the empty state: y = v exactly
  CHECK(got.y[0] == doctest::Approx(cd.v[0]).epsilon(1e-15));
  CHECK(ref.y[0] == doctest::Approx(cd.v[0]).epsilon(1e-15));
}

TEST_CASE("extreme keys (|k| ~ 40) stay finite and close to the double reference") {
  WkvCase<double> cd(1, 600, 16, 21, 40.0);
  WkvCase<float> cf(1, 600, 16, 21, 40.0);
  const Outputs<double> ref = run_reference(cd, false);
  for (Wkv4Schedule s : kSchedules) {
    const Outputs<float> got = run_forward(cf, false, {32, s});
    for (float y : got.y) REQUIRE(std::isfinite(y));
    // spec §11.8: fp32 with |k| ~ 40 differs from fp64 by up to ~2.5e-3 absolute (the inputs
    // themselves are rounded to float, and e^k amplifies that).
    CHECK_ARRAYS_CLOSE(got.y.data(), ref.y.data(), got.y.size(), 5e-3, 1e-3);
    // the same kernel in double matches the reference to rounding
    const Outputs<double> gd = run_forward(cd, false, {32, s});
    CHECK_ARRAYS_CLOSE(gd.y.data(), ref.y.data(), gd.y.size(), 1e-10, 1e-10);
  }
}

TEST_CASE("very long sequence: T = 2^20 on one stream") {
  const int64_t T = int64_t(1) << 20;
  WkvCase<float> cf(1, T, 2, 9);
  WkvCase<double> cd(1, T, 2, 9);
  const Outputs<double> ref = run_reference(cd, false);
  for (Wkv4Schedule s : kSchedules) {
    const Outputs<float> got = run_forward(cf, false, {128, s});
    CHECK_ARRAYS_CLOSE(got.y.data(), ref.y.data(), got.y.size(), 1e-4, 1e-4);
  }
}

TEST_CASE("backward equals the official two-pass backward (no initial state)") {
  WkvCase<double> cd(2, 90, 41, 17);
  std::vector<double> rgk(cd.k.size()), rgv(cd.k.size()), rgw(cd.C), rgu(cd.C);
  wkv4_reference_backward<double>(rgk.data(), rgv.data(), rgw.data(), rgu.data(), cd.gy.data(), cd.w.data(),
                                  cd.u.data(), cd.k.data(), cd.v.data(), cd.B, cd.T, cd.C);
  for (int L : {1, 3, 16, 90}) {
    for (Wkv4Schedule s : kSchedules) {
      CAPTURE(L);
      CAPTURE(int(s));
      const Wkv4Options opt{L, s};
      const Outputs<double> fwd = run_forward(cd, false, opt);
      std::vector<double> gk(cd.k.size()), gv(cd.k.size()), gw(cd.C), gu(cd.C);
      wkv4_backward<double>(gk.data(), gv.data(), gw.data(), gu.data(), {}, cd.gy.data(), {}, cd.w.data(),
                            cd.u.data(), cd.k.data(), cd.v.data(), fwd.y.data(), nullptr, {}, cd.B, cd.T, cd.C,
                            opt);
      CHECK_ARRAYS_CLOSE(gk.data(), rgk.data(), gk.size(), 1e-10, 1e-9);
      CHECK_ARRAYS_CLOSE(gv.data(), rgv.data(), gv.size(), 1e-10, 1e-9);
      CHECK_ARRAYS_CLOSE(gw.data(), rgw.data(), gw.size(), 1e-10, 1e-9);
      CHECK_ARRAYS_CLOSE(gu.data(), rgu.data(), gu.size(), 1e-10, 1e-9);
    }
  }
}

namespace {

// L = sum(gy * y) + sum((gA * aa_T + gB * bb_T) * e^{pp_T - P}) with P fixed at the unperturbed run,
// i.e. a loss on the final sums a_T, b_T themselves.
double fd_loss(const WkvCase<double>& c, const std::vector<double>& gA, const std::vector<double>& gB,
               const std::vector<double>& P, const Wkv4Options& opt) {
  const Outputs<double> o = run_forward(c, true, opt);
  double L = 0;
  for (size_t i = 0; i < o.y.size(); ++i) L += c.gy[i] * o.y[i];
  for (size_t i = 0; i < o.aa.size(); ++i) L += (gA[i] * o.aa[i] + gB[i] * o.bb[i]) * std::exp(o.pp[i] - P[i]);
  return L;
}

}  // namespace

TEST_CASE("backward with initial and final state matches finite differences in double") {
  for (int64_t C : {11, 40}) {
    for (Wkv4Schedule s : kSchedules) {
      CAPTURE(C);
      CAPTURE(int(s));
      WkvCase<double> c(2, 23, C, 31 + C);
      const Wkv4Options opt{4, s};
      Rng rng(99);
      std::vector<double> gA(c.B * C), gB(c.B * C);
      for (auto& x : gA) x = rng.normal();
      for (auto& x : gB) x = rng.normal();
      const Outputs<double> fwd = run_forward(c, true, opt);
      const std::vector<double> P = fwd.pp;
      // analytic gradients; the final-state gradient in the kernel's convention is dL/daa_T at fixed pp_T
      std::vector<double> gaaT(c.B * C), gbbT(c.B * C);
      for (size_t i = 0; i < gA.size(); ++i) {
        gaaT[i] = gA[i];
        gbbT[i] = gB[i];
      }
      std::vector<double> gk(c.k.size()), gv(c.k.size()), gw(C), gu(C), ga0(c.B * C), gb0(c.B * C), gp0(c.B * C);
      std::vector<double> boundary(wkv4_boundary_size(c.B, c.T, C, opt.chunk_len));
      std::vector<double> y(c.k.size());
      wkv4_forward<double>(y.data(), boundary.data(), {}, c.w.data(), c.u.data(), c.k.data(), c.v.data(),
                           c.state(true), c.B, c.T, C, opt);
      wkv4_backward<double>(gk.data(), gv.data(), gw.data(), gu.data(), {ga0.data(), gb0.data(), gp0.data()},
                            c.gy.data(), {gaaT.data(), gbbT.data(), fwd.pp.data()}, c.w.data(), c.u.data(),
                            c.k.data(), c.v.data(), y.data(), boundary.data(), c.state(true), c.B, c.T, C, opt);
      const double h = 1e-6;
      auto check = [&](std::vector<double>& param, const std::vector<double>& grad, const char* name) {
        for (size_t i = 0; i < param.size(); i += std::max<size_t>(1, param.size() / 37)) {
          const double keep = param[i];
          param[i] = keep + h;
          const double lp = fd_loss(c, gA, gB, P, opt);
          param[i] = keep - h;
          const double lm = fd_loss(c, gA, gB, P, opt);
          param[i] = keep;
          const double fd = (lp - lm) / (2 * h);
          INFO(name << "[" << i << "] analytic " << grad[i] << " finite-difference " << fd);
          CHECK(std::fabs(grad[i] - fd) <= 1e-6 * (1 + std::fabs(fd)));
        }
      };
      check(c.w, gw, "w");
      check(c.u, gu, "u");
      check(c.k, gk, "k");
      check(c.v, gv, "v");
      check(c.aa0, ga0, "aa0");
      check(c.bb0, gb0, "bb0");
      check(c.pp0, gp0, "pp0");
    }
  }
}

TEST_CASE("bad sizes are errors, not crashes") {
  float x = 0;
  CHECK_THROWS_WITH_AS(wkv4_forward<float>(&x, nullptr, {}, &x, &x, &x, &x, {}, 1, 0, 1, {}),
                       doctest::Contains("T=0"), rwkvs::Error);
  CHECK_THROWS_WITH_AS(wkv4_forward<float>(&x, nullptr, {}, &x, &x, &x, &x, {}, 1, 1, 1, {0}),
                       doctest::Contains("chunk length"), rwkvs::Error);
}
