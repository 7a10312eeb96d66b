// Device-memory moves (kernels/cuda/memory.h): thin, error-checked wrappers of the CUDA runtime.
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/memory.h"

namespace rwkvs::kernels::cuda {
namespace {
__global__ void scale_kernel(float* x, float s, int64_t n) {
  RWKVS_GRID_STRIDE(i, n) x[i] *= s;
}
}  // namespace

void copy_device_bytes(const CudaContext& ctx, void* dst, const void* src, size_t bytes) {
  if (bytes == 0 || dst == src) return;
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_of(ctx)), "cuda copy",
             "cudaMemcpyAsync");
}

void zero_device_bytes(const CudaContext& ctx, void* p, size_t bytes) {
  if (bytes == 0) return;
  check_cuda(cudaMemsetAsync(p, 0, bytes, stream_of(ctx)), "cuda zero", "cudaMemsetAsync");
}

void copy_last_rows(const CudaContext& ctx, float* dst, const float* src, int64_t B, int64_t T, int64_t C) {
  require_positive("cuda copy_last_rows", "B, T, C", B, T, C);
  const size_t row = static_cast<size_t>(C) * sizeof(float);
  check_cuda(cudaMemcpy2DAsync(dst, row, src + (T - 1) * C, row * static_cast<size_t>(T), row,
                               static_cast<size_t>(B), cudaMemcpyDeviceToDevice, stream_of(ctx)),
             "cuda copy_last_rows", "cudaMemcpy2DAsync");
}

void upload_bytes(const CudaContext& ctx, void* device, const void* host, size_t bytes) {
  if (bytes == 0) return;
  check_cuda(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, stream_of(ctx)), "cuda upload",
             "cudaMemcpyAsync");
  synchronize(ctx, "cuda upload");
}

void download_bytes(const CudaContext& ctx, void* host, const void* device, size_t bytes) {
  if (bytes == 0) return;
  check_cuda(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, stream_of(ctx)), "cuda download",
             "cudaMemcpyAsync");
  synchronize(ctx, "cuda download");
}

void scale_inplace(const CudaContext& ctx, float* x, float s, int64_t n) {
  if (n <= 0) return;
  scale_kernel<<<grid_for(n), kThreads, 0, stream_of(ctx)>>>(x, s, n);
  check_launch("cuda scale_inplace");
}

}  // namespace rwkvs::kernels::cuda
