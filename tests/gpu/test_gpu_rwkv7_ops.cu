// The CUDA twins of the RWKV-7 block's own ops (kernels/cuda/rwkv7_ops.h) and of the LoRA matmuls
// (matmul_nn in kernels/cuda/matmul.h) against their CPU references (kernels/cpu/rwkv7_ops.cpp,
// kernels/cpu/matmul.cpp, float): every forward output and every backward output, each gradient
// starting non-zero so that an op that overwrites instead of adding fails; the null-pointer variants
// the contracts allow; head sizes below, at and above a warp (1, 16, 40, 64, 100); the key norm
// clamped at 1e-12; every matmul precision. Tolerances are relative to the reference's largest
// magnitude (CHECK_CLOSE_SCALED) and stated per check.
#include <vector>

#include "base/error.h"
#include "kernels/cuda/matmul.h"
#include "kernels/cuda/rwkv7_ops.h"
#include "kernels/matmul.h"
#include "kernels/rwkv7_ops.h"
#include "tests/gpu/gpu_support.h"

using namespace rwkvs;
using namespace rwkvs::test::gpu;
namespace kc = rwkvs::kernels::cuda;
using kc::MatmulPrecision;

namespace {

using Vec = std::vector<float>;

DeviceBuffer<float> dev(const Vec& v) { return to_device(ctx(), v); }
float* or_null(DeviceBuffer<float>& d, bool use) { return use ? d.data() : nullptr; }

struct Heads {  // N rows of H heads of Nh channels
  int64_t N, H, Nh;
  size_t nc() const { return static_cast<size_t>(N * H * Nh); }
  size_t nh() const { return static_cast<size_t>(N * H); }
  size_t c() const { return static_cast<size_t>(H * Nh); }
};
const Heads kHeadShapes[] = {{1, 1, 1}, {5, 3, 16}, {37, 4, 64}, {64, 2, 40}, {9, 2, 100}, {300, 4, 32}};

// Forward outputs: fp32 rounding of a few operations. Backward: also the order of row sums.
constexpr double kForwardTol = 1e-5, kBackwardTol = 1e-4;

}  // namespace

TEST_CASE("token_shift_lerp forward and backward: no previous row, a carried one, its gradient skipped") {
  struct Shape {
    int64_t B, T, C;
  };
  for (const Shape sh : {Shape{1, 1, 1}, Shape{2, 1, 5}, Shape{3, 17, 40}, Shape{4, 300, 128}}) {
    for (int mode : {0, 1, 2}) {  // 0: prev null; 1: prev and dprev; 2: prev, dprev null
      const int64_t B = sh.B, T = sh.T, C = sh.C;
      CAPTURE(B);
      CAPTURE(T);
      CAPTURE(C);
      CAPTURE(mode);
      const size_t n = static_cast<size_t>(B * T * C), nb = static_cast<size_t>(B * C);
      const bool with_prev = mode > 0, with_dprev = mode == 1;
      const Vec z = normal(n, 1), prev = normal(nb, 2), mu = uniform(C, 3, -0.2, 1.2), dout = normal(n, 4);
      const Vec dz0 = normal(n, 5), dprev0 = normal(nb, 6), dmu0 = normal(C, 7);
      Vec out(n), dz = dz0, dprev = dprev0, dmu = dmu0;
      kernels::token_shift_lerp_forward<float>(out.data(), z.data(), with_prev ? prev.data() : nullptr,
                                               mu.data(), B, T, C);
      kernels::token_shift_lerp_backward<float>(dz.data(), with_dprev ? dprev.data() : nullptr, dmu.data(),
                                                dout.data(), z.data(), with_prev ? prev.data() : nullptr,
                                                mu.data(), B, T, C);
      auto d_z = dev(z), d_prev = dev(prev), d_mu = dev(mu), d_dout = dev(dout);
      auto d_dz = dev(dz0), d_dprev = dev(dprev0), d_dmu = dev(dmu0);
      DeviceBuffer<float> d_out(n);
      kc::token_shift_lerp_forward(ctx(), d_out.data(), d_z.data(), or_null(d_prev, with_prev), d_mu.data(),
                                   B, T, C);
      kc::token_shift_lerp_backward(ctx(), d_dz.data(), or_null(d_dprev, with_dprev), d_dmu.data(),
                                    d_dout.data(), d_z.data(), or_null(d_prev, with_prev), d_mu.data(), B, T,
                                    C);
      CHECK_CLOSE_SCALED(host(d_out), out, kForwardTol);
      CHECK_CLOSE_SCALED(host(d_dz), dz, kForwardTol);
      CHECK_CLOSE_SCALED(host(d_dprev), dprev, kForwardTol);  // untouched when null
      CHECK_CLOSE_SCALED(host(d_dmu), dmu, kBackwardTol);
    }
  }
}

