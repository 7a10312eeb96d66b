#pragma once
// Math for the kernels that works on scalars (float, double, and in CUDA device code) and on GCC
// vector types (8 floats), so one formula serves the readable scalar path and the SIMD fast path.
//
// exp_approx: a branch-free polynomial exp (glibc's expf does not vectorise without -ffast-math).
// Relative error < 2e-7 on [-87, 88]; exactly 0 below -87; inputs above 88 are clamped.
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

#if !defined(__CUDACC__)
// 8 float lanes (one AVX2 register) and the matching integer vector.
typedef float Float8 __attribute__((vector_size(32)));
typedef int32_t Int8 __attribute__((vector_size(32)));
#endif

// A value of type V with every lane set to x.
template <class V>
RWKVS_HD V splat(float x) {
  return V{} + x;
}

namespace detail {
// e^r for |r| <= ln2/2: Taylor to degree 6 (error r^7/5040 < 1.3e-7).
template <class V>
RWKVS_HD V exp_poly(V r) {
  V p = splat<V>(1.0f / 720.0f);
  p = p * r + (1.0f / 120.0f);
  p = p * r + (1.0f / 24.0f);
  p = p * r + (1.0f / 6.0f);
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  return p;
}
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693145751953125f;
constexpr float kLn2Lo = 1.428606765330187045e-06f;
constexpr float kRoundMagic = 12582912.0f;  // 1.5 * 2^23: adding and subtracting rounds to nearest
}  // namespace detail

RWKVS_HD float exp_approx(float x) {
#if defined(__CUDA_ARCH__)
  return __expf(x);
#else
  const bool underflow = x < -87.0f;
  x = x > 88.0f ? 88.0f : (x < -87.0f ? -87.0f : x);
  const float n = (x * detail::kLog2e + detail::kRoundMagic) - detail::kRoundMagic;
  const float r = (x - n * detail::kLn2Hi) - n * detail::kLn2Lo;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return underflow ? 0.0f : detail::exp_poly(r) * scale;
#endif
}

RWKVS_HD double exp_approx(double x) { return std::exp(x); }

#if !defined(__CUDACC__)
inline Float8 exp_approx(Float8 x) {
  const Int8 underflow = x < -87.0f;
  x = x > 88.0f ? splat<Float8>(88.0f) : x;
  x = x < -87.0f ? splat<Float8>(-87.0f) : x;
  const Float8 n = (x * detail::kLog2e + detail::kRoundMagic) - detail::kRoundMagic;
  const Float8 r = (x - n * detail::kLn2Hi) - n * detail::kLn2Lo;
  const Int8 bits = (__builtin_convertvector(n, Int8) + 127) << 23;
  const Float8 scale = __builtin_bit_cast(Float8, bits);
  const Float8 e = detail::exp_poly(r) * scale;
  return underflow ? splat<Float8>(0.0f) : e;
}
#endif

// Lane-wise select and loads/stores, uniform across scalars and vectors.
RWKVS_HD float select(bool m, float a, float b) { return m ? a : b; }
RWKVS_HD double select(bool m, double a, double b) { return m ? a : b; }
#if !defined(__CUDACC__)
inline Float8 select(Int8 m, Float8 a, Float8 b) { return m ? a : b; }
#endif

template <class V, class R>
inline V load_lanes(const R* p) {
  if constexpr (sizeof(V) == sizeof(R)) {
    return *p;
  } else {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
}
template <class V, class R>
inline void store_lanes(R* p, V v) {
  if constexpr (sizeof(V) == sizeof(R)) {
    *p = v;
  } else {
    std::memcpy(p, &v, sizeof v);
  }
}

}  // namespace rwkvs::kernels
