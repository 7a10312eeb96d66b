#include "src/infer/ctc_decode.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <utility>

#include "base/error.h"
#include "src/infer/edit_distance.h"

namespace rwkvs {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

double log_add(double a, double b) {
  if (a == kNegInf) return b;
  if (b == kNegInf) return a;
  const double hi = std::max(a, b), lo = std::min(a, b);
  return hi + std::log1p(std::exp(lo - hi));
}

void check_vocab_size(int64_t V, const char* who) {
  if (V < 2) fail(who, ": V must be >= 2 (the blank and at least one symbol), got ", V);
}

// Checks one frame's row and returns its most likely symbol (the lowest id among equal maxima).
int32_t best_symbol(const float* row, int64_t V, int64_t frame) {
  RWKVS_CHECK(row != nullptr, "ctc decode: frame ", frame, " is a null row");
  int32_t best = 0;
  for (int64_t v = 0; v < V; ++v) {
    const float x = row[v];
    if (std::isnan(x) || x == std::numeric_limits<float>::infinity())
      fail("ctc decode: frame ", frame, " symbol ", v, " has log-probability ", x,
           " (expected log_softmax output: finite or -inf)");
    if (x > row[best]) best = static_cast<int32_t>(v);
  }
  if (row[best] == -std::numeric_limits<float>::infinity())
    fail("ctc decode: frame ", frame, " has no finite log-probability (every symbol is -inf)");
  return best;
}

}  // namespace

// ---- Greedy ------------------------------------------------------------------------------------

CtcGreedyDecoder::CtcGreedyDecoder(int64_t V) : V_(V) { check_vocab_size(V, "CtcGreedyDecoder"); }

void CtcGreedyDecoder::push(const float* row) {
  const int32_t best = best_symbol(row, V_, frames_);
  hyp_.score += row[best];
  hyp_.ctc_log_prob = hyp_.score;
  if (best != 0 && best != last_) {
    hyp_.ids.push_back(best);
    hyp_.frames.push_back(frames_);
  }
  last_ = best;
  ++frames_;
}

void CtcGreedyDecoder::push(const float* rows, int64_t n) {
  RWKVS_CHECK(n >= 0, "CtcGreedyDecoder::push: n must be >= 0, got ", n);
  for (int64_t i = 0; i < n; ++i) push(rows + i * V_);
}

void CtcGreedyDecoder::reset() {
  frames_ = 0;
  last_ = 0;
  hyp_ = CtcHypothesis{};
}

CtcHypothesis ctc_greedy_decode(const float* log_probs, int64_t T, int64_t V) {
  RWKVS_CHECK(T >= 0, "ctc_greedy_decode: T must be >= 0, got ", T);
  CtcGreedyDecoder d(V);
  d.push(log_probs, T);
  return d.hypothesis();
}

// ---- Prefix beam search ------------------------------------------------------------------------

struct CtcPrefixBeamDecoder::Node {
  std::shared_ptr<Node> parent;  // null for the empty prefix
  int32_t id = 0;                // the last symbol; 0 for the empty prefix
  int64_t frame = -1;            // the frame of the strongest emission of the last symbol
  double emit_log_p = kNegInf;   // the mass that entered the prefix at that frame
  int64_t length = 0;
  uint64_t serial = 0;     // creation order (the tie-break of equal scores)
  double lm_log_prob = 0;  // log P_lm of the whole prefix
  bool in_beam = false;
  // The live prefixes one symbol longer, for merging equal prefixes (at most one entry per id).
  std::vector<std::pair<int32_t, std::weak_ptr<Node>>> children;
  CtcLanguageModel::StatePtr lm_state;  // set while in the beam (with a language model)
  std::vector<float> lm_next;           // [V] next-symbol log-probs, computed when first extended

  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  // Lets go of a chain of parents owned by nobody else one by one: a long prefix must not unwind
  // as a recursion as deep as its length.
  ~Node() {
    std::shared_ptr<Node> p = std::move(parent);
    while (p && p.use_count() == 1) {
      std::shared_ptr<Node> up = std::move(p->parent);
      p = std::move(up);
    }
  }
};

