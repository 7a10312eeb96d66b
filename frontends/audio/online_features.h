#pragma once
// Streaming features: feed samples in chunks of any size, read frames as soon as they are final.
//
//   OnlineFeatures s(std::make_shared<Fbank>(opts));
//   s.accept_waveform(16000, chunk, n);       // any number of times, any n (0 included)
//   for (int64_t i = s.frames_popped(); i < s.frames_ready(); ++i) use(s.get_frame(i));
//   s.pop(s.frames_ready() - s.frames_popped());
//   s.input_finished();                       // frames that read past the end appear now
//
// Frames are computed by the computer's compute_frame() on frames cut by the same
// FrameGeometry::extract() as the offline compute_features(), so the result is bit-identical to
// offline for any chunking (dither included: its noise is keyed by the frame index). Frames whose
// windows reach past the end (snip_edges=false, center=true) appear at input_finished().
// Memory: the unconsumed samples (about two windows plus one chunk) and the frames not yet popped.
// One object per stream; the computer may be shared by many streams and threads.
// snapshot()/restore() export and re-import everything that determines future frames (buffered
// samples, counters, unpopped frames), so a stream can be saved and continued bit for bit.
#include <cstdint>
#include <memory>
#include <vector>

#include "frontends/audio/feature_computer.h"
#include "frontends/audio/feature_pipeline.h"

namespace rwkvs {

// Everything an OnlineFeatures carries from one call to the next (FrameScratch is only scratch).
// Plain data so the caller chooses the file format; frames already popped are not included.
struct OnlineFeaturesSnapshot {
  std::vector<float> samples;    // [samples_received - samples_start] unconsumed samples
  int64_t samples_start = 0;     // global index of samples[0]
  int64_t samples_received = 0;  // samples accepted so far
  std::vector<float> frames;     // [frames_ready - first_frame, dim] computed, unpopped frames
  int64_t first_frame = 0;       // global index of frames[0] (frames popped so far)
  int64_t frames_ready = 0;      // frames computed so far
  bool finished = false;         // input_finished() was called
  // With a sliding CMVN stage: frames_ready counts its outputs, and raw frames live in its state.
  std::optional<SlidingCmvnSnapshot> cmvn;
};

class OnlineFeatures {
 public:
  explicit OnlineFeatures(std::shared_ptr<const FeatureComputer> computer);
  // The pipeline's computer and its frame stages (sliding CMVN): frames are ready once every
  // stage has produced them, e.g. after the CMVN window's look-ahead.
  explicit OnlineFeatures(const FeaturePipeline& pipeline);

  // sample_rate must equal the computer's (an Error otherwise); samples may be null when n == 0.
  void accept_waveform(double sample_rate, const float* samples /*[n]*/, size_t n);
  // No more samples: computes the frames that need the end of the signal.
  void input_finished();

  int dim() const { return computer_->dim(); }
  // Frames computed so far (global count, popped frames included).
  int64_t frames_ready() const { return frames_ready_; }
  // Frames dropped by pop(); frames [frames_popped(), frames_ready()) can be read.
  int64_t frames_popped() const { return first_frame_; }
  bool finished() const { return finished_; }
  bool is_last_frame(int64_t i) const { return finished_ && i == frames_ready_ - 1; }
  // Frame i by its global index [dim()]; valid until the next call that changes the stream.
  const float* get_frame(int64_t i) const;
  // Drops the n oldest unpopped frames (at most those ready).
  void pop(int64_t n);

  int64_t samples_received() const { return samples_received_; }
  size_t buffered_samples() const { return samples_.size(); }
  size_t stored_frames() const { return static_cast<size_t>(frames_ready_ - first_frame_); }

  // The stream's state; restore() of it into an object with the same computer settings continues
  // exactly as this one would. restore() checks the snapshot is consistent with this computer
  // (sizes, counters, enough samples kept for the next frames) and throws Error otherwise,
  // leaving this object unchanged.
  OnlineFeaturesSnapshot snapshot() const;
  void restore(const OnlineFeaturesSnapshot& s);

 private:
  void compute_frames(int64_t target);
  void drop_consumed_samples();
  float* append_frame();  // room for one more output frame in frames_

  std::shared_ptr<const FeatureComputer> computer_;
  std::optional<SlidingCmvn> cmvn_;
  std::vector<float> raw_frame_;  // [dim] the computer's output before the stages
  int64_t raw_frames_ = 0;        // frames the computer has made (frames_ready_ without stages)
  std::unique_ptr<FrameScratch> scratch_;
  std::vector<float> frame_;    // [geometry.length] one extracted frame
  std::vector<float> samples_;  // samples [samples_start_, samples_received_)
  int64_t samples_start_ = 0;
  int64_t samples_received_ = 0;
  std::vector<float> frames_;  // [frames_ready_ - frames_start_, dim] computed frames
  int64_t frames_start_ = 0;   // global index of frames_[0]
  int64_t first_frame_ = 0;    // first frame not popped (>= frames_start_)
  int64_t frames_ready_ = 0;
  bool finished_ = false;
};

}  // namespace rwkvs
