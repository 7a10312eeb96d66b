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
    case LogKind::none: return "none";
    case LogKind::ln: return "ln";
    case LogKind::db: return "db";
  }
  return "?";
}

namespace {

MelSpectrogramOptions resolved(const MelSpectrogramOptions& in) {
  MelSpectrogramOptions o = in;
  RWKVS_CHECK(o.sample_rate > 0, "melspec: sample rate must be positive, got ", o.sample_rate);
  RWKVS_CHECK(o.n_fft >= 2, "melspec: n_fft must be at least 2, got ", o.n_fft);
  if (o.win_length <= 0) o.win_length = o.n_fft;
  RWKVS_CHECK(o.win_length >= 2 && o.win_length <= o.n_fft, "melspec: win_length must be in [2, n_fft=", o.n_fft,
              "], got ", o.win_length);
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
  const std::vector<float> hann = make_window(WindowType::hann, win_length);
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
  return std::make_unique<FrameScratch>(opts_.n_fft, 0);
}

void MelSpectrogram::compute_frame(int64_t f, float* x, float* out, FrameScratch& s) const {
  const int n = opts_.n_fft;
  float* in = s.fft.input();
  const float scale = opts_.int16_scale ? 32768.0f : 1.0f;
  for (int i = 0; i < n; ++i) in[i] = (x[i] * scale) * window_[static_cast<size_t>(i)];
  s.fft.transform();
  const std::complex<float>* X = s.fft.output();
  float* spec = s.spectrum.data();
  const int bins = n / 2 + 1;
  if (opts_.power == 2.0) {
    for (int k = 0; k < bins; ++k) spec[k] = X[k].real() * X[k].real() + X[k].imag() * X[k].imag();
  } else {
    const float p = static_cast<float>(opts_.power);
    for (int k = 0; k < bins; ++k) spec[k] = opts_.power == 1.0 ? std::abs(X[k]) : std::pow(std::abs(X[k]), p);
  }
  bank_.apply(spec, out);
  const int M = opts_.n_mels;
  if (opts_.log == LogKind::ln) {
    const float eps = static_cast<float>(opts_.log_eps);
    for (int m = 0; m < M; ++m) out[m] = std::log(out[m] + eps);
  } else if (opts_.log == LogKind::db) {
    for (int m = 0; m < M; ++m) out[m] = 10.0f * std::log10(std::max(out[m], 1e-10f));
  }
}

}  // namespace rwkvs
