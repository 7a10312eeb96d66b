// Augmentation helpers for keyword spotting: where speech ends in a clip, and the tail cut that
// teaches last-frame pooling to answer soon after a word.
#include <cmath>
#include <vector>

#include "base/rng.h"
#include "src/train/augment.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {

constexpr double kRate = 16000;

// Silence, a 440 Hz tone from begin_s to end_s at amplitude 0.5, a quiet floor elsewhere.
std::vector<float> burst(double total_s, double begin_s, double end_s, float floor = 0.0f) {
  std::vector<float> x(static_cast<size_t>(total_s * kRate), floor);
  for (size_t i = static_cast<size_t>(begin_s * kRate); i < static_cast<size_t>(end_s * kRate); ++i)
    x[i] = 0.5f * static_cast<float>(std::sin(2 * M_PI * 440 * static_cast<double>(i) / kRate));
  return x;
}

}  // namespace

TEST_CASE("speech_end_s: the end of the last 10 ms frame within 30 dB of the loudest") {
  CHECK(speech_end_s(burst(1.0, 0.2, 0.55), kRate) == doctest::Approx(0.55));
  // A floor 40 dB under the tone's RMS (0.354) is not speech; one 20 dB under is.
  CHECK(speech_end_s(burst(1.0, 0.2, 0.55, 0.00354f), kRate) == doctest::Approx(0.55));
  CHECK(speech_end_s(burst(1.0, 0.2, 0.55, 0.0354f), kRate) == doctest::Approx(1.0));
  CHECK(speech_end_s(std::vector<float>(16000, 0.0f), kRate) == 0.0);
  CHECK(speech_end_s({}, kRate) == 0.0);
  // A partial last frame counts up to the clip's end.
  CHECK(speech_end_s(burst(0.505, 0.1, 0.505), kRate) == doctest::Approx(0.505));
}

TEST_CASE("trim_tail keeps the speech and a tail in [min, max]; silence and short clips stay") {
  Rng rng(3);
  double shortest = 1e9, longest = 0;
  for (int i = 0; i < 200; ++i) {
    std::vector<float> x = burst(1.0, 0.2, 0.55);
    trim_tail(x, kRate, 0.1, 0.3, rng);
    const double kept = static_cast<double>(x.size()) / kRate;
    shortest = std::min(shortest, kept);
    longest = std::max(longest, kept);
    REQUIRE(x.size() <= 16000);
  }
  CHECK(shortest >= 0.65 - 1e-9);
  CHECK(longest <= 0.85 + 1e-9);
  CHECK(longest - shortest > 0.15);  // the cut point is drawn, not fixed

  std::vector<float> silent(16000, 0.0f);
  trim_tail(silent, kRate, 0.1, 0.3, rng);
  CHECK(silent.size() == 16000);
  std::vector<float> late = burst(1.0, 0.5, 0.95);  // speech to 0.95 s: a cut past the end keeps all
  trim_tail(late, kRate, 0.1, 0.3, rng);
  CHECK(late.size() == 16000);
}

namespace {

// Only the stages a test names: everything else off.
AugmentOptions only(void (*set)(AugmentOptions&)) {
  AugmentOptions o;
  o.shift_s = 0, o.gain_db = 0, o.noise_prob = 0, o.speed_factors = {1.0}, o.reverb.prob = 0, o.telephone.prob = 0;
  set(o);
  return o;
}

double energy(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += double(v) * v;
  return s;
}

double rms_db(const std::vector<float>& x) { return 10 * std::log10(energy(x) / double(x.size())); }

}  // namespace

TEST_CASE("mix_noise: the SNR measured against the clean clip is the one asked for") {
  Rng rng(1);
  // A noise recording loud in its first half and quiet in its second: the segment's own level
  // counts, not the recording's.
  std::vector<float> noise(24000);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<float>((i < 12000 ? 0.2 : 0.01) * rng.normal());
  const std::vector<float> clean = burst(0.5, 0.1, 0.4);
  for (const double snr : {-5.0, 0.0, 7.5, 20.0})
    for (const size_t start : {size_t(0), size_t(11000), size_t(20000)}) {  // 20000: wraps around
      std::vector<float> y = clean;
      mix_noise(y, noise, snr, start);
      std::vector<float> added(y.size());
      for (size_t i = 0; i < y.size(); ++i) added[i] = y[i] - clean[i];
      CHECK(10 * std::log10(energy(clean) / energy(added)) == doctest::Approx(snr).epsilon(1e-4));
    }
  std::vector<float> silent(100, 0.0f);
  mix_noise(silent, noise, 0, 0);
  CHECK(silent == std::vector<float>(100, 0.0f));
}

