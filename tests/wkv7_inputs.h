#pragma once
// Random WKV-7 inputs with the model's statistics (rwkv7-spec §3), shared by the CPU and GPU kernel
// tests: logw in (-e^-0.5, 0), a = -kappa_hat and b = kappa_hat * alpha with kappa_hat of unit norm
// per head and alpha in (0, 1); r, k, v, gy standard normal; S0 of scale 0.3, gS standard normal.
#include <cmath>
#include <cstdint>
#include <vector>

#include "base/rng.h"

namespace rwkvs::test {

template <class R>
struct Wkv7Inputs {
  std::vector<R> r, logw, k, v, a, b, S0, gy, gS;

  // n = B*T*H*N token-head values of head size N; ns = B*H*N*N state values.
  Wkv7Inputs(size_t n, size_t ns, int64_t N, uint64_t seed)
      : r(n), logw(n), k(n), v(n), a(n), b(n), S0(ns), gy(n), gS(ns) {
    Rng rng(seed);
    for (size_t e = 0; e < n; ++e) {
      r[e] = static_cast<R>(rng.normal());
      k[e] = static_cast<R>(rng.normal());
      v[e] = static_cast<R>(rng.normal());
      logw[e] = static_cast<R>(-std::exp(-0.5) / (1 + std::exp(-2 * rng.normal())));
      gy[e] = static_cast<R>(rng.normal());
    }
    for (size_t row = 0; row < n; row += static_cast<size_t>(N)) {  // one head of one token
      std::vector<double> kk(static_cast<size_t>(N));
      double norm = 0;
      for (auto& x : kk) {
        x = rng.normal();
        norm += x * x;
      }
      norm = std::sqrt(norm);
      for (int64_t j = 0; j < N; ++j) {
        a[row + j] = static_cast<R>(-kk[j] / norm);
        b[row + j] = static_cast<R>(kk[j] / norm * rng.uniform());
      }
    }
    for (size_t e = 0; e < ns; ++e) {
      S0[e] = static_cast<R>(0.3 * rng.normal());
      gS[e] = static_cast<R>(rng.normal());
    }
  }
};

}  // namespace rwkvs::test
