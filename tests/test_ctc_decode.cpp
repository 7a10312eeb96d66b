// CTC decoding: greedy against the collapse of per-frame argmax; prefix beam search against brute
// force over every alignment (with and without a bigram language model, with and without per-frame
// pruning); beam 1 and top_k 1; chunk invariance of both incremental decoders; timestamps; lazy LM
// states; words with times and text; bad input.
#include <pthread.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "src/infer/ctc_decode.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
using Labels = std::vector<int32_t>;

double log_add(double a, double b) {
  if (a == kNegInf) return b;
  if (b == kNegInf) return a;
  return std::max(a, b) + std::log1p(std::exp(-std::fabs(a - b)));
}

// Random log_softmax rows (T, V); larger 'sharpness' makes peakier frames.
std::vector<float> random_log_probs(std::mt19937& rng, int64_t T, int64_t V, double sharpness = 2.0) {
  std::normal_distribution<double> n(0.0, sharpness);
  std::vector<float> out(static_cast<size_t>(T * V));
  std::vector<double> z(static_cast<size_t>(V));
  for (int64_t t = 0; t < T; ++t) {
    double mx = kNegInf;
    for (double& x : z) mx = std::max(mx, x = n(rng));
    double sum = 0;
    for (double x : z) sum += std::exp(x - mx);
    for (int64_t v = 0; v < V; ++v) out[t * V + v] = static_cast<float>(z[v] - mx - std::log(sum));
  }
  return out;
}

// Rows from per-frame probabilities.
std::vector<float> rows_of(const std::vector<std::vector<double>>& p) {
  std::vector<float> out;
  for (const auto& row : p)
    for (double x : row) out.push_back(static_cast<float>(std::log(x)));
  return out;
}

Labels collapse(const std::vector<int32_t>& path) {
  Labels y;
  int32_t prev = 0;
  for (int32_t s : path) {
    if (s != 0 && s != prev) y.push_back(s);
    prev = s;
  }
  return y;
}

// log P_ctc(y | x) for every label sequence y with nonzero probability: the log-sum over all V^T paths.
std::map<Labels, double> brute_force(const std::vector<float>& lp, int64_t T, int64_t V) {
  std::map<Labels, double> out;
  std::vector<int32_t> path(static_cast<size_t>(T), 0);
  while (true) {
    double logp = 0;
    for (int64_t t = 0; t < T; ++t) logp += lp[t * V + path[t]];
    if (logp != kNegInf) {
      auto [it, fresh] = out.try_emplace(collapse(path), kNegInf);
      it->second = log_add(it->second, logp);
    }
    int64_t t = 0;
    while (t < T && ++path[t] == V) path[t++] = 0;
    if (t == T) break;
  }
  return out;
}

// A bigram table: log P(id | previous id), previous 0 at the start of text. Counts its calls and its
// live states.
class BigramLm : public CtcLanguageModel {
 public:
  struct BigramState : State {
    BigramState(int32_t l, int* live) : last(l), live_(live) { ++*live_; }
    ~BigramState() override { --*live_; }
    int32_t last;
    int* live_;
  };

  BigramLm(int64_t V, std::mt19937& rng) : V_(V), table_(static_cast<size_t>(V * V)) {
    std::normal_distribution<double> n(0.0, 1.5);
    for (int64_t prev = 0; prev < V; ++prev) {
      std::vector<double> z(static_cast<size_t>(V));
      double sum = 0;
      for (int64_t v = 1; v < V; ++v) sum += std::exp(z[v] = n(rng));
      for (int64_t v = 1; v < V; ++v) table_[prev * V + v] = static_cast<float>(z[v] - std::log(sum));
    }
  }
  int64_t vocab_size() const override { return V_; }
  StatePtr initial_state() const override { return std::make_shared<BigramState>(0, &live_states); }
  void next_log_probs(const State& s, float* out) const override {
    ++next_calls;
    const int32_t prev = static_cast<const BigramState&>(s).last;
    std::copy(table_.begin() + prev * V_, table_.begin() + (prev + 1) * V_, out);
  }
  StatePtr advance(const State& s, int32_t id) const override {
    (void)s;
    ++advance_calls;
    return std::make_shared<BigramState>(id, &live_states);
  }
  double log_prob(const Labels& y) const {
    double sum = 0;
    int32_t prev = 0;
    for (int32_t id : y) sum += table_[prev * V_ + id], prev = id;
    return sum;
  }

