// WKV-7 kernel: the reference against the PyTorch oracle's goldens (rwkv7_ref.py wkv, float64) and
// finite differences; the chunked kernel against the reference for many shapes and chunk lengths,
// with and without states; state carried across calls; a sequence of 2^20 steps.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "base/rng.h"
#include "kernels/wkv7.h"
#include "src/io/safetensors.h"
#include "tests/support.h"
#include "tests/wkv7_inputs.h"

using namespace rwkvs;
using namespace rwkvs::kernels;

namespace {

// Inputs with the model's statistics (tests/wkv7_inputs.h), in precision R.
template <class R>
struct Wkv7Case : test::Wkv7Inputs<R> {
  int64_t B, T, H, N;
  Wkv7Case(int64_t B_, int64_t T_, int64_t H_, int64_t N_, uint64_t seed)
      : test::Wkv7Inputs<R>(static_cast<size_t>(B_ * T_ * H_ * N_), static_cast<size_t>(B_ * H_ * N_ * N_), N_, seed),
        B(B_), T(T_), H(H_), N(N_) {}
  size_t n() const { return this->r.size(); }
};

// Outputs and gradients of one run.
template <class R>
struct Wkv7Result {
  std::vector<R> y, S, gr, glogw, gk, gv, ga, gb, gS0;
  explicit Wkv7Result(size_t n = 0, size_t ns = 0)
      : y(n), S(ns), gr(n), glogw(n), gk(n), gv(n), ga(n), gb(n), gS0(ns) {}
};

template <class R>
Wkv7Result<R> run_reference(const Wkv7Case<R>& c, bool with_state, bool with_gS) {
  Wkv7Result<R> o(c.n(), c.S0.size());
  const R* S0 = with_state ? c.S0.data() : nullptr;
  wkv7_reference_forward(o.y.data(), o.S.data(), c.r.data(), c.logw.data(), c.k.data(), c.v.data(), c.a.data(),
                         c.b.data(), S0, c.B, c.T, c.H, c.N);
  wkv7_reference_backward(o.gr.data(), o.glogw.data(), o.gk.data(), o.gv.data(), o.ga.data(), o.gb.data(),
                          o.gS0.data(), c.gy.data(), with_gS ? c.gS.data() : nullptr, c.r.data(), c.logw.data(),
                          c.k.data(), c.v.data(), c.a.data(), c.b.data(), S0, c.B, c.T, c.H, c.N);
  return o;
}

template <class R>
Wkv7Result<R> run_chunked(const Wkv7Case<R>& c, bool with_state, bool with_gS, int Q, bool keep_boundary) {
  Wkv7Result<R> o(c.n(), c.S0.size());
  const R* S0 = with_state ? c.S0.data() : nullptr;
  std::vector<R> boundary(keep_boundary ? wkv7_boundary_size(c.B, c.T, c.H, c.N, Q) : 0);
  const Wkv7Options opt{Q};
  wkv7_forward(o.y.data(), keep_boundary ? boundary.data() : nullptr, o.S.data(), c.r.data(), c.logw.data(),
               c.k.data(), c.v.data(), c.a.data(), c.b.data(), S0, c.B, c.T, c.H, c.N, opt);
  wkv7_backward(o.gr.data(), o.glogw.data(), o.gk.data(), o.gv.data(), o.ga.data(), o.gb.data(), o.gS0.data(),
                c.gy.data(), with_gS ? c.gS.data() : nullptr, c.r.data(), c.logw.data(), c.k.data(), c.v.data(),
                c.a.data(), c.b.data(), keep_boundary ? boundary.data() : nullptr, S0, c.B, c.T, c.H, c.N, opt);
  return o;
}

template <class A, class B>
void check_close(const char* what, const std::vector<A>& got, const std::vector<B>& want, double tol) {
  double scale = 0;
  for (const auto& x : want) scale = std::max(scale, std::fabs(static_cast<double>(x)));
  INFO(what << " (tolerance " << tol << " of max |want| = " << scale << ")");
  REQUIRE(got.size() == want.size());
  CHECK_ARRAYS_CLOSE(got.data(), want.data(), got.size(), tol * std::max(scale, 1e-30), 0.0);
}

template <class A, class B>
void check_all_close(const Wkv7Result<A>& got, const Wkv7Result<B>& want, double tol, bool with_gS0 = true) {
  check_close("y", got.y, want.y, tol);
  check_close("S_T", got.S, want.S, tol);
  check_close("gr", got.gr, want.gr, tol);
  check_close("glogw", got.glogw, want.glogw, tol);
  check_close("gk", got.gk, want.gk, tol);
  check_close("gv", got.gv, want.gv, tol);
  check_close("ga", got.ga, want.ga, tol);
  check_close("gb", got.gb, want.gb, tol);
  if (with_gS0) check_close("gS0", got.gS0, want.gS0, tol);
}

// The oracle's case: its inputs, its y and S, and its gradients of sum(y*gy) + sum(S*gS).
struct OracleCase {
  Wkv7Case<double> in;
  Wkv7Result<double> want;
};

OracleCase read_oracle(const std::string& file, int64_t B, int64_t T, int64_t H, int64_t N) {
  SafetensorsReader f(std::string(RWKVS_TEST_DATA_DIR) + "/wkv7/" + file);
  OracleCase c{Wkv7Case<double>(B, T, H, N, 0), Wkv7Result<double>()};
  // the oracle's tensors are [B,T,H,N] and [B,H,N,N], the kernel's layouts
  for (auto [name, dst] : {std::pair{"r", &c.in.r}, {"logw", &c.in.logw}, {"k", &c.in.k}, {"v", &c.in.v},
                           {"a", &c.in.a}, {"b", &c.in.b}, {"S0", &c.in.S0}, {"gy", &c.in.gy}, {"gS", &c.in.gS}}) {
    const size_t want_size = dst->size();  // sized by the constructor for (B, T, H, N)
    *dst = f.read_f64(name);
    REQUIRE(dst->size() == want_size);
  }
  for (auto [name, dst] : {std::pair{"y", &c.want.y}, {"S", &c.want.S}, {"gr", &c.want.gr},
                           {"glogw", &c.want.glogw}, {"gk", &c.want.gk}, {"gv", &c.want.gv},
                           {"ga", &c.want.ga}, {"gb", &c.want.gb}, {"gS0", &c.want.gS0}})
    *dst = f.read_f64(name);
  return c;
}

template <class R>
Wkv7Case<R> to_precision(const Wkv7Case<double>& c) {
  Wkv7Case<R> o(c.B, c.T, c.H, c.N, 0);
  auto cast = [](const std::vector<double>& x) { return std::vector<R>(x.begin(), x.end()); };
  o.r = cast(c.r), o.logw = cast(c.logw), o.k = cast(c.k), o.v = cast(c.v), o.a = cast(c.a), o.b = cast(c.b);
  o.S0 = cast(c.S0), o.gy = cast(c.gy), o.gS = cast(c.gS);
  return o;
}

}  // namespace

