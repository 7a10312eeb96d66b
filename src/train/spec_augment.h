#pragma once
// SpecAugment (Park et al. 2019) on feature frames, after featurisation and before the model:
// time masks (runs of whole frames) and frequency masks (runs of bins over a clip's frames) set
// to a fill vector. The trainer passes the model's stored input mean, so the masked cells are
// exactly zero after the model's own input normalisation. Padding past a clip's length is never
// touched.
#include <cstdint>

#include "base/rng.h"
#include "src/train/audio_clips.h"

namespace rwkvs {

struct SpecAugmentOptions {
  // Off by default: on a minutes-long budget the masks cost more than they give (measured: 300
  // steps on the espeak-ng keywords, validation 69.9% with 2+2 masks against 92.3% without).
  int time_masks = 0;        // masks of frames per clip (--spec-time-masks; 2 for long runs)
  int64_t time_width = 10;   // each a width drawn uniformly from 0..time_width frames (--spec-time-width)
  int freq_masks = 0;        // masks of bins per clip (--spec-freq-masks; 2 for long runs)
  int64_t freq_width = 5;    // each a width drawn uniformly from 0..freq_width bins (--spec-freq-width)
  bool enabled() const { return (time_masks > 0 && time_width > 0) || (freq_masks > 0 && freq_width > 0); }
};

// UsageError naming the flag for negative counts or widths.
void validate_spec_augment_options(const SpecAugmentOptions& o);

// Masks frames[0, length) of one clip in place. Each time mask: width w uniform in
// 0..min(time_width, length), first frame uniform in 0..length - w; then each frequency mask: width
// w uniform in 0..min(freq_width, F), first bin uniform in 0..F - w, over all `length` frames.
// Masks may overlap. Masked cells become fill[f].
void spec_augment_clip(float* frames /*(length, F), row-major*/, int64_t length, int64_t F, const float* fill /*(F)*/,
                       const SpecAugmentOptions& o, Rng& rng);

// Masks every clip of a batch: clip b with a generator seeded by seeds[b] (so a clip's masks do not
// depend on which other clips share its batch or shard), within its lengths[b] frames.
void spec_augment_batch(FrameBatch& batch, const float* fill /*(F)*/, const SpecAugmentOptions& o,
                        const uint64_t* seeds /*(B)*/);

}  // namespace rwkvs
