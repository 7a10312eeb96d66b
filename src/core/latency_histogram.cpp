#include "src/core/latency_histogram.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace rwkvs {
namespace {

constexpr double kMin = 1e-7, kMax = 1e3;
const double kLogStep = std::log(1.01);  // bins grow by 1%
const int kBins = static_cast<int>(std::ceil(std::log(kMax / kMin) / kLogStep)) + 1;

int bin_of(double v) {
  if (!(v > kMin)) return 0;
  return std::min(kBins - 1, static_cast<int>(std::log(v / kMin) / kLogStep));
}

// The geometric middle of bin i: within 0.5% of any value in it.
double bin_value(int i) { return kMin * std::exp((i + 0.5) * kLogStep); }

}  // namespace

LatencyHistogram::LatencyHistogram() : bins_(static_cast<size_t>(kBins), 0) {}

void LatencyHistogram::add(double seconds) {
  RWKVS_CHECK(std::isfinite(seconds) && seconds >= 0, "LatencyHistogram: bad duration ", seconds);
  ++bins_[static_cast<size_t>(bin_of(seconds))];
  ++count_;
  sum_ += seconds;
  max_ = std::max(max_, seconds);
}

double LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The same rank numpy's "lower" interpolation picks: floor(q * (n - 1)).
  const int64_t rank = static_cast<int64_t>(std::floor(q * static_cast<double>(count_ - 1)));
  int64_t seen = 0;
  for (int i = 0; i < kBins; ++i) {
    seen += bins_[static_cast<size_t>(i)];
    if (seen > rank) return std::min(bin_value(i), max_);
  }
  return max_;
}

}  // namespace rwkvs
