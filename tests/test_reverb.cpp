// Simulated reverberation: the FFT convolution equals the direct sum, the synthetic room impulse
// response decays 60 dB over its RT60 (Schroeder backward integration, T30 fit) with the drawn
// direct-to-reverberant ratio, an impulse in gives the RIR out, and the clip keeps its length and RMS.
#include <algorithm>
#include <cmath>
#include <vector>

#include "base/rng.h"
#include "frontends/audio/fft_convolve.h"
#include "src/train/reverb.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {

constexpr double kRate = 16000;

std::vector<float> noise(size_t n, Rng& rng, double amp = 1.0) {
  std::vector<float> x(n);
  for (float& v : x) v = static_cast<float>(amp * rng.normal());
  return x;
}

std::vector<double> direct_convolve(const std::vector<float>& x, const std::vector<float>& h, size_t out_len) {
  std::vector<double> y(out_len, 0.0);
  for (size_t k = 0; k < out_len; ++k)
    for (size_t j = 0; j < h.size() && j <= k; ++j)
      if (k - j < x.size()) y[k] += double(h[j]) * x[k - j];
  return y;
}

double energy(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += double(v) * v;
  return s;
}

// RT60 from the Schroeder energy decay curve of h[from..]: a least-squares line through the EDC
// between -5 and -35 dB (ISO 3382's T30), extrapolated to 60 dB.
double schroeder_rt60(const std::vector<float>& h, size_t from, double rate) {
  std::vector<double> edc(h.size() - from);
  double acc = 0;
  for (size_t i = h.size(); i-- > from;) edc[i - from] = acc += double(h[i]) * h[i];
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int n = 0;
  for (size_t i = 0; i < edc.size(); ++i) {
    const double db = 10 * std::log10(edc[i] / edc[0]);
    if (db > -5 || db < -35) continue;
    const double t = double(i) / rate;
    sx += t, sy += db, sxx += t * t, sxy += t * db, ++n;
  }
  const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);  // dB per second
  return -60.0 / slope;
}

}  // namespace

TEST_CASE("fft_convolve equals the direct convolution") {
  Rng rng(1);
  struct Case {
    size_t n, m, out;
  };
  for (const Case c : {Case{1000, 300, 1000}, Case{1000, 300, 1299}, Case{200, 3000, 200}, Case{1, 1, 1},
                       Case{5, 1, 5}, Case{777, 777, 1553}, Case{4096, 2048, 4096}}) {
    CAPTURE(c.n);
    CAPTURE(c.m);
    CAPTURE(c.out);
    const std::vector<float> x = noise(c.n, rng), h = noise(c.m, rng, 0.1);
    const std::vector<float> y = fft_convolve(x.data(), x.size(), h.data(), h.size(), c.out);
    const std::vector<double> want = direct_convolve(x, h, c.out);
    REQUIRE(y.size() == c.out);
    double peak = 0;
    for (double v : want) peak = std::max(peak, std::abs(v));
    CHECK_ARRAYS_CLOSE(y.data(), want.data(), c.out, 1e-5 * peak, 0.0);
  }
  CHECK(fft_convolve(nullptr, 0, nullptr, 0, 3) == std::vector<float>(3, 0.0f));
  CHECK(fft_convolve_size(1) == 1);
  CHECK(fft_convolve_size(1000) == 1024);
  CHECK(fft_convolve_size(1024) == 1024);
}

TEST_CASE("synth_rir: direct path, pre-delay, unit energy, the drawn DRR, and 60 dB of decay over RT60") {
  for (const double rt60 : {0.15, 0.4, 0.8, 2.0})
    for (const double drr : {-5.0, 0.0, 10.0}) {
      CAPTURE(rt60);
      CAPTURE(drr);
      Rng rng(static_cast<uint64_t>(rt60 * 100 + drr + 50));
      const double predelay = 0.005;
      const std::vector<float> h = synth_rir(rt60, drr, predelay, kRate, rng);
      const size_t d = 80;  // 5 ms at 16 kHz
      REQUIRE(h.size() == d + static_cast<size_t>(std::ceil(rt60 * kRate)));
      CHECK(energy(h) == doctest::Approx(1.0).epsilon(1e-5));
      for (size_t k = 1; k < d; ++k) REQUIRE(h[k] == 0.0f);
      const std::vector<float> tail(h.begin() + static_cast<std::ptrdiff_t>(d), h.end());
      CHECK(10 * std::log10(double(h[0]) * h[0] / energy(tail)) == doctest::Approx(drr).epsilon(1e-4));
      CHECK(schroeder_rt60(h, d, kRate) == doctest::Approx(rt60).epsilon(0.05));
    }
}