  mutable int next_calls = 0, advance_calls = 0, live_states = 0;

 private:
  int64_t V_;
  std::vector<float> table_;  // (V, V)
};

CtcBeamOptions exact(int beam = 100000) {
  CtcBeamOptions o;
  o.beam = beam;
  o.top_k = 0;
  o.min_log_prob = kNegInf;
  return o;
}

// Pushes rows in random chunks (including empty ones).
template <class Decoder>
void push_chunked(Decoder& d, const std::vector<float>& lp, int64_t T, int64_t V, std::mt19937& rng) {
  int64_t t = 0;
  while (t < T) {
    const int64_t n = std::min<int64_t>(T - t, std::uniform_int_distribution<int64_t>(0, 9)(rng));
    d.push(lp.data() + t * V, n);
    t += n;
  }
}

void check_same(const CtcHypothesis& a, const CtcHypothesis& b) {
  CHECK(a.ids == b.ids);
  CHECK(a.frames == b.frames);
  CHECK(a.score == b.score);  // bit-identical
  CHECK(a.ctc_log_prob == b.ctc_log_prob);
  CHECK(a.lm_log_prob == b.lm_log_prob);
}

}  // namespace

TEST_CASE("greedy: per-frame argmax, repeats collapsed unless a blank separates them") {
  // V = 3 (blank, a, b); per frame the marked symbol has 0.6, the others 0.2.
  const std::vector<int32_t> best = {1, 1, 0, 1, 2, 2, 0, 0, 2, 1};
  std::vector<std::vector<double>> p;
  for (int32_t b : best) {
    std::vector<double> row(3, 0.2);
    row[b] = 0.6;
    p.push_back(row);
  }
  const std::vector<float> lp = rows_of(p);
  const CtcHypothesis h = ctc_greedy_decode(lp.data(), 10, 3);
  CHECK(h.ids == Labels{1, 1, 2, 2, 1});  // "a a" -> a, "a _ a" -> a a, "b _ _ b" -> b b, "b a" -> b a
  CHECK(h.frames == std::vector<int64_t>{0, 3, 4, 8, 9});
  CHECK(h.score == doctest::Approx(10 * std::log(0.6)).epsilon(1e-6));
  CHECK(h.ctc_log_prob == h.score);

  // Equal maxima: the lowest id.
  const std::vector<float> tie = rows_of({{0.2, 0.4, 0.4}, {0.4, 0.4, 0.2}});
  CHECK(ctc_greedy_decode(tie.data(), 2, 3).ids == Labels{1});
  CHECK(ctc_greedy_decode(tie.data(), 0, 3).ids.empty());
}

TEST_CASE("greedy: random outputs equal the collapse of the argmax path; any chunking equals offline") {
  std::mt19937 rng(1);
  const int64_t T = 300, V = 6;
  const std::vector<float> lp = random_log_probs(rng, T, V, 1.0);
  std::vector<int32_t> path;
  double path_log_prob = 0;
  for (int64_t t = 0; t < T; ++t) {
    const auto row = lp.begin() + t * V;
    path.push_back(static_cast<int32_t>(std::max_element(row, row + V) - row));
    path_log_prob += lp[t * V + path.back()];
  }
  const CtcHypothesis offline = ctc_greedy_decode(lp.data(), T, V);
  CHECK(offline.ids == collapse(path));
  CHECK(offline.score == doctest::Approx(path_log_prob).epsilon(1e-12));
  REQUIRE(offline.ids.size() > 20);
  for (size_t i = 0; i < offline.ids.size(); ++i) {
    const int64_t f = offline.frames[i];
    CHECK(path[f] == offline.ids[i]);
    CHECK((f == 0 || path[f - 1] != offline.ids[i]));
  }
  CtcGreedyDecoder d(V);
  for (int trial = 0; trial < 5; ++trial) {
    d.reset();
    push_chunked(d, lp, T, V, rng);
    CHECK(d.frames_seen() == T);
    check_same(d.hypothesis(), offline);
  }
}

