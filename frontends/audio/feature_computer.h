#pragma once
// The common shape of the framed features (fbank, log-mel, MFCC): an immutable computer that
// turns the samples of one frame into one feature vector, and the offline driver over a whole
// signal. The streaming driver (online_features.h) calls the same compute_frame() on the same
// extracted frames, which is what makes streaming bit-identical to offline.
#include <cstdint>
#include <memory>
#include <vector>

#include "frontends/audio/fft.h"
#include "frontends/audio/framing.h"

namespace rwkvs {

// Per-stream working memory for compute_frame (one per thread or stream; never shared). Each
// computer fills in what it uses.
struct FrameScratch {
  std::unique_ptr<RealFft<float>> fft32;   // fbank
  std::unique_ptr<RealFft<double>> fft64;  // log-mel
  std::vector<float> spectrum32;           // [fft_size/2 + 1] power or magnitude
  std::vector<double> spectrum64;
  std::vector<double> mel64;  // [mel bins]
  std::vector<float> extra;   // computer-specific (e.g. the log-mel under an MFCC)
};

class FeatureComputer {
 public:
  virtual ~FeatureComputer() = default;
  virtual int dim() const = 0;
  virtual double sample_rate() const = 0;
  virtual const FrameGeometry& geometry() const = 0;
  virtual std::unique_ptr<FrameScratch> make_scratch() const = 0;
  // Features of frame f (its global index: dither depends on it, not on the chunking) from the
  // frame's samples. `frame` is used as scratch and left modified. Thread-safe: const, and all
  // mutable state lives in `scratch`.
  virtual void compute_frame(int64_t f, float* frame /*[geometry().length]*/, float* out /*[dim()]*/,
                             FrameScratch& scratch) const = 0;
};

// Row-major [rows, cols] float32 features.
struct FeatureMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> data;  // [rows * cols]
  const float* row(int64_t r) const { return data.data() + r * cols; }
};

// Every frame of a whole signal of n samples.
FeatureMatrix compute_features(const FeatureComputer& computer, const float* samples /*[n]*/, int64_t n);

}  // namespace rwkvs
