#pragma once
// One token at a time through a language model, carrying its recurrent state: on the CPU with the
// recurrent form (rwkv4_step), or on an Engine (a GPU) with the parallel form at T = 1 from the
// carried state, which is the same function (spec §4; tested within 1e-4). Generation of text and
// audio runs through this, so --device picks where.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/model/engine.h"
#include "src/model/rwkv4.h"

namespace rwkvs {

class TokenStepper {
 public:
  // device: cpu | cuda; precision as make_engine. The model must outlive the stepper.
  TokenStepper(const Model& model, const std::string& device = "cpu", const std::string& precision = "fp32");
  // Steps through 'engine' (non-null; made from 'model'), whatever its device.
  TokenStepper(const Model& model, std::unique_ptr<Engine> engine);

  // Advances state by one token; logits (V) of the next one.
  void step(RecurrentState& state, int32_t token, float* logits);
  // Advances state by n tokens (a prompt); logits (V) after the last one. n >= 1.
  void prefill(RecurrentState& state, const int32_t* tokens, int64_t n, float* logits);

 private:
  const Model& model_;
  std::unique_ptr<Engine> engine_;  // null on the CPU
  StepWorkspace ws_;
  std::vector<float> block_;  // prefill logits of one block of tokens on an engine
};

}  // namespace rwkvs