void validate_ctc_beam_options(const CtcBeamOptions& o) {
  if (o.beam < 1) fail("ctc beam search: beam must be >= 1, got ", o.beam);
  if (o.top_k < 0) fail("ctc beam search: top_k must be >= 0 (0 = all symbols), got ", o.top_k);
  if (std::isnan(o.min_log_prob) || o.min_log_prob > 0)
    fail("ctc beam search: min_log_prob must be <= 0 (-inf = off), got ", o.min_log_prob);
  if (!(o.lm_weight >= 0) || !std::isfinite(o.lm_weight))
    fail("ctc beam search: lm_weight must be finite and >= 0, got ", o.lm_weight);
  if (!std::isfinite(o.length_bonus))
    fail("ctc beam search: length_bonus must be finite, got ", o.length_bonus);
}

CtcPrefixBeamDecoder::CtcPrefixBeamDecoder(int64_t V, const CtcBeamOptions& options,
                                           const CtcLanguageModel* lm)
    : V_(V), options_(options), lm_(lm) {
  check_vocab_size(V, "CtcPrefixBeamDecoder");
  validate_ctc_beam_options(options);
  if (lm_ && lm_->vocab_size() != V)
    fail("CtcPrefixBeamDecoder: the language model scores ", lm_->vocab_size(), " symbols, the CTC head has ",
         V);
  row_.resize(static_cast<size_t>(V));
  reset();
}

CtcPrefixBeamDecoder::~CtcPrefixBeamDecoder() = default;
CtcPrefixBeamDecoder::CtcPrefixBeamDecoder(CtcPrefixBeamDecoder&&) noexcept = default;
CtcPrefixBeamDecoder& CtcPrefixBeamDecoder::operator=(CtcPrefixBeamDecoder&&) noexcept = default;

void CtcPrefixBeamDecoder::reset() {
  beam_.clear();
  frames_ = 0;
  serial_ = 0;
  std::shared_ptr<Node> root = new_node(nullptr, 0);
  root->in_beam = true;
  if (lm_) {
    root->lm_state = lm_->initial_state();
    RWKVS_CHECK(root->lm_state != nullptr,
                "CtcPrefixBeamDecoder: the language model gave a null initial state");
  }
  beam_.push_back(Entry{std::move(root), 0.0, kNegInf, 0.0, kNegInf});
}

std::shared_ptr<CtcPrefixBeamDecoder::Node> CtcPrefixBeamDecoder::new_node(
    const std::shared_ptr<Node>& parent, int32_t id) {
  // Not make_shared: the children's weak_ptrs would keep a whole dead node's storage alive.
  std::shared_ptr<Node> n(new Node());
  n->parent = parent;
  n->id = id;
  n->serial = serial_++;
  if (parent) {
    n->frame = frames_;
    n->length = parent->length + 1;
    n->lm_log_prob = parent->lm_log_prob + (lm_ ? lm_next(*parent)[static_cast<size_t>(id)] : 0.0);
  }
  return n;
}

std::shared_ptr<CtcPrefixBeamDecoder::Node> CtcPrefixBeamDecoder::child_of(
    const std::shared_ptr<Node>& parent, int32_t id) {
  for (auto& [cid, weak] : parent->children) {
    if (cid != id) continue;
    if (std::shared_ptr<Node> alive = weak.lock()) return alive;
    std::shared_ptr<Node> n = new_node(parent, id);
    weak = n;
    return n;
  }
  std::shared_ptr<Node> n = new_node(parent, id);
  parent->children.emplace_back(id, n);
  return n;
}

const std::vector<float>& CtcPrefixBeamDecoder::lm_next(Node& node) {
  if (node.lm_next.empty()) {
    RWKVS_CHECK(node.lm_state != nullptr,
                "CtcPrefixBeamDecoder: internal error: a prefix in the beam has no LM state");
    node.lm_next.assign(static_cast<size_t>(V_), 0.0f);
    lm_->next_log_probs(*node.lm_state, node.lm_next.data());
    for (int64_t v = 1; v < V_; ++v)
      if (std::isnan(node.lm_next[v]) || node.lm_next[v] == std::numeric_limits<float>::infinity())
        fail("ctc beam search: the language model gave log-probability ", node.lm_next[v], " for symbol ", v);
  }
  return node.lm_next;
}

