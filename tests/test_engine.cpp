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
