// main() of the GPU tests: without a usable GPU they print why and exit 77, which ctest reports as
// Skipped (never a silent pass); with one they run as any doctest executable.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "kernels/cuda_device.h"

int main(int argc, char** argv) {
  const rwkvs::kernels::CudaDeviceInfo info = rwkvs::kernels::cuda_device_info();
  if (info.count == 0) {
    std::printf("SKIPPED: no usable CUDA GPU (%s)\n", info.problem.c_str());
    return 77;
  }
  std::printf("GPU: %s (compute capability %d, %d SMs)\n", info.name.c_str(), info.compute_capability,
              info.sm_count);
  doctest::Context context(argc, argv);
  return context.run();
}