TEST_CASE("tanh forward (also in place) and backward") {
  for (int64_t n : {int64_t(1), int64_t(1000), int64_t(100003)}) {
    CAPTURE(n);
    const Vec inp = normal(n, 11, 2.0), dout = normal(n, 12), dinp0 = normal(n, 13);
    Vec out(n), dinp = dinp0;
    kernels::tanh_forward<float>(out.data(), inp.data(), n);
    kernels::tanh_backward<float>(dinp.data(), dout.data(), out.data(), n);
    auto d_inp = dev(inp), d_dout = dev(dout), d_dinp = dev(dinp0), d_out = dev(out);
    DeviceBuffer<float> d_fwd(n);
    kc::tanh_forward(ctx(), d_fwd.data(), d_inp.data(), n);
    CHECK_CLOSE_SCALED(host(d_fwd), out, kForwardTol);
    kc::tanh_forward(ctx(), d_inp.data(), d_inp.data(), n);  // the graph's in-place use
    CHECK_CLOSE_SCALED(host(d_inp), out, kForwardTol);
    kc::tanh_backward(ctx(), d_dinp.data(), d_dout.data(), d_out.data(), n);
    CHECK_CLOSE_SCALED(host(d_dinp), dinp, kForwardTol);
  }
}

TEST_CASE("rwkv7 decay forward and backward") {
  struct Shape {
    int64_t N, C;
  };
  for (const Shape sh : {Shape{1, 1}, Shape{7, 33}, Shape{300, 256}, Shape{2049, 64}}) {
    const int64_t N = sh.N, C = sh.C;
    CAPTURE(N);
    CAPTURE(C);
    const size_t n = static_cast<size_t>(N * C);
    const Vec u = normal(n, 21, 2.0), w0 = normal(C, 22, 2.0, -2.0), dlogw = normal(n, 23);
    const Vec du0 = normal(n, 24), dw00 = normal(C, 25);
    Vec logw(n), du = du0, dw0 = dw00;
    kernels::rwkv7_decay_forward<float>(logw.data(), u.data(), w0.data(), N, C);
    kernels::rwkv7_decay_backward<float>(du.data(), dw0.data(), dlogw.data(), u.data(), w0.data(), N, C);
    auto d_u = dev(u), d_w0 = dev(w0), d_dlogw = dev(dlogw), d_du = dev(du0), d_dw0 = dev(dw00);
    DeviceBuffer<float> d_logw(n);
    kc::rwkv7_decay_forward(ctx(), d_logw.data(), d_u.data(), d_w0.data(), N, C);
    kc::rwkv7_decay_backward(ctx(), d_du.data(), d_dw0.data(), d_dlogw.data(), d_u.data(), d_w0.data(), N, C);
    CHECK_CLOSE_SCALED(host(d_logw), logw, kForwardTol);
    CHECK_CLOSE_SCALED(host(d_du), du, kForwardTol);
    CHECK_CLOSE_SCALED(host(d_dw0), dw0, kBackwardTol);
  }
}

TEST_CASE("lerp forward and backward, all gradients and each alone") {
  for (int64_t n : {int64_t(1), int64_t(777), int64_t(65537)}) {
    CAPTURE(n);
    const Vec x = normal(n, 31), target = normal(n, 32), gate = uniform(n, 33, 0.0, 1.0),
              dout = normal(n, 34);
    const Vec dx0 = normal(n, 35), dt0 = normal(n, 36), dg0 = normal(n, 37);
    Vec out(n);
    kernels::lerp_forward<float>(out.data(), x.data(), target.data(), gate.data(), n);
    auto d_x = dev(x), d_t = dev(target), d_g = dev(gate), d_dout = dev(dout);
    DeviceBuffer<float> d_out(n);
    kc::lerp_forward(ctx(), d_out.data(), d_x.data(), d_t.data(), d_g.data(), n);
    CHECK_CLOSE_SCALED(host(d_out), out, kForwardTol);
    for (int mask : {7, 1, 2, 4}) {  // bit 0: dx, 1: dtarget, 2: dgate
      CAPTURE(mask);
      const bool wx = mask & 1, wt = mask & 2, wg = mask & 4;
      Vec dx = dx0, dt = dt0, dg = dg0;
      kernels::lerp_backward<float>(wx ? dx.data() : nullptr, wt ? dt.data() : nullptr,
                                    wg ? dg.data() : nullptr, dout.data(), x.data(), target.data(),
                                    gate.data(), n);
      auto d_dx = dev(dx0), d_dt = dev(dt0), d_dg = dev(dg0);
      kc::lerp_backward(ctx(), or_null(d_dx, wx), or_null(d_dt, wt), or_null(d_dg, wg), d_dout.data(),
                        d_x.data(), d_t.data(), d_g.data(), n);
      CHECK_CLOSE_SCALED(host(d_dx), dx, kForwardTol);
      CHECK_CLOSE_SCALED(host(d_dt), dt, kForwardTol);
      CHECK_CLOSE_SCALED(host(d_dg), dg, kForwardTol);
    }
  }
}

