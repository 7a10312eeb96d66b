#include "frontends/audio/fbank.h"

#include <cfloat>
#include <cmath>
#include <numbers>

#include "base/error.h"

namespace rwkvs {

int64_t samples_in_ms(double sample_rate, double ms) {
  return static_cast<int64_t>(sample_rate * ms * 0.001);
}

namespace {

FrameGeometry fbank_geometry(const FbankOptions& o) {
  RWKVS_CHECK(o.sample_rate > 0, "fbank: sample rate must be positive, got ", o.sample_rate);
  FrameGeometry g;
  g.length = samples_in_ms(o.sample_rate, o.frame_length_ms);
  g.shift = samples_in_ms(o.sample_rate, o.frame_shift_ms);
  RWKVS_CHECK(g.length >= 2, "fbank: frame_length ", o.frame_length_ms, " ms at ", o.sample_rate,
              " Hz gives ", g.length, " samples; need at least 2");
  RWKVS_CHECK(g.shift >= 1, "fbank: frame_shift ", o.frame_shift_ms, " ms at ", o.sample_rate, " Hz gives ",
              g.shift, " samples; need at least 1");
  g.edges = o.snip_edges ? EdgeMode::snip : EdgeMode::kaldi_reflect;
  g.left_pad = o.snip_edges ? 0 : g.length / 2 - g.shift / 2;  // Kaldi: start = f*shift + shift/2 - length/2
  return g;
}

int fbank_fft_size(const FbankOptions& o, int64_t length) {
  if (!o.round_to_power_of_two) return static_cast<int>(length);
  int n = 1;
  while (n < length) n *= 2;
  return n;
}

const FbankOptions& validated(const FbankOptions& o) {
  RWKVS_CHECK(o.num_mel_bins >= 3, "fbank: num_mel_bins must be at least 3, got ", o.num_mel_bins);
  RWKVS_CHECK(o.dither >= 0, "fbank: dither must be >= 0, got ", o.dither);
  RWKVS_CHECK(o.preemphasis_coefficient >= 0 && o.preemphasis_coefficient <= 1,
              "fbank: preemphasis_coefficient must be in [0, 1], got ", o.preemphasis_coefficient);
  RWKVS_CHECK(o.energy_floor >= 0, "fbank: energy_floor must be >= 0, got ", o.energy_floor);
  return o;
}

// Sums in a fixed order with 8 partial sums in double: accurate, deterministic and vectorisable.
double sum_of(const float* x, int64_t n) {
  double p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) p[j] += x[i + j];
  for (; i < n; ++i) p[0] += x[i];
  return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
}

double sum_of_squares(const float* x, int64_t n) {
  double p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) p[j] += static_cast<double>(x[i + j]) * x[i + j];
  for (; i < n; ++i) p[0] += static_cast<double>(x[i]) * x[i];
  return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
}

uint64_t mix64(uint64_t z) {  // splitmix64 finaliser
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Gaussian dither for frame f: a counter-based generator keyed by (seed, f, i), so the noise of a
// frame is the same whichever chunk it was computed in. Box-Muller, both outputs used.
void add_dither(float* x, int64_t n, double amount, uint64_t seed, int64_t f) {
  const uint64_t key = mix64(seed ^ mix64(static_cast<uint64_t>(f)));
  for (int64_t i = 0; i < n; i += 2) {
    const uint64_t a = mix64(key + 2 * static_cast<uint64_t>(i)),
                   b = mix64(key + 2 * static_cast<uint64_t>(i) + 1);
    const double u1 = (static_cast<double>(a >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
    const double u2 = static_cast<double>(b >> 11) * 0x1.0p-53;
    const double r = std::sqrt(-2.0 * std::log(u1)), t = 2.0 * std::numbers::pi * u2;
    x[i] += static_cast<float>(amount * r * std::cos(t));
    if (i + 1 < n) x[i + 1] += static_cast<float>(amount * r * std::sin(t));
  }
}

float log_floored(double e) {
  return static_cast<float>(std::log(std::max(e, static_cast<double>(FLT_EPSILON))));
}

}  // namespace

Fbank::Fbank(const FbankOptions& opts)
    : opts_(validated(opts)),
      geometry_(fbank_geometry(opts)),
      fft_size_(fbank_fft_size(opts, geometry_.length)),
      window_(make_window(opts.window_type, static_cast<int>(geometry_.length), opts.blackman_coeff)),
      bank_(kaldi_mel_bank(opts.num_mel_bins, fft_size_, opts.sample_rate, opts.low_freq, opts.high_freq)) {}

std::unique_ptr<FrameScratch> Fbank::make_scratch() const {
  auto s = std::make_unique<FrameScratch>();
  s->fft32 = std::make_unique<RealFft<float>>(fft_size_);
  s->spectrum32.resize(static_cast<size_t>(fft_size_ / 2 + 1));
  return s;
}

void Fbank::compute_frame(int64_t f, float* x, float* out, FrameScratch& s) const {
  const int64_t L = geometry_.length;
  if (opts_.int16_scale)
    for (int64_t i = 0; i < L; ++i) x[i] *= 32768.0f;
  if (opts_.dither != 0) add_dither(x, L, opts_.dither, opts_.dither_seed, f);
  if (opts_.remove_dc_offset) {
    const float mean = static_cast<float>(sum_of(x, L) / static_cast<double>(L));
    for (int64_t i = 0; i < L; ++i) x[i] -= mean;
  }
  double energy = 0;
  if (opts_.use_energy && opts_.raw_energy) energy = sum_of_squares(x, L);

  // Preemphasis (per frame; the first sample is its own predecessor) and window, straight into the
  // FFT input. Samples L..N-1 of the input stay zero from construction.
  float* in = s.fft32->input();
  const float c = static_cast<float>(opts_.preemphasis_coefficient);
  const float* w = window_.data();
  in[0] = (x[0] - c * x[0]) * w[0];
  for (int64_t i = 1; i < L; ++i) in[i] = (x[i] - c * x[i - 1]) * w[i];
  if (opts_.use_energy && !opts_.raw_energy) energy = sum_of_squares(in, L);

  s.fft32->transform();
  const std::complex<float>* X = s.fft32->output();
  float* spec = s.spectrum32.data();
  const int bins = fft_size_ / 2 + 1;
  for (int k = 0; k < bins; ++k) spec[k] = X[k].real() * X[k].real() + X[k].imag() * X[k].imag();
  if (!opts_.use_power)
    for (int k = 0; k < bins; ++k) spec[k] = std::sqrt(spec[k]);

  float* mel = out + (opts_.use_energy ? 1 : 0);
  bank_.apply(spec, mel);
  if (opts_.use_log_fbank)
    for (int m = 0; m < opts_.num_mel_bins; ++m) mel[m] = std::log(std::max(mel[m], FLT_EPSILON));
  if (opts_.use_energy) {
    float e = log_floored(energy);
    if (opts_.energy_floor > 0) e = std::max(e, static_cast<float>(std::log(opts_.energy_floor)));
    out[0] = e;
  }
}

}  // namespace rwkvs
