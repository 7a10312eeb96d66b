#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstring>
#include <limits>

#include "base/error.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/cublas_library.cuh"
#include "kernels/cuda/launch.cuh"

namespace rwkvs::kernels::cuda {

const char* to_string(MatmulPrecision p) {
  switch (p) {
    case MatmulPrecision::fp32:
      return "fp32";
    case MatmulPrecision::tf32:
      return "tf32";
    case MatmulPrecision::bf16:
      return "bf16";
  }
  return "?";
}

MatmulPrecision parse_matmul_precision(const char* name) {
  for (MatmulPrecision p : {MatmulPrecision::fp32, MatmulPrecision::tf32, MatmulPrecision::bf16})
    if (std::strcmp(name, to_string(p)) == 0) return p;
  fail("unknown precision '", name, "': expected fp32, tf32 or bf16");
}

OwnedCudaContext::OwnedCudaContext(MatmulPrecision precision, int device) {
  const char* op = "cuda context";
  check_cuda(cudaSetDevice(device), op, "cudaSetDevice");
  check_cuda(cudaDeviceGetAttribute(&ctx_.sm_count, cudaDevAttrMultiProcessorCount, device), op,
             "reading the multiprocessor count");
  // Scratch memory comes from the stream-ordered pool; keep freed blocks cached in it rather than
  // returning them to the driver at every synchronisation.
  cudaMemPool_t pool;
  check_cuda(cudaDeviceGetDefaultMemPool(&pool, device), op, "cudaDeviceGetDefaultMemPool");
  uint64_t keep = std::numeric_limits<uint64_t>::max();
  check_cuda(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep), op,
             "setting the pool threshold");
  check_cuda(cudaStreamCreate(&ctx_.stream), op, "cudaStreamCreate");
  const CublasLibrary* cublas = nullptr;
  try {
    cublas = &cublas_library();
  } catch (...) {
    cudaStreamDestroy(ctx_.stream);
    throw;
  }
  if (cublas->create(&ctx_.cublas) != CUBLAS_STATUS_SUCCESS) {
    cudaStreamDestroy(ctx_.stream);
    fail(op, ": cublasCreate failed");
  }
  cublas->set_stream(ctx_.cublas, ctx_.stream);
  ctx_.precision = precision;
}

OwnedCudaContext::~OwnedCudaContext() {
  if (ctx_.stream) cudaStreamSynchronize(ctx_.stream);
  if (ctx_.cublas) cublas_library().destroy(ctx_.cublas);  // loaded: the handle exists
  if (ctx_.stream) cudaStreamDestroy(ctx_.stream);
}

void OwnedCudaContext::synchronize() const { cuda::synchronize(ctx_); }

void synchronize(const CudaContext& ctx, const char* what) {
  check_cuda(cudaStreamSynchronize(ctx.stream), what, "cudaStreamSynchronize");
}

}  // namespace rwkvs::kernels::cuda