void CtcPrefixBeamDecoder::push(const float* row) {
  const int32_t best = best_symbol(row, V_, frames_);
  for (int64_t v = 0; v < V_; ++v) row_[v] = row[v];

  // The symbols this frame considers (see the header): top_k by log-prob (ties: lower id), then the
  // threshold, and the best symbol always.
  symbols_.clear();
  std::vector<char> considered(static_cast<size_t>(V_), 0);
  if (options_.top_k > 0 && options_.top_k < V_) {
    std::vector<int32_t> order(static_cast<size_t>(V_));
    for (int32_t v = 0; v < V_; ++v) order[v] = v;
    std::partial_sort(order.begin(), order.begin() + options_.top_k, order.end(),
                      [&](int32_t a, int32_t b) { return row_[a] != row_[b] ? row_[a] > row_[b] : a < b; });
    for (int k = 0; k < options_.top_k; ++k) considered[order[k]] = 1;
  } else {
    std::fill(considered.begin(), considered.end(), 1);
  }
  for (int32_t v = 0; v < V_; ++v) {
    if (considered[v] && row_[v] < options_.min_log_prob && v != best) considered[v] = 0;
    if (considered[v] && v != 0) symbols_.push_back(v);
  }

  // Candidates of this frame, in the order they are first reached (deterministic: it follows the beam).
  struct Candidate {
    std::shared_ptr<Node> node;
    double log_b = kNegInf, log_nb = kNegInf;
    double emit = kNegInf;  // the mass entering from the parent at this frame (one parent per node)
  };
  std::vector<Candidate> cand;
  std::unordered_map<const Node*, size_t> where;
  const auto add = [&](const std::shared_ptr<Node>& node, bool blank_end, double log_p) -> Candidate* {
    if (log_p == kNegInf) return nullptr;
    auto [it, fresh] = where.try_emplace(node.get(), cand.size());
    if (fresh) cand.push_back(Candidate{node});
    double& slot = blank_end ? cand[it->second].log_b : cand[it->second].log_nb;
    slot = log_add(slot, log_p);
    return &cand[it->second];
  };

  for (const Entry& e : beam_) {
    const Node& n = *e.node;
    const double total = log_add(e.log_b, e.log_nb);
    if (considered[0]) add(e.node, true, total + row_[0]);                         // stay on a blank
    if (n.id != 0 && considered[n.id]) add(e.node, false, e.log_nb + row_[n.id]);  // stay on a repeat
    for (int32_t c : symbols_) {
      const double from = c == n.id ? e.log_b : total;  // a repeat needs a blank in between
      if (from == kNegInf || row_[c] == kNegInf) continue;
      const double log_p = from + row_[c];
      if (Candidate* k = add(child_of(e.node, c), false, log_p)) k->emit = log_p;
    }
  }

  std::vector<Entry> next;
  next.reserve(cand.size());
  for (Candidate& c : cand) {
    const double ctc = log_add(c.log_b, c.log_nb);
    const Node& n = *c.node;
    const double score = ctc + (lm_ ? options_.lm_weight * n.lm_log_prob : 0.0) +
                         options_.length_bonus * static_cast<double>(n.length);
    next.push_back(Entry{std::move(c.node), c.log_b, c.log_nb, score, c.emit});
  }
  const auto better = [](const Entry& a, const Entry& b) {
    return a.score != b.score ? a.score > b.score : a.node->serial < b.node->serial;
  };
  const size_t keep = std::min(next.size(), static_cast<size_t>(options_.beam));
  std::partial_sort(next.begin(), next.begin() + static_cast<std::ptrdiff_t>(keep), next.end(), better);
  next.resize(keep);

  for (const Entry& e : beam_) e.node->in_beam = false;
  for (const Entry& e : next) {
    Node& n = *e.node;
    n.in_beam = true;
    if (e.emit > n.emit_log_p) {  // only a kept prefix's timestamp moves (see the header)
      n.emit_log_p = e.emit;
      n.frame = frames_;
    }
    // Every prefix in the beam carries its LM state: a new one is its parent's (in the old beam,
    // so still holding its state) advanced by its symbol.
    if (lm_ && !n.lm_state) {
      n.lm_state = lm_->advance(*n.parent->lm_state, n.id);
      RWKVS_CHECK(n.lm_state != nullptr, "ctc beam search: the language model gave a null state");
    }
  }
  for (const Entry& e : beam_) {
    if (e.node->in_beam) continue;
    e.node->lm_state.reset();
    std::vector<float>().swap(e.node->lm_next);
  }
  beam_ = std::move(next);
  ++frames_;
}

