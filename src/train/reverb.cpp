#include "src/train/reverb.h"

#include <cmath>

#include "base/error.h"
#include "frontends/audio/fft_convolve.h"

namespace rwkvs {
namespace {

double energy(const float* x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += double(x[i]) * x[i];
  return s;
}

}  // namespace

void validate_reverb_options(const ReverbOptions& o) {
  if (!(o.prob >= 0 && o.prob <= 1)) fail_usage("--reverb-prob must be in [0, 1], got ", o.prob);
  for (double t : {o.rt60_min_s, o.rt60_max_s})
    if (!(t > 0 && t <= kMaxRt60)) fail_usage("--reverb-rt60: RT60 must be in (0, ", kMaxRt60, "] seconds, got ", t);
  if (o.rt60_min_s > o.rt60_max_s)
    fail_usage("--reverb-rt60: the minimum (", o.rt60_min_s, " s) exceeds the maximum (", o.rt60_max_s, " s)");
  for (double d : {o.drr_db_min, o.drr_db_max})
    if (!(d >= -30 && d <= 30)) fail_usage("--reverb-drr-db must be in [-30, 30] dB, got ", d);
  if (o.drr_db_min > o.drr_db_max)
    fail_usage("--reverb-drr-db: the minimum (", o.drr_db_min, " dB) exceeds the maximum (", o.drr_db_max, " dB)");
  if (!(o.predelay_max_ms >= 0 && o.predelay_max_ms <= 1000))
    fail_usage("--reverb-predelay-ms must be in [0, 1000], got ", o.predelay_max_ms);
}

std::vector<float> synth_rir(double rt60_s, double drr_db, double predelay_s, double sample_rate, Rng& rng) {
  RWKVS_CHECK(rt60_s > 0 && sample_rate > 0 && predelay_s >= 0, "synth_rir: bad settings");
  const auto d = std::max<size_t>(1, static_cast<size_t>(std::llround(predelay_s * sample_rate)));
  const auto tail = std::max<size_t>(1, static_cast<size_t>(std::ceil(rt60_s * sample_rate)));
  std::vector<float> h(d + tail, 0.0f);
  const double decay = -3.0 * std::log(10.0) / (rt60_s * sample_rate);  // amplitude, per sample
  for (size_t k = 0; k < tail; ++k) h[d + k] = static_cast<float>(rng.normal() * std::exp(decay * double(k)));
  const double tail_energy = energy(h.data() + d, tail);
  const double tail_gain = tail_energy > 0 ? std::sqrt(std::pow(10.0, -drr_db / 10) / tail_energy) : 0.0;
  h[0] = 1.0f;
  for (size_t k = d; k < h.size(); ++k) h[k] = static_cast<float>(h[k] * tail_gain);
  const double norm = 1.0 / std::sqrt(energy(h.data(), h.size()));
  for (float& v : h) v = static_cast<float>(v * norm);
  return h;
}

std::vector<float> draw_rir(const ReverbOptions& o, double sample_rate, Rng& rng, double* rt60_s) {
  const double rt60 = o.rt60_min_s + rng.uniform() * (o.rt60_max_s - o.rt60_min_s);
  const double drr = o.drr_db_min + rng.uniform() * (o.drr_db_max - o.drr_db_min);
  const double predelay = rng.uniform() * o.predelay_max_ms * 1e-3;
  if (rt60_s) *rt60_s = rt60;
  return synth_rir(rt60, drr, predelay, sample_rate, rng);
}

void reverberate(std::vector<float>& x, const std::vector<float>& rir) {
  const double before = energy(x.data(), x.size());
  if (x.empty() || rir.empty() || before <= 0) return;
  std::vector<float> y = fft_convolve(x.data(), x.size(), rir.data(), rir.size(), x.size());
  const double after = energy(y.data(), y.size());
  const double scale = after > 0 ? std::sqrt(before / after) : 0.0;
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(y[i] * scale);
}

}  // namespace rwkvs