TEST_CASE("draw_rir draws RT60 over its range") {
  ReverbOptions o;
  Rng rng(2);
  double lo = 1e9, hi = 0, sum = 0;
  const int draws = 200;
  for (int i = 0; i < draws; ++i) {
    double rt60 = 0;
    const std::vector<float> h = draw_rir(o, kRate, rng, &rt60);
    REQUIRE(rt60 >= o.rt60_min_s);
    REQUIRE(rt60 <= o.rt60_max_s);
    REQUIRE(h.size() >= static_cast<size_t>(std::ceil(rt60 * kRate)) + 1);
    REQUIRE(h.size() <= static_cast<size_t>(std::ceil(rt60 * kRate)) + 1 + 160);  // pre-delay <= 10 ms
    lo = std::min(lo, rt60), hi = std::max(hi, rt60), sum += rt60;
  }
  CHECK(lo < 0.25);
  CHECK(hi > 0.75);
  CHECK(sum / draws == doctest::Approx(0.5).epsilon(0.1));
}

TEST_CASE("reverberate: an impulse gives the RIR; the length and the RMS are kept") {
  Rng rng(3);
  const std::vector<float> h = synth_rir(0.5, 3.0, 0.002, kRate, rng);
  for (const size_t at : {size_t(0), size_t(1234)}) {
    std::vector<float> x(16000, 0.0f);
    x[at] = 0.25f;  // the RMS is kept, and the RIR has unit energy: the output is the RIR at 0.25
    reverberate(x, h);
    REQUIRE(x.size() == 16000);
    std::vector<float> want(16000, 0.0f);
    for (size_t k = 0; k < h.size(); ++k) want[at + k] = 0.25f * h[k];
    CHECK_ARRAYS_CLOSE(x.data(), want.data(), x.size(), 1e-6, 1e-5);
  }
  std::vector<float> speech = noise(12000, rng, 0.1);
  const double before = energy(speech);
  reverberate(speech, h);
  CHECK(speech.size() == 12000);
  CHECK(energy(speech) == doctest::Approx(before).epsilon(1e-5));
  std::vector<float> silent(500, 0.0f);
  reverberate(silent, h);
  CHECK(silent == std::vector<float>(500, 0.0f));
  // A clip shorter than the RIR: the tail past the clip is dropped.
  std::vector<float> short_clip = noise(100, rng);
  reverberate(short_clip, h);
  CHECK(short_clip.size() == 100);
}

TEST_CASE("validate_reverb_options: the flag and the bad value") {
  auto error = [](auto change) {
    ReverbOptions o;
    change(o);
    return test::error_of([&] { validate_reverb_options(o); });
  };
  CHECK(error([](ReverbOptions&) {}).empty());
  CHECK(error([](ReverbOptions& o) { o.prob = 1.5; }).find("--reverb-prob") != std::string::npos);
  CHECK(error([](ReverbOptions& o) { o.prob = -0.1; }).find("--reverb-prob") != std::string::npos);
  CHECK(error([](ReverbOptions& o) { o.rt60_min_s = 0; }).find("--reverb-rt60") != std::string::npos);
  CHECK(error([](ReverbOptions& o) { o.rt60_max_s = 5.5; }).find("--reverb-rt60") != std::string::npos);
  CHECK(error([](ReverbOptions& o) { o.rt60_min_s = 0.9; }).find("exceeds the maximum") != std::string::npos);
  CHECK(error([](ReverbOptions& o) { o.drr_db_min = 20; }).find("--reverb-drr-db") != std::string::npos);
  CHECK(error([](ReverbOptions& o) { o.predelay_max_ms = -1; }).find("--reverb-predelay-ms") != std::string::npos);
}
