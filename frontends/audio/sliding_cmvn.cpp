#include "frontends/audio/sliding_cmvn.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace rwkvs {

void SlidingCmvnOptions::validate() const {
  if (cmn_window < 1) fail_usage("--cmn-window must be at least 1 frame, got ", cmn_window);
  if (!center && (min_window < 1 || min_window > cmn_window))
    fail_usage("--min-cmn-window must be between 1 and --cmn-window (", cmn_window, "), got ", min_window);
}

SlidingCmvn::SlidingCmvn(const SlidingCmvnOptions& options, int dim) : o_(options), dim_(dim) {
  o_.validate();
  RWKVS_CHECK(dim > 0, "SlidingCmvn: feature dimension must be positive, got ", dim);
  sum_.assign(static_cast<size_t>(dim), 0.0);
  sumsq_.assign(static_cast<size_t>(dim), 0.0);
}

void SlidingCmvn::window(int64_t t, int64_t n, int64_t& start, int64_t& end) const {
  if (o_.center) {
    start = t - o_.cmn_window / 2;
    end = start + o_.cmn_window;
  } else {
    start = t - o_.cmn_window;
    end = t + 1;
  }
  if (start < 0) {  // shift right
    end -= start;
    start = 0;
  }
  if (!o_.center && end > t) end = std::max<int64_t>(t + 1, o_.min_window);
  if (n >= 0 && end > n) {  // shift left, then clip
    start = std::max<int64_t>(0, start - (end - n));
    end = n;
  }
}

void SlidingCmvn::accept(const float* frame) {
  if (finished_) fail("SlidingCmvn: a frame after finish()");
  frames_.insert(frames_.end(), frame, frame + dim_);
  ++frames_in_;
}

void SlidingCmvn::finish() { finished_ = true; }

bool SlidingCmvn::ready() const {
  if (frames_out_ >= frames_in_) return false;
  if (finished_) return true;
  int64_t start, end;
  window(frames_out_, -1, start, end);  // before the end is known: ready once the window is all here
  return end <= frames_in_;
}

void SlidingCmvn::emit(float* out) {
  RWKVS_CHECK(ready(), "SlidingCmvn::emit: frame ", frames_out_, " is not ready");
  const int64_t t = frames_out_;
  int64_t start, end;
  window(t, finished_ ? frames_in_ : -1, start, end);
  if (window_start_ < 0) {
    for (int64_t s = start; s < end; ++s) {
      const float* x = raw(s);
      for (int d = 0; d < dim_; ++d) {
        sum_[d] += x[d];
        sumsq_[d] += double(x[d]) * x[d];
      }
    }
  } else {
    // Windows only move right, by at most one frame per output frame.
    for (; window_start_ < start; ++window_start_) {
      const float* x = raw(window_start_);
      for (int d = 0; d < dim_; ++d) {
        sum_[d] -= x[d];
        sumsq_[d] -= double(x[d]) * x[d];
      }
    }
    for (; window_end_ < end; ++window_end_) {
      const float* x = raw(window_end_);
      for (int d = 0; d < dim_; ++d) {
        sum_[d] += x[d];
        sumsq_[d] += double(x[d]) * x[d];
      }
    }
  }
  window_start_ = start;
  window_end_ = end;
  const double frames = static_cast<double>(end - start);
  const float* x = raw(t);
  for (int d = 0; d < dim_; ++d) {
    double y = x[d] - sum_[d] / frames;
    if (o_.norm_vars) {
      if (end - start == 1) {
        y = 0;
      } else {
        const double var = std::max(sumsq_[d] / frames - sum_[d] * sum_[d] / (frames * frames), 1e-10);
        y /= std::sqrt(var);
      }
    }
    out[d] = static_cast<float>(y);
  }
  ++frames_out_;
  drop_before(window_start_);
}

void SlidingCmvn::drop_before(int64_t t) {
  // Amortised O(1) per frame: erase only when the dead prefix is at least as long as the rest.
  const int64_t dead = t - frames_start_, live = frames_in_ - t;
  if (dead <= 0 || dead < live) return;
  frames_.erase(frames_.begin(), frames_.begin() + dead * dim_);
  frames_start_ = t;
}

SlidingCmvnSnapshot SlidingCmvn::snapshot() const {
  SlidingCmvnSnapshot s;
  s.frames = frames_;
  s.frames_start = frames_start_;
  s.frames_in = frames_in_;
  s.frames_out = frames_out_;
  s.window_start = window_start_;
  s.window_end = window_end_;
  s.sum = sum_;
  s.sumsq = sumsq_;
  s.finished = finished_;
  return s;
}

void SlidingCmvn::restore(const SlidingCmvnSnapshot& s) {
  auto bad = [](const auto&... why) { fail("SlidingCmvn::restore: inconsistent snapshot: ", why...); };
  if (s.frames_start < 0 || s.frames_start > s.frames_in) bad("frames start at ", s.frames_start, " of ", s.frames_in);
  if (static_cast<int64_t>(s.frames.size()) != (s.frames_in - s.frames_start) * dim_)
    bad(s.frames.size(), " values for ", s.frames_in - s.frames_start, " frames of ", dim_);
  if (s.frames_out < 0 || s.frames_out > s.frames_in) bad(s.frames_out, " frames out of ", s.frames_in, " in");
  if (static_cast<int64_t>(s.sum.size()) != dim_ || static_cast<int64_t>(s.sumsq.size()) != dim_)
    bad("sums of ", s.sum.size(), " and ", s.sumsq.size(), " values, expected ", dim_);
  const bool started = s.frames_out > 0;
  if (started != (s.window_start >= 0) || (started && !(s.window_start < s.window_end && s.window_end <= s.frames_in)))
    bad("window [", s.window_start, ", ", s.window_end, ") after ", s.frames_out, " frames out");
  // The next window starts at or after the last one, and the next frame itself must be kept.
  if (s.frames_start > std::min(started ? s.window_start : 0, s.frames_out))
    bad("frames before ", s.frames_start, " were dropped but are still needed");
  for (size_t d = 0; d < s.sum.size(); ++d)
    if (!std::isfinite(s.sum[d]) || !std::isfinite(s.sumsq[d])) bad("a sum is not finite");
  frames_ = s.frames;
  frames_start_ = s.frames_start;
  frames_in_ = s.frames_in;
  frames_out_ = s.frames_out;
  window_start_ = s.window_start;
  window_end_ = s.window_end;
  sum_ = s.sum;
  sumsq_ = s.sumsq;
  finished_ = s.finished;
}

}  // namespace rwkvs
