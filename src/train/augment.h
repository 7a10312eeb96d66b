#pragma once
// Waveform augmentation for keyword spotting: random time shift, gain, and background noise mixed
// at a random signal-to-noise ratio.
#include <cstddef>
#include <vector>

#include "base/rng.h"

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
};

// The time in seconds at the end of the last 10 ms frame whose RMS is within 30 dB of the loudest
// frame's (0 for silence or an empty clip).
double speech_end_s(const std::vector<float>& x, double sample_rate);

// How many samples of x to keep: up to speech_end_s + a random time in [min_s, max_s], at most all.
size_t tail_cut_length(const std::vector<float>& x, double sample_rate, double min_s, double max_s, Rng& rng);
// Cuts x to tail_cut_length.
void trim_tail(std::vector<float>& x, double sample_rate, double min_s, double max_s, Rng& rng);

// Augments x in place (its length is kept). noises: whole background recordings at the same rate.
void augment_clip(std::vector<float>& x, const std::vector<std::vector<float>>& noises, const AugmentOptions& o,
                  double sample_rate, Rng& rng);

}  // namespace rwkvs
