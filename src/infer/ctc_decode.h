#pragma once
// Decoders for a CTC head: greedy (best path) and prefix beam search with optional shallow fusion
// of a language model, both offline and incremental; words with times and text from a result.
//
// Conventions shared by everything here:
//   - vocabulary: vocab[0] is the blank (its text is ignored), every other entry is one UTF-8
//     character, the entry " " separates words (CharVocab::labels() is such a vocabulary);
//   - input: per-frame log-probabilities log_probs (T, V), row-major, already log_softmax-ed, one row
//     per frame; frame f covers [f * frame_s, (f + 1) * frame_s). NaN or +inf is an Error, and so is
//     a row without a finite entry; -inf is a valid log(0);
//   - every incremental decoder gives exactly (bit for bit) the result of its offline function
//     whatever the chunking of the rows it is pushed: frames are processed one at a time by the
//     same code, and nothing depends on where a chunk ends.
// Thread-safety: a decoder is used by one thread at a time; different decoders are independent
// (they may share one const CtcLanguageModel if its implementation is thread-safe).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rwkvs {

struct CtcHypothesis {
  std::vector<int32_t> ids;     // emitted symbols in order, never the blank
  std::vector<int64_t> frames;  // [ids.size()] the frame at which each id was emitted (see the decoders)
  // Greedy: the log-probability of the best path (one alignment), sum over frames of the row max.
  // Beam: the fused score ctc_log_prob + lm_weight * lm_log_prob + length_bonus * ids.size().
  double score = 0;
  // Greedy: equal to score. Beam: log P_ctc(ids | frames so far), summed over the alignments the beam
  // kept; exact when the beam never pruned a prefix, a lower bound of the exact value otherwise.
  double ctc_log_prob = 0;
  double lm_log_prob = 0;  // beam with a language model: log P_lm(ids) (no end-of-text term); else 0
};

// ---- Greedy ------------------------------------------------------------------------------------
// The best path: per frame the most likely symbol (the lowest id among equal maxima), repeats
// collapsed, blanks dropped, so "a a" is one 'a' and "a _ a" two. frames[i] is the first frame of the
// run of frames that emitted ids[i].
CtcHypothesis ctc_greedy_decode(const float* log_probs /*(T, V)*/, int64_t T, int64_t V);

class CtcGreedyDecoder {
 public:
  explicit CtcGreedyDecoder(int64_t V);  // V >= 2 (the blank and at least one symbol)

  void push(const float* row /*[V]*/);
  void push(const float* rows /*(n, V)*/, int64_t n);  // n >= 0
  // The result over every frame pushed since construction or reset().
  const CtcHypothesis& hypothesis() const { return hyp_; }
  int64_t frames_seen() const { return frames_; }
  void reset();

 private:
  int64_t V_;
  int64_t frames_ = 0;
  int32_t last_ = 0;  // the previous frame's best symbol (blank before the first frame)
  CtcHypothesis hyp_;
};

// ---- Language model for shallow fusion --------------------------------------------------------
// Scores the next CTC symbol (an id in [1, V) of the decoder's vocabulary) after a prefix. The
// decoder owns nothing of it; it keeps one shared_ptr<const State> per prefix in the beam (prefixes
// with a common history share the parent's state object until they differ), computes a state only
// for a prefix that survived a frame's pruning (advance() from its parent's state), and lets go of
// the states of prefixes that left the beam. A state is immutable once made. An implementation
// (e.g. a byte-level RWKV text LM whose state is its recurrent state plus the logits after the last
// byte) derives its own state type from State and static_casts in the calls below.
class CtcLanguageModel {
 public:
  struct State {
    virtual ~State() = default;
  };
  using StatePtr = std::shared_ptr<const State>;

  virtual ~CtcLanguageModel() = default;
  // V of the vocabulary it scores; a decoder with another V refuses the model.
  virtual int64_t vocab_size() const = 0;
  // The state before any symbol (start of text).
  virtual StatePtr initial_state() const = 0;
  // log P(id | the prefix of 'state') for every id into log_probs [V]; log_probs[0] (the blank) is
  // ignored. Called once for a prefix in the beam when it is first extended (the result is kept
  // while the prefix stays in the beam); NaN is an Error, -inf forbids the id.
  virtual void next_log_probs(const State& state, float* log_probs /*[V]*/) const = 0;
  // The state after appending id (in [1, V)) to the prefix of 'state'.
  virtual StatePtr advance(const State& state, int32_t id) const = 0;
};