TEST_CASE("prefix beam search without pruning equals brute force over all alignments") {
  std::mt19937 rng(2);
  for (int trial = 0; trial < 60; ++trial) {
    const int64_t T = 1 + trial % 6, V = 3 + trial % 2;
    const std::vector<float> lp = random_log_probs(rng, T, V);
    const std::map<Labels, double> truth = brute_force(lp, T, V);
    std::vector<std::pair<double, Labels>> ranked;
    for (const auto& [y, s] : truth) ranked.emplace_back(s, y);
    std::sort(ranked.rbegin(), ranked.rend());

    const std::vector<CtcHypothesis> nbest = ctc_beam_search(lp.data(), T, V, exact(), nullptr, 100000);
    INFO("trial ", trial, " T ", T, " V ", V);
    REQUIRE(nbest.size() == truth.size());  // every prefix with nonzero probability, no more
    for (size_t k = 0; k < nbest.size(); ++k) {
      CHECK(std::fabs(nbest[k].score - truth.at(nbest[k].ids)) < 1e-9);
      CHECK(std::fabs(nbest[k].ctc_log_prob - truth.at(nbest[k].ids)) < 1e-9);
      CHECK(nbest[k].lm_log_prob == 0.0);
      if (k < 5) CHECK(nbest[k].ids == ranked[k].second);
    }
    CHECK(std::fabs(nbest[0].score - ranked[0].first) < 1e-9);
    // The exact best is at least as likely as the single best path.
    const CtcHypothesis greedy = ctc_greedy_decode(lp.data(), T, V);
    CHECK(nbest[0].score >= greedy.score - 1e-12);
    CHECK(nbest[0].score >= truth.at(greedy.ids) - 1e-12);
  }
}

TEST_CASE(
    "prefix beam search with a bigram LM equals brute-force argmax of log P_ctc + w log P_lm + bonus |y|") {
  std::mt19937 rng(3);
  int lm_changed_winner = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int64_t T = 1 + trial % 6, V = 3 + trial % 2;
    const std::vector<float> lp = random_log_probs(rng, T, V);
    BigramLm lm(V, rng);
    CtcBeamOptions o = exact();
    o.lm_weight = (trial % 3 == 0) ? 0.5 : 2.0;
    o.length_bonus = (trial % 2) ? 0.7 : 0.0;
    const std::map<Labels, double> truth = brute_force(lp, T, V);
    Labels want, ctc_only;
    double want_score = kNegInf, ctc_best = kNegInf;
    for (const auto& [y, s] : truth) {
      const double fused = s + o.lm_weight * lm.log_prob(y) + o.length_bonus * static_cast<double>(y.size());
      if (fused > want_score) want_score = fused, want = y;
      if (s > ctc_best) ctc_best = s, ctc_only = y;
    }
    lm_changed_winner += want != ctc_only;
    const std::vector<CtcHypothesis> nbest = ctc_beam_search(lp.data(), T, V, o, &lm, 3);
    INFO("trial ", trial, " T ", T, " V ", V);
    REQUIRE(!nbest.empty());
    CHECK(nbest[0].ids == want);
    CHECK(std::fabs(nbest[0].score - want_score) < 1e-9);
    CHECK(std::fabs(nbest[0].ctc_log_prob - truth.at(want)) < 1e-9);
    CHECK(std::fabs(nbest[0].lm_log_prob - lm.log_prob(want)) < 1e-9);
    for (size_t k = 1; k < nbest.size(); ++k) CHECK(nbest[k].score <= nbest[k - 1].score);
  }
  CHECK(lm_changed_winner > 10);  // the LM really mattered in these cases
}

