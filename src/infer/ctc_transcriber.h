#pragma once
// Turns the per-position log-probabilities of a CTC model into segments of text, as a stream: a
// decoder (greedy or prefix beam search, optionally fused with a language model) runs over the
// positions of the open segment, and an endpointer closes the segment, giving its final text, its
// times and its words' times, and starts a new one. `rwkvs stream` prints what it gives; the offline
// function ctc_transcribe() runs the same code over a whole file's rows, so a stream's segments equal
// the offline ones for any chunking of the rows (bit for bit: the decoders and the endpointer look at
// one position at a time and nothing depends on where a chunk ends).
//
// Endpoint rules, in seconds of audio (sherpa-onnx's rules 2 and 3, with rule 1 as a silent reset):
//   - silence is a run of positions whose most likely symbol is the blank or the space (decoder
//     independent: greedy and beam segment the same audio alike);
//   - a segment with text ends after trailing_silence_s of silence: its final text is the decode of
//     every position up to the end of that silence;
//   - a segment ends at max_segment_s whatever is in it (a long monologue without pauses is cut);
//   - a segment without text is restarted, silently, after trailing_silence_s of silence, so the
//     next segment's start is near its speech and nothing grows over hours of silence.
// Memory is bounded by the longest segment (max_segment_s), whatever the length of the stream.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/infer/ctc_decode.h"

namespace rwkvs {

struct CtcEndpointRules {
  double trailing_silence_s = 0.8;  // > 0
  double max_segment_s = 20.0;      // > trailing_silence_s
};
// Error naming the rule (trailing_silence_s, max_segment_s) when one is bad.
void validate_ctc_endpoint_rules(const CtcEndpointRules& rules);

struct CtcSegment {
  int64_t index = 0;               // 0, 1, 2, ... in stream order (segments restarted silently take none)
  double start_s = 0, end_s = 0;   // the audio the segment decoded: its first position's start, last one's end
  std::string text;                // normalised like transcripts: words joined by single spaces
  std::vector<WordTiming> words;   // times in seconds from the start of the stream
};

struct CtcTranscriberOptions {
  int beam = 1;                  // 1: greedy; more: prefix beam search (beam_options.beam is set to it)
  CtcBeamOptions beam_options;   // top_k, min_log_prob, lm_weight, length_bonus of the beam search
  CtcEndpointRules endpoint;
};

class CtcTranscriber {
 public:
  // vocab: the model's labels (vocab[0] the blank, one character each, " " between words);
  // position_s: seconds per model position (frame shift x frame stack); lm: optional shallow fusion
  // (beam > 1 only), borrowed, must outlive the transcriber.
  CtcTranscriber(std::vector<std::string> vocab, double position_s, const CtcTranscriberOptions& options,
                 const CtcLanguageModel* lm = nullptr);

  // The log_softmax rows (n, V) of the next n positions. Segments that end among them are appended
  // to *finals.
  void push(const float* log_probs /*(n, V)*/, int64_t n, std::vector<CtcSegment>* finals);
  // End of the stream: the open segment, if it has text, is appended to *finals.
  void finish(std::vector<CtcSegment>* finals);
  // The open segment as decoded so far (its end: the last position pushed); empty text when none.
  CtcSegment partial() const;
  int64_t positions() const { return positions_; }  // pushed since construction or reset()
  // A new stream (the options and the language model stay).
  void reset();

 private:
  void push_row(const float* row, std::vector<CtcSegment>* finals);
  CtcHypothesis best() const;
  CtcSegment current(int64_t end_position) const;
  void restart_segment();

  std::vector<std::string> vocab_;
  int64_t V_;
  double position_s_;
  CtcTranscriberOptions options_;
  int64_t silence_limit_, segment_limit_;  // the rules in positions
  int32_t space_id_ = -1;
  std::optional<CtcGreedyDecoder> greedy_;
  std::optional<CtcPrefixBeamDecoder> beam_;
  int64_t positions_ = 0;
  int64_t segment_start_ = 0;  // first position of the open segment
  int64_t silence_run_ = 0;    // silent positions at the end of the open segment
  bool has_speech_ = false;    // the open segment has a position whose best symbol is a character
  int64_t next_index_ = 0;
};

// The segments of a whole stream's rows (T, V), as a CtcTranscriber pushed them all and finished.
std::vector<CtcSegment> ctc_transcribe(const float* log_probs /*(T, V)*/, int64_t T,
                                       const std::vector<std::string>& vocab, double position_s,
                                       const CtcTranscriberOptions& options, const CtcLanguageModel* lm = nullptr);

}  // namespace rwkvs