TEST_CASE("the WKV-7 reference and the chunked kernel match the PyTorch oracle") {
  struct File {
    const char* name;
    int64_t B, T, H, N;
  };
  for (const File& file : {File{"b2_t37_h2_n16.safetensors", 2, 37, 2, 16},
                           File{"b1_t20_h1_n64.safetensors", 1, 20, 1, 64}}) {
    CAPTURE(file.name);
    const OracleCase c = read_oracle(file.name, file.B, file.T, file.H, file.N);
    check_all_close(run_reference(c.in, true, true), c.want, 1e-12);
    for (int Q : {1, 5, 16, 64}) {
      CAPTURE(Q);
      check_all_close(run_chunked(c.in, true, true, Q, true), c.want, 1e-12);
      // fp32 kernel against float64 truth: the accuracy a training run gets
      check_all_close(run_chunked(to_precision<float>(c.in), true, true, Q, true), c.want, 2e-5);
    }
    check_all_close(run_reference(to_precision<float>(c.in), true, true), c.want, 2e-5);
  }
}

TEST_CASE("the WKV-7 reference backward matches finite differences") {
  Wkv7Case<double> c(1, 6, 2, 4, 11);
  const Wkv7Result<double> g = run_reference(c, true, true);
  auto loss = [&](const Wkv7Case<double>& x) {
    std::vector<double> y(x.n()), S(x.S0.size());
    wkv7_reference_forward(y.data(), S.data(), x.r.data(), x.logw.data(), x.k.data(), x.v.data(), x.a.data(),
                           x.b.data(), x.S0.data(), x.B, x.T, x.H, x.N);
    double L = 0;
    for (size_t e = 0; e < y.size(); ++e) L += y[e] * x.gy[e];
    for (size_t e = 0; e < S.size(); ++e) L += S[e] * x.gS[e];
    return L;
  };
  struct Input {
    const char* name;
    std::vector<double> Wkv7Case<double>::*field;
    const std::vector<double>* grad;
  };
  const Input inputs[] = {{"r", &Wkv7Case<double>::r, &g.gr},  {"logw", &Wkv7Case<double>::logw, &g.glogw},
                          {"k", &Wkv7Case<double>::k, &g.gk},  {"v", &Wkv7Case<double>::v, &g.gv},
                          {"a", &Wkv7Case<double>::a, &g.ga},  {"b", &Wkv7Case<double>::b, &g.gb},
                          {"S0", &Wkv7Case<double>::S0, &g.gS0}};
  for (const Input& in : inputs) {
    const size_t n = (c.*in.field).size();
    for (size_t e = 0; e < n; e += 3) {
      CAPTURE(in.name);
      CAPTURE(e);
      const double h = 1e-6;
      Wkv7Case<double> plus = c, minus = c;
      (plus.*in.field)[e] += h;
      (minus.*in.field)[e] -= h;
      const double fd = (loss(plus) - loss(minus)) / (2 * h);
      CHECK(std::fabs(fd - (*in.grad)[e]) <= 1e-7 * std::max(1.0, std::fabs(fd)));
    }
  }
}

