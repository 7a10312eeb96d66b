// CPU-only builds: there is no CUDA backend to ask.
#ifndef RWKVS_HAVE_CUDA
#include "kernels/cuda_device.h"

namespace rwkvs::kernels {

CudaDeviceInfo cuda_device_info() {
  CudaDeviceInfo info;
  info.problem = "this rwkvs was built without CUDA (configure with nvcc on the PATH and -DRWKVS_CUDA=ON)";
  return info;
}

}  // namespace rwkvs::kernels
#endif