TEST_CASE("per-frame pruning: exact search over frames whose pruned symbols have probability 0") {
  std::mt19937 rng(4);
  for (int trial = 0; trial < 40; ++trial) {
    const int64_t T = 2 + trial % 5, V = 4;
    std::vector<float> lp = random_log_probs(rng, T, V, 1.5);
    CtcBeamOptions o = exact();
    o.top_k = 1 + trial % 3;
    o.min_log_prob = trial % 2 ? -1.2 : kNegInf;
    // The test's own statement of the rule: top_k by value, then the threshold, the best always kept.
    std::vector<float> pruned = lp;
    for (int64_t t = 0; t < T; ++t) {
      std::vector<int32_t> order(V);
      for (int32_t v = 0; v < V; ++v) order[v] = v;
      std::stable_sort(order.begin(), order.end(),
                       [&](int32_t a, int32_t b) { return lp[t * V + a] > lp[t * V + b]; });
      for (int32_t k = 0; k < V; ++k) {
        const bool keep = k == 0 || (k < o.top_k && lp[t * V + order[k]] >= o.min_log_prob);
        if (!keep) pruned[t * V + order[k]] = -std::numeric_limits<float>::infinity();
      }
    }
    const std::map<Labels, double> truth = brute_force(pruned, T, V);
    Labels want;
    double want_score = kNegInf;
    for (const auto& [y, s] : truth)
      if (s > want_score) want_score = s, want = y;
    const std::vector<CtcHypothesis> got = ctc_beam_search(lp.data(), T, V, o, nullptr, 100000);
    INFO("trial ", trial, " top_k ", o.top_k, " min_log_prob ", o.min_log_prob);
    CHECK(got.size() == truth.size());
    CHECK(got[0].ids == want);
    CHECK(std::fabs(got[0].score - want_score) < 1e-9);
  }
}

TEST_CASE("top_k = 1 keeps only the best path: the greedy result, frames and score") {
  std::mt19937 rng(5);
  const int64_t T = 200, V = 5;
  const std::vector<float> lp = random_log_probs(rng, T, V, 1.0);
  CtcBeamOptions o;
  o.top_k = 1;
  const CtcHypothesis beam = ctc_beam_search(lp.data(), T, V, o)[0];
  const CtcHypothesis greedy = ctc_greedy_decode(lp.data(), T, V);
  REQUIRE(greedy.ids.size() > 20);
  CHECK(beam.ids == greedy.ids);
  CHECK(beam.frames == greedy.frames);
  CHECK(std::fabs(beam.score - greedy.score) < 1e-9);
}

