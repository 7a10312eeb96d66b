#pragma once
// What CUDA devices this process can use. Defined by kernels/cuda/cuda_device.cu in CUDA builds;
// CPU-only builds answer "none" through src/core (never include CUDA headers here).
#include <string>

namespace rwkvs::kernels {

struct CudaDeviceInfo {
  int count = 0;        // usable devices (0 when there is no driver or no GPU)
  std::string name;     // name of device 0 when count > 0
  std::string problem;  // why count is 0, from the CUDA runtime
};

CudaDeviceInfo cuda_device_info();

}  // namespace rwkvs::kernels