void CtcPrefixBeamDecoder::push(const float* rows, int64_t n) {
  RWKVS_CHECK(n >= 0, "CtcPrefixBeamDecoder::push: n must be >= 0, got ", n);
  for (int64_t i = 0; i < n; ++i) push(rows + i * V_);
}

CtcHypothesis CtcPrefixBeamDecoder::hypothesis_of(const Entry& e) const {
  CtcHypothesis h;
  for (const Node* n = e.node.get(); n->parent; n = n->parent.get()) {
    h.ids.push_back(n->id);
    h.frames.push_back(n->frame);
  }
  std::reverse(h.ids.begin(), h.ids.end());
  std::reverse(h.frames.begin(), h.frames.end());
  h.score = e.score;
  h.ctc_log_prob = log_add(e.log_b, e.log_nb);
  h.lm_log_prob = e.node->lm_log_prob;
  return h;
}

CtcHypothesis CtcPrefixBeamDecoder::best() const { return hypothesis_of(beam_.front()); }

std::vector<CtcHypothesis> CtcPrefixBeamDecoder::nbest(int n) const {
  RWKVS_CHECK(n >= 1, "CtcPrefixBeamDecoder::nbest: n must be >= 1, got ", n);
  std::vector<CtcHypothesis> out;
  for (size_t i = 0; i < beam_.size() && i < static_cast<size_t>(n); ++i)
    out.push_back(hypothesis_of(beam_[i]));
  return out;
}

std::vector<CtcHypothesis> ctc_beam_search(const float* log_probs, int64_t T, int64_t V,
                                           const CtcBeamOptions& options, const CtcLanguageModel* lm,
                                           int n_best) {
  RWKVS_CHECK(T >= 0, "ctc_beam_search: T must be >= 0, got ", T);
  RWKVS_CHECK(n_best >= 1, "ctc_beam_search: n_best must be >= 1, got ", n_best);
  CtcPrefixBeamDecoder d(V, options, lm);
  d.push(log_probs, T);
  return d.nbest(n_best);
}

// ---- Words and text ----------------------------------------------------------------------------
namespace {

void check_vocab(const std::vector<std::string>& vocab) {
  if (vocab.size() < 2)
    fail("ctc vocabulary: needs the blank and at least one character, got ", vocab.size(), " entries");
  for (size_t i = 1; i < vocab.size(); ++i) {
    if (vocab[i].empty() || utf8_code_points(vocab[i]).size() != 1)
      fail("ctc vocabulary: entry ", i, " ('", vocab[i], "') must be one UTF-8 character");
  }
}

const std::string& symbol_text(const std::vector<std::string>& vocab, int32_t id) {
  if (id < 1 || static_cast<size_t>(id) >= vocab.size())
    fail("ctc hypothesis: id ", id, " is outside [1, ", vocab.size(),
         ") (the blank or out of the vocabulary)");
  return vocab[static_cast<size_t>(id)];
}

}  // namespace

std::vector<WordTiming> ctc_word_timings(const CtcHypothesis& hyp, const std::vector<std::string>& vocab,
                                         double frame_s) {
  check_vocab(vocab);
  if (!(frame_s > 0) || !std::isfinite(frame_s)) fail("ctc_word_timings: frame_s must be > 0, got ", frame_s);
  if (hyp.frames.size() != hyp.ids.size())
    fail("ctc_word_timings: the hypothesis has ", hyp.ids.size(), " ids but ", hyp.frames.size(), " frames");
  std::vector<WordTiming> words;
  bool open = false;
  for (size_t i = 0; i < hyp.ids.size(); ++i) {
    const std::string& s = symbol_text(vocab, hyp.ids[i]);
    if (s == " ") {
      open = false;
      continue;
    }
    if (!open) {
      words.push_back(WordTiming{"", static_cast<double>(hyp.frames[i]) * frame_s, 0});
      open = true;
    }
    words.back().word += s;
    words.back().end_s = static_cast<double>(hyp.frames[i] + 1) * frame_s;
  }
  return words;
}

std::string ctc_text(const std::vector<int32_t>& ids, const std::vector<std::string>& vocab) {
  check_vocab(vocab);
  std::string text;
  bool space_pending = false;
  for (int32_t id : ids) {
    const std::string& s = symbol_text(vocab, id);
    if (s == " ") {
      space_pending = !text.empty();
      continue;
    }
    if (space_pending) text += ' ';
    space_pending = false;
    text += s;
  }
  return text;
}

}  // namespace rwkvs