TEST_CASE("beam 1 keeps the prefix with the most alignment mass, which need not be the best path's") {
  // blank, a, b. The best path is a _ a ("aa", 0.3726); "ab" sums a _ b, a a b, a b b, ... (0.41).
  const std::vector<float> lp = rows_of({{0.05, 0.9, 0.05}, {0.9, 0.05, 0.05}, {0.09, 0.46, 0.45}});
  CHECK(ctc_greedy_decode(lp.data(), 3, 3).ids == Labels{1, 1});
  CtcBeamOptions o = exact(1);
  const std::vector<CtcHypothesis> one = ctc_beam_search(lp.data(), 3, 3, o, nullptr, 5);
  REQUIRE(one.size() == 1);
  CHECK(one[0].ids == Labels{1, 2});
  // Beam 1 sums only the alignments through the prefixes it kept (a, a, b): a lower bound.
  const double exact_ab = brute_force(lp, 3, 3).at(Labels{1, 2});
  CHECK(one[0].score == doctest::Approx(std::log(0.855 * 0.45)).epsilon(1e-6));
  CHECK(one[0].score < exact_ab - 0.01);
  const CtcHypothesis wide = ctc_beam_search(lp.data(), 3, 3, exact())[0];
  CHECK(wide.ids == Labels{1, 2});
  CHECK(std::fabs(wide.score - exact_ab) < 1e-9);

  // Equal scores: the prefix created first ('a', extended before 'b') ranks first.
  const std::vector<float> tie = rows_of({{0.2, 0.4, 0.4}});
  const std::vector<CtcHypothesis> tied = ctc_beam_search(tie.data(), 1, 3, exact(), nullptr, 3);
  REQUIRE(tied.size() == 3);
  CHECK(tied[0].score == tied[1].score);
  CHECK(tied[0].ids == Labels{1});
  CHECK(tied[1].ids == Labels{2});
  CHECK(ctc_beam_search(tie.data(), 1, 3, exact(1))[0].ids == Labels{1});

  // On peaky outputs beam 1 agrees with greedy.
  std::mt19937 rng(6);
  const std::vector<float> peaky = random_log_probs(rng, 150, 5, 8.0);
  const CtcHypothesis g = ctc_greedy_decode(peaky.data(), 150, 5);
  const CtcHypothesis b = ctc_beam_search(peaky.data(), 150, 5, exact(1))[0];
  REQUIRE(g.ids.size() > 20);
  CHECK(b.ids == g.ids);
  CHECK(b.frames == g.frames);
}

TEST_CASE("narrow beams: every score is a lower bound of the exact log P_ctc of its prefix") {
  std::mt19937 rng(7);
  int strictly_below = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int64_t T = 6, V = 4;
    const std::vector<float> lp = random_log_probs(rng, T, V, 1.0);
    const std::map<Labels, double> truth = brute_force(lp, T, V);
    for (const CtcHypothesis& h : ctc_beam_search(lp.data(), T, V, exact(2 + trial % 3), nullptr, 4)) {
      REQUIRE(truth.count(h.ids) == 1);
      CHECK(std::isfinite(h.score));
      CHECK(h.ctc_log_prob <= truth.at(h.ids) + 1e-9);
      strictly_below += h.ctc_log_prob < truth.at(h.ids) - 1e-6;
    }
  }
  CHECK(strictly_below > 0);  // the bound is not trivially an equality
}

TEST_CASE("prefix beam decoder: any chunking equals offline (n-best, scores, frames), with and without LM") {
  std::mt19937 rng(8);
  const int64_t T = 160, V = 7;
  const std::vector<float> lp = random_log_probs(rng, T, V, 1.5);
  BigramLm lm(V, rng);
  for (const bool with_lm : {false, true}) {
    CtcBeamOptions o;
    o.beam = 6;
    o.length_bonus = with_lm ? 0.3 : 0.0;
    const CtcLanguageModel* model = with_lm ? &lm : nullptr;
    const std::vector<CtcHypothesis> offline = ctc_beam_search(lp.data(), T, V, o, model, 6);
    REQUIRE(offline.size() == 6);
    REQUIRE(offline[0].ids.size() > 10);
    CtcPrefixBeamDecoder d(V, o, model);
    for (int trial = 0; trial < 4; ++trial) {
      d.reset();
      if (trial == 0) {
        for (int64_t t = 0; t < T; ++t) d.push(lp.data() + t * V);
      } else {
        push_chunked(d, lp, T, V, rng);
      }
      CHECK(d.frames_seen() == T);
      const std::vector<CtcHypothesis> got = d.nbest(6);
      REQUIRE(got.size() == offline.size());
      for (size_t k = 0; k < got.size(); ++k) check_same(got[k], offline[k]);
      check_same(d.best(), offline[0]);
    }
  }
}

