// Every small kernel's backward against central finite differences of its forward, in double.
// Loss = sum(out * g) for a random g, so d loss / d out = g is the upstream gradient.
#include <cmath>
#include <functional>
#include <vector>

#include "base/rng.h"
#include "kernels/activations.h"
#include "kernels/adamw.h"
#include "kernels/bias.h"
#include "kernels/cross_entropy.h"
#include "kernels/embedding.h"
#include "kernels/layernorm.h"
#include "kernels/matmul.h"
#include "kernels/token_shift.h"
#include "tests/support.h"

using namespace rwkvs;
using namespace rwkvs::kernels;
using Vec = std::vector<double>;

namespace {

Vec random_vec(size_t n, Rng& rng, double scale = 1.0) {
  Vec v(n);
  for (auto& x : v) x = rng.normal() * scale;
  return v;
}

// Checks analytic gradient 'grad' of loss() with respect to 'param' at every index.
void check_fd(Vec& param, const Vec& grad, const std::function<double()>& loss, const char* name,
              double tol = 1e-7) {
  REQUIRE(param.size() == grad.size());
  const double h = 1e-6;
  for (size_t i = 0; i < param.size(); ++i) {
    const double keep = param[i];
    param[i] = keep + h;
    const double lp = loss();
    param[i] = keep - h;
    const double lm = loss();
    param[i] = keep;
    const double fd = (lp - lm) / (2 * h);
    INFO(name << "[" << i << "] analytic " << grad[i] << " finite difference " << fd);
    CHECK(std::fabs(grad[i] - fd) <= tol * (1 + std::fabs(fd)));
  }
}

double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

TEST_CASE("layernorm backward") {
  Rng rng(1);
  const int64_t N = 3, C = 7;
  Vec x = random_vec(N * C, rng, 2.0), w = random_vec(C, rng), b = random_vec(C, rng), g = random_vec(N * C, rng);
  Vec out(N * C), mean(N), rstd(N);
  auto loss = [&] {
    layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), N, C);
    return dot(out, g);
  };
  loss();
  Vec dx(N * C, 0.5), dw(C, 0.25), db(C, -1.0);  // nonzero: backward must accumulate, not overwrite
  layernorm_backward(dx.data(), dw.data(), db.data(), g.data(), x.data(), w.data(), mean.data(), rstd.data(), N, C);
  for (auto& v : dx) v -= 0.5;
  for (auto& v : dw) v -= 0.25;
  for (auto& v : db) v += 1.0;
  check_fd(x, dx, loss, "x");
  check_fd(w, dw, loss, "weight");
  check_fd(b, db, loss, "bias");
  // the forward itself: a normalised row has mean 0 and variance 1 before the affine part
  Vec ones(C, 1.0), zeros(C, 0.0);
  layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), ones.data(), zeros.data(), N, C);
  double m = 0, v = 0;
  for (int64_t c = 0; c < C; ++c) m += out[c] / C;
  for (int64_t c = 0; c < C; ++c) v += (out[c] - m) * (out[c] - m) / C;
  CHECK(m == doctest::Approx(0.0).scale(1.0));
  CHECK(v == doctest::Approx(1.0).epsilon(1e-4));
}

TEST_CASE("token shift mix backward, with and without a carried previous row") {
  Rng rng(2);
  const int64_t B = 2, T = 4, C = 5;
  for (bool with_prev : {false, true}) {
    Vec z = random_vec(B * T * C, rng), prev = random_vec(B * C, rng), mix = random_vec(C, rng),
        g = random_vec(B * T * C, rng), out(B * T * C);
    auto loss = [&] {
      token_shift_mix_forward(out.data(), z.data(), with_prev ? prev.data() : nullptr, mix.data(), B, T, C);
      return dot(out, g);
    };
    loss();
    // forward definition: out_t = z_t mix + z_{t-1} (1 - mix)
    CHECK(out[C + 2] == doctest::Approx(z[C + 2] * mix[2] + z[2] * (1 - mix[2])));
    CHECK(out[2] == doctest::Approx(z[2] * mix[2] + (with_prev ? prev[2] : 0.0) * (1 - mix[2])));
    Vec dz(B * T * C), dprev(B * C), dmix(C);
    token_shift_mix_backward(dz.data(), with_prev ? dprev.data() : nullptr, dmix.data(), g.data(), z.data(),
                             with_prev ? prev.data() : nullptr, mix.data(), B, T, C);
    check_fd(z, dz, loss, "z");
    check_fd(mix, dmix, loss, "mix");
    if (with_prev) check_fd(prev, dprev, loss, "prev");
  }
}

