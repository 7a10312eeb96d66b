// MFCC: parity with the oracle's DCT of torchaudio log-mel and with torchaudio kaldi.mfcc (lifter,
// energy in c0); the DCT is orthonormal; lifter and option errors.
#include <cmath>
#include <numbers>

#include "base/error.h"
#include "frontends/audio/mfcc.h"
#include "tests/frontend_goldens.h"

using namespace rwkvs;

TEST_CASE("MFCC matches the oracle on every golden (mel base and Kaldi fbank base)") {
  for (const test::Golden& g : test::load_goldens("mfcc")) test::check_golden(g);
}

TEST_CASE("the DCT-II is orthonormal") {
  const int n = 23;
  const std::vector<float> d = dct_ii_ortho(n, n);
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) {
      double dot = 0;
      for (int i = 0; i < n; ++i) dot += double(d[a * n + i]) * d[b * n + i];
      CHECK(dot == doctest::Approx(a == b ? 1.0 : 0.0).epsilon(1e-6));
    }
  CHECK(d[0] == doctest::Approx(std::sqrt(1.0 / n)));
  CHECK(d[n + 0] == doctest::Approx(std::sqrt(2.0 / n) * std::cos(std::numbers::pi / n * 0.5)));
}

namespace {
std::vector<float> chirp(size_t n) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<float>(0.3 * std::sin(1e-5 * i * i + 0.01 * i));
  return x;
}
}  // namespace

TEST_CASE("MFCC is the DCT of the log-mel; the lifter scales c[k] by 1 + L/2 sin(pi k / L)") {
  const auto x = chirp(8000);
  MfccOptions o;
  o.num_ceps = 13;
  const FeatureMatrix plain = compute_features(Mfcc(o), x.data(), 8000);
  const FeatureMatrix logmel = compute_features(MelSpectrogram(o.mel), x.data(), 8000);
  const std::vector<float> d = dct_ii_ortho(13, 80);
  for (int64_t t : {0, 20, 49})
    for (int k = 0; k < 13; ++k) {
      double c = 0;
      for (int i = 0; i < 80; ++i) c += double(d[k * 80 + i]) * logmel.row(t)[i];
      CHECK(plain.row(t)[k] == doctest::Approx(c).epsilon(1e-5));
    }
  o.cepstral_lifter = 22;
  const FeatureMatrix lift = compute_features(Mfcc(o), x.data(), 8000);
  for (int k = 0; k < 13; ++k)
    CHECK(lift.row(7)[k] ==
          doctest::Approx(plain.row(7)[k] * (1 + 11 * std::sin(std::numbers::pi * k / 22))));
}

TEST_CASE("Kaldi MFCC with use_energy puts the fbank log energy in c0") {
  const auto x = chirp(8000);
  MfccOptions o;
  o.base = MfccBase::fbank;
  o.fbank.num_mel_bins = 23;
  o.fbank.use_energy = true;
  o.cepstral_lifter = 22;
  const FeatureMatrix m = compute_features(Mfcc(o), x.data(), 8000);
  const FeatureMatrix f = compute_features(Fbank(o.fbank), x.data(), 8000);
  REQUIRE(m.rows == f.rows);
  for (int64_t t = 0; t < m.rows; ++t) CHECK(m.row(t)[0] == f.row(t)[0]);
}

TEST_CASE("MFCC option errors") {
  MfccOptions o;
  o.num_ceps = 81;
  CHECK_THROWS_WITH_AS(Mfcc{o}, doctest::Contains("num_ceps must be in [1, 80]"), Error);
  o.num_ceps = 13;
  o.mel.log = LogKind::none;
  CHECK_THROWS_WITH_AS(Mfcc{o}, doctest::Contains("needs a log"), Error);
  o = MfccOptions{};
  o.cepstral_lifter = -1;
  CHECK_THROWS_AS(Mfcc{o}, Error);
  CHECK_THROWS_WITH_AS(parse_mfcc_base("lpc"), doctest::Contains("mel|fbank"), Error);
}
