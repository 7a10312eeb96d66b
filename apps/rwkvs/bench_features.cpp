// rwkvs bench features: single-thread frames/s of the audio frontends on a long speech-like signal,
// offline and streaming, after checking (1) that streaming in uneven chunks gives exactly the
// offline frames and (2) that a few frames agree with a slow double-precision direct-DFT
// reference of the same formulas.
#include <algorithm>
#include <cmath>
#include <complex>
#include <functional>
#include <numbers>
#include <vector>

#include "apps/rwkvs/bench_util.h"
#include "apps/rwkvs/commands.h"
#include "base/error.h"
#include "base/rng.h"
#include "frontends/audio/audio_file.h"
#include "frontends/audio/fbank.h"
#include "frontends/audio/melspec.h"
#include "frontends/audio/mfcc.h"
#include "frontends/audio/online_features.h"
#include "src/core/threads.h"

namespace rwkvs::app {
namespace {

struct FeaturesBenchArgs {
  std::string input;  // an audio file to use instead of the synthetic signal
  double seconds = 600;
  int repeat = 3;
  bool json = false;
};

constexpr double kRate = 16000;

// Speech-like test signal: syllables of voiced harmonics with a gliding pitch and a few formant
// peaks, unvoiced noise bursts, and quiet pauses with a noise floor.
std::vector<float> speech_like_signal(double seconds) {
  const size_t n = static_cast<size_t>(seconds * kRate);
  std::vector<float> x(n);
  Rng rng(12345);
  const double two_pi = 2 * std::numbers::pi;
  size_t i = 0;
  std::vector<double> gains;
  while (i < n) {
    const size_t len = std::min(n - i, static_cast<size_t>((0.08 + 0.25 * rng.uniform()) * kRate));
    const double kind = rng.uniform();
    const double f0 = 90 + 160 * rng.uniform(), glide = (rng.uniform() - 0.5) * 60;
    const double formant1 = 300 + 600 * rng.uniform(), formant2 = 900 + 1500 * rng.uniform();
    const double amp = 0.05 + 0.4 * rng.uniform();
    gains.clear();  // harmonic h: two formant resonances, 1/h roll-off (fixed over the syllable)
    for (int h = 1; h * (f0 + std::fabs(glide)) < 7000; ++h) {
      const double fh = h * f0;
      gains.push_back(
          (1.0 / (1 + std::pow((fh - formant1) / 150, 2)) + 0.5 / (1 + std::pow((fh - formant2) / 250, 2))) /
          h);
    }
    double phase = 0;
    for (size_t j = 0; j < len; ++j, ++i) {
      const double t = static_cast<double>(j) / len, env = std::sin(std::numbers::pi * t);
      double v = 0;
      if (kind < 0.6) {  // voiced: harmonics as powers of one phasor (cheaper than a sin each)
        phase += two_pi * (f0 + glide * t) / kRate;
        const std::complex<double> z = std::polar(1.0, phase);
        std::complex<double> zh = z;
        for (double g : gains) {
          v += g * zh.imag();
          zh *= z;
        }
      } else if (kind < 0.8) {  // unvoiced
        v = 0.3 * rng.normal();
      }
      x[i] = static_cast<float>(amp * env * v + 1e-3 * rng.normal());
    }
  }
  return x;
}

// One frame's samples as the computer's geometry cuts them (snip / center edges handled there).
std::vector<float> frame_samples(const FeatureComputer& c, const std::vector<float>& x, int64_t f) {
  std::vector<float> frame(static_cast<size_t>(c.geometry().length));
  c.geometry().extract(f, x.data(), 0, static_cast<int64_t>(x.size()), static_cast<int64_t>(x.size()),
                       frame.data());
  return frame;
}

// |DFT|^2 by the definition, in double.
std::vector<double> direct_power_spectrum(const std::vector<double>& frame, int n_fft) {
  std::vector<double> p(static_cast<size_t>(n_fft / 2 + 1));
  for (int k = 0; k <= n_fft / 2; ++k) {
    std::complex<double> s = 0;
    for (size_t i = 0; i < frame.size(); ++i)
      s += frame[i] * std::polar(1.0, -2 * std::numbers::pi * static_cast<double>(k * i % n_fft) / n_fft);
    p[static_cast<size_t>(k)] = std::norm(s);
  }
  return p;
}

std::vector<double> apply_bank(const MelBank& bank, const std::vector<double>& power) {
  const std::vector<float> w = bank.dense();
  std::vector<double> e(static_cast<size_t>(bank.num_filters()), 0.0);
  for (int m = 0; m < bank.num_filters(); ++m)
    for (int k = 0; k < bank.num_fft_bins(); ++k)
      e[m] += w[static_cast<size_t>(m) * bank.num_fft_bins() + k] * power[k];
  return e;
}

// Kaldi fbank of one frame (default options: DC removal, preemphasis, povey window, log).
std::vector<double> reference_fbank(const Fbank& fb, std::vector<float> x) {
  const FbankOptions& o = fb.options();
  const size_t L = x.size();
  double mean = 0;
  for (float v : x) mean += v;
  mean /= static_cast<double>(L);
  std::vector<double> d(L), y(L);
  for (size_t i = 0; i < L; ++i) d[i] = x[i] - mean;
  const std::vector<float> w = make_window(o.window_type, static_cast<int>(L), o.blackman_coeff);
  for (size_t i = 0; i < L; ++i) y[i] = (d[i] - o.preemphasis_coefficient * d[i == 0 ? 0 : i - 1]) * w[i];
  std::vector<double> e = apply_bank(fb.mel_bank(), direct_power_spectrum(y, fb.fft_size()));
  for (double& v : e) v = std::log(std::max(v, 1.1920928955078125e-07));
  return e;
}

// torchaudio log-mel of one frame (periodic Hann, ln(x + eps)).
std::vector<double> reference_logmel(const MelSpectrogram& ms, const std::vector<float>& x) {
  const MelSpectrogramOptions& o = ms.options();
  const std::vector<float> w = make_window(WindowType::hann, o.n_fft);  // win_length == n_fft here
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = static_cast<double>(x[i]) * w[i];
  std::vector<double> e = apply_bank(ms.mel_bank(), direct_power_spectrum(y, o.n_fft));
  for (double& v : e) v = std::log(v + o.log_eps);
  return e;
}

struct Config {
  std::string name;
  std::shared_ptr<const FeatureComputer> computer;
  std::function<std::vector<double>(const std::vector<float>&)> reference;  // one frame
};

void run_config(const Config& c, const std::vector<float>& x, const FeaturesBenchArgs& a) {
  const int64_t n = static_cast<int64_t>(x.size());
  FeatureMatrix offline;
  const double t_offline = best_time(a.repeat, [&] { offline = compute_features(*c.computer, x.data(), n); });

  // Streaming in uneven chunks (a fixed cycle of sizes) must reproduce the offline frames exactly.
  const size_t chunks[] = {1600, 160, 1, 4000, 333, 0, 2048};
  std::vector<float> streamed(offline.data.size());
  const double t_stream = best_time(1, [&] {
    OnlineFeatures s(c.computer);
    size_t pos = 0, next = 0, written = 0;
    auto drain = [&] {
      for (int64_t f = s.frames_popped(); f < s.frames_ready(); ++f, written += offline.cols)
        std::copy(s.get_frame(f), s.get_frame(f) + offline.cols,
                  streamed.begin() + static_cast<long>(written));
      s.pop(s.frames_ready() - s.frames_popped());
    };
    while (pos < x.size()) {
      const size_t m = std::min(chunks[next++ % 7], x.size() - pos);
      s.accept_waveform(c.computer->sample_rate(), x.data() + pos, m);
      pos += m;
      drain();
    }
    s.input_finished();
    drain();
    if (s.frames_ready() != offline.rows)
      fail("bench features: streaming made ", s.frames_ready(), " frames, offline ", offline.rows);
  });
  double stream_diff = 0;
  for (size_t i = 0; i < streamed.size(); ++i)
    stream_diff = std::max(stream_diff, static_cast<double>(std::fabs(streamed[i] - offline.data[i])));
  if (stream_diff != 0) fail("bench features: ", c.name, ": streaming differs from offline by ", stream_diff);

  double spot_diff = 0;
  for (int64_t f : {int64_t{0}, offline.rows / 3, offline.rows / 2, offline.rows - 1}) {
    const std::vector<double> want = c.reference(frame_samples(*c.computer, x, f));
    for (size_t j = 0; j < want.size(); ++j)
      spot_diff =
          std::max(spot_diff, std::fabs(offline.row(f)[j] - want[j]) / std::max(1.0, std::fabs(want[j])));
  }
  if (!(spot_diff < 1e-4))
    fail("bench features: ", c.name, ": differs from the direct-DFT reference by ", spot_diff);

  const double frames = static_cast<double>(offline.rows);
  print_result({{"bench", "features"},
                {"config", c.name},
                {"device", cpu_description()},
                {"audio_s", static_cast<double>(n) / c.computer->sample_rate()},
                {"frames", offline.rows},
                {"dims", offline.cols},
                {"offline_s", t_offline},
                {"frames_per_s", frames / t_offline},
                {"stream_s", t_stream},
                {"stream_frames_per_s", frames / t_stream},
                {"max_diff_stream_vs_offline", stream_diff},
                {"max_rel_diff_vs_direct_dft", spot_diff}},
               a.json);
}

void run_bench_features(const FeaturesBenchArgs& a) {
  if (!(a.seconds >= 1)) fail_usage("--seconds must be at least 1, got ", a.seconds);
  set_num_threads(1);  // the frontends are single-threaded per stream; report it that way
  double rate = kRate;
  std::vector<float> x;
  if (a.input.empty()) {
    x = speech_like_signal(a.seconds);
  } else {
    Audio audio = read_audio_file(a.input);
    rate = audio.sample_rate;
    x = std::move(audio.samples);
  }

  FbankOptions fo;
  fo.sample_rate = rate;
  fo.num_mel_bins = 80;
  auto fbank = std::make_shared<Fbank>(fo);
  MelSpectrogramOptions mo;  // 400/160, 80 mels, center, reflect, ln(x + 1e-6)
  mo.sample_rate = rate;
  auto mel = std::make_shared<MelSpectrogram>(mo);
  MfccOptions co;
  co.mel = mo;
  auto mfcc = std::make_shared<Mfcc>(co);
  const std::vector<float> dct = dct_ii_ortho(co.num_ceps, mo.n_mels);

  const std::vector<Config> configs = {
      {"fbank80 (Kaldi, 25/10 ms, povey)", fbank,
       [&](const std::vector<float>& f) { return reference_fbank(*fbank, f); }},
      {"logmel80 (torchaudio, 400/160, center)", mel,
       [&](const std::vector<float>& f) { return reference_logmel(*mel, f); }},
      {"mfcc13 (DCT of logmel80)", mfcc, [&](const std::vector<float>& f) {
         const std::vector<double> lm = reference_logmel(*mel, f);
         std::vector<double> c(static_cast<size_t>(co.num_ceps), 0.0);
         for (int k = 0; k < co.num_ceps; ++k)
           for (int i = 0; i < mo.n_mels; ++i) c[k] += dct[static_cast<size_t>(k) * mo.n_mels + i] * lm[i];
         return c;
       }}};
  for (const Config& c : configs) run_config(c, x, a);
}

}  // namespace

void add_bench_features(CLI::App& bench) {
  auto a = std::make_shared<FeaturesBenchArgs>();
  CLI::App* cmd = bench.add_subcommand(
      "features", "Audio frontends: single-thread frames/s of fbank, log-mel and MFCC on speech-like audio");
  cmd->add_option("--seconds", a->seconds, "Seconds of synthetic speech-like 16 kHz audio")
      ->capture_default_str();
  cmd->add_option("--input", a->input, "Time this audio file instead (any format libsndfile reads)");
  cmd->add_option("--repeat", a->repeat, "Timed repetitions of the offline pass (best is reported)")
      ->capture_default_str();
  cmd->add_flag("--json", a->json, "Print one JSON object per configuration");
  cmd->callback([a] { run_bench_features(*a); });
}

}  // namespace rwkvs::app
