#include "src/train/stream_crops.h"

#include <algorithm>

#include "base/error.h"
#include "src/model/frame_targets.h"

namespace rwkvs {

void validate_stream_crop_options(const StreamCropOptions& o) {
  if (!(o.prob >= 0 && o.prob <= 1)) fail_usage("--stream-prob must be in [0, 1], got ", o.prob);
  if (!(o.crop_s >= 0.5 && o.crop_s <= 60)) fail_usage("--stream-crop-s must be in [0.5, 60] seconds, got ", o.crop_s);
  if (!(o.target_from_s >= 0 && o.target_from_s < o.target_to_s && o.target_to_s <= o.ignore_to_s))
    fail_usage("--stream-target-s: need 0 <= from < to <= the ignore time (", o.ignore_to_s, " s), got ",
               o.target_from_s, ",", o.target_to_s);
}

StreamCrop draw_stream_crop(const std::vector<TrainStream>& streams, size_t total_samples,
                            const StreamCropOptions& o, double sample_rate, Rng& rng) {
  RWKVS_CHECK(!streams.empty() && total_samples > 0, "draw_stream_crop: no running speech");
  size_t at = static_cast<size_t>(rng.below(total_samples));
  StreamCrop c;
  while (at >= streams[c.stream].samples.size()) at -= streams[c.stream++].samples.size();
  const size_t n = streams[c.stream].samples.size();
  c.length = std::min(n, static_cast<size_t>(o.crop_s * sample_rate));
  c.begin = static_cast<size_t>(rng.below(n - c.length + 1));
  return c;
}

void stream_crop_targets(const std::vector<TrainStreamKeyword>& keywords, double crop_begin_s, double crop_s,
                         double speed, const FrameGeometry& g, double sample_rate, int64_t frames,
                         int32_t background, const StreamCropOptions& o, int32_t* out) {
  std::fill(out, out + frames, background);
  const double end_of_crop = crop_s / speed;
  auto frame_time = [&](int64_t f) { return static_cast<double>(g.start(f) + g.length) / sample_rate; };
  for (const TrainStreamKeyword& k : keywords) {
    const double start = (k.start_s - crop_begin_s) / speed, end = (k.end_s - crop_begin_s) / speed;
    if (end + o.ignore_to_s < 0 || start > end_of_crop) continue;  // wholly outside
    const bool whole = start >= 0 && end + o.ignore_to_s <= end_of_crop;
    for (int64_t f = 0; f < frames; ++f) {
      const double t = frame_time(f);
      if (t < start || t > end + o.ignore_to_s) continue;
      const bool target = whole && t >= end + o.target_from_s && t <= end + o.target_to_s;
      // A keyword target wins over another keyword's ignore zone; ignore wins over background.
      if (target)
        out[f] = k.label;
      else if (out[f] == background)
        out[f] = kIgnoreFrame;
    }
  }
}

}  // namespace rwkvs
