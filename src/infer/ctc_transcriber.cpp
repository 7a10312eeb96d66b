#include "src/infer/ctc_transcriber.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "base/error.h"

namespace rwkvs {

void validate_ctc_endpoint_rules(const CtcEndpointRules& r) {
  if (!(r.trailing_silence_s > 0) || !std::isfinite(r.trailing_silence_s))
    fail("endpoint rule trailing_silence_s must be a positive number of seconds, got ", r.trailing_silence_s);
  if (!(r.max_segment_s > r.trailing_silence_s) || !std::isfinite(r.max_segment_s))
    fail("endpoint rule max_segment_s must be longer than trailing_silence_s (", r.trailing_silence_s, " s), got ",
         r.max_segment_s);
}

namespace {

// Seconds to whole positions, at least one (a rule shorter than a position acts at every position).
int64_t to_positions(double seconds, double position_s) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::llround(seconds / position_s)));
}

}  // namespace

CtcTranscriber::CtcTranscriber(std::vector<std::string> vocab, double position_s, const CtcTranscriberOptions& options,
                               const CtcLanguageModel* lm)
    : vocab_(std::move(vocab)), V_(static_cast<int64_t>(vocab_.size())), position_s_(position_s), options_(options) {
  if (!(position_s > 0) || !std::isfinite(position_s))
    fail("CtcTranscriber: position_s must be > 0, got ", position_s);
  validate_ctc_endpoint_rules(options.endpoint);
  if (options.beam < 1) fail("CtcTranscriber: beam must be >= 1, got ", options.beam);
  if (lm && options.beam == 1) fail("CtcTranscriber: language-model fusion needs a beam search (beam > 1)");
  silence_limit_ = to_positions(options.endpoint.trailing_silence_s, position_s);
  segment_limit_ = std::max(silence_limit_ + 1, to_positions(options.endpoint.max_segment_s, position_s));
  for (int64_t v = 1; v < V_; ++v)
    if (vocab_[static_cast<size_t>(v)] == " ") space_id_ = static_cast<int32_t>(v);
  if (options.beam == 1) {
    greedy_.emplace(V_);
  } else {
    CtcBeamOptions b = options.beam_options;
    b.beam = options.beam;
    beam_.emplace(V_, b, lm);
  }
  ctc_text({}, vocab_);  // checks the vocabulary now rather than at the first segment
}

void CtcTranscriber::push(const float* log_probs, int64_t n, std::vector<CtcSegment>* finals) {
  RWKVS_CHECK(n >= 0, "CtcTranscriber::push: n must be >= 0, got ", n);
  for (int64_t i = 0; i < n; ++i) push_row(log_probs + i * V_, finals);
}

void CtcTranscriber::push_row(const float* row, std::vector<CtcSegment>* finals) {
  if (greedy_)
    greedy_->push(row);  // checks the row (NaN, +inf, no finite entry)
  else
    beam_->push(row);
  ++positions_;
  int32_t best = 0;
  for (int64_t v = 1; v < V_; ++v)
    if (row[v] > row[best]) best = static_cast<int32_t>(v);
  if (best != 0 && best != space_id_) {
    has_speech_ = true;
    silence_run_ = 0;
  } else {
    ++silence_run_;
  }
  const bool silence_ends = silence_run_ >= silence_limit_;
  const bool too_long = positions_ - segment_start_ >= segment_limit_;
  if (!silence_ends && !too_long) return;
  if (has_speech_) {
    CtcSegment s = current(positions_);
    s.index = next_index_++;
    finals->push_back(std::move(s));
  }
  restart_segment();
}

void CtcTranscriber::finish(std::vector<CtcSegment>* finals) {
  if (has_speech_) {
    CtcSegment s = current(positions_);
    s.index = next_index_++;
    finals->push_back(std::move(s));
  }
  restart_segment();
}

CtcHypothesis CtcTranscriber::best() const { return greedy_ ? greedy_->hypothesis() : beam_->best(); }

CtcSegment CtcTranscriber::current(int64_t end_position) const {
  const CtcHypothesis hyp = best();
  CtcSegment s;
  s.index = next_index_;
  s.start_s = static_cast<double>(segment_start_) * position_s_;
  s.end_s = static_cast<double>(end_position) * position_s_;
  s.text = ctc_text(hyp.ids, vocab_);
  s.words = ctc_word_timings(hyp, vocab_, position_s_);
  for (WordTiming& w : s.words) {
    w.start_s += s.start_s;
    w.end_s += s.start_s;
  }
  return s;
}

CtcSegment CtcTranscriber::partial() const { return current(positions_); }

void CtcTranscriber::restart_segment() {
  if (greedy_)
    greedy_->reset();
  else
    beam_->reset();
  segment_start_ = positions_;
  silence_run_ = 0;
  has_speech_ = false;
}

void CtcTranscriber::reset() {
  restart_segment();
  positions_ = 0;
  segment_start_ = 0;
  next_index_ = 0;
}

std::vector<CtcSegment> ctc_transcribe(const float* log_probs, int64_t T, const std::vector<std::string>& vocab,
                                       double position_s, const CtcTranscriberOptions& options,
                                       const CtcLanguageModel* lm) {
  CtcTranscriber t(vocab, position_s, options, lm);
  std::vector<CtcSegment> segments;
  t.push(log_probs, T, &segments);
  t.finish(&segments);
  return segments;
}

}  // namespace rwkvs
