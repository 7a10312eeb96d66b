// cuBLAS matmuls against the CPU's cblas twin (kernels/cpu/matmul.cpp): forward with and without
// accumulation, both backward products adding into non-zero gradients, null outputs skipped.
// Tolerances relative to the reference's largest magnitude: fp32 1e-4; TF32 inputs (10-bit
// mantissa) 2e-3; bf16 inputs (8-bit mantissa) 1e-2. A transposed or mis-strided operand is off
// by O(1), far outside all three.
#include <vector>

#include "kernels/cuda/matmul.h"
#include "kernels/matmul.h"
#include "tests/gpu/gpu_support.h"

using namespace rwkvs;
using namespace rwkvs::test::gpu;
namespace kc = rwkvs::kernels::cuda;
using kc::MatmulPrecision;

namespace {

struct Shape {
  int64_t N, I, O;
};

double tolerance(MatmulPrecision p) {
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

// Restores the shared context's precision when a test case ends.
struct PrecisionScope {
  explicit PrecisionScope(MatmulPrecision p) { context().set_precision(p); }
  ~PrecisionScope() { context().set_precision(MatmulPrecision::fp32); }
};

}  // namespace

TEST_CASE("matmul forward and backward against cblas, for each precision") {
  for (MatmulPrecision prec : {MatmulPrecision::fp32, MatmulPrecision::tf32, MatmulPrecision::bf16}) {
    const PrecisionScope scope(prec);
    const double tol = tolerance(prec);
    for (const Shape sh : {Shape{1, 64, 33}, Shape{67, 129, 257}, Shape{512, 768, 3072}}) {
      const int64_t N = sh.N, I = sh.I, O = sh.O;
      CAPTURE(kc::to_string(prec));
      CAPTURE(N);
      CAPTURE(I);
      CAPTURE(O);
      const auto inp = normal(N * I, 71), weight = normal(O * I, 72, 0.05), dout = normal(N * O, 73);
      const auto out0 = normal(N * O, 74), dinp0 = normal(N * I, 75), dw0 = normal(O * I, 76);
      auto d_inp = to_device(ctx(), inp), d_w = to_device(ctx(), weight), d_dout = to_device(ctx(), dout);

      std::vector<float> out(N * O), acc = out0;
      kernels::matmul_forward<float>(out.data(), inp.data(), weight.data(), N, I, O);
      kernels::matmul_forward<float>(acc.data(), inp.data(), weight.data(), N, I, O, /*accumulate=*/true);
      DeviceBuffer<float> d_out(N * O);
      auto d_acc = to_device(ctx(), out0);
      kc::matmul_forward(ctx(), d_out.data(), d_inp.data(), d_w.data(), N, I, O);
      kc::matmul_forward(ctx(), d_acc.data(), d_inp.data(), d_w.data(), N, I, O, /*accumulate=*/true);
      CHECK_CLOSE_SCALED(host(d_out), out, tol);
      CHECK_CLOSE_SCALED(host(d_acc), acc, tol);

      std::vector<float> dinp = dinp0, dw = dw0;
      kernels::matmul_backward<float>(dinp.data(), dw.data(), dout.data(), inp.data(), weight.data(), N, I,
                                      O);
      auto d_dinp = to_device(ctx(), dinp0), d_dw = to_device(ctx(), dw0);
      kc::matmul_backward(ctx(), d_dinp.data(), d_dw.data(), d_dout.data(), d_inp.data(), d_w.data(), N, I,
                          O);
      CHECK_CLOSE_SCALED(host(d_dinp), dinp, tol);
      CHECK_CLOSE_SCALED(host(d_dw), dw, tol);

      // each output alone: the other stays untouched
      d_dinp = to_device(ctx(), dinp0);
      kc::matmul_backward(ctx(), d_dinp.data(), nullptr, d_dout.data(), d_inp.data(), d_w.data(), N, I, O);
      CHECK_CLOSE_SCALED(host(d_dinp), dinp, tol);
      d_dw = to_device(ctx(), dw0);
      kc::matmul_backward(ctx(), nullptr, d_dw.data(), d_dout.data(), d_inp.data(), d_w.data(), N, I, O);
      CHECK_CLOSE_SCALED(host(d_dw), dw, tol);
    }
  }
}

TEST_CASE("matmul sizes are validated, and precision names parse") {
  DeviceBuffer<float> x(4);
  CHECK(test::error_of([&] {
          kc::matmul_forward(ctx(), x.data(), x.data(), x.data(), 0, 2, 2);
        }).find("cuda matmul_forward") != std::string::npos);
  CHECK(kc::parse_matmul_precision("bf16") == MatmulPrecision::bf16);
  CHECK(test::error_of([] { kc::parse_matmul_precision("fp16"); }).find("fp32, tf32 or bf16") !=
        std::string::npos);
}
