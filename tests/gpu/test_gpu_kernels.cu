// The CUDA twins of the block's small kernels against their CPU references (kernels/cpu, float):
// layernorm, token shift, activations, sum of squares, embedding, cross-entropy, AdamW, bias and
// column normalisation, forward and backward, and the device copies the model graph uses. Every gradient buffer starts non-zero, so an op that overwrites instead of adding
// fails. Tolerances (relative to the reference's largest magnitude, CHECK_CLOSE_SCALED) are stated
// per check; where the GPU adds in the CPU's order the results must be bit-identical.
#include <cmath>
#include <vector>

#include "kernels/activations.h"
#include "kernels/adamw.h"
#include "kernels/bias.h"
#include "kernels/cross_entropy.h"
#include "kernels/cuda/activations.h"
#include "kernels/cuda/adamw.h"
#include "kernels/cuda/bias.h"
#include "kernels/cuda/cross_entropy.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/layernorm.h"
#include "kernels/cuda/memory.h"
#include "kernels/cuda/token_shift.h"
#include "kernels/embedding.h"
#include "kernels/layernorm.h"
#include "kernels/token_shift.h"
#include "tests/gpu/gpu_support.h"

using namespace rwkvs;
using namespace rwkvs::test::gpu;
namespace kc = rwkvs::kernels::cuda;

namespace {
struct Shape {  // the sizes of one case, in the order the op takes them
  int64_t a, b, c = 1;
};
}  // namespace

TEST_CASE("layernorm forward and backward") {
  for (const Shape sh : {Shape{1, 1}, Shape{7, 33}, Shape{300, 768}, Shape{65, 4096}}) {
    const int64_t N = sh.a, C = sh.b;
    CAPTURE(N);
    CAPTURE(C);
    const size_t nc = static_cast<size_t>(N * C);
    const auto inp = normal(nc, 1, 2.0, 0.5), weight = normal(C, 2, 0.5, 1.0), bias = normal(C, 3);
    const auto dout = normal(nc, 4), dinp0 = normal(nc, 5), dw0 = normal(C, 6), db0 = normal(C, 7);
    std::vector<float> out(nc), mean(N), rstd(N), dinp = dinp0, dw = dw0, db = db0;
    kernels::layernorm_forward<float>(out.data(), mean.data(), rstd.data(), inp.data(), weight.data(),
                                      bias.data(), N, C);
    kernels::layernorm_backward<float>(dinp.data(), dw.data(), db.data(), dout.data(), inp.data(),
                                       weight.data(), mean.data(), rstd.data(), N, C);
    auto d_inp = to_device(ctx(), inp), d_w = to_device(ctx(), weight), d_b = to_device(ctx(), bias);
    auto d_dout = to_device(ctx(), dout), d_dinp = to_device(ctx(), dinp0), d_dw = to_device(ctx(), dw0),
         d_db = to_device(ctx(), db0);
    DeviceBuffer<float> d_out(nc), d_mean(N), d_rstd(N);
    kc::layernorm_forward(ctx(), d_out.data(), d_mean.data(), d_rstd.data(), d_inp.data(), d_w.data(),
                          d_b.data(), N, C);
    kc::layernorm_backward(ctx(), d_dinp.data(), d_dw.data(), d_db.data(), d_dout.data(), d_inp.data(),
                           d_w.data(), d_mean.data(), d_rstd.data(), N, C);
    CHECK_CLOSE_SCALED(host(d_out), out, 1e-5);
    CHECK_CLOSE_SCALED(host(d_mean), mean, 1e-5);
    CHECK_CLOSE_SCALED(host(d_rstd), rstd, 1e-5);
    CHECK_CLOSE_SCALED(host(d_dinp), dinp, 1e-4);
    CHECK_CLOSE_SCALED(host(d_dw), dw, 1e-4);
    CHECK_CLOSE_SCALED(host(d_db), db, 1e-4);
  }
}

TEST_CASE("layernorm forward without mean and rstd outputs") {
  const int64_t N = 5, C = 40;
  const auto inp = normal(N * C, 8), weight = normal(C, 9), bias = normal(C, 10);
  std::vector<float> out(N * C);
  kernels::layernorm_forward<float>(out.data(), nullptr, nullptr, inp.data(), weight.data(), bias.data(), N,
                                    C);
  auto d_inp = to_device(ctx(), inp), d_w = to_device(ctx(), weight), d_b = to_device(ctx(), bias);
  DeviceBuffer<float> d_out(N * C);
  kc::layernorm_forward(ctx(), d_out.data(), nullptr, nullptr, d_inp.data(), d_w.data(), d_b.data(), N, C);
  CHECK_CLOSE_SCALED(host(d_out), out, 1e-5);
}

