#pragma once
// A telephone channel: the clip is resampled down to 8 kHz (libsoxr's anti-alias filter removes
// everything above 4 kHz), optionally band-passed to 300-3400 Hz (4th-order Butterworth high-pass
// and low-pass) and optionally mu-law companded (8 bits, the project's mulaw.h) at 8 kHz, then
// resampled back to the clip's rate (which removes the images and the quantisation noise above
// 4 kHz). The length is kept. At rates of 8 kHz and below there is no resampling, only the
// band-pass (the low-pass where 3400 Hz lies below the Nyquist frequency) and the companding.
#include <vector>

namespace rwkvs {

struct TelephoneOptions {
  double prob = 0.1;       // chance a clip goes through the channel (--telephone-prob)
  bool band_pass = true;   // 300-3400 Hz band-pass (off: --no-telephone-band-pass)
  bool mulaw = true;       // mu-law round trip (off: --no-telephone-mulaw)
};

constexpr double kTelephoneRate = 8000, kTelephoneLowHz = 300, kTelephoneHighHz = 3400;

// UsageError naming --telephone-prob outside [0, 1].
void validate_telephone_options(const TelephoneOptions& o);

// Passes x (at sample_rate) through the channel, in place (same length).
void telephone_channel(std::vector<float>& x, double sample_rate, const TelephoneOptions& o);

}  // namespace rwkvs
