#include "src/train/augment.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "src/train/speed_perturb.h"

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

void validate_augment_options(const AugmentOptions& o) {
  if (!(o.noise_prob >= 0 && o.noise_prob <= 1)) fail_usage("--noise-prob must be in [0, 1], got ", o.noise_prob);
  if (o.snr_db_min > o.snr_db_max)
    fail_usage("--snr-min (", o.snr_db_min, ") must not exceed --snr-max (", o.snr_db_max, ")");
  if (!(o.gain_db >= 0)) fail_usage("--gain-db must be >= 0, got ", o.gain_db);
  if (!(o.shift_s >= 0)) fail_usage("--shift must be >= 0 seconds, got ", o.shift_s);
  if (o.tail_min_s > o.tail_max_s)
    fail_usage("--tail-min-s (", o.tail_min_s, ") must not exceed --tail-max-s (", o.tail_max_s, ")");
  validate_speed_factors(o.speed_factors);
  validate_reverb_options(o.reverb);
  validate_telephone_options(o.telephone);
  validate_spec_augment_options(o.spec);
}

void mix_noise(std::vector<float>& x, const std::vector<float>& noise, double snr_db, size_t start) {
  const size_t n = x.size(), len = noise.size();
  if (n == 0 || len == 0) return;
  double noise_energy = 0;
  for (size_t i = 0; i < n; ++i) {
    const double v = noise[(start + i) % len];
    noise_energy += v * v;
  }
  const double signal = rms(x), segment = std::sqrt(noise_energy / static_cast<double>(n));
  if (signal <= 0 || segment <= 0) return;
  const double scale = signal / segment / std::pow(10.0, snr_db / 20.0);
  for (size_t i = 0; i < n; ++i) x[i] += static_cast<float>(scale * noise[(start + i) % len]);
}

void augment_clip(std::vector<float>& x, const std::vector<std::vector<float>>& noises, const AugmentOptions& o,
                  double sample_rate, Rng& rng, AugmentRecord* record) {
  AugmentRecord r;
  const auto n = static_cast<int64_t>(x.size());
  const auto max_shift = static_cast<int64_t>(o.shift_s * sample_rate);
  if (max_shift > 0 && n > 0) {
    r.shift = static_cast<int64_t>(rng.below(2 * max_shift + 1)) - max_shift;
    std::vector<float> y(n, 0.0f);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t j = i - r.shift;
      if (j >= 0 && j < n) y[i] = x[j];
    }
    x.swap(y);
  }
  if (!o.speed_factors.empty()) {
    r.speed = o.speed_factors[rng.below(o.speed_factors.size())];
    if (r.speed != 1.0) x = change_speed(x, r.speed, sample_rate);
  }
  if (o.reverb.prob > 0 && rng.uniform() < o.reverb.prob) {
    r.reverb = true;
    reverberate(x, draw_rir(o.reverb, sample_rate, rng, &r.rt60_s));
  }
  if (o.telephone.prob > 0 && rng.uniform() < o.telephone.prob) {
    r.telephone = true;
    telephone_channel(x, sample_rate, o.telephone);
  }
  if (!noises.empty() && rng.uniform() < o.noise_prob) {
    r.noise = static_cast<int64_t>(rng.below(noises.size()));
    const std::vector<float>& noise = noises[static_cast<size_t>(r.noise)];
    r.snr_db = o.snr_db_min + rng.uniform() * (o.snr_db_max - o.snr_db_min);
    r.noise_start = static_cast<size_t>(rng.below(noise.size()));
    mix_noise(x, noise, r.snr_db, r.noise_start);
  }
  r.gain_db = (rng.uniform() * 2 - 1) * o.gain_db;
  const double gain = std::pow(10.0, r.gain_db / 20.0);
  for (float& v : x) v = std::clamp(static_cast<float>(v * gain), -1.0f, 1.0f);
  if (record) *record = r;
}

}  // namespace rwkvs
