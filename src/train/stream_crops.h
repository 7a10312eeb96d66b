#pragma once
// Running speech for training: random crops of long recordings whose keywords are known, and the
// per-frame targets of a crop. A frame's time is the end of its window. For a keyword said at
// [start, end] (in the crop's time, after any speed change):
//   end + target_from_s .. end + target_to_s   the keyword's class (the detector must fire here,
//                                              as the clips' tail cut teaches: soon after the word)
//   start .. end + ignore_to_s (otherwise)     no loss (hearing it, or just after: either answer)
//   everywhere else                            the background class (_unknown_)
// A keyword cut by the crop's edges is ignored throughout its span (no keyword target, no
// background target).
#include <cstdint>
#include <string>
#include <vector>

#include "base/rng.h"
#include "frontends/audio/framing.h"

namespace rwkvs {

struct TrainStreamKeyword {
  int32_t label = 0;
  double start_s = 0, end_s = 0;
};

struct TrainStream {
  std::string path;
  std::vector<float> samples;  // at the model's rate
  std::vector<TrainStreamKeyword> keywords;  // sorted by start
};

struct StreamCropOptions {
  double prob = 0.3;          // chance that a row of a batch is a crop of running speech
  double crop_s = 3.0;        // crop length
  double target_from_s = 0.1;  // keyword target window after the keyword's end
  double target_to_s = 0.4;
  double ignore_to_s = 0.6;   // no loss up to here after the keyword's end (beyond the target)
};

// UsageError naming the flag for settings out of range.
void validate_stream_crop_options(const StreamCropOptions& o);

struct StreamCrop {
  size_t stream = 0;
  size_t begin = 0, length = 0;  // samples
};

// A crop of o.crop_s seconds (the whole recording when shorter), its recording drawn in proportion
// to its length and its start uniformly. total_samples: the sum over 'streams'.
StreamCrop draw_stream_crop(const std::vector<TrainStream>& streams, size_t total_samples,
                            const StreamCropOptions& o, double sample_rate, Rng& rng);

// Targets of 'frames' frames (geometry g at sample_rate) of a crop that starts at crop_begin_s in
// its recording, lasts crop_s (before the speed change) and was played at 'speed' (times divide by
// it). out[frames]: a class, or -1 (no loss).
void stream_crop_targets(const std::vector<TrainStreamKeyword>& keywords, double crop_begin_s, double crop_s,
                         double speed, const FrameGeometry& g, double sample_rate, int64_t frames,
                         int32_t background, const StreamCropOptions& o, int32_t* out);

}  // namespace rwkvs
