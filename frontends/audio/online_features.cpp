#include "frontends/audio/online_features.h"

#include <algorithm>

#include "base/error.h"

namespace rwkvs {

OnlineFeatures::OnlineFeatures(std::shared_ptr<const FeatureComputer> computer)
    : computer_(std::move(computer)) {
  RWKVS_CHECK(computer_ != nullptr, "OnlineFeatures: no feature computer given");
  scratch_ = computer_->make_scratch();
  frame_.resize(static_cast<size_t>(computer_->geometry().length));
}

OnlineFeatures::OnlineFeatures(const FeaturePipeline& pipeline) : OnlineFeatures(pipeline.computer) {
  if (pipeline.cmvn) {
    cmvn_.emplace(*pipeline.cmvn, computer_->dim());
    raw_frame_.resize(static_cast<size_t>(computer_->dim()));
  }
}

void OnlineFeatures::accept_waveform(double sample_rate, const float* samples, size_t n) {
  if (finished_) fail("accept_waveform: the stream was already finished (input_finished() was called)");
  if (sample_rate != computer_->sample_rate())
    fail("accept_waveform: got audio at ", sample_rate, " Hz but the features are set up for ",
         computer_->sample_rate(), " Hz; resample first");
  if (n == 0) return;
  RWKVS_CHECK(samples != nullptr, "accept_waveform: null samples with n = ", n);
  samples_.insert(samples_.end(), samples, samples + n);
  samples_received_ += static_cast<int64_t>(n);
  compute_frames(computer_->geometry().frames_final_before_end(samples_received_));
  drop_consumed_samples();
}

void OnlineFeatures::input_finished() {
  if (finished_) return;
  finished_ = true;
  compute_frames(computer_->geometry().num_frames(samples_received_));
  if (cmvn_) {
    cmvn_->finish();
    while (cmvn_->ready()) cmvn_->emit(append_frame());
  }
  samples_.clear();
  samples_.shrink_to_fit();
  samples_start_ = samples_received_;
}

float* OnlineFeatures::append_frame() {
  const int64_t dim = computer_->dim();
  frames_.resize(static_cast<size_t>((frames_ready_ + 1 - frames_start_) * dim));
  return frames_.data() + (frames_ready_++ - frames_start_) * dim;
}

void OnlineFeatures::compute_frames(int64_t target) {
  if (target <= raw_frames_) return;
  const FrameGeometry& g = computer_->geometry();
  const int64_t n_total = finished_ ? samples_received_ : -1;
  for (int64_t f = raw_frames_; f < target; ++f) {
    g.extract(f, samples_.data(), samples_start_, static_cast<int64_t>(samples_.size()), n_total,
              frame_.data());
    if (!cmvn_) {
      computer_->compute_frame(f, frame_.data(), append_frame(), *scratch_);
      continue;
    }
    computer_->compute_frame(f, frame_.data(), raw_frame_.data(), *scratch_);
    cmvn_->accept(raw_frame_.data());
    while (cmvn_->ready()) cmvn_->emit(append_frame());
  }
  raw_frames_ = target;
}

void OnlineFeatures::drop_consumed_samples() {
  // Pending frames start at or after start(raw_frames_); reflections at the end of the signal
  // reach back less than one window before that. Dropping only when the dead prefix is at least as
  // long as what we keep makes the copying O(1) per sample.
  const FrameGeometry& g = computer_->geometry();
  const int64_t keep_from = std::max<int64_t>(0, g.start(raw_frames_) - g.length);
  const int64_t dead = std::min(keep_from, samples_received_) - samples_start_;
  if (dead <= 0 || dead < static_cast<int64_t>(samples_.size()) - dead) return;
  samples_.erase(samples_.begin(), samples_.begin() + dead);
  samples_start_ += dead;
}

const float* OnlineFeatures::get_frame(int64_t i) const {
  if (i < first_frame_ || i >= frames_ready_)
    fail("get_frame: frame ", i, " is not available (frames ", first_frame_, "..", frames_ready_ - 1,
         " are; earlier ones were popped, later ones are not ready)");
  return frames_.data() + (i - frames_start_) * computer_->dim();
}

void OnlineFeatures::pop(int64_t n) {
  RWKVS_CHECK(n >= 0, "pop: count must be >= 0, got ", n);
  first_frame_ = std::min(first_frame_ + n, frames_ready_);
  const int64_t dead = first_frame_ - frames_start_, live = frames_ready_ - first_frame_;
  if (dead > 0 && dead >= live) {  // amortised O(1) per frame, as for the samples
    const int64_t dim = computer_->dim();
    frames_.erase(frames_.begin(), frames_.begin() + dead * dim);
    frames_start_ = first_frame_;
  }
}

OnlineFeaturesSnapshot OnlineFeatures::snapshot() const {
  OnlineFeaturesSnapshot s;
  s.samples = samples_;
  s.samples_start = samples_start_;
  s.samples_received = samples_received_;
  const int64_t dim = computer_->dim();
  s.frames.assign(frames_.begin() + (first_frame_ - frames_start_) * dim, frames_.end());
  s.first_frame = first_frame_;
  s.frames_ready = frames_ready_;
  s.finished = finished_;
  if (cmvn_) s.cmvn = cmvn_->snapshot();
  return s;
}

void OnlineFeatures::restore(const OnlineFeaturesSnapshot& s) {
  const FrameGeometry& g = computer_->geometry();
  const int64_t dim = computer_->dim();
  auto bad = [](const auto&... why) { fail("OnlineFeatures::restore: inconsistent snapshot: ", why...); };
  if (s.samples_start < 0 || s.samples_start > s.samples_received)
    bad("samples start at ", s.samples_start, " of ", s.samples_received, " received");
  if (static_cast<int64_t>(s.samples.size()) != s.samples_received - s.samples_start)
    bad(s.samples.size(), " samples buffered, expected ", s.samples_received - s.samples_start);
  if (s.first_frame < 0 || s.first_frame > s.frames_ready)
    bad("first frame ", s.first_frame, " of ", s.frames_ready, " ready");
  if (static_cast<int64_t>(s.frames.size()) != (s.frames_ready - s.first_frame) * dim)
    bad(s.frames.size(), " frame values, expected ", (s.frames_ready - s.first_frame) * dim, " (",
        s.frames_ready - s.first_frame, " frames of ", dim, ")");
  // The frame count is a function of the samples received; the samples kept must reach back as
  // far as the next frame (and its reflections) can read.
  const int64_t expected_frames =
      s.finished ? g.num_frames(s.samples_received) : g.frames_final_before_end(s.samples_received);
  if (cmvn_.has_value() != s.cmvn.has_value())
    bad(cmvn_ ? "no CMVN state for a pipeline with CMVN" : "a CMVN state for a pipeline without CMVN");
  const int64_t raw_frames = s.cmvn ? s.cmvn->frames_in : s.frames_ready;
  if (raw_frames != expected_frames)
    bad(raw_frames, s.cmvn ? " frames computed after " : " frames ready after ", s.samples_received,
        " samples, expected ", expected_frames);
  if (s.cmvn && (s.cmvn->frames_out != s.frames_ready || s.cmvn->finished != s.finished))
    bad("the CMVN stage emitted ", s.cmvn->frames_out, " frames but ", s.frames_ready, " are ready");
  const int64_t keep_from = std::min(std::max<int64_t>(0, g.start(raw_frames) - g.length), s.samples_received);
  if (!s.finished && s.samples_start > keep_from)
    bad("samples before ", s.samples_start, " were dropped but frame ", raw_frames, " needs them from ",
        keep_from);
  if (s.finished && !s.samples.empty()) bad("a finished stream keeps no samples");
  if (s.cmvn) {
    SlidingCmvn check = *cmvn_;
    check.restore(*s.cmvn);  // throws on an inconsistent stage state before anything changes
    *cmvn_ = std::move(check);
  }
  raw_frames_ = raw_frames;
  samples_ = s.samples;
  samples_start_ = s.samples_start;
  samples_received_ = s.samples_received;
  frames_ = s.frames;
  frames_start_ = s.first_frame;
  first_frame_ = s.first_frame;
  frames_ready_ = s.frames_ready;
  finished_ = s.finished;
}

}  // namespace rwkvs
