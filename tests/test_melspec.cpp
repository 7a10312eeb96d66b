// torchaudio-style log-mel: parity with MelSpectrogram + log (committed goldens: htk/slaney scale,
// slaney norm, center on/off, reflect/replicate/constant padding, ln/dB, power 1/2, several
// rates), frame counts, the mel bank, the log kinds and option errors.
#include <cmath>
#include <numbers>

#include "base/error.h"
#include "frontends/audio/melspec.h"
#include "frontends/audio/window.h"
#include "tests/frontend_goldens.h"

using namespace rwkvs;

TEST_CASE("log-mel matches torchaudio MelSpectrogram + log on every golden (1e-4 rel or abs)") {
  for (const test::Golden& g : test::load_goldens("mel")) test::check_golden(g);
}

TEST_CASE("the Hann window is torch.hann_window's float32 values, not the exactly rounded ones") {
  for (int n : {256, 400, 551}) {
    INFO("length " << n);
    const std::vector<float> torch = test::read_f32_file(test::goldens_dir() + "/hann" + std::to_string(n) + ".f32");
    const std::vector<float> ours = torch_hann_window(n);
    REQUIRE(ours.size() == torch.size());
    int differ = 0, differ_exact = 0;
    for (int i = 0; i < n; ++i) {
      const float exact = static_cast<float>(0.5 - 0.5 * std::cos(2 * std::numbers::pi * i / n));
      differ_exact += exact != torch[i];
      if (ours[i] == torch[i]) continue;
      ++differ;  // torch's vectorised float cos is within 1 ulp, not always correctly rounded
      CHECK(std::fabs(ours[i] - torch[i]) <= 6e-8f);
    }
    CHECK(differ * 20 <= n);            // measured: 10-15 of 256-551 entries
    CHECK(differ_exact * 2 >= n);       // the exact window misses most of them: the test has teeth
  }
}

TEST_CASE("frame counts: center pads n_fft/2 on both sides, center=false fits frames") {
  MelSpectrogramOptions o;
  MelSpectrogram centred(o);
  CHECK(centred.geometry().num_frames(80123) == 501);
  CHECK(centred.geometry().num_frames(9600000) == 60001);
  CHECK(centred.geometry().start(0) == -200);
  o.center = false;
  MelSpectrogram fit(o);
  CHECK(fit.geometry().num_frames(80123) == 1 + (80123 - 400) / 160);
  CHECK(fit.geometry().num_frames(399) == 0);
}

TEST_CASE("reflect padding mirrors without repeating the edge; constant pads zeros") {
  MelSpectrogramOptions o;
  o.n_fft = 8;
  o.hop_length = 4;
  o.n_mels = 2;
  std::vector<float> x(10);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i + 1);
  std::vector<float> frame(8);
  MelSpectrogram reflect(o);
  reflect.geometry().extract(0, x.data(), 0, 10, 10, frame.data());  // indices -4..3
  CHECK(frame == std::vector<float>{5, 4, 3, 2, 1, 2, 3, 4});
  reflect.geometry().extract(3, x.data(), 0, 10, 10, frame.data());  // indices 8..15
  CHECK(frame == std::vector<float>{9, 10, 9, 8, 7, 6, 5, 4});
  o.pad_mode = EdgeMode::constant;
  MelSpectrogram zeros(o);
  zeros.geometry().extract(0, x.data(), 0, 10, 10, frame.data());
  CHECK(frame == std::vector<float>{0, 0, 0, 0, 1, 2, 3, 4});
  o.pad_mode = EdgeMode::replicate;
  MelSpectrogram edge(o);
  edge.geometry().extract(3, x.data(), 0, 10, 10, frame.data());
  CHECK(frame == std::vector<float>{9, 10, 10, 10, 10, 10, 10, 10});
  // torch refuses reflect padding as long as the signal: so do we, with a hint.
  CHECK_THROWS_WITH_AS(reflect.geometry().num_frames(4), doctest::Contains("too short for reflect padding"),
                       Error);
}

