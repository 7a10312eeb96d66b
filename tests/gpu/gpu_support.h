#pragma once
// Helpers of the GPU tests: one context per process, random host data, and comparisons whose
// absolute tolerance scales with the reference array's largest magnitude.
#include <cstdint>
#include <vector>

#include "kernels/cuda/context.h"
#include "kernels/cuda/device_buffer.h"
#include "tests/support.h"

namespace rwkvs::test::gpu {

using kernels::cuda::DeviceBuffer;

// The process's context (fp32 matmuls); tests that change precision restore it.
kernels::cuda::OwnedCudaContext& context();
inline const kernels::cuda::CudaContext& ctx() { return context().get(); }

// n values mean + sd * N(0, 1), reproducible from seed.
std::vector<float> normal(size_t n, uint64_t seed, double sd = 1.0, double mean = 0.0);
// n values uniform in [lo, hi).
std::vector<float> uniform(size_t n, uint64_t seed, double lo, double hi);

// Largest |x| (1e-30 when all are 0, so a zero reference still demands zeros).
double max_abs(const std::vector<float>& x);
double max_abs(const std::vector<double>& x);

// A device buffer's contents.
template <class T>
std::vector<T> host(const DeviceBuffer<T>& d) {
  return d.to_host(ctx());
}

}  // namespace rwkvs::test::gpu

// Element-wise |got - want| <= tol * max|want| + tol * |want|, with the report of CHECK_ARRAYS_CLOSE.
#define CHECK_CLOSE_SCALED(got, want, tol)                                \
  do {                                                                    \
    REQUIRE((got).size() == (want).size());                               \
    CHECK_ARRAYS_CLOSE((got).data(), (want).data(), (want).size(),        \
                       (tol) * ::rwkvs::test::gpu::max_abs(want), (tol)); \
  } while (0)
