#include "src/train/schedule.h"

#include <algorithm>
#include <cmath>

namespace rwkvs {

double LrSchedule::progress(int64_t step) const {
  const int64_t start = anchor_step < 0 ? warmup : anchor_step;
  if (step <= start) return anchor_step < 0 ? 0.0 : anchor_progress;
  const int64_t span = std::max<int64_t>(1, total - start);
  const double done = static_cast<double>(step - start) / static_cast<double>(span);
  return std::clamp(anchor_progress + (1.0 - anchor_progress) * done, 0.0, 1.0);
}

double LrSchedule::at(int64_t step) const {
  if (warmup > 0 && step <= warmup) return lr * static_cast<double>(step) / static_cast<double>(warmup);
  const double lo = lr * min_ratio;
  return lo + 0.5 * (lr - lo) * (1.0 + std::cos(M_PI * progress(step)));
}

void LrSchedule::retarget(int64_t step, int64_t new_total) {
  if (step > warmup) {
    anchor_progress = progress(step);
    anchor_step = step;
  }
  total = new_total;
}

}  // namespace rwkvs
