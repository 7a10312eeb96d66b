// CtcTranscriber: the endpoint rules (trailing silence after speech closes a segment, a segment is
// cut at its maximum length, silence alone restarts silently), segment and word times on
// hand-written rows whose answer is known, streaming == ctc_transcribe for random chunkings (greedy,
// beam, beam with an LM), and ByteLmFusion's scores against the parallel forward of the text LM.
#include <cmath>
#include <string>
#include <vector>

#include "base/rng.h"
#include "src/infer/byte_lm_fusion.h"
#include "src/infer/ctc_transcriber.h"
#include "src/model/rwkv4.h"
#include "tests/support.h"

using namespace rwkvs;
using namespace rwkvs::test;

namespace {

const std::vector<std::string> kVocab = {"<blank>", " ", "a", "b", "c"};
constexpr double kPos = 0.03;  // seconds per position

// Appends a log_softmax row whose most likely symbol is 'best' (probability ~0.97).
void add_row(std::vector<float>& rows, int best) {
  const int V = static_cast<int>(kVocab.size());
  const double z = std::log(std::exp(5.0) + (V - 1));
  for (int v = 0; v < V; ++v) rows.push_back(static_cast<float>((v == best ? 5.0 : 0.0) - z));
}
void add_rows(std::vector<float>& rows, int best, int n) {
  for (int i = 0; i < n; ++i) add_row(rows, best);
}
int64_t count(const std::vector<float>& rows) { return static_cast<int64_t>(rows.size() / kVocab.size()); }

CtcTranscriberOptions options(int beam, double silence_s = 0.8, double max_s = 20) {
  CtcTranscriberOptions o;
  o.beam = beam;
  o.endpoint.trailing_silence_s = silence_s;
  o.endpoint.max_segment_s = max_s;
  return o;
}

bool same(const std::vector<CtcSegment>& a, const std::vector<CtcSegment>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].index != b[i].index || a[i].start_s != b[i].start_s || a[i].end_s != b[i].end_s ||
        a[i].text != b[i].text || a[i].words.size() != b[i].words.size())
      return false;
    for (size_t w = 0; w < a[i].words.size(); ++w)
      if (a[i].words[w].word != b[i].words[w].word || a[i].words[w].start_s != b[i].words[w].start_s ||
          a[i].words[w].end_s != b[i].words[w].end_s)
        return false;
  }
  return true;
}

std::vector<CtcSegment> streamed(const std::vector<float>& rows, const CtcTranscriberOptions& o, Rng& rng,
                                 const CtcLanguageModel* lm = nullptr) {
  CtcTranscriber t(kVocab, kPos, o, lm);
  std::vector<CtcSegment> out;
  const int64_t T = count(rows), V = static_cast<int64_t>(kVocab.size());
  for (int64_t p = 0; p < T;) {
    const int64_t n = std::min<int64_t>(T - p, static_cast<int64_t>(rng.below(12)));
    t.push(rows.data() + p * V, n, &out);
    if (n > 0) (void)t.partial();  // asking for partials changes nothing
    p += n;
  }
  t.finish(&out);
  return out;
}

// A bigram LM over kVocab that prefers "ab" and "ba" (enough to change beam results).
class ToyBigram : public CtcLanguageModel {
  struct S : State {
    int32_t last = 0;
  };

 public:
  int64_t vocab_size() const override { return 5; }
  StatePtr initial_state() const override { return std::make_shared<S>(); }
  void next_log_probs(const State& state, float* lp) const override {
    const int32_t last = static_cast<const S&>(state).last;
    for (int v = 1; v < 5; ++v) lp[v] = std::log(0.1f);
    if (last == 2) lp[3] = std::log(0.7f);
    if (last == 3) lp[2] = std::log(0.7f);
  }
  StatePtr advance(const State&, int32_t id) const override {
    auto s = std::make_shared<S>();
    s->last = id;
    return s;
  }
};

}  // namespace

