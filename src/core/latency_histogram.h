#pragma once
// Percentiles of a long series of durations in constant memory: log-spaced bins 1% wide from
// 0.1 microsecond to 1000 seconds (about 2,300 counters). A reported percentile is within 1% of
// the exact value of the same rank; values outside the range are clamped to its ends.
#include <cstdint>
#include <vector>

namespace rwkvs {

class LatencyHistogram {
 public:
  LatencyHistogram();
  void add(double seconds);
  int64_t count() const { return count_; }
  double max() const { return max_; }
  double sum() const { return sum_; }
  // The value at fraction q in [0, 1] of the sorted series (0 when empty).
  double percentile(double q) const;

 private:
  std::vector<int64_t> bins_;
  int64_t count_ = 0;
  double max_ = 0, sum_ = 0;
};

}  // namespace rwkvs