namespace {

// Keys inputs with the model's statistics; 'tiny_head' scales head 1 of every other row to ~1e-14,
// so its norm is clamped at 1e-12.
struct KeysCase {
  Heads s;
  Vec k, alpha, k_k, k_a, da, db, dkmod, dk0, dalpha0, dk_k0, dk_a0;
  KeysCase(Heads s_, bool tiny_head) : s(s_) {
    const size_t nc = s.nc(), c = s.c();
    k = normal(nc, 41), alpha = uniform(nc, 42, 0.0, 1.0), k_k = normal(c, 43, 0.2, 0.7);
    k_a = normal(c, 44, 0.1, 1.0), da = normal(nc, 45), db = normal(nc, 46), dkmod = normal(nc, 47);
    dk0 = normal(nc, 48), dalpha0 = normal(nc, 49), dk_k0 = normal(c, 50), dk_a0 = normal(c, 51);
    if (tiny_head)
      for (int64_t row = 0; row < s.N; row += 2)
        for (int64_t j = 0; j < s.Nh; ++j) k[row * s.H * s.Nh + s.Nh + j] *= 1e-14f;
  }
};

struct KeysResult {
  Vec kappa_hat, norm, a, b, kmod, dk, dalpha, dk_k, dk_a;
};

// mask bit 0: da given, 1: db given, 2: dkmod given.
KeysResult keys_cpu(const KeysCase& c, int mask) {
  const Heads& s = c.s;
  KeysResult r{Vec(s.nc()), Vec(s.nh()), Vec(s.nc()), Vec(s.nc()), Vec(s.nc()),
               c.dk0,       c.dalpha0,   c.dk_k0,     c.dk_a0};
  kernels::rwkv7_keys_forward<float>(r.kappa_hat.data(), r.norm.data(), r.a.data(), r.b.data(), r.kmod.data(),
                                     c.k.data(), c.alpha.data(), c.k_k.data(), c.k_a.data(), s.N, s.H, s.Nh);
  kernels::rwkv7_keys_backward<float>(
      r.dk.data(), r.dalpha.data(), r.dk_k.data(), r.dk_a.data(), mask & 1 ? c.da.data() : nullptr,
      mask & 2 ? c.db.data() : nullptr, mask & 4 ? c.dkmod.data() : nullptr, c.k.data(), c.alpha.data(),
      c.k_k.data(), c.k_a.data(), r.kappa_hat.data(), r.norm.data(), s.N, s.H, s.Nh);
  return r;
}

KeysResult keys_gpu(const KeysCase& c, int mask) {
  const Heads& s = c.s;
  auto k = dev(c.k), alpha = dev(c.alpha), k_k = dev(c.k_k), k_a = dev(c.k_a);
  auto da = dev(c.da), db = dev(c.db), dkmod = dev(c.dkmod);
  auto dk = dev(c.dk0), dalpha = dev(c.dalpha0), dk_k = dev(c.dk_k0), dk_a = dev(c.dk_a0);
  DeviceBuffer<float> kappa_hat(s.nc()), norm(s.nh()), a(s.nc()), b(s.nc()), kmod(s.nc());
  kc::rwkv7_keys_forward(ctx(), kappa_hat.data(), norm.data(), a.data(), b.data(), kmod.data(), k.data(),
                         alpha.data(), k_k.data(), k_a.data(), s.N, s.H, s.Nh);
  kc::rwkv7_keys_backward(ctx(), dk.data(), dalpha.data(), dk_k.data(), dk_a.data(), or_null(da, mask & 1),
                          or_null(db, mask & 2), or_null(dkmod, mask & 4), k.data(), alpha.data(), k_k.data(),
                          k_a.data(), kappa_hat.data(), norm.data(), s.N, s.H, s.Nh);
  return {host(kappa_hat), host(norm),   host(a),    host(b),   host(kmod),
          host(dk),        host(dalpha), host(dk_k), host(dk_a)};
}

}  // namespace