TEST_CASE("token shift mix forward and backward, with and without a carried previous row") {
  for (const Shape sh : {Shape{2, 1, 5}, Shape{3, 17, 40}, Shape{8, 512, 64}}) {
    const int64_t B = sh.a, T = sh.b, C = sh.c;
    for (bool with_prev : {false, true}) {
      CAPTURE(T);
      CAPTURE(with_prev);
      const size_t n = static_cast<size_t>(B * T * C), s = static_cast<size_t>(B * C);
      const auto z = normal(n, 11), prev = normal(s, 12), mix = uniform(C, 13, 0, 1), dout = normal(n, 14);
      const auto dz0 = normal(n, 15), dprev0 = normal(s, 16), dmix0 = normal(C, 17);
      std::vector<float> out(n), dz = dz0, dprev = dprev0, dmix = dmix0;
      const float* p = with_prev ? prev.data() : nullptr;
      kernels::token_shift_mix_forward<float>(out.data(), z.data(), p, mix.data(), B, T, C);
      kernels::token_shift_mix_backward<float>(dz.data(), with_prev ? dprev.data() : nullptr, dmix.data(),
                                               dout.data(), z.data(), p, mix.data(), B, T, C);
      auto d_z = to_device(ctx(), z), d_prev = to_device(ctx(), prev), d_mix = to_device(ctx(), mix),
           d_dout = to_device(ctx(), dout), d_dz = to_device(ctx(), dz0), d_dprev = to_device(ctx(), dprev0),
           d_dmix = to_device(ctx(), dmix0);
      DeviceBuffer<float> d_out(n);
      const float* dp = with_prev ? d_prev.data() : nullptr;
      kc::token_shift_mix_forward(ctx(), d_out.data(), d_z.data(), dp, d_mix.data(), B, T, C);
      kc::token_shift_mix_backward(ctx(), d_dz.data(), with_prev ? d_dprev.data() : nullptr, d_dmix.data(),
                                   d_dout.data(), d_z.data(), dp, d_mix.data(), B, T, C);
      CHECK_CLOSE_SCALED(host(d_out), out, 1e-6);
      CHECK_CLOSE_SCALED(host(d_dz), dz, 1e-6);
      CHECK_CLOSE_SCALED(host(d_dprev), dprev, 1e-6);  // untouched without prev: still dprev0
      CHECK_CLOSE_SCALED(host(d_dmix), dmix, 1e-4);
    }
  }
}

TEST_CASE("sigmoid, squared relu, product and residual add, forward and backward") {
  for (int64_t n : {int64_t(1), int64_t(1000003)}) {
    CAPTURE(n);
    const auto x = normal(n, 21, 3.0), y = normal(n, 22), g = normal(n, 23), acc0 = normal(n, 24),
               acc1 = normal(n, 25);
    auto dx = to_device(ctx(), x), dy = to_device(ctx(), y), dg = to_device(ctx(), g);
    DeviceBuffer<float> out(n);
    std::vector<float> want(n), da = acc0, db = acc1;

    kernels::sigmoid_forward<float>(want.data(), x.data(), n);
    kc::sigmoid_forward(ctx(), out.data(), dx.data(), n);
    CHECK_CLOSE_SCALED(host(out), want, 1e-6);
    kernels::sigmoid_backward<float>(da.data(), g.data(), want.data(), n);
    auto d_da = to_device(ctx(), acc0), d_want = to_device(ctx(), want);
    kc::sigmoid_backward(ctx(), d_da.data(), dg.data(), d_want.data(), n);
    CHECK_CLOSE_SCALED(host(d_da), da, 1e-6);

    kernels::relu_square_forward<float>(want.data(), x.data(), n);
    kc::relu_square_forward(ctx(), out.data(), dx.data(), n);
    CHECK_CLOSE_SCALED(host(out), want, 1e-6);
    da = acc0;
    kernels::relu_square_backward<float>(da.data(), g.data(), x.data(), n);
    d_da = to_device(ctx(), acc0);
    kc::relu_square_backward(ctx(), d_da.data(), dg.data(), dx.data(), n);
    CHECK_CLOSE_SCALED(host(d_da), da, 1e-6);

    kernels::mul_forward<float>(want.data(), x.data(), y.data(), n);
    kc::mul_forward(ctx(), out.data(), dx.data(), dy.data(), n);
    CHECK_CLOSE_SCALED(host(out), want, 1e-6);
    da = acc0, db = acc1;
    kernels::mul_backward<float>(da.data(), db.data(), g.data(), x.data(), y.data(), n);
    d_da = to_device(ctx(), acc0);
    auto d_db = to_device(ctx(), acc1);
    kc::mul_backward(ctx(), d_da.data(), d_db.data(), dg.data(), dx.data(), dy.data(), n);
    CHECK_CLOSE_SCALED(host(d_da), da, 1e-6);
    CHECK_CLOSE_SCALED(host(d_db), db, 1e-6);
    d_db = to_device(ctx(), acc1);  // da null: only db changes
    kc::mul_backward(ctx(), nullptr, d_db.data(), dg.data(), dx.data(), dy.data(), n);
    CHECK_CLOSE_SCALED(host(d_db), db, 1e-6);

    da = acc0;
    kernels::add_inplace<float>(da.data(), x.data(), n);
    d_da = to_device(ctx(), acc0);
    kc::add_inplace(ctx(), d_da.data(), dx.data(), n);
    CHECK_CLOSE_SCALED(host(d_da), da, 1e-7);
  }
}

