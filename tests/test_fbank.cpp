// Kaldi fbank: parity with torchaudio.compliance.kaldi.fbank (committed goldens at 8, 16, 22.05,
// 44.1 kHz and 44.1 -> 16 kHz, default and non-default options), frame counts, windows, the mel
// bank, option errors, dither and the int16 scale.
#include <cmath>
#include <numbers>

#include "base/error.h"
#include "frontends/audio/fbank.h"
#include "tests/frontend_goldens.h"

using namespace rwkvs;
using rwkvs::test::Golden;

TEST_CASE("fbank matches torchaudio kaldi.fbank on every golden (1e-3 on log-fbank)") {
  for (const Golden& g : test::load_goldens("fbank")) test::check_golden(g);
}

TEST_CASE("frame counts follow Kaldi: snip_edges true and false") {
  FbankOptions o;
  Fbank snip(o);
  CHECK(snip.geometry().length == 400);
  CHECK(snip.geometry().shift == 160);
  CHECK(snip.fft_size() == 512);
  CHECK(snip.geometry().num_frames(80123) == 499);
  CHECK(snip.geometry().num_frames(9600000) == 59998);
  CHECK(snip.geometry().num_frames(399) == 0);
  CHECK(snip.geometry().num_frames(400) == 1);
  o.snip_edges = false;
  Fbank mirror(o);
  CHECK(mirror.geometry().num_frames(80123) == 501);  // round(n / shift)
  CHECK(mirror.geometry().num_frames(79) == 0);
  CHECK(mirror.geometry().num_frames(80) == 1);
  CHECK(mirror.geometry().start(0) == -120);
  // 22.05 kHz: int(22050 * 25 * 0.001) = 551, shift 220, FFT 1024
  o.sample_rate = 22050;
  Fbank f22(o);
  CHECK(f22.geometry().length == 551);
  CHECK(f22.geometry().shift == 220);
  CHECK(f22.fft_size() == 1024);
  o.round_to_power_of_two = false;
  CHECK_THROWS_WITH_AS(Fbank{o}, doctest::Contains("must be even"), Error);  // 551 (torchaudio asserts too)
  o.sample_rate = 16000;
  CHECK(Fbank(o).fft_size() == 400);
}

TEST_CASE("snip_edges=false mirrors the edges with the edge sample repeated") {
  FbankOptions o;
  o.snip_edges = false;
  o.num_mel_bins = 10;
  Fbank f(o);
  std::vector<float> x(1000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  std::vector<float> frame(400);
  f.geometry().extract(0, x.data(), 0, 1000, 1000, frame.data());
  CHECK(frame[0] == 119.0f);  // index -120 -> 119
  CHECK(frame[119] == 0.0f);  // index -1 -> 0
  CHECK(frame[120] == 0.0f);
  CHECK(frame[121] == 1.0f);
  const int64_t last = f.geometry().num_frames(1000) - 1;  // 5: starts at 680, reads 680..1079
  CHECK(last == 5);
  f.geometry().extract(last, x.data(), 0, 1000, 1000, frame.data());
  CHECK(frame[319] == 999.0f);  // index 999
  CHECK(frame[320] == 999.0f);  // index 1000 -> 999
  CHECK(frame[321] == 998.0f);
}

TEST_CASE("windows follow their formulas") {
  const int L = 400;
  const auto povey = make_window(WindowType::povey, L);
  const auto hanning = make_window(WindowType::hanning, L);
  const auto hann = make_window(WindowType::hann, L);
  const auto hamming = make_window(WindowType::hamming, L);
  const auto blackman = make_window(WindowType::blackman, L);
  const auto rect = make_window(WindowType::rectangular, L);
  CHECK(povey[0] == 0.0f);
  CHECK(povey[L - 1] == doctest::Approx(0.0).epsilon(1e-6));
  CHECK(hanning[0] == 0.0f);
  CHECK(hann[0] == 0.0f);
  CHECK(hann[L / 2] == doctest::Approx(1.0));  // periodic: the peak sits at L/2
  CHECK(hann[L - 1] > 0.0f);
  CHECK(hamming[0] == doctest::Approx(0.08));
  CHECK(blackman[0] == doctest::Approx(0.0).epsilon(1e-6));
  CHECK(rect[123] == 1.0f);
  for (int n : {1, 57, 200, 311}) {
    const double h = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * n / (L - 1));
    CHECK(povey[n] == doctest::Approx(std::pow(h, 0.85)).epsilon(1e-6));
    CHECK(hanning[n] == doctest::Approx(h).epsilon(1e-6));
  }
  CHECK_THROWS_WITH_AS(parse_window_type("kaiser"), doctest::Contains("povey|hann"), Error);
}

TEST_CASE("Kaldi mel bank: triangles peak at 1, skip the Nyquist bin, and an empty filter is an error") {
  const MelBank bank = kaldi_mel_bank(80, 512, 16000, 20, 0);
  CHECK(bank.num_filters() == 80);
  CHECK(bank.num_fft_bins() == 257);
  const std::vector<float> w = bank.dense();
  for (int m = 0; m < 80; ++m) {
    float peak = 0;
    for (int k = 0; k < 257; ++k) peak = std::max(peak, w[static_cast<size_t>(m) * 257 + k]);
    CHECK(peak <= 1.0f);
    CHECK(peak > 0.0f);
    CHECK(w[static_cast<size_t>(m) * 257 + 256] == 0.0f);
  }
  // 128 bins at 16 kHz with a 512-point FFT: filter 3 falls between two FFT bins.
  CHECK_THROWS_WITH_AS(kaldi_mel_bank(128, 512, 16000, 20, 0),
                       doctest::Contains("mel filter 3 of 128 is empty: with num_mel_bins=128"), Error);
  FbankOptions o;
  o.num_mel_bins = 128;
  CHECK_THROWS_AS(Fbank{o}, Error);
}

