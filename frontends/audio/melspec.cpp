#include "frontends/audio/melspec.h"

#include <cmath>

#include "base/error.h"
#include "frontends/audio/window.h"

namespace rwkvs {

LogKind parse_log_kind(std::string_view name) {
  if (name == "none") return LogKind::none;
  if (name == "ln") return LogKind::ln;
  if (name == "db") return LogKind::db;
  fail("unknown log kind '", name, "' (expected ln|db|none)");
}

std::string log_kind_name(LogKind kind) {
  switch (kind) {
    case LogKind::none:
      return "none";
    case LogKind::ln:
      return "ln";
    case LogKind::db:
      return "db";
  }
  return "?";
}

namespace {

MelSpectrogramOptions resolved(const MelSpectrogramOptions& in) {
  MelSpectrogramOptions o = in;
  RWKVS_CHECK(o.sample_rate > 0, "melspec: sample rate must be positive, got ", o.sample_rate);
  RWKVS_CHECK(o.n_fft >= 2, "melspec: n_fft must be at least 2, got ", o.n_fft);
  if (o.win_length <= 0) o.win_length = o.n_fft;
  RWKVS_CHECK(o.win_length >= 2 && o.win_length <= o.n_fft,
              "melspec: win_length must be in [2, n_fft=", o.n_fft, "], got ", o.win_length);
  RWKVS_CHECK(o.hop_length >= 1, "melspec: hop_length must be at least 1, got ", o.hop_length);
  RWKVS_CHECK(o.power > 0, "melspec: power must be positive, got ", o.power);
  RWKVS_CHECK(o.log_eps >= 0, "melspec: log_eps must be >= 0, got ", o.log_eps);
  RWKVS_CHECK(o.log != LogKind::ln || o.log_eps > 0, "melspec: ln needs log_eps > 0 (ln(0) is -inf)");
  RWKVS_CHECK(o.pad_mode == EdgeMode::reflect || o.pad_mode == EdgeMode::replicate ||
                  o.pad_mode == EdgeMode::constant,
              "melspec: pad_mode must be reflect, replicate or constant");
  if (o.f_max <= 0) o.f_max = std::floor(o.sample_rate / 2) + o.f_max;  // torchaudio: sample_rate // 2
  return o;
}

FrameGeometry melspec_geometry(const MelSpectrogramOptions& o) {
  FrameGeometry g;
  g.length = o.n_fft;
  g.shift = o.hop_length;
  g.left_pad = o.center ? o.n_fft / 2 : 0;
  g.edges = o.center ? o.pad_mode : EdgeMode::snip;
  return g;
}

std::vector<float> padded_hann(int n_fft, int win_length) {
  std::vector<float> w(static_cast<size_t>(n_fft), 0.0f);
  const std::vector<float> hann = torch_hann_window(win_length);
  const int left = (n_fft - win_length) / 2;  // torch.stft pads the window centrally
  for (int i = 0; i < win_length; ++i) w[static_cast<size_t>(left + i)] = hann[static_cast<size_t>(i)];
  return w;
}

}  // namespace

MelSpectrogram::MelSpectrogram(const MelSpectrogramOptions& opts)
    : opts_(resolved(opts)),
      geometry_(melspec_geometry(opts_)),
      window_(padded_hann(opts_.n_fft, opts_.win_length)),
      bank_(torchaudio_mel_bank(opts_.n_mels, opts_.n_fft, opts_.sample_rate, opts_.f_min, opts_.f_max,
                                opts_.mel_scale, opts_.norm)) {}

std::unique_ptr<FrameScratch> MelSpectrogram::make_scratch() const {
  auto s = std::make_unique<FrameScratch>();
  s->fft64 = std::make_unique<RealFft<double>>(opts_.n_fft);
  s->spectrum64.resize(static_cast<size_t>(opts_.n_fft / 2 + 1));
  s->mel64.resize(static_cast<size_t>(opts_.n_mels));
  return s;
}

// In double from the window on: torch computes in float32, and its rounding noise in quiet bins
// (~1e-4 in the log) would otherwise add to ours. The window and the mel weights are the float
// values torch uses.
void MelSpectrogram::compute_frame(int64_t f, float* x, float* out, FrameScratch& s) const {
  const int n = opts_.n_fft;
  double* in = s.fft64->input();
  const double scale = opts_.int16_scale ? 32768.0 : 1.0;
  for (int i = 0; i < n; ++i) in[i] = (x[i] * scale) * window_[static_cast<size_t>(i)];
  s.fft64->transform();
  const std::complex<double>* X = s.fft64->output();
  double* spec = s.spectrum64.data();
  const int bins = n / 2 + 1;
  for (int k = 0; k < bins; ++k) {
    const double p = X[k].real() * X[k].real() + X[k].imag() * X[k].imag();
    spec[k] = opts_.power == 2.0 ? p : std::pow(p, opts_.power / 2);
  }
  double* mel = s.mel64.data();
  bank_.apply(spec, mel);
  const int M = opts_.n_mels;
  for (int m = 0; m < M; ++m) {
    double v = mel[m];
    if (opts_.log == LogKind::ln) v = std::log(v + opts_.log_eps);
    if (opts_.log == LogKind::db) v = 10.0 * std::log10(std::max(v, 1e-10));
    out[m] = static_cast<float>(v);
  }
}

}  // namespace rwkvs
