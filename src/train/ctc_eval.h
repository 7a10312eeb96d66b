#pragma once
// Evaluation of a CTC recogniser on transcribed utterances: greedy (or beam) decoding of every
// utterance, character and word error rates over the whole set (edits / reference length), the
// mean CTC loss per character, and the worst utterances.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "frontends/audio/feature_pipeline.h"
#include <memory>

#include "src/infer/ctc_decode.h"
#include "src/infer/stream_model.h"
#include "src/model/engine.h"
#include "src/train/utterances.h"

namespace rwkvs {

struct CtcUtteranceResult {
  size_t index = 0;  // into the UtteranceSet
  std::string reference, hypothesis;
  int64_t char_edits = 0, word_edits = 0, ref_words = 0, ref_chars = 0;
};

// CER and WER of one group of utterances (e.g. one speaker's).
struct CtcGroupErrors {
  std::string name;
  int64_t utterances = 0, char_edits = 0, ref_chars = 0, word_edits = 0, ref_words = 0;
  double cer() const { return ref_chars ? static_cast<double>(char_edits) / ref_chars : 0.0; }
  double wer() const { return ref_words ? static_cast<double>(word_edits) / ref_words : 0.0; }
};

struct CtcMetrics {
  int64_t utterances = 0;
  int64_t char_edits = 0, ref_chars = 0;  // CER = char_edits / ref_chars
  int64_t word_edits = 0, ref_words = 0;  // WER = word_edits / ref_words
  double loss_sum = 0;                    // sum of -log p(text | audio) over the alignable utterances
  int64_t loss_chars = 0;                 // characters in those
  int64_t unalignable = 0;                // utterances too short for their transcript
  std::vector<CtcUtteranceResult> results;  // per utterance, in order

  double cer() const { return ref_chars ? static_cast<double>(char_edits) / ref_chars : 0.0; }
  double wer() const { return ref_words ? static_cast<double>(word_edits) / ref_words : 0.0; }
  double loss() const { return loss_chars ? loss_sum / loss_chars : 0.0; }
  // {"<prefix>cer", "<prefix>wer", "<prefix>loss", "<prefix>utterances", "<prefix>unalignable"}
  nlohmann::json to_json(const std::string& prefix) const;
  // The n utterances with the most word errors (then character errors), worst first; none without errors.
  std::vector<CtcUtteranceResult> worst(size_t n) const;
  // The errors per speaker of 'set' (its manifest's "speaker"; "" for lines without one), highest CER first.
  std::vector<CtcGroupErrors> by_speaker(const UtteranceSet& set) const;
};

struct CtcDecodeSettings {
  int beam = 1;                       // 1: greedy; more: prefix beam search of that width
  CtcBeamOptions beam_options;        // the rest of the beam search's options (its .beam is ignored)
  const CtcLanguageModel* lm = nullptr;  // shallow fusion (beam > 1), borrowed; null: none

  CtcBeamOptions beam_search() const {  // beam_options with .beam = beam
    CtcBeamOptions o = beam_options;
    o.beam = beam;
    return o;
  }
};

// Runs the model over the first max_utterances utterances (0: all) in batches of 'batch', decodes
// and scores them against their normalised transcripts.
CtcMetrics evaluate_ctc(Engine& engine, const FeaturePipeline& features, const UtteranceSet& set, int64_t batch,
                        const ForwardOptions& fopt, size_t max_utterances = 0, const CtcDecodeSettings& decode = {});

// The same through a StreamSession per utterance (the recurrent form, audio fed in chunks of
// chunk_s seconds, outputs decoded as they arrive), up to 'streams' sessions at a time stepped
// together by a SessionBatch, as a server would: what `rwkvs stream` would print. 'differs'
// counts the utterances whose streamed transcript is not the offline one given in 'offline'
// (float rounding between the parallel and recurrent forms can flip a near tie).
struct CtcStreamedMetrics {
  CtcMetrics metrics;  // loss fields unused
  int64_t differs = 0;
};
CtcStreamedMetrics evaluate_ctc_streamed(const std::shared_ptr<const StreamModel>& model, const UtteranceSet& set,
                                         const CtcMetrics& offline, double chunk_s, const CtcDecodeSettings& decode,
                                         int64_t streams = 16);

}  // namespace rwkvs
