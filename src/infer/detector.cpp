#include "src/infer/detector.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace rwkvs {

Detector::Detector(std::vector<std::string> labels, double frame_shift_s, const DetectorOptions& options)
    : labels_(std::move(labels)), options_(options) {
  if (labels_.empty()) fail("detector: no labels");
  if (!(options.threshold > 0 && options.threshold <= 1))
    fail("detector: the threshold must be in (0, 1], got ", options.threshold);
  if (!(options.smooth_s >= 0)) fail("detector: the smoothing time must be >= 0 s, got ", options.smooth_s);
  if (!(options.refractory_s >= 0))
    fail("detector: the refractory time must be >= 0 s, got ", options.refractory_s);
  if (!(frame_shift_s > 0)) fail("detector: the frame shift must be positive, got ", frame_shift_s);
  window_ = std::max(1, static_cast<int>(std::lround(options.smooth_s / frame_shift_s)));
  const size_t K = labels_.size();
  ring_.assign(static_cast<size_t>(window_) * K, 0.0f);
  smoothed_.assign(K, 0.0f);
  tracks_.resize(K);
  for (size_t k = 0; k < K; ++k) tracks_[k].filler = !labels_[k].empty() && labels_[k][0] == '_';
}

void Detector::reset() {
  std::fill(ring_.begin(), ring_.end(), 0.0f);
  std::fill(smoothed_.begin(), smoothed_.end(), 0.0f);
  frames_seen_ = 0;
  last_time_ = 0;
  for (ClassTrack& t : tracks_) {
    const bool filler = t.filler;
    t = ClassTrack{};
    t.filler = filler;
  }
}

void Detector::push(double time_s, const float* posteriors, std::vector<Detection>* events) {
  const size_t K = labels_.size();
  std::copy_n(posteriors, K, ring_.data() + static_cast<size_t>(frames_seen_ % window_) * K);
  ++frames_seen_;
  last_time_ = time_s;
  // The average over the whole window, summed afresh (no running sum to drift). Frames before the
  // stream count as zero: a model that has heard almost nothing yet gives no evidence, and averaging
  // only the few frames seen would let its first-frame guesses fire.
  for (size_t k = 0; k < K; ++k) {
    double sum = 0;
    for (int64_t r = 0; r < window_; ++r) sum += ring_[static_cast<size_t>(r) * K + k];
    smoothed_[k] = static_cast<float>(sum / static_cast<double>(window_));
  }
  for (size_t k = 0; k < K; ++k) {
    ClassTrack& t = tracks_[k];
    if (t.filler) continue;
    const double p = smoothed_[k];
    // Compared in float, the posteriors' precision: a posterior of 0.7f meets a threshold of 0.7.
    const bool above = smoothed_[k] >= static_cast<float>(options_.threshold);
    if (t.active) {
      if (above) {
        t.score = std::max(t.score, p);
        continue;
      }
      events->push_back({static_cast<int>(k), t.start_s, time_s, std::min(1.0, t.score)});
      t.active = false;
      t.blocked_until = time_s + options_.refractory_s;
      continue;
    }
    if (!above) {
      t.armed = true;
    } else if (time_s < t.blocked_until) {
      t.armed = false;
    } else if (t.armed) {
      t.active = true;
      t.start_s = time_s;
      t.score = p;
    }
  }
}

void Detector::finish(std::vector<Detection>* events) {
  for (size_t k = 0; k < tracks_.size(); ++k) {
    ClassTrack& t = tracks_[k];
    if (!t.active) continue;
    events->push_back({static_cast<int>(k), t.start_s, last_time_, std::min(1.0, t.score)});
    t.active = false;
    t.blocked_until = last_time_ + options_.refractory_s;
  }
}

}  // namespace rwkvs