TEST_CASE("trailing silence after speech closes a segment; its text, times and words are the decode's") {
  std::vector<float> rows;
  add_rows(rows, 0, 10);  // 0.3 s of silence
  add_rows(rows, 2, 2);   // "a" at 10
  add_row(rows, 0);
  add_row(rows, 3);       // "b" at 13
  add_rows(rows, 0, 3);
  add_row(rows, 1);       // " " at 17
  add_row(rows, 4);       // "c" at 18
  add_rows(rows, 0, 40);  // 1.2 s of silence: the endpoint 27 positions (0.8 s) after the "c"
  add_row(rows, 3);       // "b" at 59
  add_row(rows, 2);       // "a" at 60
  for (int beam : {1, 4}) {
    CAPTURE(beam);
    const auto segs = ctc_transcribe(rows.data(), count(rows), kVocab, kPos, options(beam));
    REQUIRE(segs.size() == 2);
    CHECK(segs[0].index == 0);
    CHECK(segs[0].text == "ab c");
    CHECK(segs[0].start_s == doctest::Approx(0.0));
    CHECK(segs[0].end_s == doctest::Approx((18 + 1 + 27) * kPos));
    REQUIRE(segs[0].words.size() == 2);
    CHECK(segs[0].words[0].word == "ab");
    CHECK(segs[0].words[0].start_s == doctest::Approx(10 * kPos));
    CHECK(segs[0].words[0].end_s == doctest::Approx(14 * kPos));
    CHECK(segs[0].words[1].word == "c");
    CHECK(segs[0].words[1].start_s == doctest::Approx(18 * kPos));
    CHECK(segs[1].index == 1);
    CHECK(segs[1].text == "ba");
    CHECK(segs[1].start_s == doctest::Approx(46 * kPos));
    CHECK(segs[1].end_s == doctest::Approx(61 * kPos));
    CHECK(segs[1].words[0].start_s == doctest::Approx(59 * kPos));
  }
}

TEST_CASE("silence alone gives no segment and restarts quietly, so a late segment starts near its speech") {
  std::vector<float> rows;
  add_rows(rows, 0, 1000);  // 30 s of silence, spaces among it count as silence too
  add_rows(rows, 1, 5);
  add_rows(rows, 4, 3);     // "c" at 1005
  CtcTranscriber t(kVocab, kPos, options(1));
  std::vector<CtcSegment> finals;
  t.push(rows.data(), 1000, &finals);
  CHECK(finals.empty());
  CHECK(t.partial().text.empty());
  CHECK(t.partial().start_s > 1000 * kPos - 0.81);  // restarted within the last 0.8 s
  t.push(rows.data() + 1000 * kVocab.size(), count(rows) - 1000, &finals);
  t.finish(&finals);
  REQUIRE(finals.size() == 1);
  CHECK(finals[0].index == 0);
  CHECK(finals[0].text == "c");
  CHECK(finals[0].start_s <= 1005 * kPos);
  CHECK(finals[0].start_s > 1005 * kPos - 0.81 - 5 * kPos);
}

TEST_CASE("a segment is cut at its maximum length, and the cut segments read the whole speech") {
  std::vector<float> rows;
  for (int i = 0; i < 100; ++i) add_row(rows, i % 2 ? 2 : 3);  // "babab..." without a pause
  const auto segs = ctc_transcribe(rows.data(), count(rows), kVocab, kPos, options(1, 0.3, 1.0));
  REQUIRE(segs.size() == 4);  // 33 positions a segment (1.0 s), 100 = 33 + 33 + 33 + 1
  std::string all;
  for (size_t i = 0; i < segs.size(); ++i) {
    CHECK(segs[i].index == static_cast<int64_t>(i));
    CHECK(segs[i].start_s == doctest::Approx(33 * kPos * static_cast<double>(i)));
    all += segs[i].text;
  }
  CHECK(segs[0].end_s - segs[0].start_s == doctest::Approx(1.0 - 0.01));
  CHECK(all.size() == 100);
}

