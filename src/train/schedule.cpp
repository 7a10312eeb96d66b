#include "src/train/schedule.h"

#include <algorithm>
#include <cmath>

namespace rwkvs {

double LrSchedule::at(int64_t step) const {
  if (warmup > 0 && step <= warmup) return lr * static_cast<double>(step) / static_cast<double>(warmup);
  const int64_t span = std::max<int64_t>(1, total - warmup);
  const double progress = std::clamp(static_cast<double>(step - warmup) / static_cast<double>(span), 0.0, 1.0);
  const double lo = lr * min_ratio;
  return lo + 0.5 * (lr - lo) * (1.0 + std::cos(M_PI * progress));
}

}  // namespace rwkvs
