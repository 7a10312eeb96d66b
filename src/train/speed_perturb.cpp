#include "src/train/speed_perturb.h"

#include <cmath>

#include "base/error.h"
#include "frontends/audio/resampler.h"

namespace rwkvs {

void validate_speed_factors(const std::vector<double>& factors) {
  if (factors.empty()) fail_usage("--speed-factors needs at least one factor (1 turns speed perturbation off)");
  for (double f : factors)
    if (!(f >= kMinSpeedFactor && f <= kMaxSpeedFactor))
      fail_usage("--speed-factors: each factor must be in [", kMinSpeedFactor, ", ", kMaxSpeedFactor, "], got ", f);
}

std::vector<float> change_speed(const std::vector<float>& x, double factor, double sample_rate) {
  if (factor == 1.0 || x.empty()) return x;
  std::vector<float> y = resample(x.data(), x.size(), sample_rate * factor, sample_rate);
  // Exactly round(n / factor) samples, whatever the resampler's rounding of the last one.
  y.resize(static_cast<size_t>(std::max(1.0, std::round(static_cast<double>(x.size()) / factor))), 0.0f);
  return y;
}

}  // namespace rwkvs
