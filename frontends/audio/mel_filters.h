#pragma once
// Triangular mel filter banks, stored sparsely (each filter keeps only its non-zero span):
//  - Kaldi's (compute-fbank-feats, torchaudio.compliance.kaldi): mel = 1127 ln(1 + f/700),
//    triangles linear in mel, peak 1, over FFT bins 0..N/2-1 (the Nyquist bin gets no weight);
//  - torchaudio.functional.melscale_fbanks: htk (2595 log10(1 + f/700)) or slaney scale,
//    triangles linear in Hz over bins 0..N/2 (Nyquist included), optional slaney area norm.
// An empty filter (one that no FFT bin falls into) is an Error naming the settings that cause it.
#include <string>
#include <string_view>
#include <vector>

namespace rwkvs {

enum class MelScale { htk, slaney };
enum class MelNorm { none, slaney };
MelScale parse_mel_scale(std::string_view name);
MelNorm parse_mel_norm(std::string_view name);
std::string mel_scale_name(MelScale s);
std::string mel_norm_name(MelNorm n);

class MelBank {
 public:
  // weights: [num_filters, num_fft_bins] dense, row-major; zeros are dropped.
  MelBank(int num_filters, int num_fft_bins, const std::vector<double>& weights);

  int num_filters() const { return static_cast<int>(first_.size()); }
  int num_fft_bins() const { return num_fft_bins_; }
  // out[m] = sum_k W[m][k] * spectrum[k]
  void apply(const float* spectrum /*[num_fft_bins]*/, float* out /*[num_filters]*/) const;
  // The same float weights, accumulated in double.
  void apply(const double* spectrum /*[num_fft_bins]*/, double* out /*[num_filters]*/) const;
  // The dense matrix [num_filters, num_fft_bins] (for tests and inspection).
  std::vector<float> dense() const;
  // Index of the first filter with no weight, or -1 when every filter has some.
  int first_empty_filter() const;

 private:
  int num_fft_bins_;
  std::vector<int> first_;   // [num_filters] first FFT bin with weight
  std::vector<int> offset_;  // [num_filters + 1] span of filter m in weights_
  std::vector<float> weights_;
};

// Kaldi bank for an fft_size-point FFT. high_freq <= 0 means Nyquist + high_freq. The sample rate
// must cover the range: 0 <= low_freq < high_freq <= Nyquist.
MelBank kaldi_mel_bank(int num_bins, int fft_size, double sample_rate, double low_freq, double high_freq);

// torchaudio bank for an n_fft-point FFT (n_fft/2 + 1 bins); f_max <= sample_rate / 2.
MelBank torchaudio_mel_bank(int n_mels, int n_fft, double sample_rate, double f_min, double f_max,
                            MelScale scale, MelNorm norm);

double hz_to_mel(double hz, MelScale scale);
double mel_to_hz(double mel, MelScale scale);

}  // namespace rwkvs
