#pragma once
// Sliding-window cepstral mean (and optionally variance) normalisation, the math of Kaldi's
// apply-cmvn-sliding (and torchaudio.functional.sliding_window_cmn), as a streaming stage:
// raw frames go in one at a time, normalised frames come out in order as soon as the window that
// normalises them is known. The offline path runs this same object over a whole utterance, so
// offline and streaming agree bit for bit for any chunking.
//
// Frame t is normalised by the frames [start, end) of its window:
//   center = false: start = t - cmn_window, end = t + 1 (causal), except that the first frames use
//                   [0, min(min_window, N)) so they are not normalised by almost nothing: frames
//                   t < min_window wait for frame min_window - 1 (latency at the start only;
//                   min_window = 1 is fully causal).
//   center = true:  start = t - cmn_window / 2, end = start + cmn_window (latency cmn_window / 2).
// A window reaching before frame 0 is shifted right; one reaching past the end N is shifted left;
// both are then clipped to [0, N). out = x - mean; with norm_vars also divided by the window's
// standard deviation (variance floored at 1e-10; a one-frame window gives 0). Sums in double.
#include <cstdint>
#include <deque>
#include <vector>

namespace rwkvs {

struct SlidingCmvnOptions {
  int cmn_window = 600;  // frames (Kaldi --cmn-window)
  int min_window = 100;  // frames, center = false only (Kaldi --min-cmn-window)
  bool center = false;   // Kaldi --center
  bool norm_vars = false;  // Kaldi --norm-vars
  // Throws Error naming the option when it is out of range (windows of at least one frame).
  void validate() const;
};

// Everything a SlidingCmvn carries between calls, as plain data (for saved stream states).
struct SlidingCmvnSnapshot {
  std::vector<float> frames;      // [frames_in - frames_start, dim] raw frames still needed
  int64_t frames_start = 0;       // global index of frames[0]
  int64_t frames_in = 0;          // raw frames accepted
  int64_t frames_out = 0;         // normalised frames emitted
  int64_t window_start = -1;      // the window of the last emitted frame (-1: none yet)
  int64_t window_end = -1;
  std::vector<double> sum, sumsq;  // [dim] over that window
  bool finished = false;
};

class SlidingCmvn {
 public:
  SlidingCmvn(const SlidingCmvnOptions& options, int dim);

  int dim() const { return dim_; }
  const SlidingCmvnOptions& options() const { return o_; }
  // Appends raw frame number frames_in() [dim].
  void accept(const float* frame);
  // No more frames: every frame not yet emitted becomes ready.
  void finish();
  bool finished() const { return finished_; }
  int64_t frames_in() const { return frames_in_; }
  int64_t frames_out() const { return frames_out_; }
  // True when frame frames_out() can be normalised now.
  bool ready() const;
  // Writes the normalised frame frames_out() to out [dim] and advances; only when ready().
  void emit(float* out);

  SlidingCmvnSnapshot snapshot() const;
  // Throws Error, leaving this object unchanged, when the snapshot does not fit these options.
  void restore(const SlidingCmvnSnapshot& s);

 private:
  // Frame t's window when the stream holds n frames (n < 0: the end is not known yet).
  void window(int64_t t, int64_t n, int64_t& start, int64_t& end) const;
  const float* raw(int64_t t) const { return frames_.data() + (t - frames_start_) * dim_; }
  void drop_before(int64_t t);

  SlidingCmvnOptions o_;
  int dim_;
  std::vector<float> frames_;  // raw frames [frames_start_, frames_in_)
  int64_t frames_start_ = 0;
  int64_t frames_in_ = 0;
  int64_t frames_out_ = 0;
  int64_t window_start_ = -1, window_end_ = -1;
  std::vector<double> sum_, sumsq_;
  bool finished_ = false;
};

}  // namespace rwkvs
