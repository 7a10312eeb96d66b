#include "src/infer/byte_lm_fusion.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/error.h"

namespace rwkvs {

struct ByteLmFusion::LmState : CtcLanguageModel::State {
  RecurrentState state;            // after the prefix's last byte
  std::vector<float> log_probs;    // [V] log P(next CTC symbol), renormalised over the vocabulary
};

ByteLmFusion::ByteLmFusion(const Model& lm, const std::vector<std::string>& vocab, const std::string& lm_source)
    : lm_(lm) {
  const ModelConfig& c = lm.config();
  if (c.frames_input() || c.tokenizer != "bytes" || c.head_kind != "lm" || c.vocab_size < 256)
    fail("'", lm_source, "' is not a byte-level text LM (rwkvs train --task text); --lm needs one");
  if (vocab.size() < 2) fail("ByteLmFusion: the CTC vocabulary needs the blank and at least one symbol");
  bytes_.assign(vocab.size(), 0);
  for (size_t v = 1; v < vocab.size(); ++v) {
    const std::string& s = vocab[v];
    if (s.size() != 1 || static_cast<unsigned char>(s[0]) >= 128)
      fail("--lm: CTC symbol ", v, " '", s, "' is not one ASCII character; byte-LM fusion needs one byte a symbol");
    bytes_[v] = static_cast<uint8_t>(s[0]);
  }
  logits_.resize(static_cast<size_t>(c.vocab_size));
}

std::shared_ptr<const ByteLmFusion::LmState> ByteLmFusion::step_from(const RecurrentState& from, uint8_t byte) const {
  auto next = std::make_shared<LmState>();
  next->state = from;
  const int32_t token = byte;
  rwkv4_step(lm_, next->state, &token, logits_.data(), ws_);
  ++steps_;
  // log_softmax over the bytes the vocabulary writes, in double.
  const size_t V = bytes_.size();
  float hi = -std::numeric_limits<float>::infinity();
  for (size_t v = 1; v < V; ++v) hi = std::max(hi, logits_[bytes_[v]]);
  if (!std::isfinite(hi)) fail("--lm: the language model gave a non-finite logit");
  double sum = 0;
  for (size_t v = 1; v < V; ++v) sum += std::exp(static_cast<double>(logits_[bytes_[v]]) - hi);
  const double log_z = hi + std::log(sum);
  next->log_probs.assign(V, 0.0f);
  for (size_t v = 1; v < V; ++v) next->log_probs[v] = static_cast<float>(logits_[bytes_[v]] - log_z);
  return next;
}

CtcLanguageModel::StatePtr ByteLmFusion::initial_state() const {
  return step_from(RecurrentState(lm_.config(), 1), '\n');
}

void ByteLmFusion::next_log_probs(const State& state, float* log_probs) const {
  const auto& s = static_cast<const LmState&>(state);
  std::copy(s.log_probs.begin(), s.log_probs.end(), log_probs);
}

CtcLanguageModel::StatePtr ByteLmFusion::advance(const State& state, int32_t id) const {
  RWKVS_CHECK(id >= 1 && static_cast<size_t>(id) < bytes_.size(), "ByteLmFusion::advance: id ", id, " out of range");
  return step_from(static_cast<const LmState&>(state).state, bytes_[static_cast<size_t>(id)]);
}

}  // namespace rwkvs
