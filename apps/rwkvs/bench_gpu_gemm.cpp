// The GPU's own GEMM speed for `bench train --device cuda`: cuBLAS (through kernels/cuda/matmul.h,
// the matmul the model uses, in the requested precision) on the training step's largest shape,
// timed with CUDA events in the same run, so the model's throughput has a ceiling to be read against.
#include "apps/rwkvs/bench_util.h"
#include "base/error.h"

#if RWKVS_HAVE_CUDA
#include <algorithm>

#include "kernels/cuda/context.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/matmul.h"
#endif

namespace rwkvs::app {

#if RWKVS_HAVE_CUDA

double measure_gpu_gemm_tflops(const std::string& precision, int64_t N, int64_t I, int64_t O) {
  namespace kc = kernels::cuda;
  const kc::OwnedCudaContext ctx(kc::parse_matmul_precision(precision.c_str()));
  kc::DeviceBuffer<float> inp(static_cast<size_t>(N * I)), w(static_cast<size_t>(O * I)), out(static_cast<size_t>(N * O));
  kc::matmul_forward(ctx, out.data(), inp.data(), w.data(), N, I, O);  // warm-up (cuBLAS loads, picks a kernel)
  kc::EventTimer timer;
  double best = 1e30;
  for (int r = 0; r < 5; ++r) {
    timer.start(ctx);
    kc::matmul_forward(ctx, out.data(), inp.data(), w.data(), N, I, O);
    best = std::min(best, timer.stop(ctx));
  }
  return 2.0 * static_cast<double>(N) * static_cast<double>(I) * static_cast<double>(O) / best / 1e12;
}

#else

double measure_gpu_gemm_tflops(const std::string&, int64_t, int64_t, int64_t) {
  fail("--device cuda: this rwkvs was built without CUDA");
}

#endif

}  // namespace rwkvs::app