TEST_CASE("rwkv7 keys forward and backward, with each incoming gradient missing in turn") {
  for (const Heads s : kHeadShapes) {
    for (int mask : {7, 6, 5, 3}) {
      CAPTURE(s.N);
      CAPTURE(s.H);
      CAPTURE(s.Nh);
      CAPTURE(mask);
      const KeysCase c(s, false);
      const KeysResult want = keys_cpu(c, mask), got = keys_gpu(c, mask);
      CHECK_CLOSE_SCALED(got.kappa_hat, want.kappa_hat, kForwardTol);
      CHECK_CLOSE_SCALED(got.norm, want.norm, kForwardTol);
      CHECK_CLOSE_SCALED(got.a, want.a, kForwardTol);
      CHECK_CLOSE_SCALED(got.b, want.b, kForwardTol);
      CHECK_CLOSE_SCALED(got.kmod, want.kmod, kForwardTol);
      CHECK_CLOSE_SCALED(got.dk, want.dk, kBackwardTol);
      CHECK_CLOSE_SCALED(got.dalpha, want.dalpha, kBackwardTol);
      CHECK_CLOSE_SCALED(got.dk_k, want.dk_k, kBackwardTol);
      CHECK_CLOSE_SCALED(got.dk_a, want.dk_a, kBackwardTol);
    }
  }
}

TEST_CASE("rwkv7 keys: a norm clamped at 1e-12 is a constant divisor in the backward, as on the CPU") {
  // The clamped heads' dk is ~1e12 while the others' is ~1, so each element is held to its own size.
  const KeysCase c(Heads{6, 3, 16}, true);
  const KeysResult want = keys_cpu(c, 7), got = keys_gpu(c, 7);
  bool clamped = false;
  for (float n : want.norm) clamped |= n == 1e-12f;
  REQUIRE(clamped);
  auto close = [](const Vec& g, const Vec& w, double tol) {
    REQUIRE(g.size() == w.size());
    CHECK_ARRAYS_CLOSE(g.data(), w.data(), w.size(), tol, tol);
  };
  close(got.norm, want.norm, 1e-6);
  close(got.kappa_hat, want.kappa_hat, 1e-5);
  close(got.b, want.b, 1e-5);
  close(got.dk, want.dk, 1e-4);
  close(got.dalpha, want.dalpha, 1e-4);
  close(got.dk_k, want.dk_k, 1e-4);
  close(got.dk_a, want.dk_a, 1e-4);
}

TEST_CASE("groupnorm forward (with and without statistics) and backward") {
  for (const Heads s : kHeadShapes) {
    CAPTURE(s.N);
    CAPTURE(s.H);
    CAPTURE(s.Nh);
    const size_t nc = s.nc(), nh = s.nh(), c = s.c();
    const double eps = kernels::kRwkv7GroupNormEps;
    const Vec inp = normal(nc, 61, 3.0, 0.5), weight = normal(c, 62, 0.3, 1.0), bias = normal(c, 63);
    const Vec dout = normal(nc, 64), dinp0 = normal(nc, 65), dw0 = normal(c, 66), db0 = normal(c, 67);
    Vec out(nc), mean(nh), rstd(nh), dinp = dinp0, dw = dw0, db = db0;
    kernels::groupnorm_forward<float>(out.data(), mean.data(), rstd.data(), inp.data(), weight.data(),
                                      bias.data(), s.N, s.H, s.Nh, eps);
    kernels::groupnorm_backward<float>(dinp.data(), dw.data(), db.data(), dout.data(), inp.data(),
                                       weight.data(), mean.data(), rstd.data(), s.N, s.H, s.Nh);
    auto d_inp = dev(inp), d_w = dev(weight), d_b = dev(bias), d_dout = dev(dout);
    auto d_dinp = dev(dinp0), d_dw = dev(dw0), d_db = dev(db0);
    DeviceBuffer<float> d_out(nc), d_mean(nh), d_rstd(nh), d_out2(nc);
    kc::groupnorm_forward(ctx(), d_out.data(), d_mean.data(), d_rstd.data(), d_inp.data(), d_w.data(),
                          d_b.data(), s.N, s.H, s.Nh, eps);
    kc::groupnorm_forward(ctx(), d_out2.data(), nullptr, nullptr, d_inp.data(), d_w.data(), d_b.data(), s.N,
                          s.H, s.Nh, eps);
    kc::groupnorm_backward(ctx(), d_dinp.data(), d_dw.data(), d_db.data(), d_dout.data(), d_inp.data(),
                           d_w.data(), d_mean.data(), d_rstd.data(), s.N, s.H, s.Nh);
    CHECK_CLOSE_SCALED(host(d_out), out, kForwardTol);
    CHECK_CLOSE_SCALED(host(d_out2), out, kForwardTol);
    CHECK_CLOSE_SCALED(host(d_mean), mean, kForwardTol);
    CHECK_CLOSE_SCALED(host(d_rstd), rstd, kForwardTol);
    CHECK_CLOSE_SCALED(host(d_dinp), dinp, kBackwardTol);
    CHECK_CLOSE_SCALED(host(d_dw), dw, kBackwardTol);
    CHECK_CLOSE_SCALED(host(d_db), db, kBackwardTol);
  }
}