TEST_CASE("sum of squares: double accumulation, deterministic, and accumulating into a device total") {
  for (int64_t n : {int64_t(1), int64_t(1000), int64_t(1) << 24}) {
    CAPTURE(n);
    const auto x = normal(n, 31, 2.0);
    auto dx = to_device(ctx(), x);
    const double want = kernels::sum_squares<float>(x.data(), n);
    const double got = kc::sum_squares(ctx(), dx.data(), n);
    CHECK(std::fabs(got - want) <= 1e-10 * want);        // both sum in double, in different orders
    CHECK(kc::sum_squares(ctx(), dx.data(), n) == got);  // bit-identical on a second run
    DeviceBuffer<double> total(1);
    kc::sum_squares_accumulate(ctx(), total.data(), dx.data(), n);
    kc::sum_squares_accumulate(ctx(), total.data(), dx.data(), n);
    CHECK(std::fabs(host(total)[0] - 2 * want) <= 2e-10 * want);
  }
}

TEST_CASE("embedding forward gathers rows; backward adds repeated ids in row order, bit for bit") {
  const int64_t V = 50, C = 65, N = 1000;
  std::vector<int32_t> ids(N);
  for (int64_t i = 0; i < N; ++i) ids[i] = static_cast<int32_t>((i * 7919 + i * i) % V);  // repeats, unsorted
  ids[3] = V - 1;
  const auto table = normal(V * C, 41), dout = normal(N * C, 42), dtable0 = normal(V * C, 43);
  std::vector<float> out(N * C), dtable = dtable0;
  kernels::embedding_forward<float>(out.data(), ids.data(), table.data(), N, C);
  kernels::embedding_backward<float>(dtable.data(), dout.data(), ids.data(), N, C);
  auto d_ids = to_device(ctx(), ids);
  auto d_table = to_device(ctx(), table), d_dout = to_device(ctx(), dout),
       d_dtable = to_device(ctx(), dtable0);
  DeviceBuffer<float> d_out(N * C);
  kc::embedding_forward(ctx(), d_out.data(), d_ids.data(), d_table.data(), N, C);
  kc::embedding_backward(ctx(), d_dtable.data(), d_dout.data(), d_ids.data(), N, C);
  CHECK_CLOSE_SCALED(host(d_out), out, 0.0);
  CHECK_CLOSE_SCALED(host(d_dtable), dtable, 0.0);  // the same additions in the same order
}

TEST_CASE("cross-entropy: losses, gradients, ignored rows, and the gradient written in place") {
  for (const Shape sh : {Shape{37, 1000}, Shape{3, 50277}, Shape{1, 1}}) {
    const int64_t N = sh.a, V = sh.b;
    CAPTURE(V);
    const auto logits = normal(N * V, 51, 3.0);
    std::vector<int32_t> targets(N);
    for (int64_t n = 0; n < N; ++n) targets[n] = static_cast<int32_t>((n * 131) % V);
    if (N > 2) targets[1] = -1;  // ignored row
    const float dloss = 0.37f;
    std::vector<float> losses(N), grad(N * V);
    kernels::cross_entropy_forward<float>(losses.data(), logits.data(), targets.data(), N, V);
    kernels::cross_entropy_backward<float>(grad.data(), logits.data(), targets.data(), dloss, N, V);
    auto d_logits = to_device(ctx(), logits);
    auto d_targets = to_device(ctx(), targets);
    DeviceBuffer<float> d_losses(N), d_grad(N * V);
    kc::cross_entropy_forward(ctx(), d_losses.data(), d_logits.data(), d_targets.data(), N, V);
    kc::cross_entropy_backward(ctx(), d_grad.data(), d_logits.data(), d_targets.data(), dloss, N, V);
    CHECK_CLOSE_SCALED(host(d_losses), losses, 1e-5);
    CHECK_CLOSE_SCALED(host(d_grad), grad, 1e-5);
    kc::cross_entropy_backward(ctx(), d_logits.data(), d_logits.data(), d_targets.data(), dloss, N, V);
    CHECK_CLOSE_SCALED(host(d_logits), grad, 1e-5);
  }
}

