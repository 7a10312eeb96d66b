// Speed perturbation: a sine of frequency f comes out at f * factor, n samples become n / factor,
// the level is kept, and augment_clip draws every listed factor.
#include <cmath>
#include <map>
#include <numbers>
#include <vector>

#include "base/rng.h"
#include "src/train/augment.h"
#include "src/train/speed_perturb.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {

constexpr double kRate = 16000;

std::vector<float> sine(size_t n, double hz) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * hz * double(i) / kRate));
  return x;
}

// Frequency from the zero crossings (linearly interpolated) of the middle 80% of x.
double zero_crossing_hz(const std::vector<float>& x) {
  const size_t begin = x.size() / 10, end = x.size() - x.size() / 10;
  double first = -1, last = -1;
  int crossings = 0;
  for (size_t i = begin; i + 1 < end; ++i)
    if ((x[i] < 0) != (x[i + 1] < 0)) {
      const double t = double(i) + x[i] / (x[i] - x[i + 1]);
      if (first < 0) first = t;
      last = t;
      ++crossings;
    }
  return (crossings - 1) / 2.0 / ((last - first) / kRate);
}

double rms(const std::vector<float>& x, size_t begin, size_t end) {
  double s = 0;
  for (size_t i = begin; i < end; ++i) s += double(x[i]) * x[i];
  return std::sqrt(s / double(end - begin));
}

}  // namespace

TEST_CASE("change_speed: frequency times the factor, length over it, level kept") {
  const std::vector<float> x = sine(16000, 1000);
  CHECK(zero_crossing_hz(x) == doctest::Approx(1000).epsilon(1e-4));
  for (const double factor : {0.5, 0.9, 1.1, 1.37, 2.0}) {
    CAPTURE(factor);
    const std::vector<float> y = change_speed(x, factor, kRate);
    CHECK(y.size() == static_cast<size_t>(std::lround(16000 / factor)));
    CHECK(zero_crossing_hz(y) == doctest::Approx(1000 * factor).epsilon(1e-3));
    CHECK(rms(y, y.size() / 10, y.size() - y.size() / 10) == doctest::Approx(0.5 / std::sqrt(2)).epsilon(0.01));
  }
  CHECK(change_speed(x, 1.0, kRate) == x);
  CHECK(change_speed({}, 1.1, kRate).empty());
}

TEST_CASE("augment_clip draws each speed factor and applies it") {
  AugmentOptions o;
  o.shift_s = 0, o.gain_db = 0, o.noise_prob = 0, o.reverb.prob = 0, o.telephone.prob = 0;
  o.speed_factors = {0.9, 1.0, 1.1};
  Rng rng(7);
  std::map<double, int> seen;
  for (int i = 0; i < 300; ++i) {
    std::vector<float> x = sine(8000, 500);
    AugmentRecord r;
    augment_clip(x, {}, o, kRate, rng, &r);
    ++seen[r.speed];
    REQUIRE(x.size() == static_cast<size_t>(std::lround(8000 / r.speed)));
    if (i < 10) CHECK(zero_crossing_hz(x) == doctest::Approx(500 * r.speed).epsilon(1e-3));
  }
  REQUIRE(seen.size() == 3);
  for (const auto& [factor, count] : seen) CHECK(count == doctest::Approx(100).epsilon(0.25));
}

TEST_CASE("validate_speed_factors: an empty list or a factor outside [0.5, 2] is a usage error") {
  CHECK(test::error_of([] { validate_speed_factors({0.9, 1.0, 1.1}); }).empty());
  CHECK(test::error_of([] { validate_speed_factors({}); }).find("--speed-factors") != std::string::npos);
  CHECK(test::error_of([] { validate_speed_factors({0.9, 3.0}); }).find("--speed-factors") != std::string::npos);
  CHECK(test::error_of([] { validate_speed_factors({0.0}); }).find("--speed-factors") != std::string::npos);
}