TEST_CASE("timestamps: the frame of each symbol's strongest emission") {
  // Peaky frames (blank, a, a, blank, blank, b, blank, b): a wide beam holds "a" from frame 0 (at
  // 0.01), yet its time is the spike at frame 1, as greedy's.
  const std::vector<float> spikes = rows_of({{0.98, 0.01, 0.01},
                                             {0.01, 0.98, 0.01},
                                             {0.01, 0.98, 0.01},
                                             {0.98, 0.01, 0.01},
                                             {0.98, 0.01, 0.01},
                                             {0.01, 0.01, 0.98},
                                             {0.98, 0.01, 0.01},
                                             {0.01, 0.01, 0.98}});
  const CtcHypothesis g = ctc_greedy_decode(spikes.data(), 8, 3);
  CHECK(g.frames == std::vector<int64_t>{1, 5, 7});
  for (const CtcBeamOptions& o : {CtcBeamOptions{}, exact(), exact(1)}) {
    const CtcHypothesis s = ctc_beam_search(spikes.data(), 8, 3, o)[0];
    CHECK(s.ids == Labels{1, 2, 2});
    CHECK(s.frames == g.frames);
  }
  // 'a' enters with 0.3 at frame 0 and with 0.6 * 0.9 at frame 1; greedy says frame 1 too.
  const std::vector<float> lp =
      rows_of({{0.6, 0.3, 0.1}, {0.05, 0.9, 0.05}, {0.05, 0.9, 0.05}, {0.9, 0.05, 0.05}});
  const CtcHypothesis wide = ctc_beam_search(lp.data(), 4, 3, exact())[0];
  CHECK(wide.ids == Labels{1});
  CHECK(wide.frames == std::vector<int64_t>{1});
  // 'a' enters with 0.4 at frame 0 and with 0.6 * 0.9 at frame 1.
  const std::vector<float> late = rows_of({{0.6, 0.4, 0.0001}, {0.1, 0.9, 0.0001}, {0.9, 0.1, 0.0001}});
  const CtcHypothesis l = ctc_beam_search(late.data(), 3, 3, exact())[0];
  CHECK(l.ids == Labels{1});
  CHECK(l.frames == std::vector<int64_t>{1});  // 0.6 * 0.9 at frame 1 beats 0.4 at frame 0
}

TEST_CASE("LM states are made only for prefixes that survive a frame, and released when they leave") {
  std::mt19937 rng(9);
  const int64_t T = 40, V = 6;
  const std::vector<float> lp = random_log_probs(rng, T, V, 0.5);  // flat: many candidates per frame
  BigramLm lm(V, rng);
  CtcBeamOptions o = exact(3);
  {
    CtcPrefixBeamDecoder d(V, o, &lm);
    d.push(lp.data(), T);
    // Making a state for every candidate would be up to 3 * 5 per frame (600); survivors are <= 3.
    CHECK(lm.advance_calls > 0);
    CHECK(lm.advance_calls <= T * o.beam);
    CHECK(lm.next_calls <= 1 + T * o.beam);
    CHECK(lm.live_states <= o.beam);
    CHECK(lm.live_states >= 1);
  }
  CHECK(lm.live_states == 0);
}

TEST_CASE("a long stream: memory and destruction do not depend on recursion as deep as the prefix") {
  const int64_t T = 60000, V = 3;
  std::vector<float> lp;
  for (int64_t t = 0; t < T; ++t) {
    // Very sharp spikes: with 0.98 the many shorter prefixes (two symbols lost somewhere) would
    // together outweigh the full one over 60000 frames.
    const double lo = 1e-7, hi = 1 - 2e-7;
    const std::vector<float> row =
        rows_of({t % 2 ? std::vector<double>{lo, lo, hi} : std::vector<double>{lo, hi, lo}});
    lp.insert(lp.end(), row.begin(), row.end());
  }
  auto d = std::make_unique<CtcPrefixBeamDecoder>(V, CtcBeamOptions{});
  d->push(lp.data(), T);
  const CtcHypothesis h = d->best();
  CHECK(h.ids.size() == static_cast<size_t>(T));  // a b a b ...
  CHECK(h.frames.back() == T - 1);
  // Frees the 60000-long chain of prefixes on a thread with a 512 KiB stack: a recursive release
  // (several stack frames per prefix) would overflow it.
  pthread_attr_t attr;
  REQUIRE(pthread_attr_init(&attr) == 0);
  REQUIRE(pthread_attr_setstacksize(&attr, 512 * 1024) == 0);
  pthread_t thread;
  const auto destroy = [](void* p) -> void* {
    static_cast<std::unique_ptr<CtcPrefixBeamDecoder>*>(p)->reset();
    return nullptr;
  };
  REQUIRE(pthread_create(&thread, &attr, destroy, &d) == 0);
  REQUIRE(pthread_join(thread, nullptr) == 0);
  pthread_attr_destroy(&attr);
  CHECK(d == nullptr);
}

