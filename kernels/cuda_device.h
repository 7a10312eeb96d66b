#pragma once
// What CUDA devices this process can use. Defined by kernels/cuda/cuda_device.cu in CUDA builds;
// CPU-only builds answer "none" through src/core (never include CUDA headers here).
#include <string>

namespace rwkvs::kernels {

struct CudaDeviceInfo {
  int count = 0;        // usable devices (0 when there is no driver or no GPU)
  std::string name;     // name of device 0 when count > 0
  std::string problem;  // why count is 0, from the CUDA runtime
  // Device 0, when count > 0:
  int compute_capability = 0;  // major * 10 + minor (90 for H100)
  int sm_count = 0;            // multiprocessors
  double memory_gib = 0;       // global memory
  double peak_memory_gbs = 0;  // 2 x memory clock x bus width; 0 when the driver does not report them
};

CudaDeviceInfo cuda_device_info();

}  // namespace rwkvs::kernels
