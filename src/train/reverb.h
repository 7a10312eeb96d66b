#pragma once
// Simulated reverberation with synthetic room impulse responses (RIRs): a direct path, a pre-delay,
// then a tail of Gaussian noise whose energy decays exponentially, 60 dB over RT60. The clip is
// convolved with it by one FFT (frontends/audio/fft_convolve.h), cut to its own length (the tail
// past the clip is dropped) and rescaled to its own RMS.
#include <cstddef>
#include <vector>

#include "base/rng.h"

namespace rwkvs {

struct ReverbOptions {
  double prob = 0.3;          // chance a clip is reverberated (--reverb-prob)
  double rt60_min_s = 0.2;    // RT60 drawn uniformly from [min, max] seconds (--reverb-rt60 MIN,MAX)
  double rt60_max_s = 0.8;
  double drr_db_min = 0.0;    // direct-to-reverberant energy ratio drawn from [min, max] dB (--reverb-drr-db)
  double drr_db_max = 10.0;
  double predelay_max_ms = 10.0;  // gap from the direct path to the tail, drawn from [0, max] ms
};

constexpr double kMaxRt60 = 5.0;  // seconds

// UsageError naming the flag: probability outside [0, 1]; RT60 <= 0 or > 5 s; min > max; a
// negative pre-delay or one over 1 s; a DRR range outside [-30, 30] dB.
void validate_reverb_options(const ReverbOptions& o);

// A synthetic RIR at sample_rate: h[0] = 1 (direct path); the tail starts at sample
// d = max(1, round(predelay_s * rate)) and holds N(0, 1) * 10^(-3 t / rt60) for t = (k - d) / rate
// over ceil(rt60 * rate) samples (its energy envelope falls 60 dB over rt60); the tail is scaled so
// that direct energy / tail energy = 10^(drr_db / 10), then the whole RIR to unit energy. The
// length is d + ceil(rt60 * rate) samples.
std::vector<float> synth_rir(double rt60_s, double drr_db, double predelay_s, double sample_rate, Rng& rng);

// Draws RT60, DRR and pre-delay from o and synthesises the RIR; *rt60_s receives the RT60 when given.
std::vector<float> draw_rir(const ReverbOptions& o, double sample_rate, Rng& rng, double* rt60_s = nullptr);

// x convolved with rir, the first x.size() samples kept, rescaled to x's RMS (silence stays silent).
void reverberate(std::vector<float>& x, const std::vector<float>& rir);

}  // namespace rwkvs
