// SpecAugment on feature frames: the masked share of cells matches its exact expectation, mask
// widths stay within their bounds, masked cells hold the fill (zero after the model's own input
// normalisation), unmasked cells and padding are untouched, and a seed fixes the masks.
#include <algorithm>
#include <cmath>
#include <vector>

#include "base/rng.h"
#include "kernels/bias.h"
#include "src/train/spec_augment.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {

// Values that never equal a fill entry (fills are >= 100).
std::vector<float> random_frames(int64_t T, int64_t F, Rng& rng) {
  std::vector<float> x(static_cast<size_t>(T * F));
  for (float& v : x) v = static_cast<float>(rng.normal());
  return x;
}

std::vector<float> make_fill(int64_t F) {
  std::vector<float> fill(static_cast<size_t>(F));
  for (int64_t f = 0; f < F; ++f) fill[f] = 100.0f + static_cast<float>(f);
  return fill;
}

// P(one mask covers position i) for masks of width uniform in 0..min(W, L), start uniform in 0..L - w.
std::vector<double> cover_probability(int64_t L, int64_t W) {
  std::vector<double> p(static_cast<size_t>(L), 0.0);
  const int64_t wmax = std::min(W, L);
  for (int64_t w = 1; w <= wmax; ++w)
    for (int64_t s = 0; s <= L - w; ++s)
      for (int64_t i = s; i < s + w; ++i) p[i] += 1.0 / double(wmax + 1) / double(L - w + 1);
  return p;
}

// Expected share of masked cells of an (L, F) clip: a cell survives when no time mask covers its
// frame and no frequency mask its bin (all masks independent).
double expected_masked(int64_t L, int64_t F, const SpecAugmentOptions& o) {
  const std::vector<double> pt = cover_probability(L, o.time_width), pf = cover_probability(F, o.freq_width);
  double kept = 0;
  for (int64_t t = 0; t < L; ++t)
    for (int64_t f = 0; f < F; ++f)
      kept += std::pow(1 - pt[t], o.time_masks) * std::pow(1 - pf[f], o.freq_masks);
  return 1 - kept / double(L * F);
}

// Maximal runs of true in v: their lengths.
std::vector<int64_t> runs(const std::vector<bool>& v) {
  std::vector<int64_t> out;
  int64_t n = 0;
  for (bool b : v) {
    if (b) ++n;
    else if (n > 0) out.push_back(n), n = 0;
  }
  if (n > 0) out.push_back(n);
  return out;
}

}  // namespace

TEST_CASE("spec_augment_clip: the masked share matches its expectation; masks are whole frames and bins") {
  const int64_t L = 60, F = 20;
  const std::vector<float> fill = make_fill(F);
  for (const SpecAugmentOptions o : {SpecAugmentOptions{2, 10, 2, 5}, SpecAugmentOptions{1, 30, 0, 0},
                                     SpecAugmentOptions{0, 0, 3, 8}, SpecAugmentOptions{2, 80, 1, 40}}) {
    CAPTURE(o.time_masks);
    CAPTURE(o.time_width);
    CAPTURE(o.freq_masks);
    CAPTURE(o.freq_width);
    Rng rng(5), data(9);
    double masked = 0;
    const int clips = 3000;
    for (int c = 0; c < clips; ++c) {
      const std::vector<float> x = random_frames(L, F, data);
      std::vector<float> y = x;
      spec_augment_clip(y.data(), L, F, fill.data(), o, rng);
      std::vector<bool> frame_masked(L, true), bin_masked(F, true);
      for (int64_t t = 0; t < L; ++t)
        for (int64_t f = 0; f < F; ++f) {
          const size_t i = static_cast<size_t>(t * F + f);
          const bool m = y[i] != x[i];
          if (m) REQUIRE(y[i] == fill[f]);  // a changed cell holds exactly the fill
          masked += m;
          if (!m) frame_masked[t] = false, bin_masked[f] = false;
        }
      // Every masked cell lies in a fully masked frame or a bin masked over all frames.
      for (int64_t t = 0; t < L; ++t)
        for (int64_t f = 0; f < F; ++f)
          if (y[t * F + f] != x[t * F + f]) REQUIRE((frame_masked[t] || bin_masked[f]));
    }
    const double share = masked / double(clips * L * F), want = expected_masked(L, F, o);
    CAPTURE(want);
    CHECK(share == doctest::Approx(want).epsilon(0.03));
  }
}

