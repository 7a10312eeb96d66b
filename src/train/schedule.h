#pragma once
// Learning rate: linear warm-up from 0 to lr over 'warmup' steps, then cosine decay to lr * min_ratio
// at 'total' steps (held there after).
//
// A time budget only estimates 'total', and the estimate changes as step times are measured.
// retarget() moves the end of the schedule without ever moving backwards along it: the progress
// reached so far is kept and only the remaining steps are stretched or squeezed over the rest of
// the cosine, so the rate never rises after warm-up whatever the estimates do.
#include <cstdint>

namespace rwkvs {

struct LrSchedule {
  double lr = 6e-4;
  int64_t warmup = 100;
  int64_t total = 1000;
  double min_ratio = 0.1;
  // Where the cosine's current segment starts: at step anchor_step (after warm-up) the progress is
  // anchor_progress in [0, 1]. Defaults give the plain cosine from warm-up to 'total'.
  int64_t anchor_step = -1;  // -1: the end of warm-up
  double anchor_progress = 0;

  double at(int64_t step) const;        // step is 1-based (the step about to be taken)
  double progress(int64_t step) const;  // fraction of the cosine done at 'step' (0 during warm-up)
  // The schedule ends at new_total from now on; steps up to 'step' keep the rates they had.
  void retarget(int64_t step, int64_t new_total);
};

}  // namespace rwkvs
