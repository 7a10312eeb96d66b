// mu-law (mu = 255, 256 classes): exact classes against torchaudio mu_law_encoding on speech,
// the fixed points, clipping, monotonicity and the round-trip error bound.
#include <cmath>
#include <fstream>

#include "frontends/audio/mulaw.h"
#include "tests/frontend_goldens.h"

using namespace rwkvs;

TEST_CASE("classes equal torchaudio mu_law_encoding on real speech") {
  const test::Golden g = test::load_goldens("mulaw").at(0);
  const Audio a = test::golden_input(g);
  std::ifstream f(test::goldens_dir() + "/" + g.golden, std::ios::binary);
  std::vector<char> want((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  REQUIRE(want.size() == a.samples.size());
  std::vector<int64_t> got(a.samples.size());
  mulaw_encode(a.samples.data(), a.samples.size(), got.data());
  size_t mismatches = 0;
  for (size_t i = 0; i < got.size(); ++i) mismatches += got[i] != static_cast<unsigned char>(want[i]);
  CHECK(mismatches == 0);
}

TEST_CASE("fixed points, clipping and order") {
  CHECK(mulaw_encode(0.0f) == 128);
  CHECK(mulaw_encode(1.0f) == 255);
  CHECK(mulaw_encode(-1.0f) == 0);
  CHECK(mulaw_encode(7.5f) == 255);
  CHECK(mulaw_encode(-3.0f) == 0);
  CHECK(mulaw_decode(255) == doctest::Approx(1.0f));
  CHECK(mulaw_decode(0) == doctest::Approx(-1.0f));
  CHECK(mulaw_decode(999) == mulaw_decode(255));
  int prev = -1;
  for (int i = -1000; i <= 1000; ++i) {
    const int q = mulaw_encode(i / 1000.0f);
    CHECK(q >= prev);
    prev = q;
  }
  for (int q = 1; q < 256; ++q) CHECK(mulaw_decode(q) > mulaw_decode(q - 1));
}

TEST_CASE(
    "round trip error is within half a companded step: |x^ - x| <= (e^d - 1)(1/mu + |x|), d = ln(256)/255") {
  const double mu = 255, d = std::log(1 + mu) / mu, factor = std::exp(d) - 1;
  double worst_ratio = 0;
  for (int i = -20000; i <= 20000; ++i) {
    const float x = static_cast<float>(i / 20000.0);
    const double err = std::fabs(double(mulaw_decode(mulaw_encode(x))) - x);
    const double bound = factor * (1 / mu + std::fabs(x));
    CHECK(err <= bound * (1 + 1e-5) + 1e-7);  // + float rounding of the decode
    worst_ratio = std::max(worst_ratio, err / bound);
  }
  CHECK(worst_ratio > 0.8);  // the bound is tight, so a coarser quantiser would fail it
  // every class decodes to a value that encodes back to itself
  for (int q = 0; q < 256; ++q) CHECK(mulaw_encode(mulaw_decode(q)) == q);
}
