#include "src/train/telephone.h"

#include <cmath>
#include <numbers>

#include "base/error.h"
#include "frontends/audio/mulaw.h"
#include "frontends/audio/resampler.h"

namespace rwkvs {
namespace {

// One second-order section (RBJ audio-EQ cookbook), transposed direct form II, in double.
struct Biquad {
  double b0, b1, b2, a1, a2;  // normalised by a0

  static Biquad make(bool high_pass, double hz, double q, double rate) {
    const double w = 2 * std::numbers::pi * hz / rate, c = std::cos(w), alpha = std::sin(w) / (2 * q);
    const double a0 = 1 + alpha;
    const double k = high_pass ? (1 + c) / 2 : (1 - c) / 2;
    const double mid = high_pass ? -(1 + c) : 1 - c;
    return {k / a0, mid / a0, k / a0, -2 * c / a0, (1 - alpha) / a0};
  }

  void run(std::vector<float>& x) const {
    double s1 = 0, s2 = 0;
    for (float& v : x) {
      const double in = v, out = b0 * in + s1;
      s1 = b1 * in - a1 * out + s2;
      s2 = b2 * in - a2 * out;
      v = static_cast<float>(out);
    }
  }
};

// A 4th-order Butterworth filter as two sections with Q = 1 / (2 cos(pi/8)) and 1 / (2 cos(3 pi/8)).
void butterworth4(std::vector<float>& x, bool high_pass, double hz, double rate) {
  for (double q : {0.5 / std::cos(std::numbers::pi / 8), 0.5 / std::cos(3 * std::numbers::pi / 8)})
    Biquad::make(high_pass, hz, q, rate).run(x);
}

}  // namespace

void validate_telephone_options(const TelephoneOptions& o) {
  if (!(o.prob >= 0 && o.prob <= 1)) fail_usage("--telephone-prob must be in [0, 1], got ", o.prob);
}

void telephone_channel(std::vector<float>& x, double sample_rate, const TelephoneOptions& o) {
  if (x.empty()) return;
  const bool down = sample_rate > kTelephoneRate;
  const double rate = down ? kTelephoneRate : sample_rate;
  std::vector<float> y = down ? resample(x.data(), x.size(), sample_rate, kTelephoneRate) : x;
  if (o.band_pass) {
    if (kTelephoneLowHz < rate / 2) butterworth4(y, true, kTelephoneLowHz, rate);
    if (kTelephoneHighHz < rate / 2) butterworth4(y, false, kTelephoneHighHz, rate);
  }
  if (o.mulaw)
    for (float& v : y) v = mulaw_decode(mulaw_encode(v));
  if (down) {
    y = resample(y.data(), y.size(), kTelephoneRate, sample_rate);
    y.resize(x.size(), 0.0f);
  }
  x.swap(y);
}

}  // namespace rwkvs