TEST_CASE("AdamW: three steps with weight decay match the CPU update") {
  const int64_t n = 10007;
  kernels::AdamWHyper h;
  h.lr = 3e-3f;
  h.weight_decay = 0.1f;
  std::vector<float> p = normal(n, 61), m(n, 0.0f), v(n, 0.0f);
  auto dp = to_device(ctx(), p), dm = to_device(ctx(), m), dv = to_device(ctx(), v);
  for (int64_t step = 1; step <= 3; ++step) {
    const auto g = normal(n, 61 + step);
    kernels::adamw_update(p.data(), m.data(), v.data(), g.data(), n, h, step);
    auto dg = to_device(ctx(), g);
    kc::adamw_update(ctx(), dp.data(), dm.data(), dv.data(), dg.data(), n, h, step);
  }
  CHECK_CLOSE_SCALED(host(dp), p, 1e-6);
  CHECK_CLOSE_SCALED(host(dm), m, 1e-6);
  CHECK_CLOSE_SCALED(host(dv), v, 1e-6);
}

TEST_CASE("launchers reject bad sizes with the op's name") {
  DeviceBuffer<float> x(8);
  CHECK(test::error_of([&] {
          kc::layernorm_forward(ctx(), x.data(), nullptr, nullptr, x.data(), x.data(), x.data(), 0, 4);
        }).find("cuda layernorm_forward") != std::string::npos);
  CHECK(test::error_of([&] {
          kc::token_shift_mix_forward(ctx(), x.data(), x.data(), nullptr, x.data(), 1, -1, 4);
        }).find("cuda token_shift_mix_forward") != std::string::npos);
  CHECK(test::error_of([&] {
          kc::adamw_update(ctx(), x.data(), x.data(), x.data(), x.data(), 8, {}, 0);
        }).find("step") != std::string::npos);
}

TEST_CASE("bias add forward and backward, column normalisation") {
  for (const Shape sh : {Shape{1, 1}, Shape{37, 12}, Shape{5000, 96}}) {
    const int64_t N = sh.a, C = sh.b;
    CAPTURE(N);
    CAPTURE(C);
    const size_t nc = static_cast<size_t>(N * C);
    const auto out0 = normal(nc, 11), bias = normal(C, 12), dout = normal(nc, 13), db0 = normal(C, 14);
    const auto mean = normal(C, 15), scale = uniform(C, 16, 0.5, 2.0);
    std::vector<float> out = out0, db = db0, norm(nc);
    kernels::add_bias_forward<float>(out.data(), bias.data(), N, C);
    kernels::add_bias_backward<float>(db.data(), dout.data(), N, C);
    kernels::normalize_columns<float>(norm.data(), out0.data(), mean.data(), scale.data(), N, C);
    auto d_out = to_device(ctx(), out0), d_bias = to_device(ctx(), bias), d_dout = to_device(ctx(), dout),
         d_db = to_device(ctx(), db0), d_in = to_device(ctx(), out0), d_mean = to_device(ctx(), mean),
         d_scale = to_device(ctx(), scale);
    DeviceBuffer<float> d_norm(nc);
    kc::add_bias_forward(ctx(), d_out.data(), d_bias.data(), N, C);
    kc::add_bias_backward(ctx(), d_db.data(), d_dout.data(), N, C);
    kc::normalize_columns(ctx(), d_norm.data(), d_in.data(), d_mean.data(), d_scale.data(), N, C);
    CHECK(host(d_out) == out);  // one addition per element: bit-identical
    CHECK(host(d_norm) == norm);
    CHECK_CLOSE_SCALED(host(d_db), db, 1e-5);
  }
}

TEST_CASE("device copies: the last row of each sequence, scaling, zero fill") {
  const int64_t B = 3, T = 7, C = 10;
  const auto src = normal(B * T * C, 17);
  auto d_src = to_device(ctx(), src);
  DeviceBuffer<float> d_last(B * C);
  kc::copy_last_rows(ctx(), d_last.data(), d_src.data(), B, T, C);
  const std::vector<float> last = host(d_last);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c) CHECK(last[b * C + c] == src[((b + 1) * T - 1) * C + c]);
  kc::scale_inplace(ctx(), d_src.data(), 0.5f, B * T * C);
  const std::vector<float> half = host(d_src);
  for (size_t i = 0; i < src.size(); ++i) CHECK(half[i] == src[i] * 0.5f);
  kc::zero_device_bytes(ctx(), d_src.data(), sizeof(float) * 5);
  const std::vector<float> z = host(d_src);
  CHECK(z[4] == 0.0f);
  CHECK(z[5] == half[5]);
}