TEST_CASE("mel range errors name the option and the sample rate") {
  FbankOptions o;
  o.sample_rate = 8000;
  o.high_freq = 7600;
  CHECK_THROWS_WITH_AS(Fbank{o},
                       doctest::Contains("high_freq 7600 Hz is above the Nyquist frequency 4000 Hz"), Error);
  o.high_freq = -3990;  // Nyquist - 3990 = 10 Hz < low_freq 20
  CHECK_THROWS_WITH_AS(Fbank{o}, doctest::Contains("bad mel range"), Error);
  o.high_freq = -400;  // 3600 Hz: fine
  o.num_mel_bins = 23;
  CHECK_NOTHROW(Fbank{o});
  o.num_mel_bins = 2;
  CHECK_THROWS_WITH_AS(Fbank{o}, doctest::Contains("num_mel_bins"), Error);
  FbankOptions p;
  p.frame_length_ms = 0.01;
  CHECK_THROWS_WITH_AS(Fbank{p}, doctest::Contains("frame_length"), Error);
  p = FbankOptions{};
  p.preemphasis_coefficient = 1.5;
  CHECK_THROWS_WITH_AS(Fbank{p}, doctest::Contains("preemphasis_coefficient"), Error);
}

namespace {
std::vector<float> tone(size_t n, double hz, double rate, double amp) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(amp * std::sin(2 * std::numbers::pi * hz * i / rate));
  return x;
}
}  // namespace

TEST_CASE("a tone lights up the mel bin that covers its frequency") {
  FbankOptions o;
  o.num_mel_bins = 40;
  Fbank f(o);
  const auto x = tone(16000, 1000, 16000, 0.5);
  const FeatureMatrix m = compute_features(f, x.data(), 16000);
  const float* r = m.row(50);
  const int best = static_cast<int>(std::max_element(r, r + 40) - r);
  // centre of bin m: mel_lo + (m+1) delta, with mel = 1127 ln(1 + f/700)
  const double lo = 1127 * std::log(1 + 20.0 / 700), hi = 1127 * std::log(1 + 8000.0 / 700);
  const double center = 700 * (std::exp((lo + (best + 1) * (hi - lo) / 41) / 1127) - 1);
  CHECK(std::fabs(center - 1000) < 80);
}

TEST_CASE("int16 scale shifts log-fbank by 2 ln 32768 and the log energy likewise") {
  FbankOptions o;
  o.num_mel_bins = 23;
  o.use_energy = true;
  const auto x = tone(8000, 440, 16000, 0.3);
  const FeatureMatrix a = compute_features(Fbank(o), x.data(), 8000);
  o.int16_scale = true;
  const FeatureMatrix b = compute_features(Fbank(o), x.data(), 8000);
  const double shift = 2 * std::log(32768.0);
  for (int64_t c = 0; c < a.cols; ++c)
    if (a.row(10)[c] > -10) CHECK(b.row(10)[c] - a.row(10)[c] == doctest::Approx(shift).epsilon(1e-4));
}

TEST_CASE("dither: Gaussian of the given size, fixed by the seed and the frame index") {
  FbankOptions o;
  o.num_mel_bins = 23;
  o.dither = 0.01;
  o.use_energy = true;  // raw energy of pure dither (no DC removal): log(L * dither^2) on average
  o.remove_dc_offset = false;
  o.dither_seed = 7;
  const std::vector<float> silence(16000, 0.0f);
  const FeatureMatrix a = compute_features(Fbank(o), silence.data(), 16000);
  const FeatureMatrix a2 = compute_features(Fbank(o), silence.data(), 16000);
  CHECK(a.data == a2.data);
  double mean_energy = 0;
  for (int64_t t = 0; t < a.rows; ++t) mean_energy += std::exp(a.row(t)[0]);
  mean_energy /= static_cast<double>(a.rows);
  CHECK(mean_energy == doctest::Approx(400 * 0.01 * 0.01).epsilon(0.03));
  CHECK(a.row(3)[5] != a.row(4)[5]);  // each frame gets its own noise
  o.dither_seed = 8;
  const FeatureMatrix b = compute_features(Fbank(o), silence.data(), 16000);
  CHECK(a.data != b.data);
}

TEST_CASE("energy floor and log floor") {
  FbankOptions o;
  o.num_mel_bins = 23;
  o.use_energy = true;
  const std::vector<float> silence(4000, 0.0f);
  FeatureMatrix m = compute_features(Fbank(o), silence.data(), 4000);
  for (float v : m.data) CHECK(v == doctest::Approx(std::log(1.1920928955078125e-07)));
  o.energy_floor = 2.0;
  m = compute_features(Fbank(o), silence.data(), 4000);
  CHECK(m.row(0)[0] == doctest::Approx(std::log(2.0)));
  CHECK(m.row(0)[1] == doctest::Approx(std::log(1.1920928955078125e-07)));
}
