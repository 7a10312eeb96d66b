#pragma once
// Learning rate: linear warm-up from 0 to lr over 'warmup' steps, then cosine decay to lr * min_ratio
// at 'total' steps (held there after).
#include <cstdint>

namespace rwkvs {

struct LrSchedule {
  double lr = 6e-4;
  int64_t warmup = 100;
  int64_t total = 1000;
  double min_ratio = 0.1;

  double at(int64_t step) const;  // step is 1-based (the step about to be taken)
};

}  // namespace rwkvs
