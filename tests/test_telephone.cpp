// The telephone channel: white noise loses > 40 dB above 4 kHz and keeps its 300-3400 Hz energy
// within 1 dB; the band-pass removes the lows; a band-limited tone comes back aligned; 8 kHz audio
// keeps its length without resampling.
#include <cmath>
#include <numbers>
#include <vector>

#include "base/rng.h"
#include "frontends/audio/fft.h"
#include "src/train/telephone.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {

std::vector<float> white(size_t n, Rng& rng) {
  std::vector<float> x(n);
  for (float& v : x) v = static_cast<float>(0.1 * rng.normal());
  return x;
}

// Energy of x between lo and hi Hz (one periodogram of the whole signal).
double band_energy(const std::vector<float>& x, double rate, double lo, double hi) {
  RealFft<double> fft(static_cast<int>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) fft.input()[i] = x[i];
  fft.transform();
  double e = 0;
  for (size_t k = 0; k <= x.size() / 2; ++k) {
    const double hz = double(k) * rate / double(x.size());
    if (hz >= lo && hz < hi) e += std::norm(fft.output()[k]);
  }
  return e;
}

double db(double ratio) { return 10 * std::log10(ratio); }

}  // namespace

TEST_CASE("telephone_channel: > 40 dB less above 4 kHz, the 300-3400 Hz band within 1 dB") {
  const double rate = 16000;
  Rng rng(1);
  const std::vector<float> x = white(64000, rng);
  for (const bool band_pass : {false, true})
    for (const bool mulaw : {false, true}) {
      CAPTURE(band_pass);
      CAPTURE(mulaw);
      std::vector<float> y = x;
      telephone_channel(y, rate, TelephoneOptions{1.0, band_pass, mulaw});
      REQUIRE(y.size() == x.size());
      const double high = db(band_energy(y, rate, 4000, 8001) / band_energy(x, rate, 4000, 8001));
      const double in_band = db(band_energy(y, rate, 300, 3400) / band_energy(x, rate, 300, 3400));
      CHECK(high < -40);
      CHECK(std::abs(in_band) < 1.0);
      if (!band_pass) CHECK(std::abs(in_band) < 0.2);  // the resampler alone is flat there
      const double low = db(band_energy(y, rate, 20, 150) / band_energy(x, rate, 20, 150));
      if (band_pass) CHECK(low < -20);
      else CHECK(std::abs(low) < 0.5);
    }
}

TEST_CASE("telephone_channel: a 1 kHz tone comes back in place; 8 kHz audio is not resampled") {
  std::vector<float> tone(16000);
  for (size_t i = 0; i < tone.size(); ++i)
    tone[i] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 1000 * double(i) / 16000));
  std::vector<float> y = tone;
  telephone_channel(y, 16000, TelephoneOptions{1.0, false, false});
  double worst = 0;
  for (size_t i = 1000; i < 15000; ++i) worst = std::max(worst, double(std::abs(y[i] - tone[i])));
  CHECK(worst < 1e-3);

  Rng rng(2);
  const std::vector<float> x = white(32000, rng);
  std::vector<float> z = x;
  telephone_channel(z, 8000, TelephoneOptions{1.0, false, false});
  CHECK(z == x);  // nothing to do at 8 kHz without band-pass and mu-law
  telephone_channel(z, 8000, TelephoneOptions{1.0, true, true});
  CHECK(z.size() == x.size());
  CHECK(db(band_energy(z, 8000, 20, 150) / band_energy(x, 8000, 20, 150)) < -20);
  CHECK(std::abs(db(band_energy(z, 8000, 500, 3000) / band_energy(x, 8000, 500, 3000))) < 1.0);
}

TEST_CASE("validate_telephone_options: probability in [0, 1]") {
  CHECK(test::error_of([] { validate_telephone_options({}); }).empty());
  CHECK(test::error_of([] { validate_telephone_options({1.5, true, true}); }).find("--telephone-prob") !=
        std::string::npos);
  CHECK(test::error_of([] { validate_telephone_options({-0.1, true, true}); }).find("--telephone-prob") !=
        std::string::npos);
}