TEST_CASE("torchaudio mel bank: htk and slaney scales, slaney area norm") {
  CHECK(hz_to_mel(1000, MelScale::slaney) == doctest::Approx(15.0));
  CHECK(hz_to_mel(500, MelScale::slaney) == doctest::Approx(7.5));
  CHECK(mel_to_hz(hz_to_mel(3456, MelScale::slaney), MelScale::slaney) == doctest::Approx(3456));
  CHECK(hz_to_mel(700, MelScale::htk) == doctest::Approx(2595 * std::log10(2.0)));
  const MelBank peak1 = torchaudio_mel_bank(40, 512, 16000, 0, 8000, MelScale::htk, MelNorm::none);
  CHECK(peak1.num_fft_bins() == 257);
  const MelBank area = torchaudio_mel_bank(40, 512, 16000, 0, 8000, MelScale::slaney, MelNorm::slaney);
  const std::vector<float> w = area.dense();
  // Slaney-normalised triangles have unit area in Hz: sum of weights * bin width ~ 1.
  for (int m = 5; m < 40; m += 7) {
    double sum = 0;
    for (int k = 0; k < 257; ++k) sum += w[static_cast<size_t>(m) * 257 + k];
    CHECK(sum * 16000.0 / 512 == doctest::Approx(1.0).epsilon(0.03));
  }
  CHECK_THROWS_WITH_AS(torchaudio_mel_bank(128, 256, 16000, 0, 8000, MelScale::htk, MelNorm::none),
                       doctest::Contains("is empty: with n_mels=128"), Error);
}

TEST_CASE("sample rate too low for the mel range, and other option errors") {
  MelSpectrogramOptions o;
  o.sample_rate = 8000;
  o.f_max = 7600;
  CHECK_THROWS_WITH_AS(MelSpectrogram{o},
                       doctest::Contains("f_max 7600 Hz is above the Nyquist frequency 4000 Hz"), Error);
  o = MelSpectrogramOptions{};
  o.win_length = 500;
  CHECK_THROWS_WITH_AS(MelSpectrogram{o}, doctest::Contains("win_length"), Error);
  o = MelSpectrogramOptions{};
  o.hop_length = 0;
  CHECK_THROWS_WITH_AS(MelSpectrogram{o}, doctest::Contains("hop_length"), Error);
  o = MelSpectrogramOptions{};
  o.f_max = -100;  // floor(sr/2) - 100
  CHECK(MelSpectrogram(o).options().f_max == 7900);
  CHECK_THROWS_WITH_AS(parse_log_kind("log2"), doctest::Contains("ln|db|none"), Error);
}

TEST_CASE("ln, dB and no log agree") {
  std::vector<float> x(4000);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(0.4 * std::sin(0.07 * i) + 0.1 * std::sin(0.9 * i));
  MelSpectrogramOptions o;
  o.log = LogKind::none;
  const FeatureMatrix lin = compute_features(MelSpectrogram(o), x.data(), 4000);
  o.log = LogKind::ln;
  o.log_eps = 1e-30;
  const FeatureMatrix ln = compute_features(MelSpectrogram(o), x.data(), 4000);
  o.log = LogKind::db;
  const FeatureMatrix db = compute_features(MelSpectrogram(o), x.data(), 4000);
  for (size_t i = 0; i < lin.data.size(); ++i) {
    if (lin.data[i] < 1e-8) continue;
    CHECK(ln.data[i] == doctest::Approx(std::log(lin.data[i])).epsilon(1e-5));
    CHECK(db.data[i] == doctest::Approx(10 * std::log10(lin.data[i])).epsilon(1e-5));
  }
}

TEST_CASE("a tone's energy lands in the mel bin around its frequency") {
  std::vector<float> x(16000);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 2000 * i / 16000.0));
  MelSpectrogramOptions o;
  o.n_mels = 40;
  const MelSpectrogram ms(o);
  const FeatureMatrix m = compute_features(ms, x.data(), 16000);
  const float* r = m.row(40);
  const int best = static_cast<int>(std::max_element(r, r + 40) - r);
  const double lo = hz_to_mel(0, MelScale::htk), hi = hz_to_mel(8000, MelScale::htk);
  CHECK(std::fabs(mel_to_hz(lo + (best + 1) * (hi - lo) / 41, MelScale::htk) - 2000) < 150);
}