TEST_CASE("rwkv7 bonus forward (adding to y) and backward") {
  for (const Heads s : kHeadShapes) {
    CAPTURE(s.N);
    CAPTURE(s.H);
    CAPTURE(s.Nh);
    const size_t nc = s.nc(), c = s.c();
    const Vec r = normal(nc, 71), k = normal(nc, 72), v = normal(nc, 73), r_k = normal(c, 74, 0.5);
    const Vec y0 = normal(nc, 75), dy = normal(nc, 76);
    const Vec dr0 = normal(nc, 77), dk0 = normal(nc, 78), dv0 = normal(nc, 79), dr_k0 = normal(c, 80);
    Vec y = y0, dr = dr0, dk = dk0, dv = dv0, dr_k = dr_k0;
    kernels::rwkv7_bonus_forward<float>(y.data(), r.data(), k.data(), v.data(), r_k.data(), s.N, s.H, s.Nh);
    kernels::rwkv7_bonus_backward<float>(dr.data(), dk.data(), dv.data(), dr_k.data(), dy.data(), r.data(),
                                         k.data(), v.data(), r_k.data(), s.N, s.H, s.Nh);
    auto d_r = dev(r), d_k = dev(k), d_v = dev(v), d_rk = dev(r_k), d_y = dev(y0), d_dy = dev(dy);
    auto d_dr = dev(dr0), d_dk = dev(dk0), d_dv = dev(dv0), d_drk = dev(dr_k0);
    kc::rwkv7_bonus_forward(ctx(), d_y.data(), d_r.data(), d_k.data(), d_v.data(), d_rk.data(), s.N, s.H,
                            s.Nh);
    kc::rwkv7_bonus_backward(ctx(), d_dr.data(), d_dk.data(), d_dv.data(), d_drk.data(), d_dy.data(),
                             d_r.data(), d_k.data(), d_v.data(), d_rk.data(), s.N, s.H, s.Nh);
    CHECK_CLOSE_SCALED(host(d_y), y, kForwardTol);
    CHECK_CLOSE_SCALED(host(d_dr), dr, kBackwardTol);
    CHECK_CLOSE_SCALED(host(d_dk), dk, kBackwardTol);
    CHECK_CLOSE_SCALED(host(d_dv), dv, kBackwardTol);
    CHECK_CLOSE_SCALED(host(d_drk), dr_k, kBackwardTol);
  }
}

namespace {

double matmul_tolerance(MatmulPrecision p) {  // as tests/gpu/test_gpu_matmul.cu
  switch (p) {
    case MatmulPrecision::tf32:
      return 2e-3;
    case MatmulPrecision::bf16:
      return 1e-2;
    case MatmulPrecision::fp32:
      break;
  }
  return 1e-4;
}

struct PrecisionScope {  // restores the shared context's precision when a test case ends
  explicit PrecisionScope(MatmulPrecision p) { context().set_precision(p); }
  ~PrecisionScope() { context().set_precision(MatmulPrecision::fp32); }
};

}  // namespace