TEST_CASE("sigmoid, squared relu and product backward") {
  Rng rng(3);
  const int64_t n = 9;
  Vec x = random_vec(n, rng, 3.0), y = random_vec(n, rng), g = random_vec(n, rng), out(n);
  x[0] = 0.3;  // keep one point away from relu's kink
  auto sig = [&] {
    sigmoid_forward(out.data(), x.data(), n);
    return dot(out, g);
  };
  sig();
  CHECK(out[0] == doctest::Approx(1 / (1 + std::exp(-0.3))));
  Vec dx(n);
  sigmoid_backward(dx.data(), g.data(), out.data(), n);
  check_fd(x, dx, sig, "sigmoid");
  auto rsq = [&] {
    relu_square_forward(out.data(), x.data(), n);
    return dot(out, g);
  };
  rsq();
  CHECK(out[0] == doctest::Approx(0.09));
  std::fill(dx.begin(), dx.end(), 0.0);
  relu_square_backward(dx.data(), g.data(), x.data(), n);
  check_fd(x, dx, rsq, "relu_square");
  auto prod = [&] {
    mul_forward(out.data(), x.data(), y.data(), n);
    return dot(out, g);
  };
  Vec da(n), db(n);
  mul_backward(da.data(), db.data(), g.data(), x.data(), y.data(), n);
  check_fd(x, da, prod, "a");
  check_fd(y, db, prod, "b");
}

TEST_CASE("matmul forward against a naive product, backward against finite differences") {
  Rng rng(4);
  for (int64_t N : {1, 3}) {  // N = 1 goes through gemv
    const int64_t I = 5, O = 4;
    Vec x = random_vec(N * I, rng), w = random_vec(O * I, rng), g = random_vec(N * O, rng), out(N * O);
    auto loss = [&] {
      matmul_forward(out.data(), x.data(), w.data(), N, I, O);
      return dot(out, g);
    };
    loss();
    for (int64_t n = 0; n < N; ++n)
      for (int64_t o = 0; o < O; ++o) {
        double s = 0;
        for (int64_t i = 0; i < I; ++i) s += x[n * I + i] * w[o * I + i];
        CHECK(out[n * O + o] == doctest::Approx(s));
      }
    Vec keep = out;
    matmul_forward(out.data(), x.data(), w.data(), N, I, O, /*accumulate=*/true);
    for (size_t i = 0; i < out.size(); ++i) CHECK(out[i] == doctest::Approx(2 * keep[i]));
    Vec dx(N * I), dw(O * I);
    matmul_backward(dx.data(), dw.data(), g.data(), x.data(), w.data(), N, I, O);
    check_fd(x, dx, loss, "inp");
    check_fd(w, dw, loss, "weight");
  }
}

TEST_CASE("embedding backward scatters rows, repeated ids accumulate") {
  Rng rng(5);
  const int64_t V = 4, C = 3, N = 5;
  const int32_t ids[N] = {2, 0, 2, 3, 2};
  Vec table = random_vec(V * C, rng), g = random_vec(N * C, rng), out(N * C);
  auto loss = [&] {
    embedding_forward(out.data(), ids, table.data(), N, C);
    return dot(out, g);
  };
  loss();
  CHECK(out[3 * C + 1] == table[3 * C + 1]);
  Vec dt(V * C);
  embedding_backward(dt.data(), g.data(), ids, N, C);
  check_fd(table, dt, loss, "table");
}

