#include "src/infer/token_stepper.h"

#include <algorithm>
#include <utility>

#include "base/error.h"

namespace rwkvs {

namespace {
constexpr int64_t kPrefillBlock = 256;  // tokens per engine call: bounds the logits copied back
}

TokenStepper::TokenStepper(const Model& model, const std::string& device, const std::string& precision)
    : model_(model) {
  validate_device_flags(device, precision);
  // RWKV-7 has no separate CPU step: the engine's parallel form at T = 1 from the carried state is it
  if (device != "cpu" || model.config().rwkv7()) engine_ = make_engine(device, model, precision);
}

TokenStepper::TokenStepper(const Model& model, std::unique_ptr<Engine> engine)
    : model_(model), engine_(std::move(engine)) {
  if (!engine_) fail("TokenStepper: null engine");
}

void TokenStepper::step(RecurrentState& state, int32_t token, float* logits) {
  if (engine_)
    engine_->forward(ModelInput{&token, nullptr}, 1, 1, &state, logits);
  else
    rwkv4_step(model_, state, &token, logits, ws_);
}

void TokenStepper::prefill(RecurrentState& state, const int32_t* tokens, int64_t n, float* logits) {
  if (n < 1) fail("prefill: needs at least one token");
  const int64_t V = model_.config().vocab_size;
  if (!engine_) {
    for (int64_t i = 0; i < n; ++i) rwkv4_step(model_, state, &tokens[i], logits, ws_);
    return;
  }
  for (int64_t i = 0; i < n; i += kPrefillBlock) {
    const int64_t T = std::min(kPrefillBlock, n - i);
    block_.resize(static_cast<size_t>(T * V));
    engine_->forward(ModelInput{tokens + i, nullptr}, 1, T, &state, block_.data());
    std::copy(block_.end() - V, block_.end(), logits);
  }
}

}  // namespace rwkvs
