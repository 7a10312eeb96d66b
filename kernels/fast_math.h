#pragma once
// exp for the kernels: a branch-free polynomial that GCC vectorises over channel loops (glibc's expf
// does not vectorise without -ffast-math). Relative error < 2e-7 on [-87, 88]; exactly 0 below -87.
// double uses std::exp: the double instantiations exist for finite-difference tests, not speed.
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define RWKVS_HD __host__ __device__ __forceinline__
#else
#define RWKVS_HD inline
#endif

namespace rwkvs::kernels {

RWKVS_HD float exp_approx(float x) {
#if defined(__CUDA_ARCH__)
  return __expf(x);
#else
  const bool underflow = x < -87.0f;
  x = x > 88.0f ? 88.0f : x;
  x = x < -87.0f ? -87.0f : x;
  // x = n ln2 + r with |r| <= ln2/2; ln2 split in two parts so n*ln2 is exact enough.
  const float n = std::nearbyint(x * 1.44269504088896341f);
  float r = std::fma(n, -0.693145751953125f, x);
  r = std::fma(n, -1.428606765330187045e-06f, r);
  // Taylor to degree 6 (error r^7/5040 < 1.3e-7 on the reduced range).
  float p = 1.0f / 720.0f;
  p = std::fma(p, r, 1.0f / 120.0f);
  p = std::fma(p, r, 1.0f / 24.0f);
  p = std::fma(p, r, 1.0f / 6.0f);
  p = std::fma(p, r, 0.5f);
  p = std::fma(p, r, 1.0f);
  p = std::fma(p, r, 1.0f);
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return underflow ? 0.0f : p * scale;
#endif
}

RWKVS_HD double exp_approx(double x) { return std::exp(x); }

}  // namespace rwkvs::kernels
