#pragma once
// MFCC: orthonormal DCT-II of a log-mel frame, first num_ceps coefficients, optional cepstral
// lifter c[k] *= 1 + (L/2) sin(pi k / L). Two bases:
//  - mel:   the torchaudio log-mel of melspec.h (ln(x+eps) or dB); this is what
//           torchaudio.transforms.MFCC(log_mels=True) and features_ref.py compute;
//  - fbank: Kaldi compute-mfcc-feats: the Kaldi log fbank; with fbank.use_energy, c0 is replaced
//           by the log energy after liftering.
#include <memory>
#include <string>
#include <string_view>

#include "frontends/audio/fbank.h"
#include "frontends/audio/melspec.h"

namespace rwkvs {

enum class MfccBase { mel, fbank };
MfccBase parse_mfcc_base(std::string_view name);
std::string mfcc_base_name(MfccBase base);

struct MfccOptions {
  MfccBase base = MfccBase::mel;
  MelSpectrogramOptions mel;  // used when base == mel (log must be ln or db)
  FbankOptions fbank;         // used when base == fbank (use_log_fbank is implied)
  int num_ceps = 13;
  double cepstral_lifter = 0;  // Kaldi's compute-mfcc-feats uses 22; 0 disables
};

class Mfcc : public FeatureComputer {
 public:
  explicit Mfcc(const MfccOptions& opts);

  int dim() const override { return opts_.num_ceps; }
  double sample_rate() const override { return base_->sample_rate(); }
  const FrameGeometry& geometry() const override { return base_->geometry(); }
  std::unique_ptr<FrameScratch> make_scratch() const override;
  void compute_frame(int64_t f, float* frame, float* out, FrameScratch& scratch) const override;

  const MfccOptions& options() const { return opts_; }

 private:
  MfccOptions opts_;
  std::unique_ptr<FeatureComputer> base_;
  int num_mels_;               // DCT input size
  bool energy_in_c0_;          // fbank base with use_energy: column 0 of the base is log energy
  std::vector<float> dct_;     // [num_ceps, num_mels] orthonormal DCT-II rows
  std::vector<float> lifter_;  // [num_ceps], empty when no lifter
};

// Orthonormal DCT-II as a [num_ceps, n] row-major matrix: row k = s_k cos(pi/n (i + 1/2) k),
// s_0 = sqrt(1/n), s_k = sqrt(2/n).
std::vector<float> dct_ii_ortho(int num_ceps, int n);

}  // namespace rwkvs
