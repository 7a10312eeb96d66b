// Samplers: each filter against a hand-computed distribution, and reproducibility by seed.
#include <cmath>
#include <vector>

#include "base/error.h"
#include "src/infer/sampler.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {
// logits whose softmax is exactly the given probabilities
std::vector<float> logits_of(const std::vector<double>& p) {
  std::vector<float> l;
  for (double x : p) l.push_back(static_cast<float>(std::log(x)));
  return l;
}
}  // namespace

TEST_CASE("RWKV rule drops tokens below alpha * p_max^power and renormalises") {
  const auto l = logits_of({0.5, 0.3, 0.1, 0.004, 0.096});
  SamplerOptions o;  // defaults: alpha 0.02, power 2 -> cut = 0.02 * 0.25 = 0.005
  const auto p = sampling_distribution(l.data(), 5, o);
  CHECK(p[3] == 0.0);
  CHECK(p[0] == doctest::Approx(0.5 / 0.996));
  CHECK(p[4] == doctest::Approx(0.096 / 0.996));
  o.alpha = 0;
  CHECK(sampling_distribution(l.data(), 5, o)[3] == doctest::Approx(0.004));
}

TEST_CASE("top-k, top-p, temperature and greedy") {
  const auto l = logits_of({0.1, 0.4, 0.2, 0.3});
  SamplerOptions o;
  o.alpha = 0;
  o.top_k = 2;
  auto p = sampling_distribution(l.data(), 4, o);
  CHECK(p[1] == doctest::Approx(0.4 / 0.7));
  CHECK(p[3] == doctest::Approx(0.3 / 0.7));
  CHECK(p[0] == 0.0);
  o.top_k = 0;
  o.top_p = 0.75;  // 0.4 + 0.3 = 0.7 < 0.75, so 0.2 joins
  p = sampling_distribution(l.data(), 4, o);
  CHECK(p[2] == doctest::Approx(0.2 / 0.9));
  CHECK(p[0] == 0.0);
  o.top_p = 1;
  o.temperature = 0.5;  // p^2 renormalised
  p = sampling_distribution(l.data(), 4, o);
  CHECK(p[1] == doctest::Approx(0.16 / 0.30));
  o.temperature = 0;
  p = sampling_distribution(l.data(), 4, o);
  CHECK(p[1] == 1.0);
}

TEST_CASE("draws follow the distribution and repeat with the seed") {
  const auto l = logits_of({0.2, 0.5, 0.3});
  SamplerOptions o;
  Rng a(7), b(7);
  std::vector<int> counts(3);
  for (int i = 0; i < 20000; ++i) {
    const int32_t x = sample_token(l.data(), 3, o, a);
    CHECK(x == sample_token(l.data(), 3, o, b));
    ++counts[x];
  }
  CHECK(counts[1] / 20000.0 == doctest::Approx(0.5).epsilon(0.05));
  CHECK(counts[0] / 20000.0 == doctest::Approx(0.2).epsilon(0.08));
}

TEST_CASE("bad sampler options name their flag") {
  SamplerOptions o;
  o.top_p = 1.5;
  CHECK_THROWS_WITH_AS(validate_sampler(o), doctest::Contains("--top-p"), UsageError);
  o = {};
  o.temperature = -1;
  CHECK_THROWS_WITH_AS(validate_sampler(o), doctest::Contains("--temperature"), UsageError);
}
