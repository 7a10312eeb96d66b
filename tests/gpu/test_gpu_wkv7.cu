// WKV-7 on the GPU (kernels/cuda/wkv7.h) against the CPU kernel (kernels/wkv7.h): y, the final
// state, the chunk-start boundary and every gradient, for head sizes 1 .. 64 (each of the 16-, 32-
// and 64-wide kernels, with padding), chunk lengths 1, 16, 40 and chunks longer than the backward's
// span, with and without initial state and final-state gradient, the backward given the forward's
// boundary or rebuilding it; more heads than resident blocks; a long sequence; launcher errors.
//
// The reference is the CPU kernel in double on the same fp32 inputs, so each check measures the GPU's
// own fp32 error: within 2e-5 of the reference's largest magnitude (1e-4 over 2^16 steps), the bound
// the CPU fp32 kernel meets in tests/test_wkv7.cpp. Outputs start as NaN so that an element the GPU
// leaves unwritten fails.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/rng.h"
#include "kernels/cuda/wkv7.h"
#include "kernels/wkv7.h"
#include "tests/gpu/gpu_support.h"
#include "tests/wkv7_inputs.h"

using namespace rwkvs;
using namespace rwkvs::test::gpu;
using kernels::Wkv7Options;

namespace {

std::vector<double> to_double(const std::vector<float>& x) { return {x.begin(), x.end()}; }
DeviceBuffer<float> poisoned(size_t n) {
  return to_device(ctx(), std::vector<float>(n, std::numeric_limits<float>::quiet_NaN()));
}

// Inputs with the model's statistics (tests/wkv7_inputs.h), and their device copies.
struct Case : test::Wkv7Inputs<float> {
  int64_t B, T, H, N;
  DeviceBuffer<float> dr, dlogw, dk, dv, da, db, dS0, dgy, dgS;
  Case(int64_t B_, int64_t T_, int64_t H_, int64_t N_, uint64_t seed)
      : test::Wkv7Inputs<float>(static_cast<size_t>(B_ * T_ * H_ * N_), static_cast<size_t>(B_ * H_ * N_ * N_), N_,
                                seed),
        B(B_), T(T_), H(H_), N(N_) {
    dr = to_device(ctx(), r), dlogw = to_device(ctx(), logw), dk = to_device(ctx(), k);
    dv = to_device(ctx(), v), da = to_device(ctx(), a), db = to_device(ctx(), b);
    dS0 = to_device(ctx(), S0), dgy = to_device(ctx(), gy), dgS = to_device(ctx(), gS);
  }
  size_t n() const { return r.size(); }
  size_t ns() const { return S0.size(); }
  size_t boundary_size(int Q) const { return kernels::wkv7_boundary_size(B, T, H, N, Q); }
};

template <class R>
struct Results {
  std::vector<R> y, S, boundary, gr, glogw, gk, gv, ga, gb, gS0;
};

// The CPU kernel in double on the case's fp32 inputs (its boundary layout is the GPU's, see
// kernels/cuda/wkv7.h).
Results<double> run_cpu(const Case& c, bool with_state, bool with_gS, int Q) {
  const std::vector<double> r = to_double(c.r), logw = to_double(c.logw), k = to_double(c.k),
                            v = to_double(c.v), a = to_double(c.a), b = to_double(c.b), S0 = to_double(c.S0),
                            gy = to_double(c.gy), gS = to_double(c.gS);
  const size_t n = c.n(), ns = c.ns();
  const Wkv7Options opt{Q};
  Results<double> o{std::vector<double>(n), std::vector<double>(ns), std::vector<double>(c.boundary_size(Q)),
                    std::vector<double>(n), std::vector<double>(n),  std::vector<double>(n),
                    std::vector<double>(n), std::vector<double>(n),  std::vector<double>(n),
                    std::vector<double>(ns)};
  const double* s0 = with_state ? S0.data() : nullptr;
  kernels::wkv7_forward<double>(o.y.data(), o.boundary.data(), o.S.data(), r.data(), logw.data(), k.data(),
                                v.data(), a.data(), b.data(), s0, c.B, c.T, c.H, c.N, opt);
  kernels::wkv7_backward<double>(o.gr.data(), o.glogw.data(), o.gk.data(), o.gv.data(), o.ga.data(),
                                 o.gb.data(), o.gS0.data(), gy.data(), with_gS ? gS.data() : nullptr,
                                 r.data(), logw.data(), k.data(), v.data(), a.data(), b.data(),
                                 o.boundary.data(), s0, c.B, c.T, c.H, c.N, opt);
  return o;
}

// keep_boundary: the backward gets the forward's boundary; otherwise it must rebuild it.
Results<float> run_gpu(const Case& c, bool with_state, bool with_gS, int Q, bool keep_boundary) {
  const size_t n = c.n(), ns = c.ns();
  const Wkv7Options opt{Q};
  DeviceBuffer<float> y = poisoned(n), S = poisoned(ns), boundary = poisoned(c.boundary_size(Q));
  const float* S0 = with_state ? c.dS0.data() : nullptr;
  kernels::cuda::wkv7_forward(ctx(), y.data(), boundary.data(), S.data(), c.dr.data(), c.dlogw.data(),
                              c.dk.data(), c.dv.data(), c.da.data(), c.db.data(), S0, c.B, c.T, c.H, c.N,
                              opt);
  DeviceBuffer<float> gr = poisoned(n), glogw = poisoned(n), gk = poisoned(n), gv = poisoned(n),
                      ga = poisoned(n), gb = poisoned(n), gS0 = poisoned(ns);
  kernels::cuda::wkv7_backward(ctx(), gr.data(), glogw.data(), gk.data(), gv.data(), ga.data(), gb.data(),
                               gS0.data(), c.dgy.data(), with_gS ? c.dgS.data() : nullptr, c.dr.data(),
                               c.dlogw.data(), c.dk.data(), c.dv.data(), c.da.data(), c.db.data(),
                               keep_boundary ? boundary.data() : nullptr, S0, c.B, c.T, c.H, c.N, opt);
  return {host(y),  host(S),  host(boundary), host(gr), host(glogw),
          host(gk), host(gv), host(ga),       host(gb), host(gS0)};
}

void check_close(const char* what, const std::vector<float>& got, const std::vector<double>& want,
                 double tol) {
  INFO(what << " (tolerance " << tol << " of max |want| = " << max_abs(want) << ")");
  REQUIRE(got.size() == want.size());
  CHECK_ARRAYS_CLOSE(got.data(), want.data(), got.size(), tol * max_abs(want), 0.0);
}

void check_all_close(const Results<float>& got, const Results<double>& want, double tol) {
  check_close("y", got.y, want.y, tol);
  check_close("S_T", got.S, want.S, tol);
  check_close("boundary", got.boundary, want.boundary, tol);
  check_close("gr", got.gr, want.gr, tol);
  check_close("glogw", got.glogw, want.glogw, tol);
  check_close("gk", got.gk, want.gk, tol);
  check_close("gv", got.gv, want.gv, tol);
  check_close("ga", got.ga, want.ga, tol);
  check_close("gb", got.gb, want.gb, tol);
  check_close("gS0", got.gS0, want.gS0, tol);
}

struct Shape {
  int64_t B, T, H, N;
};

// every combination of initial state, final-state gradient and given/rebuilt boundary over 4 modes
void check_modes(const Shape s, int Q, uint64_t& seed, double tol = 2e-5) {
  for (int mode = 0; mode < 4; ++mode) {
    const bool with_state = mode & 1, with_gS = mode & 2, keep_boundary = mode != 2;
    CAPTURE(s.B);
    CAPTURE(s.T);
    CAPTURE(s.H);
    CAPTURE(s.N);
    CAPTURE(Q);
    CAPTURE(mode);
    const Case c(s.B, s.T, s.H, s.N, ++seed);
    check_all_close(run_gpu(c, with_state, with_gS, Q, keep_boundary), run_cpu(c, with_state, with_gS, Q),
                    tol);
  }
}

}  // namespace

