#pragma once
// Speed perturbation as Kaldi's and sox's `speed`: the clip is played `factor` times faster, so its
// length becomes n / factor and every frequency f becomes f * factor (pitch and tempo change
// together). Done with the project's libsoxr resampler: the samples are read as if they were at
// sample_rate * factor and converted to sample_rate.
#include <vector>

namespace rwkvs {

// Factors --speed-factors accepts.
constexpr double kMinSpeedFactor = 0.5, kMaxSpeedFactor = 2.0;

// UsageError naming --speed-factors for an empty list or a factor outside [0.5, 2].
void validate_speed_factors(const std::vector<double>& factors);

// x played at `factor` times its speed (about x.size() / factor samples; x itself for factor 1).
std::vector<float> change_speed(const std::vector<float>& x, double factor, double sample_rate);

}  // namespace rwkvs
