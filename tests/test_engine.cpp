// The CPU engine (make_engine("cpu")) against the plain CPU model functions: the same checks the GPU
// engine runs (tests/engine_checks.h), so the engine's own logic -- loss bookkeeping, state carried
// between calls, host losses, clipping and AdamW over the parameter layout -- is tested here even
// where no GPU is.
#include "tests/engine_checks.h"

using namespace rwkvs;
using namespace rwkvs::test;

TEST_CASE("engine logits equal the CPU forward") { check_engine_logits("cpu"); }
TEST_CASE("an engine training step: loss and every gradient") { check_engine_training_step("cpu"); }
TEST_CASE("frames input and a classes head through the engine's host loss") { check_engine_classifier("cpu"); }
TEST_CASE("the engine's AdamW equals AdamW::step") { check_engine_adamw("cpu"); }
TEST_CASE("generation through the carried state equals rwkv4_step") { check_engine_generation("cpu"); }
TEST_CASE("streaming in uneven chunks equals the whole-clip forward") { check_engine_streaming("cpu"); }
TEST_CASE("precision flags: fp32 only on the CPU") { check_engine_precisions("cpu"); }

TEST_CASE("device flags: unknown devices and precisions are usage errors naming the flag") {
  CHECK_THROWS_WITH_AS(validate_device_flags("tpu", "fp32"), doctest::Contains("--device"), UsageError);
  CHECK_THROWS_WITH_AS(validate_device_flags("cuda", "fp16"), doctest::Contains("--precision"), UsageError);
  CHECK_NOTHROW(validate_device_flags("cuda", "bf16"));
}

TEST_CASE("lm grad_scale scales the gradient, not the loss") {
  Model m(ModelConfig::rwkv4(1, 16, 30));
  init_random(m, 2);
  const auto in = random_tokens(20, 30, 1), target = random_tokens(20, 30, 2);
  const auto engine = make_engine("cpu", m);
  engine->zero_grads();
  const double l1 = engine->lm_forward_backward(in.data(), target.data(), 1, 20, 1.0f);
  const std::vector<float> g1 = grads_of(*engine, m);
  engine->zero_grads();
  const double l2 = engine->lm_forward_backward(in.data(), target.data(), 1, 20, 0.25f);
  const std::vector<float> g2 = grads_of(*engine, m);
  CHECK(l1 == l2);
  CHECK(engine->lm_loss(in.data(), target.data(), 1, 20) == l1);
  std::vector<float> quarter(g1);
  for (float& x : quarter) x *= 0.25f;
  CHECK_ARRAYS_CLOSE(g2.data(), quarter.data(), g2.size(), 1e-9, 1e-5);
}

TEST_CASE("average_across: gradients and loss become their mean over the ranks, in one buffer") {
  Model m(ModelConfig::rwkv4(1, 16, 30));
  init_random(m, 2);
  const auto in = random_tokens(20, 30, 1), target = random_tokens(20, 30, 2);
  const auto engine = make_engine("cpu", m);
  engine->zero_grads();
  const double loss = engine->lm_forward_backward(in.data(), target.data(), 1, 20);
  const std::vector<float> mine = grads_of(*engine, m);
  // A pretend second rank whose gradients are 3x ours and whose loss is 1.0.
  RankGroup ranks;
  ranks.size = 2;
  size_t summed = 0;
  ranks.host_sum = [&](float* data, size_t n) {
    summed = n;
    for (size_t i = 0; i + 1 < n; ++i) data[i] += 3 * data[i];
    data[n - 1] += 1.0f;
  };
  ranks.broadcast_i64 = [](int64_t*, size_t) {};
  const double mean_loss = engine->average_across(ranks, loss);
  CHECK(summed == m.params_size() + 1);  // the gradients and the loss slot, one allreduce
  CHECK(mean_loss == doctest::Approx((loss + 1.0) / 2).epsilon(1e-6));
  std::vector<float> want(mine);
  for (float& x : want) x *= 2;  // (g + 3g) / 2
  const std::vector<float> got = grads_of(*engine, m);
  CHECK_ARRAYS_CLOSE(got.data(), want.data(), got.size(), 1e-9, 1e-6);
  RankGroup alone;
  CHECK(engine->average_across(alone, 2.5) == 2.5);  // one rank: nothing to do
}
