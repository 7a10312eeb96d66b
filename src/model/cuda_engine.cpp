#include "src/model/cuda_engine.h"

#include "base/error.h"

#ifdef RWKVS_HAVE_CUDA
#include "kernels/cuda_device.h"
#include "src/model/cuda_ops.h"
#include "src/model/model_engine.h"
#endif

namespace rwkvs {

#ifdef RWKVS_HAVE_CUDA
namespace cu = kernels::cuda;

std::string CudaOps::device_name() const { return kernels::cuda_device_info().name; }

namespace {

// Owns the stream and cuBLAS handle the engine's ops borrow; a base, so it is built first.
struct OwnedContextHolder {
  explicit OwnedContextHolder(cu::MatmulPrecision p) : owned(p) {}
  cu::OwnedCudaContext owned;
};

class CudaModelEngine : private OwnedContextHolder, public ModelEngine<CudaOps> {
 public:
  CudaModelEngine(const Model& model, cu::MatmulPrecision p)
      : OwnedContextHolder(p), ModelEngine<CudaOps>(CudaOps{owned.get()}, model) {}
};

}  // namespace

std::unique_ptr<Engine> make_cuda_engine(const Model& model, const std::string& precision) {
  cu::MatmulPrecision p;
  try {
    p = cu::parse_matmul_precision(precision.c_str());
  } catch (const Error& e) {
    fail_usage("--precision: ", e.what());
  }
  const kernels::CudaDeviceInfo info = kernels::cuda_device_info();
  if (info.count == 0) fail("--device cuda: no usable GPU (", info.problem, ")");
  return std::make_unique<CudaModelEngine>(model, p);
}

#else

std::unique_ptr<Engine> make_cuda_engine(const Model&, const std::string&) {
  fail("--device cuda: this rwkvs was built without CUDA (configure with nvcc on the PATH and -DRWKVS_CUDA=ON)");
}

#endif

}  // namespace rwkvs