TEST_CASE("the CUDA WKV-7 kernel equals the CPU kernel for head sizes 1 .. 64 and chunk lengths 1, 16, 40") {
  uint64_t seed = 700;
  for (const Shape s :
       {Shape{1, 1, 1, 1}, Shape{1, 1, 1, 64}, Shape{2, 17, 3, 8}, Shape{3, 33, 2, 5}, Shape{1, 100, 4, 16},
        Shape{2, 48, 2, 64}, Shape{1, 57, 3, 33}, Shape{2, 130, 2, 32}, Shape{1, 41, 1, 17}})
    for (int Q : {1, 16, 40}) check_modes(s, Q, seed);
}

TEST_CASE("chunks longer than the backward's span: a second level of saved states") {
  uint64_t seed = 800;
  for (int Q : {65, 100, 5000}) {  // spans of 64 steps (Q = 65, 100) and of 71 (Q = 5000)
    check_modes(Shape{1, 300, 2, 20}, Q, seed);
    check_modes(Shape{2, 130, 1, 64}, Q, seed);
  }
}

TEST_CASE("more heads than resident blocks: the backward's blocks loop over (batch, head)") {
  uint64_t seed = 900;
  check_modes(Shape{16, 24, 64, 64}, 16, seed);
  check_modes(Shape{32, 9, 64, 8}, 40, seed);
}

