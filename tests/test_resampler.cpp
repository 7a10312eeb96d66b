// libsoxr resampling: the streaming resampler gives the same samples for any chunking, a sine
// keeps its frequency, lengths scale with the rate ratio, and the result matches sox's own HQ
// rate conversion of the golden 44.1 kHz word.
#include <cmath>
#include <numbers>

#include "base/error.h"
#include "base/rng.h"
#include "frontends/audio/resampler.h"
#include "tests/frontend_goldens.h"

using namespace rwkvs;

namespace {

std::vector<float> sine(size_t n, double hz, double rate) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * hz * i / rate));
  return x;
}

std::vector<float> stream(const std::vector<float>& x, double in, double out, Rng& rng, size_t max_chunk) {
  Resampler r(in, out);
  std::vector<float> y;
  size_t pos = 0;
  while (pos < x.size()) {
    const size_t n = std::min<size_t>(x.size() - pos, rng.below(max_chunk + 1));  // 0 included
    r.accept(x.data() + pos, n, &y);
    pos += n;
  }
  r.finish(&y);
  return y;
}

// Frequency of the strongest component: a Goertzel scan, refined by parabolic interpolation.
double dominant_hz(const std::vector<float>& x, double rate, double lo, double hi, double step) {
  auto power = [&](double f) {
    const double w = 2 * std::numbers::pi * f / rate, c = 2 * std::cos(w);
    double s1 = 0, s2 = 0;
    for (float v : x) {
      const double s0 = v + c * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    return s1 * s1 + s2 * s2 - c * s1 * s2;
  };
  double best_f = lo, best_p = -1;
  for (double f = lo; f <= hi; f += step)
    if (const double p = power(f); p > best_p) best_p = p, best_f = f;
  const double a = power(best_f - step), b = best_p, c = power(best_f + step);
  return best_f + 0.5 * step * (a - c) / (a - 2 * b + c);
}

}  // namespace

TEST_CASE("streaming resampler: any chunking gives the same samples as one call") {
  Rng rng(3);
  std::vector<float> x(30000);
  for (auto& v : x) v = static_cast<float>(0.3 * rng.normal());
  for (auto [in, out] :
       {std::pair{44100.0, 16000.0}, {8000.0, 16000.0}, {22050.0, 16000.0}, {16000.0, 16000.0}}) {
    const std::vector<float> whole = resample(x.data(), x.size(), in, out);
    CHECK(std::fabs(double(whole.size()) - x.size() * out / in) <= 2);
    for (size_t max_chunk : {size_t{1}, size_t{7}, size_t{1500}, size_t{40000}}) {
      INFO(in << " -> " << out << " Hz, chunks up to " << max_chunk);
      const std::vector<float> s = stream(x, in, out, rng, max_chunk);
      REQUIRE(s.size() == whole.size());
      CHECK(s == whole);
    }
  }
}

TEST_CASE("a resampled sine keeps its frequency and amplitude") {
  for (auto [in, out, hz] :
       {std::tuple{44100.0, 16000.0, 1234.5}, {8000.0, 16000.0, 3000.0}, {16000.0, 22050.0, 440.0}}) {
    const std::vector<float> x = sine(static_cast<size_t>(in), hz, in);
    const std::vector<float> y = resample(x.data(), x.size(), in, out);
    const std::vector<float> mid(y.begin() + y.size() / 4, y.end() - y.size() / 4);
    INFO(in << " -> " << out);
    CHECK(dominant_hz(mid, out, hz - 50, hz + 50, 1.0) == doctest::Approx(hz).epsilon(1e-4));
    float peak = 0;
    for (float v : mid) peak = std::max(peak, std::fabs(v));
    CHECK(peak == doctest::Approx(0.5).epsilon(0.01));
  }
  // Content above the new Nyquist is removed, not aliased: 7 kHz at 44.1 kHz -> 8 kHz.
  const std::vector<float> x = sine(44100, 7000, 44100);
  const std::vector<float> y = resample(x.data(), x.size(), 44100, 8000);
  double rms = 0;
  for (size_t i = y.size() / 4; i < 3 * y.size() / 4; ++i) rms += double(y[i]) * y[i];
  CHECK(std::sqrt(rms / (y.size() / 2)) < 1e-3);
}

TEST_CASE("matches sox's HQ rate conversion of real speech (44.1 -> 16 kHz)") {
  const Audio in = read_audio_file(test::goldens_dir() + "/u44k.flac");
  const Audio want = read_audio_file(test::goldens_dir() + "/u44k_to16k.flac");  // sox, 16-bit
  const std::vector<float> got = resample(in.samples.data(), in.samples.size(), 44100, 16000);
  REQUIRE(got.size() == want.samples.size());
  // Both are the same soxr algorithm; sox rounds to 16 bits (half a step is 1.5e-5).
  CHECK_ARRAYS_CLOSE(got.data(), want.samples.data(), got.size(), 5e-5, 0.0);
}

TEST_CASE("bad rates and misuse are errors") {
  CHECK_THROWS_WITH_AS(Resampler(0, 16000), doctest::Contains("positive"), Error);
  CHECK_THROWS_AS(Resampler(16000, -1), Error);
  Resampler r(16000, 8000);
  std::vector<float> y;
  r.finish(&y);
  const float one = 1.0f;
  CHECK_THROWS_WITH_AS(r.accept(&one, 1, &y), doctest::Contains("after finish"), Error);
}
