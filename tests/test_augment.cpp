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