TEST_CASE("a sequence of 2^16 steps") {
  uint64_t seed = 1000;
  check_modes(Shape{1, int64_t(1) << 16, 1, 16}, 16, seed, 1e-4);
}

TEST_CASE("the forward without y, boundary or initial state still gives the final state") {
  const Case c(2, 29, 3, 24, 1100);
  const Results<double> want = run_cpu(c, false, false, 16);
  DeviceBuffer<float> S = poisoned(c.ns());
  kernels::cuda::wkv7_forward(ctx(), nullptr, nullptr, S.data(), c.dr.data(), c.dlogw.data(), c.dk.data(),
                              c.dv.data(), c.da.data(), c.db.data(), nullptr, c.B, c.T, c.H, c.N, {16});
  check_close("S_T", host(S), want.S, 2e-5);
}

TEST_CASE("WKV-7 launcher errors name the op and the bad value") {
  DeviceBuffer<float> x(65 * 65);
  float* p = x.data();
  using kernels::cuda::wkv7_backward;
  using kernels::cuda::wkv7_forward;
  CHECK(test::error_of([&] {
          wkv7_forward(ctx(), p, nullptr, nullptr, p, p, p, p, p, p, nullptr, 1, 1, 1, 65);
        }).find("cuda wkv7_forward: head size N=65") != std::string::npos);
  CHECK(test::error_of([&] {
          wkv7_backward(ctx(), p, p, p, p, p, p, nullptr, p, nullptr, p, p, p, p, p, p, nullptr, nullptr, 1,
                        1, 1, 65);
        }).find("cuda wkv7_backward: head size N=65") != std::string::npos);
  CHECK(test::error_of([&] {
          wkv7_forward(ctx(), p, nullptr, nullptr, p, p, p, p, p, p, nullptr, 1, 0, 1, 4);
        }).find("T=0") != std::string::npos);
  CHECK(test::error_of([&] {
          wkv7_forward(ctx(), p, nullptr, nullptr, p, p, p, p, p, p, nullptr, 1, 1, 1, 4, {0});
        }).find("cuda wkv7_forward: chunk length") != std::string::npos);
  CHECK(test::error_of([&] {
          wkv7_forward(ctx(), p, nullptr, nullptr, p, p, nullptr, p, p, p, nullptr, 1, 1, 1, 4);
        }).find("k must not be null") != std::string::npos);
  CHECK(test::error_of([&] {
          wkv7_backward(ctx(), p, p, p, p, p, p, nullptr, nullptr, nullptr, p, p, p, p, p, p, nullptr,
                        nullptr, 1, 1, 1, 4);
        }).find("gy must not be null") != std::string::npos);
}