// ---- Prefix beam search ------------------------------------------------------------------------
// The classic CTC prefix search: for every prefix y kept, P_b(y) and P_nb(y), the probability of
// the frames so far over the alignments of y that end in a blank / in y's last symbol. Per frame,
// every kept prefix stays (blank, or a repeat of its last symbol) and is extended by every symbol
// the frame's pruning keeps (a repeat of the last symbol only from the blank-ending mass). Equal
// prefixes reached from different places are merged. The candidates are ranked by
//     score(y) = log(P_b(y) + P_nb(y)) + lm_weight * log P_lm(y) + length_bonus * |y|
// and the 'beam' best are kept (equal scores: the prefix created first wins); candidates with
// P_ctc = 0 are dropped. log P_lm(y) is the sum of next_log_probs over y's symbols, without an
// end-of-text term (a caller wanting one can rescore the n-best list).
//
// Per-frame pruning: the symbols considered at a frame are the top_k most likely (0: all), and of
// those only the ones whose log-prob is >= min_log_prob; the frame's most likely symbol is always
// considered. The blank is treated like any symbol. A symbol not considered counts as probability 0
// at that frame for every transition, so the search is exact over the pruned frames whenever the
// beam holds every prefix. Both off (top_k = 0, min_log_prob = -inf) with a beam wider than the
// number of possible prefixes makes the search exact: the result is the argmax of the score over
// all label sequences, with the exact P_ctc.
//
// Beam 1 keeps the single prefix with the highest score after each frame. That is not greedy: the
// prefix's score sums over its alignments, so beam 1 can pick "ab" where the best path says "aa"
// (tests/test_ctc_decode.cpp has such a case); on peaky outputs (one symbol near 1 per frame) the
// two agree. top_k = 1 leaves only the best path's alignment: the result is greedy's, score included.
//
// Timestamps: frames[i] is the frame of the strongest emission of ids[i]: at each frame where the
// prefix ids[0..i] is extended from ids[0..i-1] and kept in the beam, the search knows the mass that
// enters it there (the probability of the frames so far over the kept alignments that emit ids[i]
// for the first time at that frame); frames[i] is the frame where that mass was largest (the earliest
// of equal ones). Not the first frame at which the prefix was reached: with a wide beam a prefix
// enters the beam long before its character is spoken (during silence every one-character prefix
// has room at a tiny probability), which would pull every time early. On peaky outputs it is
// greedy's first frame of the run, and with top_k = 1 it is greedy's frame exactly. A frame can move
// later only while the shorter prefix ids[0..i-1] is still in the beam, so the times of settled
// words in a streaming result stop moving.
struct CtcBeamOptions {
  int beam = 8;                 // prefixes kept per frame, >= 1
  int top_k = 16;               // symbols considered per frame; 0 = all
  double min_log_prob = -10.0;  // symbols below this log-prob (e^-10 ~ 4.5e-5) are not considered;
                                // -infinity = off
  double lm_weight = 0.5;       // >= 0; the weight of log P_lm (ignored without a language model)
  double length_bonus = 0.0;    // added per emitted symbol (any finite value; > 0 offsets the LM's
                                // preference for short prefixes)
};

// Error naming the option (beam, top_k, min_log_prob, lm_weight, length_bonus) when one is bad.
void validate_ctc_beam_options(const CtcBeamOptions& options);

class CtcPrefixBeamDecoder {
 public:
  // V >= 2. lm may be null (no fusion); it is borrowed and must outlive the decoder; its vocab_size()
  // must be V.
  CtcPrefixBeamDecoder(int64_t V, const CtcBeamOptions& options, const CtcLanguageModel* lm = nullptr);
  ~CtcPrefixBeamDecoder();
  CtcPrefixBeamDecoder(CtcPrefixBeamDecoder&&) noexcept;
  CtcPrefixBeamDecoder& operator=(CtcPrefixBeamDecoder&&) noexcept;
  CtcPrefixBeamDecoder(const CtcPrefixBeamDecoder&) = delete;
  CtcPrefixBeamDecoder& operator=(const CtcPrefixBeamDecoder&) = delete;

  void push(const float* row /*[V]*/);
  void push(const float* rows /*(n, V)*/, int64_t n);  // n >= 0
  // The best prefix over the frames pushed so far (before any frame: empty, score 0).
  CtcHypothesis best() const;
  // Up to n (>= 1) prefixes, best first; never more than the beam.
  std::vector<CtcHypothesis> nbest(int n) const;
  int64_t frames_seen() const { return frames_; }
  // Forgets every frame (a new utterance); the options and the language model stay.
  void reset();

 private:
  struct Node;  // a prefix: a node of a trie whose nodes are shared by the prefixes they start
  struct Entry {
    std::shared_ptr<Node> node;
    double log_b = 0, log_nb = 0;  // log P_b, log P_nb
    double score = 0;              // the fused score
    double emit = 0;               // log of the mass that entered from the parent at the last frame
  };

  std::shared_ptr<Node> new_node(const std::shared_ptr<Node>& parent, int32_t id);
  std::shared_ptr<Node> child_of(const std::shared_ptr<Node>& parent, int32_t id);
  const std::vector<float>& lm_next(Node& node);
  CtcHypothesis hypothesis_of(const Entry& e) const;

  int64_t V_;
  CtcBeamOptions options_;
  const CtcLanguageModel* lm_ = nullptr;
  int64_t frames_ = 0;
  uint64_t serial_ = 0;           // creation counter of prefixes (the tie-break)
  std::vector<Entry> beam_;       // best first
  std::vector<double> row_;       // [V] the current frame in double
  std::vector<int32_t> symbols_;  // the symbols the current frame considers, increasing
};

// The n best (default 1) of a prefix beam search over log_probs (T, V); lm may be null.
std::vector<CtcHypothesis> ctc_beam_search(const float* log_probs /*(T, V)*/, int64_t T, int64_t V,
                                           const CtcBeamOptions& options,
                                           const CtcLanguageModel* lm = nullptr, int n_best = 1);

// ---- Words and text ----------------------------------------------------------------------------
struct WordTiming {
  std::string word;
  double start_s = 0;  // start of the frame of the word's first character
  double end_s = 0;    // end of the frame of its last character: CTC emits a character as a spike of
                       // a frame or two, so the frame that emits the last character ends the word
};

// Splits hyp on the " " id of vocab (runs of spaces and spaces at either end make no empty words).
// Error when vocab has no blank and symbol, an id is outside [1, V), or frames does not match ids.
std::vector<WordTiming> ctc_word_timings(const CtcHypothesis& hyp, const std::vector<std::string>& vocab,
                                         double frame_s);
// The text of ids: the words joined by single spaces (no space at either end), as normalize_transcript
// would write it. Error for an id outside [1, V).
std::string ctc_text(const std::vector<int32_t>& ids, const std::vector<std::string>& vocab);

}  // namespace rwkvs
