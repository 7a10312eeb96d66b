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
  if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) {
    info.name = prop.name;
    info.compute_capability = prop.major * 10 + prop.minor;
    info.sm_count = prop.multiProcessorCount;
    info.memory_gib = static_cast<double>(prop.totalGlobalMem) / (1 << 30);
  }
  // CUDA 13 dropped the clock fields from cudaDeviceProp; the attributes remain.
  int clock_khz = 0, bus_bits = 0;
  if (cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, 0) == cudaSuccess &&
      cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, 0) == cudaSuccess)
    info.peak_memory_gbs = 2.0 * clock_khz * 1e3 * (bus_bits / 8.0) / 1e9;  // double data rate
  return info;
}

}  // namespace rwkvs::kernels
