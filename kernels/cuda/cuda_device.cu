#include <cuda_runtime.h>

#include "kernels/cuda_device.h"

namespace rwkvs::kernels {

CudaDeviceInfo cuda_device_info() {
  CudaDeviceInfo info;
  int n = 0;
  const cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    info.problem = cudaGetErrorString(err);
    return info;
  }
  info.count = n;
  if (n == 0) {
    info.problem = "no CUDA device found";
    return info;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) info.name = prop.name;
  return info;
}

}  // namespace rwkvs::kernels
