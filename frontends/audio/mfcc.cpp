#include "frontends/audio/mfcc.h"

#include <cmath>
#include <numbers>

#include "base/error.h"

namespace rwkvs {

MfccBase parse_mfcc_base(std::string_view name) {
  if (name == "mel") return MfccBase::mel;
  if (name == "fbank") return MfccBase::fbank;
  fail("unknown MFCC base '", name, "' (expected mel|fbank)");
}

std::string mfcc_base_name(MfccBase base) { return base == MfccBase::mel ? "mel" : "fbank"; }

std::vector<float> dct_ii_ortho(int num_ceps, int n) {
  std::vector<float> m(static_cast<size_t>(num_ceps) * n);
  for (int k = 0; k < num_ceps; ++k) {
    const double s = std::sqrt((k == 0 ? 1.0 : 2.0) / n);
    for (int i = 0; i < n; ++i)
      m[static_cast<size_t>(k) * n + i] =
          static_cast<float>(s * std::cos(std::numbers::pi / n * (i + 0.5) * k));
  }
  return m;
}

namespace {

std::unique_ptr<FeatureComputer> make_base(const MfccOptions& o) {
  if (o.base == MfccBase::mel) {
    RWKVS_CHECK(o.mel.log != LogKind::none, "mfcc: the mel base needs a log (ln or db), got log=none");
    return std::make_unique<MelSpectrogram>(o.mel);
  }
  FbankOptions f = o.fbank;
  f.use_log_fbank = true;
  return std::make_unique<Fbank>(f);
}

}  // namespace

Mfcc::Mfcc(const MfccOptions& opts) : opts_(opts), base_(make_base(opts)) {
  energy_in_c0_ = opts.base == MfccBase::fbank && opts.fbank.use_energy;
  num_mels_ = base_->dim() - (energy_in_c0_ ? 1 : 0);
  RWKVS_CHECK(opts.num_ceps >= 1 && opts.num_ceps <= num_mels_, "mfcc: num_ceps must be in [1, ", num_mels_,
              "] (the number of mel bins), got ", opts.num_ceps);
  RWKVS_CHECK(opts.cepstral_lifter >= 0, "mfcc: cepstral_lifter must be >= 0, got ", opts.cepstral_lifter);
  dct_ = dct_ii_ortho(opts.num_ceps, num_mels_);
  if (opts.cepstral_lifter != 0) {
    const double L = opts.cepstral_lifter;
    for (int k = 0; k < opts.num_ceps; ++k)
      lifter_.push_back(static_cast<float>(1.0 + 0.5 * L * std::sin(std::numbers::pi * k / L)));
  }
}

std::unique_ptr<FrameScratch> Mfcc::make_scratch() const {
  auto s = base_->make_scratch();
  s->extra.resize(static_cast<size_t>(base_->dim()));
  return s;
}

void Mfcc::compute_frame(int64_t f, float* frame, float* out, FrameScratch& s) const {
  float* base = s.extra.data();
  base_->compute_frame(f, frame, base, s);
  const float* mel = base + (energy_in_c0_ ? 1 : 0);
  for (int k = 0; k < opts_.num_ceps; ++k) {
    const float* row = dct_.data() + static_cast<size_t>(k) * num_mels_;
    double sum = 0.0;  // 13 x 80 products: double costs nothing here and keeps c0 (a large sum) exact
    for (int i = 0; i < num_mels_; ++i) sum += static_cast<double>(row[i]) * mel[i];
    out[k] = static_cast<float>(sum);
  }
  if (!lifter_.empty())
    for (int k = 0; k < opts_.num_ceps; ++k) out[k] *= lifter_[static_cast<size_t>(k)];
  if (energy_in_c0_) out[0] = base[0];
}

}  // namespace rwkvs
