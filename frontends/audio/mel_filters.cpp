#include "frontends/audio/mel_filters.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace rwkvs {

MelScale parse_mel_scale(std::string_view name) {
  if (name == "htk") return MelScale::htk;
  if (name == "slaney") return MelScale::slaney;
  fail("unknown mel scale '", name, "' (expected htk|slaney)");
}
MelNorm parse_mel_norm(std::string_view name) {
  if (name == "none") return MelNorm::none;
  if (name == "slaney") return MelNorm::slaney;
  fail("unknown mel norm '", name, "' (expected none|slaney)");
}
std::string mel_scale_name(MelScale s) { return s == MelScale::htk ? "htk" : "slaney"; }
std::string mel_norm_name(MelNorm n) { return n == MelNorm::none ? "none" : "slaney"; }

MelBank::MelBank(int num_filters, int num_fft_bins, const std::vector<double>& weights)
    : num_fft_bins_(num_fft_bins) {
  RWKVS_CHECK(weights.size() == static_cast<size_t>(num_filters) * num_fft_bins,
              "mel bank: weight matrix has ", weights.size(), " entries, expected ", num_filters, " x ",
              num_fft_bins);
  offset_.push_back(0);
  for (int m = 0; m < num_filters; ++m) {
    const double* row = weights.data() + static_cast<size_t>(m) * num_fft_bins;
    int lo = 0, hi = num_fft_bins;
    while (lo < hi && row[lo] == 0.0) ++lo;
    while (hi > lo && row[hi - 1] == 0.0) --hi;
    first_.push_back(lo);
    for (int k = lo; k < hi; ++k) weights_.push_back(static_cast<float>(row[k]));
    offset_.push_back(static_cast<int>(weights_.size()));
  }
}

void MelBank::apply(const float* spectrum, float* out) const {
  const int M = num_filters();
  for (int m = 0; m < M; ++m) {
    const float* w = weights_.data() + offset_[m];
    const float* s = spectrum + first_[m];
    const int n = offset_[m + 1] - offset_[m];
    float sum = 0.0f;
    for (int k = 0; k < n; ++k) sum += w[k] * s[k];
    out[m] = sum;
  }
}

void MelBank::apply(const double* spectrum, double* out) const {
  const int M = num_filters();
  for (int m = 0; m < M; ++m) {
    const float* w = weights_.data() + offset_[m];
    const double* s = spectrum + first_[m];
    const int n = offset_[m + 1] - offset_[m];
    double sum = 0.0;
    for (int k = 0; k < n; ++k) sum += w[k] * s[k];
    out[m] = sum;
  }
}

std::vector<float> MelBank::dense() const {
  std::vector<float> d(static_cast<size_t>(num_filters()) * num_fft_bins_, 0.0f);
  for (int m = 0; m < num_filters(); ++m)
    for (int j = offset_[m]; j < offset_[m + 1]; ++j)
      d[static_cast<size_t>(m) * num_fft_bins_ + first_[m] + (j - offset_[m])] = weights_[j];
  return d;
}

int MelBank::first_empty_filter() const {
  for (int m = 0; m < num_filters(); ++m)
    if (offset_[m + 1] == offset_[m]) return m;
  return -1;
}