TEST_CASE("augment_clip noise: the measured SNR equals the drawn one; every file of the pool is drawn") {
  Rng data(2);
  std::vector<std::vector<float>> noises;
  for (size_t len : {3000, 16000, 40000, 5000, 9000}) {
    std::vector<float> n(len);
    for (float& v : n) v = static_cast<float>(0.05 * data.normal());
    noises.push_back(std::move(n));
  }
  const AugmentOptions o = only([](AugmentOptions& a) {
    a.noise_prob = 1.0;
    a.snr_db_min = 0;
    a.snr_db_max = 20;
  });
  const std::vector<float> clean = burst(1.0, 0.2, 0.7);  // peak 0.5: no clipping at >= 0 dB SNR of this noise
  Rng rng(3);
  std::vector<int> drawn(noises.size(), 0);
  double lo = 1e9, hi = -1e9, sum = 0;
  const int draws = 2500;
  for (int i = 0; i < draws; ++i) {
    std::vector<float> y = clean;
    AugmentRecord r;
    augment_clip(y, noises, o, kRate, rng, &r);
    REQUIRE(r.noise >= 0);
    ++drawn[static_cast<size_t>(r.noise)];
    std::vector<float> added(y.size());
    for (size_t k = 0; k < y.size(); ++k) added[k] = y[k] - clean[k];
    const double measured = 10 * std::log10(energy(clean) / energy(added));
    if (std::abs(measured - r.snr_db) > 0.1) REQUIRE(measured == doctest::Approx(r.snr_db));
    lo = std::min(lo, measured), hi = std::max(hi, measured), sum += measured;
  }
  CHECK(lo < 0.5);
  CHECK(hi > 19.5);
  CHECK(sum / draws == doctest::Approx(10).epsilon(0.05));
  for (int c : drawn) CHECK(c == doctest::Approx(double(draws) / double(noises.size())).epsilon(0.15));

  AugmentOptions half = o;
  half.noise_prob = 0.3;
  int mixed = 0;
  for (int i = 0; i < 2000; ++i) {
    std::vector<float> y = clean;
    AugmentRecord r;
    augment_clip(y, noises, half, kRate, rng, &r);
    mixed += r.noise >= 0;
    if (r.noise < 0) REQUIRE(y == clean);
  }
  CHECK(mixed / 2000.0 == doctest::Approx(0.3).epsilon(0.1));
}

TEST_CASE("augment_clip gain: the level changes by a gain uniform in [-gain_db, +gain_db]") {
  const AugmentOptions o = only([](AugmentOptions& a) { a.gain_db = 6.0; });
  const std::vector<float> clean = burst(0.5, 0.1, 0.4);  // peak 0.5: +6 dB stays below 1
  Rng rng(4);
  std::vector<double> change;
  for (int i = 0; i < 4000; ++i) {
    std::vector<float> y = clean;
    augment_clip(y, {}, o, kRate, rng);
    change.push_back(rms_db(y) - rms_db(clean));
  }
  double mean = 0, var = 0, lo = 1e9, hi = -1e9;
  int below_minus3 = 0;
  for (double c : change) mean += c, lo = std::min(lo, c), hi = std::max(hi, c), below_minus3 += c < -3;
  mean /= double(change.size());
  for (double c : change) var += (c - mean) * (c - mean);
  var /= double(change.size());
  CHECK(lo >= -6.0 - 1e-4);
  CHECK(hi <= 6.0 + 1e-4);
  CHECK(lo < -5.9);
  CHECK(hi > 5.9);
  CHECK(std::abs(mean) < 0.2);                                         // standard error 0.055 dB
  CHECK(std::sqrt(var) == doctest::Approx(6.0 / std::sqrt(3.0)).epsilon(0.04));  // uniform's deviation
  CHECK(below_minus3 / 4000.0 == doctest::Approx(0.25).epsilon(0.1));  // a quarter of the range
}

TEST_CASE("augment_clip: every stage on is reproducible for a seed, keeps [-1, 1] and draws each stage") {
  AugmentOptions o;
  o.reverb.prob = 0.5, o.telephone.prob = 0.5;
  std::vector<std::vector<float>> noises(2, std::vector<float>(8000));
  Rng data(5);
  for (auto& n : noises)
    for (float& v : n) v = static_cast<float>(0.3 * data.normal());
  const std::vector<float> clean = burst(1.0, 0.2, 0.7);
  Rng a(9), b(9), c(10);
  int reverb = 0, telephone = 0, noise = 0;
  bool differs = false;
  for (int i = 0; i < 60; ++i) {
    std::vector<float> x = clean, y = clean, z = clean;
    AugmentRecord r;
    augment_clip(x, noises, o, kRate, a, &r);
    augment_clip(y, noises, o, kRate, b);
    augment_clip(z, noises, o, kRate, c);
    REQUIRE(x == y);
    differs = differs || x != z;
    for (float v : x) REQUIRE(std::abs(v) <= 1.0f);
    REQUIRE(x.size() == static_cast<size_t>(std::lround(16000 / r.speed)));
    reverb += r.reverb, telephone += r.telephone, noise += r.noise >= 0;
  }
  CHECK(differs);
  CHECK(reverb > 15);
  CHECK(reverb < 45);
  CHECK(telephone > 15);
  CHECK(telephone < 45);
  CHECK(noise > 35);
  CHECK(a.state() == b.state());
}

TEST_CASE("validate_augment_options names the flag") {
  auto error = [](void (*change)(AugmentOptions&)) {
    AugmentOptions o;
    change(o);
    return test::error_of([&] { validate_augment_options(o); });
  };
  CHECK(error([](AugmentOptions&) {}).empty());
  CHECK(error([](AugmentOptions& o) { o.noise_prob = 2; }).find("--noise-prob") != std::string::npos);
  CHECK(error([](AugmentOptions& o) { o.snr_db_min = 30; }).find("--snr-min") != std::string::npos);
  CHECK(error([](AugmentOptions& o) { o.tail_min_s = 1; }).find("--tail-min-s") != std::string::npos);
  CHECK(error([](AugmentOptions& o) { o.speed_factors = {5}; }).find("--speed-factors") != std::string::npos);
  CHECK(error([](AugmentOptions& o) { o.reverb.rt60_max_s = 9; }).find("--reverb-rt60") != std::string::npos);
  CHECK(error([](AugmentOptions& o) { o.telephone.prob = 3; }).find("--telephone-prob") != std::string::npos);
  CHECK(error([](AugmentOptions& o) { o.spec.freq_width = -1; }).find("--spec-freq-width") != std::string::npos);
}