TEST_CASE("words with times and text") {
  const std::vector<std::string> vocab = {"<blank>", " ", "a", "b", "\xc3\xa9"};
  CtcHypothesis h;
  h.ids = {1, 2, 3, 1, 1, 4, 2, 1};
  h.frames = {0, 2, 5, 7, 8, 10, 12, 14};
  const std::vector<WordTiming> w = ctc_word_timings(h, vocab, 0.02);
  REQUIRE(w.size() == 2);
  CHECK(w[0].word == "ab");
  CHECK(w[0].start_s == doctest::Approx(0.04));
  CHECK(w[0].end_s == doctest::Approx(0.12));
  CHECK(w[1].word ==
        "\xc3\xa9"
        "a");
  CHECK(w[1].start_s == doctest::Approx(0.20));
  CHECK(w[1].end_s == doctest::Approx(0.26));
  CHECK(ctc_text(h.ids, vocab) ==
        "ab \xc3\xa9"
        "a");
  CHECK(ctc_text({}, vocab).empty());
  CHECK(ctc_word_timings(CtcHypothesis{}, vocab, 0.02).empty());

  CHECK(test::error_of([&] { ctc_text({2, 0}, vocab); }).find("id 0") != std::string::npos);
  CHECK(test::error_of([&] { ctc_text({5}, vocab); }).find("id 5") != std::string::npos);
  CtcHypothesis bad = h;
  bad.frames.pop_back();
  CHECK(test::error_of([&] { ctc_word_timings(bad, vocab, 0.02); }).find("frames") != std::string::npos);
  CHECK(test::error_of([&] { ctc_text({1}, {"<blank>", "ab"}); }).find("entry 1") != std::string::npos);
  CHECK(!test::error_of([&] { ctc_word_timings(h, vocab, 0.0); }).empty());
}

TEST_CASE("bad input and options are errors naming the problem") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const std::vector<float> has_nan = {-0.1f, nan, -3.0f};
  const std::vector<float> all_neg_inf = {-inf, -inf, -inf};
  CHECK(test::error_of([&] { ctc_greedy_decode(has_nan.data(), 1, 3); }).find("symbol 1") !=
        std::string::npos);
  CHECK(test::error_of([&] { ctc_beam_search(all_neg_inf.data(), 1, 3, {}); }).find("no finite") !=
        std::string::npos);
  CHECK(!test::error_of([] { CtcGreedyDecoder d(1); }).empty());
  CtcBeamOptions o;
  o.beam = 0;
  CHECK(test::error_of([&] { validate_ctc_beam_options(o); }).find("beam") != std::string::npos);
  o = {};
  o.top_k = -1;
  CHECK(test::error_of([&] { CtcPrefixBeamDecoder d(3, o); }).find("top_k") != std::string::npos);
  o = {};
  o.lm_weight = -1;
  CHECK(test::error_of([&] { validate_ctc_beam_options(o); }).find("lm_weight") != std::string::npos);
  std::mt19937 rng(10);
  BigramLm lm(4, rng);
  CHECK(test::error_of([&] { CtcPrefixBeamDecoder d(3, {}, &lm); }).find("4 symbols") != std::string::npos);
  CtcPrefixBeamDecoder d(3, {});
  CHECK(d.best().ids.empty());
  CHECK(d.best().score == 0.0);
  CHECK(!test::error_of([&] { d.nbest(0); }).empty());
}
