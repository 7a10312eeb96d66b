#pragma once
// Log-mel spectrogram with torchaudio.transforms.MelSpectrogram conventions: periodic Hann window
// of win_length zero-padded centrally to n_fft, no DC removal or preemphasis, |X|^power, the
// torchaudio mel bank (htk or slaney scale, optional slaney norm), then ln(x + eps), dB
// (10 log10(max(x, 1e-10)), no top_db: a global max cannot be streamed) or no log.
// center=true pads n_fft/2 samples on each side (reflect by default), frame t centred at t*hop.
#include <memory>
#include <string>
#include <string_view>

#include "frontends/audio/feature_computer.h"
#include "frontends/audio/mel_filters.h"

namespace rwkvs {

enum class LogKind { none, ln, db };
LogKind parse_log_kind(std::string_view name);
std::string log_kind_name(LogKind kind);

// Defaults are torchaudio's except hop_length (160 = 10 ms at 16 kHz rather than win_length/2)
// and n_mels (80 rather than 128), the settings speech models use; they match features_ref.py.
struct MelSpectrogramOptions {
  double sample_rate = 16000;
  int n_fft = 400;
  int win_length = 0;  // 0: n_fft
  int hop_length = 160;
  int n_mels = 80;
  double f_min = 0;
  double f_max = 0;  // <= 0: floor(sample_rate / 2) + f_max
  bool center = true;
  EdgeMode pad_mode = EdgeMode::reflect;  // reflect | replicate | constant (with center)
  double power = 2.0;                     // 2: power, 1: magnitude
  MelScale mel_scale = MelScale::htk;
  MelNorm norm = MelNorm::none;
  LogKind log = LogKind::ln;
  double log_eps = 1e-6;     // ln(x + log_eps)
  bool int16_scale = false;  // multiply [-1, 1) samples by 32768 first
};

class MelSpectrogram : public FeatureComputer {
 public:
  explicit MelSpectrogram(const MelSpectrogramOptions& opts);  // validates; Error names the option

  int dim() const override { return opts_.n_mels; }
  double sample_rate() const override { return opts_.sample_rate; }
  const FrameGeometry& geometry() const override { return geometry_; }
  std::unique_ptr<FrameScratch> make_scratch() const override;
  void compute_frame(int64_t f, float* frame, float* out, FrameScratch& scratch) const override;

  const MelSpectrogramOptions& options() const { return opts_; }
  const MelBank& mel_bank() const { return bank_; }

 private:
  MelSpectrogramOptions opts_;
  FrameGeometry geometry_;
  std::vector<float> window_;  // [n_fft]: Hann of win_length, zero-padded centrally
  MelBank bank_;
};

}  // namespace rwkvs