TEST_CASE("the chunked WKV-7 kernel equals the reference for any shape and chunk length") {
  struct Shape {
    int64_t B, T, H, N;
  };
  uint64_t seed = 100;
  for (const Shape s : {Shape{1, 1, 1, 1}, Shape{1, 1, 1, 64}, Shape{2, 17, 3, 8}, Shape{3, 33, 2, 5},
                        Shape{1, 100, 4, 16}, Shape{2, 48, 2, 64}}) {
    for (int Q : {1, 3, 16, 40}) {
      for (int mode = 0; mode < 4; ++mode) {
        const bool with_state = mode & 1, with_gS = mode & 2;
        CAPTURE(s.B);
        CAPTURE(s.T);
        CAPTURE(s.H);
        CAPTURE(s.N);
        CAPTURE(Q);
        CAPTURE(mode);
        const Wkv7Case<double> cd(s.B, s.T, s.H, s.N, ++seed);
        const Wkv7Result<double> want = run_reference(cd, with_state, with_gS);
        check_all_close(run_chunked(cd, with_state, with_gS, Q, mode != 2), want, 1e-12);
        const Wkv7Case<float> cf = to_precision<float>(cd);
        check_all_close(run_chunked(cf, with_state, with_gS, Q, mode != 1), run_reference(cf, with_state, with_gS),
                        2e-5);
      }
    }
  }
}

TEST_CASE("WKV-7 state carried across calls equals one pass, forward and backward") {
  const Wkv7Case<double> c(2, 50, 2, 16, 7);
  const Wkv7Result<double> whole = run_chunked(c, true, true, 16, true);
  // segments of 1, 20 and 29 steps: forward carries S, backward carries dL/dS the other way
  const int64_t cuts[] = {0, 1, 21, 50};
  const int64_t C = c.H * c.N, NN = c.N * c.N;
  std::vector<std::vector<double>> S_at(4, std::vector<double>(c.B * c.H * NN));
  S_at[0] = c.S0;
  Wkv7Result<double> seg(c.n(), c.S0.size());
  auto part = [&](const std::vector<double>& x, int64_t bb, int64_t t0) { return x.data() + (bb * c.T + t0) * C; };
  // per batch element, since the time slices of a (B, T, C) array are not contiguous across b
  std::vector<double> dS_next = c.gS;
  for (int s = 0; s < 3; ++s)
    for (int64_t bb = 0; bb < c.B; ++bb) {
      const int64_t t0 = cuts[s], n = cuts[s + 1] - cuts[s];
      wkv7_forward<double>(seg.y.data() + (bb * c.T + t0) * C, nullptr, S_at[s + 1].data() + bb * c.H * NN,
                   part(c.r, bb, t0), part(c.logw, bb, t0), part(c.k, bb, t0), part(c.v, bb, t0),
                   part(c.a, bb, t0), part(c.b, bb, t0), S_at[s].data() + bb * c.H * NN, 1, n, c.H, c.N);
    }
  // the per-batch slices above see T = n; their rows are (t, h, i) with stride C, as the kernel wants
  for (int s = 2; s >= 0; --s) {
    std::vector<double> dS_prev(c.S0.size());
    for (int64_t bb = 0; bb < c.B; ++bb) {
      const int64_t t0 = cuts[s], n = cuts[s + 1] - cuts[s];
      auto out = [&](std::vector<double>& x) { return x.data() + (bb * c.T + t0) * C; };
      wkv7_backward<double>(out(seg.gr), out(seg.glogw), out(seg.gk), out(seg.gv), out(seg.ga), out(seg.gb),
                    dS_prev.data() + bb * c.H * NN, part(c.gy, bb, t0), dS_next.data() + bb * c.H * NN,
                    part(c.r, bb, t0), part(c.logw, bb, t0), part(c.k, bb, t0), part(c.v, bb, t0),
                    part(c.a, bb, t0), part(c.b, bb, t0), nullptr, S_at[s].data() + bb * c.H * NN, 1, n, c.H,
                    c.N);
    }
    dS_next = dS_prev;
  }
  seg.S = S_at[3];
  seg.gS0 = dS_next;
  check_all_close(seg, whole, 1e-12);
}

TEST_CASE("WKV-7 runs a sequence of 2^20 steps and its fp32 gradients match float64") {
  const int64_t T = int64_t(1) << 20;
  const Wkv7Case<double> cd(1, T, 1, 4, 3);
  const Wkv7Result<double> want = run_reference(cd, true, true);
  const Wkv7Result<float> got = run_chunked(to_precision<float>(cd), true, true, 16, true);
  check_all_close(got, want, 1e-4);
}