TEST_CASE("streamed segments equal ctc_transcribe for random chunkings: greedy, beam and beam with an LM") {
  Rng rng(3);
  const int64_t V = static_cast<int64_t>(kVocab.size());
  ToyBigram lm;
  for (int trial = 0; trial < 20; ++trial) {
    // Random rows: bursts of noisy speech between silences of random length.
    std::vector<float> rows;
    while (count(rows) < 400) {
      const int silent = static_cast<int>(rng.below(50));
      const int speech = static_cast<int>(rng.below(30));
      for (int i = 0; i < silent + speech; ++i) {
        std::vector<float> logits(static_cast<size_t>(V));
        for (auto& l : logits) l = static_cast<float>(rng.uniform() * 3);
        if (i < silent) logits[0] += 4;
        double z = 0;
        for (float l : logits) z += std::exp(static_cast<double>(l));
        for (float l : logits) rows.push_back(static_cast<float>(l - std::log(z)));
      }
    }
    for (int beam : {1, 3, 8}) {
      const CtcTranscriberOptions o = options(beam, 0.5, 4.0);
      const auto offline = ctc_transcribe(rows.data(), count(rows), kVocab, kPos, o);
      CHECK(same(streamed(rows, o, rng), offline));
      if (beam > 1) {
        const auto fused = ctc_transcribe(rows.data(), count(rows), kVocab, kPos, o, &lm);
        CHECK(same(streamed(rows, o, rng, &lm), fused));
      }
    }
  }
}

TEST_CASE("bad endpoint rules, vocabularies and rows are errors naming them") {
  CHECK(error_of([] { CtcTranscriber(kVocab, kPos, options(1, 0)); }).find("trailing_silence_s") !=
        std::string::npos);
  CHECK(error_of([] { CtcTranscriber(kVocab, kPos, options(1, 2, 1)); }).find("max_segment_s") != std::string::npos);
  ToyBigram lm;
  CHECK(error_of([&] { CtcTranscriber(kVocab, kPos, options(1), &lm); }).find("beam") != std::string::npos);
  CtcTranscriber t(kVocab, kPos, options(1));
  std::vector<float> row(5, NAN);
  std::vector<CtcSegment> finals;
  CHECK(error_of([&] { t.push(row.data(), 1, &finals); }).find("log-probability") != std::string::npos);
}

TEST_CASE("ByteLmFusion scores each symbol by the text LM's next byte, renormalised over the vocabulary") {
  Model lm(ModelConfig::rwkv4(2, 32, 256));
  init_random(lm, 21);
  const std::vector<std::string> vocab = {"<blank>", " ", "'", "a", "b", "c"};
  ByteLmFusion fusion(lm, vocab, "random lm");
  CHECK(fusion.vocab_size() == 6);
  // The prefix "ab c" after the initial "\n", id by id; the reference is the parallel forward over
  // the bytes "\nab c" at once.
  const std::vector<int32_t> ids = {3, 4, 1, 5};
  const std::string bytes = "\nab c";
  std::vector<int32_t> tokens(bytes.begin(), bytes.end());
  Activations acts;
  rwkv4_forward(lm, acts, tokens.data(), 1, static_cast<int64_t>(tokens.size()), nullptr, nullptr, {});
  auto state = fusion.initial_state();
  for (size_t i = 0; i <= ids.size(); ++i) {
    std::vector<float> got(6, 1.0f);
    fusion.next_log_probs(*state, got.data());
    const float* logits = acts.logits.data() + i * 256;
    double z = 0;
    for (size_t v = 1; v < vocab.size(); ++v) z += std::exp(static_cast<double>(logits[static_cast<uint8_t>(vocab[v][0])]));
    for (size_t v = 1; v < vocab.size(); ++v) {
      CAPTURE(i);
      CAPTURE(v);
      CHECK(got[v] == doctest::Approx(logits[static_cast<uint8_t>(vocab[v][0])] - std::log(z)).epsilon(1e-4));
    }
    if (i < ids.size()) state = fusion.advance(*state, ids[i]);
  }
  CHECK(fusion.steps() == 5);
  // A prefix's state is not changed by extending it.
  auto a = fusion.advance(*fusion.initial_state(), 3);
  std::vector<float> before(6), after(6);
  fusion.next_log_probs(*a, before.data());
  (void)fusion.advance(*a, 4);
  fusion.next_log_probs(*a, after.data());
  CHECK(before == after);
  // Not a byte LM, or a symbol that is not one byte: errors naming it.
  Model small(ModelConfig::rwkv4(1, 8, 60));
  CHECK(error_of([&] { ByteLmFusion(small, vocab, "x.safetensors"); }).find("x.safetensors") != std::string::npos);
  CHECK(error_of([&] { ByteLmFusion(lm, {"<blank>", "\xc3\xa9"}, "lm"); }).find("ASCII") != std::string::npos);
}
