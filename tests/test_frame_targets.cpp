// Mixed clip / frame-target classification loss: finite differences of every logit, the clip rows
// equal to the clip loss, the row loss as mean background plus mean keyword cross-entropy, padding
// and ignored frames untouched, bad targets refused.
#include <cmath>
#include <vector>

#include "base/error.h"
#include "base/rng.h"
#include "src/model/classify.h"
#include "src/model/frame_targets.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {

double ce(const float* x, int64_t K, int32_t target) {
  double m = x[0];
  for (int64_t k = 1; k < K; ++k) m = std::max(m, double(x[k]));
  double s = 0;
  for (int64_t k = 0; k < K; ++k) s += std::exp(double(x[k]) - m);
  return m + std::log(s) - x[target];
}

struct Batch {
  int64_t B = 4, T = 9, K = 3;
  std::vector<float> logits;
  std::vector<int64_t> lengths = {9, 5, 7, 3};
  std::vector<int32_t> labels = {2, kIgnoreFrame, kIgnoreFrame, 1};
  std::vector<int32_t> targets;
  MixedBatchTargets t() const {
    MixedBatchTargets m;
    m.lengths = lengths.data();
    m.labels = labels.data();
    m.frame_targets = targets.data();
    m.background = 0;
    return m;
  }
};

Batch random_batch(uint64_t seed) {
  Batch b;
  Rng rng(seed);
  b.logits.resize(static_cast<size_t>(b.B * b.T * b.K));
  for (float& v : b.logits) v = static_cast<float>(2 * rng.normal());
  b.targets.assign(static_cast<size_t>(b.B * b.T), kIgnoreFrame);
  const int32_t row1[] = {0, 0, 0, kIgnoreFrame, 2};
  const int32_t row2[] = {0, kIgnoreFrame, 1, 1, 0, 0, 0};
  for (int f = 0; f < 5; ++f) b.targets[1 * 9 + f] = row1[f];
  for (int f = 0; f < 7; ++f) b.targets[2 * 9 + f] = row2[f];
  b.targets[1 * 9 + 7] = 2;  // beyond row 1's length: padding, never scored
  return b;
}

}  // namespace

TEST_CASE("the loss is mean background CE plus mean keyword CE per frame row, the clip loss per clip row") {
  Batch b = random_batch(1);
  std::vector<float> g = b.logits;
  const double loss = mixed_classification_loss_backward(g.data(), b.B, b.T, b.K, b.t());
  const float* x = b.logits.data();
  auto at = [&](int64_t row, int64_t f) { return x + (row * b.T + f) * b.K; };
  const double row1 = (ce(at(1, 0), 3, 0) + ce(at(1, 1), 3, 0) + ce(at(1, 2), 3, 0)) / 3 + ce(at(1, 4), 3, 2);
  const double row2 = (ce(at(2, 0), 3, 0) + ce(at(2, 4), 3, 0) + ce(at(2, 5), 3, 0) + ce(at(2, 6), 3, 0)) / 4 +
                      (ce(at(2, 2), 3, 1) + ce(at(2, 3), 3, 1)) / 2;
  const double clips = ce(at(0, 8), 3, 2) + ce(at(3, 2), 3, 1);  // last frames ("last" pooling)
  CHECK(loss == doctest::Approx((row1 + row2 + clips) / 4).epsilon(1e-6));
  // Ignored frames and padding get no gradient.
  for (int64_t k = 0; k < 3; ++k) {
    CHECK(g[(1 * 9 + 3) * 3 + k] == 0.0f);
    CHECK(g[(1 * 9 + 7) * 3 + k] == 0.0f);
    CHECK(g[(2 * 9 + 1) * 3 + k] == 0.0f);
    CHECK(g[(0 * 9 + 4) * 3 + k] == 0.0f);  // a clip row's earlier frames
  }
}

TEST_CASE("every gradient matches finite differences") {
  Batch b = random_batch(2);
  std::vector<float> g = b.logits;
  mixed_classification_loss_backward(g.data(), b.B, b.T, b.K, b.t());
  const double eps = 1e-2;
  double worst = 0;
  for (size_t i = 0; i < b.logits.size(); ++i) {
    std::vector<float> up = b.logits, down = b.logits;
    up[i] += static_cast<float>(eps);
    down[i] -= static_cast<float>(eps);
    const double fd = (mixed_classification_loss_backward(up.data(), b.B, b.T, b.K, b.t()) -
                       mixed_classification_loss_backward(down.data(), b.B, b.T, b.K, b.t())) /
                      (2 * eps);
    worst = std::max(worst, std::abs(fd - g[i]));
  }
  CHECK(worst < 2e-5);
}

TEST_CASE("a batch of clips alone gives the clip loss and its gradient") {
  Batch b = random_batch(3);
  b.labels = {2, 0, 1, 1};
  std::vector<float> g = b.logits, want = b.logits;
  const double loss = mixed_classification_loss_backward(g.data(), b.B, b.T, b.K, b.t());
  const double ref = classification_loss_backward(want.data(), b.B, b.T, b.lengths.data(), b.labels.data(), "last", b.K);
  CHECK(loss == doctest::Approx(ref).epsilon(1e-12));
  CHECK_ARRAYS_CLOSE(g.data(), want.data(), g.size(), 1e-7, 0.0);
}

TEST_CASE("targets out of range are errors") {
  Batch b = random_batch(4);
  b.targets[1 * 9 + 2] = 3;
  std::vector<float> g = b.logits;
  CHECK_THROWS_WITH_AS(mixed_classification_loss_backward(g.data(), b.B, b.T, b.K, b.t()),
                       doctest::Contains("row 1 frame 2 has class 3"), Error);
  b = random_batch(4);
  b.lengths[2] = 10;
  CHECK_THROWS_AS(mixed_classification_loss_backward(g.data(), b.B, b.T, b.K, b.t()), Error);
  MixedBatchTargets t = random_batch(4).t();
  Batch c = random_batch(4);
  t = c.t();
  t.background = 5;
  CHECK_THROWS_AS(mixed_classification_loss_backward(g.data(), c.B, c.T, c.K, t), Error);
}