TEST_CASE("spec_augment_clip: one mask's width is uniform in 0..W, clipped to the clip") {
  const int64_t F = 16;
  const std::vector<float> fill = make_fill(F);
  Rng rng(1), data(2);
  for (const auto& [L, W] : {std::pair<int64_t, int64_t>{50, 10}, {6, 10}}) {
    const int64_t wmax = std::min(L, W);
    std::vector<int> time_count(static_cast<size_t>(wmax) + 1, 0), freq_count(6, 0);
    const int clips = 2000;
    for (int c = 0; c < clips; ++c) {
      const std::vector<float> x = random_frames(L, F, data);
      std::vector<float> y = x;
      spec_augment_clip(y.data(), L, F, fill.data(), SpecAugmentOptions{1, W, 0, 0}, rng);
      std::vector<bool> m(static_cast<size_t>(L));
      for (int64_t t = 0; t < L; ++t) m[t] = y[t * F] != x[t * F];
      const std::vector<int64_t> r = runs(m);
      REQUIRE(r.size() <= 1);
      const int64_t w = r.empty() ? 0 : r[0];
      REQUIRE(w <= wmax);
      ++time_count[w];

      y = x;
      spec_augment_clip(y.data(), L, F, fill.data(), SpecAugmentOptions{0, 0, 1, 5}, rng);
      std::vector<bool> b(static_cast<size_t>(F));
      for (int64_t f = 0; f < F; ++f) b[f] = y[f] != x[f];
      const std::vector<int64_t> rb = runs(b);
      REQUIRE(rb.size() <= 1);
      const int64_t wb = rb.empty() ? 0 : rb[0];
      REQUIRE(wb <= 5);
      ++freq_count[wb];
    }
    // Each width 0..wmax about equally often (expected clips / (wmax + 1)).
    for (int c : time_count) CHECK(c == doctest::Approx(double(clips) / double(wmax + 1)).epsilon(0.25));
    for (int c : freq_count) CHECK(c == doctest::Approx(double(clips) / 6).epsilon(0.25));
  }
}

TEST_CASE("spec_augment_batch: padding untouched, masks within each clip's length, fixed by the seeds") {
  const int64_t B = 4, T = 50, F = 12;
  const std::vector<float> fill = make_fill(F);
  FrameBatch batch;
  batch.B = B, batch.T = T, batch.F = F;
  batch.lengths = {50, 20, 1, 33};
  Rng data(4);
  batch.frames = random_frames(B * T, F, data);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = batch.lengths[b]; t < T; ++t)
      for (int64_t f = 0; f < F; ++f) batch.frames[(b * T + t) * F + f] = 7.0f;  // padding
  const FrameBatch original = batch;
  const SpecAugmentOptions o{3, 15, 3, 6};
  const std::vector<uint64_t> seeds = {11, 12, 13, 14};
  int64_t masked = 0;
  for (int rep = 0; rep < 50; ++rep) {
    std::vector<uint64_t> s = seeds;
    for (uint64_t& v : s) v += 100 * static_cast<uint64_t>(rep);
    FrameBatch y = original;
    spec_augment_batch(y, fill.data(), o, s.data());
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t f = 0; f < F; ++f) {
          const size_t i = static_cast<size_t>((b * T + t) * F + f);
          if (t >= batch.lengths[b]) REQUIRE(y.frames[i] == 7.0f);
          else if (y.frames[i] != original.frames[i]) {
            REQUIRE(y.frames[i] == fill[f]);
            ++masked;
          }
        }
  }
  CHECK(masked > 0);

  FrameBatch a = original, b = original;
  spec_augment_batch(a, fill.data(), o, seeds.data());
  spec_augment_batch(b, fill.data(), o, seeds.data());
  CHECK(a.frames == b.frames);
  const std::vector<uint64_t> other = {21, 22, 23, 24};
  FrameBatch c = original;
  spec_augment_batch(c, fill.data(), o, other.data());
  CHECK(c.frames != a.frames);
  // Clip 0's masks depend on its seed alone: masking it alone gives the same frames.
  std::vector<float> alone(original.frames.begin(), original.frames.begin() + T * F);
  Rng r0(seeds[0]);
  spec_augment_clip(alone.data(), batch.lengths[0], F, fill.data(), o, r0);
  CHECK(std::equal(alone.begin(), alone.end(), a.frames.begin()));
}

TEST_CASE("spec_augment: filled with the input mean, masked cells are exactly zero after input normalisation") {
  const int64_t T = 40, F = 10;
  Rng data(3), rng(8);
  std::vector<float> mean(F), scale(F);
  for (int64_t f = 0; f < F; ++f) mean[f] = static_cast<float>(3 * data.normal()), scale[f] = 0.5f + 0.1f * f;
  std::vector<float> x = random_frames(T, F, data);
  const std::vector<float> before = x;
  spec_augment_clip(x.data(), T, F, mean.data(), SpecAugmentOptions{2, 10, 2, 4}, rng);
  std::vector<float> normed(x.size());
  kernels::normalize_columns(normed.data(), x.data(), mean.data(), scale.data(), T, F);
  int zeros = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (x[i] != before[i]) {
      CHECK(normed[i] == 0.0f);
      ++zeros;
    }
  CHECK(zeros > 0);
}

TEST_CASE("validate_spec_augment_options names the flag") {
  CHECK(test::error_of([] { validate_spec_augment_options({-1, 10, 2, 5}); }).find("--spec-time-masks") != std::string::npos);
  CHECK(test::error_of([] { validate_spec_augment_options({2, -1, 2, 5}); }).find("--spec-time-width") != std::string::npos);
  CHECK(test::error_of([] { validate_spec_augment_options({2, 10, -2, 5}); }).find("--spec-freq-masks") != std::string::npos);
  CHECK(test::error_of([] { validate_spec_augment_options({2, 10, 2, -5}); }).find("--spec-freq-width") != std::string::npos);
  CHECK(test::error_of([] { validate_spec_augment_options({}); }).empty());
}
