#include "src/train/augment.h"

#include <algorithm>
#include <cmath>

namespace rwkvs {
namespace {

double rms(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += double(v) * v;
  return x.empty() ? 0.0 : std::sqrt(s / static_cast<double>(x.size()));
}

}  // namespace

double speech_end_s(const std::vector<float>& x, double sample_rate) {
  const auto frame = std::max<size_t>(1, static_cast<size_t>(sample_rate * 0.01));
  const size_t frames = x.size() / frame + (x.size() % frame ? 1 : 0);
  std::vector<double> energy(frames, 0.0);  // mean square per frame
  double loudest = 0;
  for (size_t f = 0; f < frames; ++f) {
    const size_t begin = f * frame, end = std::min(x.size(), begin + frame);
    for (size_t i = begin; i < end; ++i) energy[f] += double(x[i]) * x[i];
    energy[f] /= static_cast<double>(end - begin);
    loudest = std::max(loudest, energy[f]);
  }
  if (loudest <= 0) return 0;
  const double floor = loudest * 1e-3;  // -30 dB in power
  for (size_t f = frames; f-- > 0;)
    if (energy[f] >= floor) return static_cast<double>(std::min(x.size(), (f + 1) * frame)) / sample_rate;
  return 0;
}

size_t tail_cut_length(const std::vector<float>& x, double sample_rate, double min_s, double max_s, Rng& rng) {
  const double end_s = speech_end_s(x, sample_rate);
  if (end_s <= 0) return x.size();
  const double keep_s = end_s + min_s + rng.uniform() * (max_s - min_s);
  return std::min(x.size(), static_cast<size_t>(keep_s * sample_rate));
}

void trim_tail(std::vector<float>& x, double sample_rate, double min_s, double max_s, Rng& rng) {
  x.resize(tail_cut_length(x, sample_rate, min_s, max_s, rng));
}

void augment_clip(std::vector<float>& x, const std::vector<std::vector<float>>& noises, const AugmentOptions& o,
                  double sample_rate, Rng& rng) {
  const auto n = static_cast<int64_t>(x.size());
  const auto max_shift = static_cast<int64_t>(o.shift_s * sample_rate);
  if (max_shift > 0 && n > 0) {
    const int64_t shift = static_cast<int64_t>(rng.below(2 * max_shift + 1)) - max_shift;
    std::vector<float> y(n, 0.0f);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t j = i - shift;
      if (j >= 0 && j < n) y[i] = x[j];
    }
    x.swap(y);
  }
  const double gain = std::pow(10.0, (rng.uniform() * 2 - 1) * o.gain_db / 20.0);
  for (float& v : x) v = static_cast<float>(v * gain);
  if (!noises.empty() && rng.uniform() < o.noise_prob) {
    const std::vector<float>& noise = noises[rng.below(noises.size())];
    const double signal = rms(x), noise_rms = rms(noise);
    if (signal > 0 && noise_rms > 0 && !noise.empty()) {
      const double snr = o.snr_db_min + rng.uniform() * (o.snr_db_max - o.snr_db_min);
      const double scale = signal / noise_rms / std::pow(10.0, snr / 20.0);
      const size_t start = rng.below(noise.size());
      for (int64_t i = 0; i < n; ++i) x[i] += static_cast<float>(scale * noise[(start + i) % noise.size()]);
    }
  }
  for (float& v : x) v = std::clamp(v, -1.0f, 1.0f);
}

}  // namespace rwkvs
