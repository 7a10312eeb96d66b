#pragma once
// Augmentation for keyword spotting. augment_clip runs the waveform stages in this order:
//   shift -> speed -> reverb -> telephone -> noise -> gain -> clip to [-1, 1]
// (each drawn from the trainer's Rng, so a seed fixes them all); SpecAugment (spec_augment.h) masks
// the feature frames afterwards, in the trainer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/rng.h"
#include "src/train/reverb.h"
#include "src/train/spec_augment.h"
#include "src/train/telephone.h"

namespace rwkvs {

struct AugmentOptions {
  double shift_s = 0.1;      // shift the clip by up to this much either way (zero fill)
  double gain_db = 6.0;      // scale by a gain drawn from [-gain_db, +gain_db]
  double noise_prob = 0.8;   // chance of mixing in a background-noise segment
  double snr_db_min = 0.0;   // SNR range of the mixed noise
  double snr_db_max = 20.0;
  // Streams carry history: with this chance a clip is preceded by the tail (up to context_s) of
  // another random clip, so the label must come from the most recent word, not from a fresh state.
  double context_prob = 0.5;
  double context_s = 1.0;
  // A stream needs the word named soon after it ends, before the next one starts: with this chance
  // a clip is cut a random [tail_min_s, tail_max_s] after its last loud frame, so last-frame pooling
  // learns to answer early rather than from the clip's long silent end.
  double tail_prob = 0.5;
  double tail_min_s = 0.1;  // at least the largest shift, which may delay the clip
  double tail_max_s = 0.3;
  // Speed perturbation: one factor drawn uniformly from the list per clip (1 = unchanged).
  std::vector<double> speed_factors = {0.9, 1.0, 1.1};
  ReverbOptions reverb;
  TelephoneOptions telephone;
  // Folders whose audio files join the dataset's _background_noise_ in the noise pool.
  std::vector<std::string> noise_dirs;
  SpecAugmentOptions spec;
};

// UsageError naming the flag for settings out of range (probabilities, SNR and tail ranges, speed
// factors, reverb and SpecAugment settings).
void validate_augment_options(const AugmentOptions& o);

// What augment_clip drew for one clip (for tests and diagnostics).
struct AugmentRecord {
  int64_t shift = 0;        // samples (positive: later)
  double speed = 1.0;       // speed factor applied
  bool reverb = false;
  double rt60_s = 0;        // when reverberated
  bool telephone = false;
  int64_t noise = -1;       // index into the noise pool, -1: no noise mixed
  size_t noise_start = 0;   // first noise sample used
  double snr_db = 0;        // when noise was mixed
  double gain_db = 0;
};

// The time in seconds at the end of the last 10 ms frame whose RMS is within 30 dB of the loudest
// frame's (0 for silence or an empty clip).
double speech_end_s(const std::vector<float>& x, double sample_rate);

// How many samples of x to keep: up to speech_end_s + a random time in [min_s, max_s], at most all.
size_t tail_cut_length(const std::vector<float>& x, double sample_rate, double min_s, double max_s, Rng& rng);
// Cuts x to tail_cut_length.
void trim_tail(std::vector<float>& x, double sample_rate, double min_s, double max_s, Rng& rng);

// Adds noise[(start + i) % noise.size()] scaled so that, over x's samples, the energy of x over
// the energy of the added segment is snr_db (the segment's own RMS, not the recording's). Nothing
// happens when x, the noise or the segment is silent or empty.
void mix_noise(std::vector<float>& x, const std::vector<float>& noise, double snr_db, size_t start);

// Augments x in place through the stages in the order above. The length is kept except by speed
// perturbation (about n / factor). noises: whole noise recordings at the same rate. *record, when
// given, receives what was drawn.
void augment_clip(std::vector<float>& x, const std::vector<std::vector<float>>& noises, const AugmentOptions& o,
                  double sample_rate, Rng& rng, AugmentRecord* record = nullptr);

}  // namespace rwkvs