TEST_CASE("cross-entropy: value against log-softmax, gradient against finite differences, ignored rows") {
  Rng rng(6);
  const int64_t N = 3, V = 6;
  const int32_t targets[N] = {1, -1, 5};
  Vec logits = random_vec(N * V, rng, 3.0), losses(N);
  auto loss = [&] {
    cross_entropy_forward(losses.data(), logits.data(), targets, N, V);
    return losses[0] + losses[1] + losses[2];
  };
  loss();
  double z = 0;
  for (int64_t v = 0; v < V; ++v) z += std::exp(logits[v]);
  CHECK(losses[0] == doctest::Approx(std::log(z) - logits[1]));
  CHECK(losses[1] == 0.0);
  Vec d(N * V);
  cross_entropy_backward(d.data(), logits.data(), targets, 1.0, N, V);
  check_fd(logits, d, loss, "logits");
  // in place: dlogits may alias logits
  Vec inplace = logits;
  cross_entropy_backward(inplace.data(), inplace.data(), targets, 1.0, N, V);
  CHECK_ARRAYS_CLOSE(inplace.data(), d.data(), d.size(), 1e-15, 1e-12);
}

TEST_CASE("AdamW first step moves each parameter by lr (bias-corrected), decays only what it is told") {
  float p[3] = {1.0f, -2.0f, 0.5f}, m[3] = {}, v[3] = {};
  const float g[3] = {0.3f, -4.0f, 0.0f};
  AdamWHyper h;
  h.lr = 0.01f;
  h.weight_decay = 0.1f;
  h.eps = 1e-12f;
  adamw_update(p, m, v, g, 3, h, 1);
  // step 1: mhat = g, vhat = g^2 -> update = sign(g) * lr, plus lr * wd * p
  CHECK(p[0] == doctest::Approx(1.0 - 0.01 - 0.01 * 0.1 * 1.0));
  CHECK(p[1] == doctest::Approx(-2.0 + 0.01 - 0.01 * 0.1 * -2.0));
  CHECK(p[2] == doctest::Approx(0.5 - 0.01 * 0.1 * 0.5));
  CHECK(m[1] == doctest::Approx(0.1 * -4.0));
  CHECK(v[1] == doctest::Approx(0.01 * 16.0));
}

TEST_CASE("float gemv (the N = 1 fast path) against a double product, with and without accumulation") {
  Rng rng(7);
  for (int64_t I : {5, 8, 37, 768}) {
    for (int64_t O : {1, 4, 10, 33}) {
      CAPTURE(I);
      CAPTURE(O);
      std::vector<float> x(I), w(O * I), out(O), prev(O);
      for (auto& v : x) v = static_cast<float>(rng.normal());
      for (auto& v : w) v = static_cast<float>(rng.normal());
      for (auto& v : prev) v = static_cast<float>(rng.normal());
      std::vector<double> want(O), want_acc(O);
      for (int64_t o = 0; o < O; ++o) {
        double s = 0;
        for (int64_t i = 0; i < I; ++i) s += double(x[i]) * w[o * I + i];
        want[o] = s;
        want_acc[o] = s + prev[o];
      }
      matmul_forward(out.data(), x.data(), w.data(), 1, I, O);
      CHECK_ARRAYS_CLOSE(out.data(), want.data(), O, 1e-4, 1e-5);
      out = prev;
      matmul_forward(out.data(), x.data(), w.data(), 1, I, O, /*accumulate=*/true);
      CHECK_ARRAYS_CLOSE(out.data(), want_acc.data(), O, 1e-4, 1e-5);
    }
  }
}

TEST_CASE("bias add backward and column normalisation") {
  Rng rng(8);
  const int64_t N = 4, C = 3;
  Vec x = random_vec(N * C, rng), bias = random_vec(C, rng), g = random_vec(N * C, rng), out(N * C);
  auto loss = [&] {
    out = x;
    add_bias_forward(out.data(), bias.data(), N, C);
    return dot(out, g);
  };
  loss();
  CHECK(out[C + 2] == doctest::Approx(x[C + 2] + bias[2]));
  Vec db(C);
  add_bias_backward(db.data(), g.data(), N, C);
  check_fd(bias, db, loss, "bias");
  Vec mean = random_vec(C, rng), scale = random_vec(C, rng), norm(N * C);
  normalize_columns(norm.data(), x.data(), mean.data(), scale.data(), N, C);
  CHECK(norm[2 * C + 1] == doctest::Approx((x[2 * C + 1] - mean[1]) * scale[1]));
}
