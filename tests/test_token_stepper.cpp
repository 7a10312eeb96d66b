// TokenStepper: stepping and prefilling through an Engine (the parallel form at T = 1, and blocks of
// up to 256 tokens carrying the state, as generation runs on a GPU) equal the CPU recurrent step.
#include <vector>

#include "base/rng.h"
#include "src/infer/token_stepper.h"
#include "tests/support.h"

using namespace rwkvs;

TEST_CASE("engine stepping and block prefill equal rwkv4_step token by token") {
  Model m(ModelConfig::rwkv4(2, 32, 60));
  init_random(m, 5);
  Rng rng(1);
  std::vector<int32_t> prompt(600);  // more than two prefill blocks, the last one partial
  for (auto& t : prompt) t = static_cast<int32_t>(rng.below(60));
  TokenStepper cpu(m), engine(m, make_engine("cpu", m));
  RecurrentState s_cpu(m.config(), 1), s_engine(m.config(), 1);
  std::vector<float> l_cpu(60), l_engine(60);
  cpu.prefill(s_cpu, prompt.data(), static_cast<int64_t>(prompt.size()), l_cpu.data());
  engine.prefill(s_engine, prompt.data(), static_cast<int64_t>(prompt.size()), l_engine.data());
  CHECK_ARRAYS_CLOSE(l_engine.data(), l_cpu.data(), 60, 1e-4, 1e-4);
  CHECK_ARRAYS_CLOSE(s_engine.data(), s_cpu.data(), s_cpu.size(), 1e-4, 1e-4);
  for (int32_t tok : {3, 59, 0, 17}) {
    cpu.step(s_cpu, tok, l_cpu.data());
    engine.step(s_engine, tok, l_engine.data());
    CHECK_ARRAYS_CLOSE(l_engine.data(), l_cpu.data(), 60, 1e-4, 1e-4);
  }
  CHECK_THROWS_AS(cpu.prefill(s_cpu, prompt.data(), 0, l_cpu.data()), Error);
}
