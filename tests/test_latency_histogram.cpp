// Percentiles from the constant-memory histogram agree with the exact sorted-series value of the
// same rank within 1%, over values spanning microseconds to seconds.
#include <algorithm>
#include <cmath>
#include <vector>

#include "base/error.h"
#include "base/rng.h"
#include "src/core/latency_histogram.h"
#include "tests/support.h"

using namespace rwkvs;

TEST_CASE("percentiles within 1% of the exact ones") {
  Rng rng(1);
  LatencyHistogram h;
  std::vector<double> v;
  for (int i = 0; i < 20000; ++i) {
    const double x = 1e-5 * std::exp(6 * rng.uniform());  // 10 us .. 4 ms, log-uniform
    v.push_back(x);
    h.add(x);
  }
  v.push_back(0.5);  // one slow outlier
  h.add(0.5);
  std::sort(v.begin(), v.end());
  for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    CAPTURE(q);
    const double want = v[static_cast<size_t>(std::floor(q * static_cast<double>(v.size() - 1)))];
    CHECK(std::fabs(h.percentile(q) - want) <= 0.01 * want);
  }
  CHECK(h.percentile(1.0) == 0.5);
  CHECK(h.max() == 0.5);
  CHECK(h.count() == 20001);
}

TEST_CASE("empty, single and out-of-range values") {
  LatencyHistogram h;
  CHECK(h.percentile(0.5) == 0);
  h.add(0.0);
  CHECK(h.percentile(0.5) == 0);  // clamped to the smallest bin, but never above the maximum
  h.add(3e-3);
  CHECK(h.percentile(1.0) == 3e-3);
  CHECK_THROWS_AS(h.add(-1), Error);
  CHECK_THROWS_AS(h.add(std::nan("")), Error);
}