double hz_to_mel(double hz, MelScale scale) {
  if (scale == MelScale::htk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  // Slaney: linear below 1 kHz (3 mel per 200 Hz), logarithmic above.
  const double f_sp = 200.0 / 3, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp;
  const double logstep = std::log(6.4) / 27.0;
  if (hz >= min_log_hz) return min_log_mel + std::log(hz / min_log_hz) / logstep;
  return hz / f_sp;
}

double mel_to_hz(double mel, MelScale scale) {
  if (scale == MelScale::htk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  const double f_sp = 200.0 / 3, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp;
  const double logstep = std::log(6.4) / 27.0;
  if (mel >= min_log_mel) return min_log_hz * std::exp(logstep * (mel - min_log_mel));
  return f_sp * mel;
}

namespace {

double kaldi_mel(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }

}  // namespace

MelBank kaldi_mel_bank(int num_bins, int fft_size, double sample_rate, double low_freq, double high_freq) {
  RWKVS_CHECK(num_bins >= 3, "fbank: num_mel_bins must be at least 3, got ", num_bins);
  RWKVS_CHECK(fft_size >= 2 && fft_size % 2 == 0, "fbank: the padded frame (FFT size ", fft_size,
              ") must be even; use round_to_power_of_two or another frame length");
  const double nyquist = 0.5 * sample_rate;
  const double high = high_freq <= 0.0 ? nyquist + high_freq : high_freq;
  if (high_freq > nyquist)
    fail("fbank: high_freq ", high_freq, " Hz is above the Nyquist frequency ", nyquist,
         " Hz of sample rate ", sample_rate,
         " Hz: the sample rate is too low for this mel range (lower high_freq or resample)");
  if (!(low_freq >= 0.0 && low_freq < nyquist && high > 0.0 && low_freq < high))
    fail("fbank: bad mel range low_freq=", low_freq, " Hz, high_freq=", high_freq, " Hz (resolves to ", high,
         " Hz) for sample rate ", sample_rate, " Hz: need 0 <= low_freq < high_freq <= Nyquist (", nyquist,
         " Hz)");
  const int num_fft_bins = fft_size / 2;  // bins 0..N/2-1: Kaldi gives the Nyquist bin no weight
  const double bin_hz = sample_rate / fft_size;
  const double mel_low = kaldi_mel(low_freq), mel_high = kaldi_mel(high);
  const double delta = (mel_high - mel_low) / (num_bins + 1);
  std::vector<double> w(static_cast<size_t>(num_bins) * (num_fft_bins + 1), 0.0);
  for (int m = 0; m < num_bins; ++m) {
    const double left = mel_low + m * delta, center = mel_low + (m + 1) * delta,
                 right = mel_low + (m + 2) * delta;
    for (int k = 0; k < num_fft_bins; ++k) {
      const double mk = kaldi_mel(bin_hz * k);
      if (mk > left && mk < right)
        w[static_cast<size_t>(m) * (num_fft_bins + 1) + k] =
            mk <= center ? (mk - left) / (center - left) : (right - mk) / (right - center);
    }
  }
  MelBank bank(num_bins, num_fft_bins + 1, w);  // reads N/2+1 bins, the last with zero weight
  const int empty = bank.first_empty_filter();
  if (empty >= 0)
    fail("fbank: mel filter ", empty, " of ", num_bins, " is empty: with num_mel_bins=", num_bins,
         ", low_freq=", low_freq, " Hz, high_freq=", high, " Hz and a ", fft_size, "-point FFT at ",
         sample_rate, " Hz (", bin_hz,
         " Hz per FFT bin) no FFT bin falls inside it; use fewer mel bins, a longer frame or a "
         "higher low_freq");
  return bank;
}

MelBank torchaudio_mel_bank(int n_mels, int n_fft, double sample_rate, double f_min, double f_max,
                            MelScale scale, MelNorm norm) {
  RWKVS_CHECK(n_mels >= 1, "melspec: n_mels must be at least 1, got ", n_mels);
  RWKVS_CHECK(n_fft >= 2, "melspec: n_fft must be at least 2, got ", n_fft);
  const double nyquist = sample_rate / 2;
  if (f_max > nyquist)
    fail("melspec: f_max ", f_max, " Hz is above the Nyquist frequency ", nyquist, " Hz of sample rate ",
         sample_rate, " Hz: the sample rate is too low for this mel range (lower f_max or resample)");
  if (!(f_min >= 0.0 && f_min < f_max))
    fail("melspec: bad mel range f_min=", f_min, " Hz, f_max=", f_max,
         " Hz: need 0 <= f_min < f_max <= ", nyquist, " Hz");
  const int n_freqs = n_fft / 2 + 1;
  // torchaudio spaces the bins over [0, sample_rate // 2] (integer division of the rate).
  const double top = std::floor(sample_rate / 2);
  const double m_min = hz_to_mel(f_min, scale), m_max = hz_to_mel(f_max, scale);
  std::vector<double> f_pts(static_cast<size_t>(n_mels) + 2);
  for (int i = 0; i < n_mels + 2; ++i)
    f_pts[i] = mel_to_hz(m_min + (m_max - m_min) * i / (n_mels + 1), scale);
  std::vector<double> w(static_cast<size_t>(n_mels) * n_freqs, 0.0);
  for (int m = 0; m < n_mels; ++m) {
    const double lo = f_pts[m], mid = f_pts[m + 1], hi = f_pts[m + 2];
    const double enorm = norm == MelNorm::slaney ? 2.0 / (hi - lo) : 1.0;
    for (int k = 0; k < n_freqs; ++k) {
      const double f = n_freqs > 1 ? top * k / (n_freqs - 1) : 0.0;
      const double rise = (f - lo) / (mid - lo), fall = (hi - f) / (hi - mid);
      const double v = std::max(0.0, std::min(rise, fall));
      w[static_cast<size_t>(m) * n_freqs + k] = v * enorm;
    }
  }
  MelBank bank(n_mels, n_freqs, w);
  const int empty = bank.first_empty_filter();
  if (empty >= 0)
    fail("melspec: mel filter ", empty, " of ", n_mels, " is empty: with n_mels=", n_mels, ", f_min=", f_min,
         " Hz, f_max=", f_max, " Hz, mel_scale=", mel_scale_name(scale), " and n_fft=", n_fft, " at ",
         sample_rate, " Hz (", sample_rate / n_fft,
         " Hz per FFT bin) no FFT bin falls inside it; use fewer mels or a larger "
         "n_fft");
  return bank;
}

}  // namespace rwkvs
