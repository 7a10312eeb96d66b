#include "src/train/spec_augment.h"

#include <algorithm>

#include "base/error.h"

namespace rwkvs {

void validate_spec_augment_options(const SpecAugmentOptions& o) {
  if (o.time_masks < 0) fail_usage("--spec-time-masks must be >= 0, got ", o.time_masks);
  if (o.time_width < 0) fail_usage("--spec-time-width must be >= 0 frames, got ", o.time_width);
  if (o.freq_masks < 0) fail_usage("--spec-freq-masks must be >= 0, got ", o.freq_masks);
  if (o.freq_width < 0) fail_usage("--spec-freq-width must be >= 0 bins, got ", o.freq_width);
}

void spec_augment_clip(float* frames, int64_t length, int64_t F, const float* fill, const SpecAugmentOptions& o,
                       Rng& rng) {
  if (length <= 0 || F <= 0) return;
  for (int m = 0; m < o.time_masks && o.time_width > 0; ++m) {
    const auto w = static_cast<int64_t>(rng.below(static_cast<uint64_t>(std::min(o.time_width, length)) + 1));
    const auto t0 = static_cast<int64_t>(rng.below(static_cast<uint64_t>(length - w) + 1));
    for (int64_t t = t0; t < t0 + w; ++t) std::copy(fill, fill + F, frames + t * F);
  }
  for (int m = 0; m < o.freq_masks && o.freq_width > 0; ++m) {
    const auto w = static_cast<int64_t>(rng.below(static_cast<uint64_t>(std::min(o.freq_width, F)) + 1));
    const auto f0 = static_cast<int64_t>(rng.below(static_cast<uint64_t>(F - w) + 1));
    for (int64_t t = 0; t < length; ++t)
      for (int64_t f = f0; f < f0 + w; ++f) frames[t * F + f] = fill[f];
  }
}

void spec_augment_batch(FrameBatch& batch, const float* fill, const SpecAugmentOptions& o, const uint64_t* seeds) {
  for (int64_t b = 0; b < batch.B; ++b) {
    Rng rng(seeds[b]);
    spec_augment_clip(batch.frames.data() + b * batch.T * batch.F, std::min(batch.lengths[b], batch.T), batch.F, fill,
                      o, rng);
  }
}

}  // namespace rwkvs
