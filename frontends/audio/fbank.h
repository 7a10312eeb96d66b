#pragma once
// Kaldi-compatible log mel filterbank (compute-fbank-feats, torchaudio.compliance.kaldi.fbank).
// Per frame: dither -> remove DC -> (raw) log energy -> preemphasis -> window -> zero-pad to the
// FFT size -> |X|^2 (or |X|) -> Kaldi mel bank -> log(max(e, FLT_EPSILON)).
#include <cstdint>
#include <memory>

#include "frontends/audio/feature_computer.h"
#include "frontends/audio/mel_filters.h"
#include "frontends/audio/window.h"

namespace rwkvs {

// Defaults follow torchaudio.compliance.kaldi.fbank, except num_mel_bins (80, as in ASR practice)
// and energy_floor (0, Kaldi's). Kaldi's own binaries use dither 1.0 on int16-scale input.
struct FbankOptions {
  double sample_rate = 16000;
  double frame_length_ms = 25;  // window = int(sample_rate * ms / 1000) samples
  double frame_shift_ms = 10;
  double dither = 0;         // std-dev of Gaussian noise added to each frame (0: deterministic)
  uint64_t dither_seed = 0;  // noise depends on (seed, frame index, sample), not on chunking
  double preemphasis_coefficient = 0.97;
  bool remove_dc_offset = true;
  WindowType window_type = WindowType::povey;
  double blackman_coeff = 0.42;
  bool round_to_power_of_two = true;
  bool snip_edges = true;
  int num_mel_bins = 80;
  double low_freq = 20;
  double high_freq = 0;     // <= 0: Nyquist + high_freq
  bool use_energy = false;  // prepend one column of log energy
  bool raw_energy = true;   // energy before preemphasis and window
  double energy_floor = 0;  // > 0: floor the log energy at log(energy_floor)
  bool use_log_fbank = true;
  bool use_power = true;     // false: magnitude instead of power
  bool int16_scale = false;  // multiply [-1, 1) samples by 32768 first, as Kaldi's binaries see them
};

class Fbank : public FeatureComputer {
 public:
  explicit Fbank(const FbankOptions& opts);  // validates; throws Error naming the bad option

  int dim() const override { return opts_.num_mel_bins + (opts_.use_energy ? 1 : 0); }
  double sample_rate() const override { return opts_.sample_rate; }
  const FrameGeometry& geometry() const override { return geometry_; }
  std::unique_ptr<FrameScratch> make_scratch() const override;
  void compute_frame(int64_t f, float* frame, float* out, FrameScratch& scratch) const override;

  const FbankOptions& options() const { return opts_; }
  int fft_size() const { return fft_size_; }
  const MelBank& mel_bank() const { return bank_; }

 private:
  FbankOptions opts_;
  FrameGeometry geometry_;
  int fft_size_;
  std::vector<float> window_;  // [geometry_.length]
  MelBank bank_;
};

// Window and shift in samples as Kaldi/torchaudio compute them: int(sample_rate * ms * 0.001).
int64_t samples_in_ms(double sample_rate, double ms);

}  // namespace rwkvs