TEST_CASE("matmul_nn (weights stored (in, out)) forward and backward against cblas, for each precision") {
  struct Shape {
    int64_t N, I, O;
  };
  for (MatmulPrecision prec : {MatmulPrecision::fp32, MatmulPrecision::tf32, MatmulPrecision::bf16}) {
    const PrecisionScope scope(prec);
    const double tol = matmul_tolerance(prec);
    // the LoRA shapes: C -> rank (down), rank -> C (up), T = 1 rows, and a non-square odd case
    for (const Shape sh : {Shape{1, 64, 8}, Shape{39, 64, 12}, Shape{39, 16, 64}, Shape{512, 768, 64},
                           Shape{300, 64, 768}, Shape{67, 129, 33}}) {
      const int64_t N = sh.N, I = sh.I, O = sh.O;
      CAPTURE(kc::to_string(prec));
      CAPTURE(N);
      CAPTURE(I);
      CAPTURE(O);
      const Vec inp = normal(N * I, 81), weight = normal(I * O, 82, 0.1), dout = normal(N * O, 83);
      const Vec out0 = normal(N * O, 84), dinp0 = normal(N * I, 85), dw0 = normal(I * O, 86);
      auto d_inp = dev(inp), d_w = dev(weight), d_dout = dev(dout);

      Vec out(N * O), acc = out0;
      kernels::matmul_nn_forward<float>(out.data(), inp.data(), weight.data(), N, I, O);
      kernels::matmul_nn_forward<float>(acc.data(), inp.data(), weight.data(), N, I, O, /*accumulate=*/true);
      DeviceBuffer<float> d_out(N * O);
      auto d_acc = dev(out0);
      kc::matmul_nn_forward(ctx(), d_out.data(), d_inp.data(), d_w.data(), N, I, O);
      kc::matmul_nn_forward(ctx(), d_acc.data(), d_inp.data(), d_w.data(), N, I, O, /*accumulate=*/true);
      CHECK_CLOSE_SCALED(host(d_out), out, tol);
      CHECK_CLOSE_SCALED(host(d_acc), acc, tol);

      Vec dinp = dinp0, dw = dw0;
      kernels::matmul_nn_backward<float>(dinp.data(), dw.data(), dout.data(), inp.data(), weight.data(), N, I,
                                         O);
      auto d_dinp = dev(dinp0), d_dw = dev(dw0);
      kc::matmul_nn_backward(ctx(), d_dinp.data(), d_dw.data(), d_dout.data(), d_inp.data(), d_w.data(), N, I,
                             O);
      CHECK_CLOSE_SCALED(host(d_dinp), dinp, tol);
      CHECK_CLOSE_SCALED(host(d_dw), dw, tol);

      // each output alone: the other stays untouched
      d_dinp = dev(dinp0);
      kc::matmul_nn_backward(ctx(), d_dinp.data(), nullptr, d_dout.data(), d_inp.data(), d_w.data(), N, I, O);
      CHECK_CLOSE_SCALED(host(d_dinp), dinp, tol);
      d_dw = dev(dw0);
      kc::matmul_nn_backward(ctx(), nullptr, d_dw.data(), d_dout.data(), d_inp.data(), d_w.data(), N, I, O);
      CHECK_CLOSE_SCALED(host(d_dw), dw, tol);
    }
  }
}

TEST_CASE("the RWKV-7 launchers refuse sizes that are not positive, naming the op") {
  DeviceBuffer<float> x(64), y(64), z(64), w(64);
  CHECK_THROWS_WITH_AS(
      kc::groupnorm_forward(ctx(), x.data(), nullptr, nullptr, y.data(), z.data(), w.data(), 4, 0, 16, 1e-5),
      doctest::Contains("cuda groupnorm_forward"), Error);
  CHECK_THROWS_WITH_AS(kc::rwkv7_keys_forward(ctx(), x.data(), y.data(), z.data(), w.data(), x.data(),
                                              y.data(), z.data(), w.data(), x.data(), 0, 4, 16),
                       doctest::Contains("sizes must be positive"), Error);
  CHECK_THROWS_WITH_AS(kc::token_shift_lerp_forward(ctx(), x.data(), y.data(), nullptr, z.data(), 1, -1, 8),
                       doctest::Contains("cuda token_shift_lerp_forward"), Error);
  CHECK_THROWS_WITH_AS(kc::matmul_nn_forward(ctx(), x.data(), y.data(), z.data(), 0, 8, 8),
                       doctest::Contains("cuda matmul_nn_forward"), Error);
  CHECK_THROWS_WITH_AS(kc::tanh_forward(ctx(), x.data(), y.data(), -1),
                       doctest::Contains("must not be negative"), Error);
  kc::tanh_forward(ctx(), x.data(), y.data(), 0);  // n = 0 is nothing to do
}
