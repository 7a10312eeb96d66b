#include "tests/gpu/gpu_support.h"

#include <algorithm>
#include <cmath>

#include "base/rng.h"

namespace rwkvs::test::gpu {

kernels::cuda::OwnedCudaContext& context() {
  static kernels::cuda::OwnedCudaContext c;
  return c;
}

std::vector<float> normal(size_t n, uint64_t seed, double sd, double mean) {
  Rng rng(seed);
  std::vector<float> x(n);
  for (auto& v : x) v = static_cast<float>(mean + sd * rng.normal());
  return x;
}

std::vector<float> uniform(size_t n, uint64_t seed, double lo, double hi) {
  Rng rng(seed);
  std::vector<float> x(n);
  for (auto& v : x) v = static_cast<float>(lo + (hi - lo) * rng.uniform());
  return x;
}

template <class T>
double max_abs_of(const std::vector<T>& x) {
  double m = 0;
  for (T v : x) m = std::max(m, std::fabs(static_cast<double>(v)));
  return m > 0 ? m : 1e-30;
}
double max_abs(const std::vector<float>& x) { return max_abs_of(x); }
double max_abs(const std::vector<double>& x) { return max_abs_of(x); }

}  // namespace rwkvs::test::gpu
