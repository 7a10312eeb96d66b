#pragma once
// A byte-level RWKV text LM (`rwkvs train --task text`) as the language model of CTC shallow fusion
// (CtcLanguageModel): each CTC symbol is one byte of text, so a prefix of characters is a prefix of
// bytes, and the LM's recurrent state after a prefix is the state the beam keeps for it.
//
//   const Model lm = load_model("lm.safetensors");
//   ByteLmFusion fusion(lm, ctc_model.config().labels);
//   CtcPrefixBeamDecoder d(V, options, &fusion);
//
// Scores: the LM's next-byte distribution is renormalised over the bytes the CTC vocabulary can
// write (its letters, apostrophe and space): a transcript is lower case without punctuation while
// the LM may have read text with capitals and commas, and the mass it gives those must not count
// against every hypothesis alike. A transcript starts where a line starts: the initial state is the
// LM after one "\n" byte, as in an LM trained on one sentence a line (scripts/make_lm_text.sh).
//
// Not thread-safe (a shared step workspace): one decoder at a time per instance. The model must
// outlive the fusion object.
#include <cstdint>
#include <string>
#include <vector>

#include "src/infer/ctc_decode.h"
#include "src/model/model.h"
#include "src/model/rwkv4.h"

namespace rwkvs {

class ByteLmFusion : public CtcLanguageModel {
 public:
  // lm: a byte-level text model (tokens input, tokenizer "bytes", lm head); vocab: the CTC labels
  // (vocab[0] the blank, every other entry one ASCII character). Error naming 'lm_source' otherwise.
  ByteLmFusion(const Model& lm, const std::vector<std::string>& vocab, const std::string& lm_source);

  int64_t vocab_size() const override { return static_cast<int64_t>(bytes_.size()); }
  StatePtr initial_state() const override;
  void next_log_probs(const State& state, float* log_probs) const override;
  StatePtr advance(const State& state, int32_t id) const override;

  // LM steps taken so far (one per advance and one for the initial state): the cost of fusion.
  int64_t steps() const { return steps_; }

 private:
  struct LmState;
  std::shared_ptr<const LmState> step_from(const RecurrentState& from, uint8_t byte) const;

  const Model& lm_;
  std::vector<uint8_t> bytes_;  // [V] the byte of each CTC id (bytes_[0] unused)
  mutable StepWorkspace ws_;
  mutable std::vector<float> logits_;
  mutable int64_t steps_ = 0;
};

}  // namespace rwkvs
