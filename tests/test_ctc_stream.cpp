// A CTC model with stacked frames streams exactly what the offline path computes: random chunkings
// give bit-identical log-probabilities in frame mode, both modes are within 1e-5 of the parallel
// forward over the whole file's stacked features (the partial last group edge-padded the same
// way), and the streamed greedy and beam transcripts equal the offline decodes.
#include <cmath>
#include <memory>
#include <vector>

#include "base/rng.h"
#include "frontends/audio/feature_pipeline.h"
#include "src/audio/frame_stack.h"
#include "src/infer/ctc_decode.h"
#include "src/infer/ctc_transcriber.h"
#include "src/infer/stream_session.h"
#include "src/model/rwkv4.h"
#include "tests/stream_support.h"
#include "tests/support.h"

using namespace rwkvs;
using namespace rwkvs::test;

namespace {

std::shared_ptr<const StreamModel> random_ctc_model(uint64_t seed, int stack) {
  const FrontendConfig f = small_fbank();
  ModelConfig c = audio_classifier_config(2, 32, f, {"<blank>", " ", "'", "a", "b", "c"});
  c.head_kind = "ctc";
  c.frame_stack = stack;
  c.input_dim *= stack;
  Model m(c);
  init_random(m, seed);
  const ModelView v = m.view();
  for (int i = 0; i < c.input_dim; ++i) {
    v.input_mean[i] = -6.0f;
    v.input_scale[i] = 0.3f;
  }
  return std::make_shared<const StreamModel>(std::move(m), "random ctc model");
}

// Whole-file features, stacked, through the parallel forward, then log_softmax per position.
std::vector<float> offline_log_probs(const StreamModel& sm, const std::vector<float>& x, int64_t& positions,
                                     int64_t& frames) {
  const FeatureMatrix m = compute_features(sm.features(), x.data(), static_cast<int64_t>(x.size()));
  frames = m.rows;
  std::vector<float> stacked;
  std::vector<int64_t> lengths;
  stack_frame_batch(m.data, {m.rows}, 1, m.rows, m.cols, sm.frame_stack(), stacked, lengths, positions);
  Activations acts;
  rwkv4_forward(sm.model(), acts, ModelInput{nullptr, stacked.data()}, 1, positions, nullptr, nullptr, {});
  const int64_t K = sm.num_classes();
  std::vector<float> out(static_cast<size_t>(positions * K));
  for (int64_t p = 0; p < positions; ++p) log_softmax_row(acts.logits.data() + p * K, K, out.data() + p * K);
  return out;
}

std::vector<FrameOutput> stream(const std::shared_ptr<const StreamModel>& sm, const std::vector<float>& x,
                                StepMode mode, Rng& rng) {
  StreamSession s(sm, mode);
  std::vector<FrameOutput> out;
  for (size_t i = 0; i < x.size();) {
    const size_t n = std::min(x.size() - i, static_cast<size_t>(rng.below(4000)));
    s.accept_waveform(16000, x.data() + i, n);
    i += n;
    if (rng.uniform() < 0.7) s.step();
    for (FrameOutput& o : s.take_outputs()) out.push_back(std::move(o));
  }
  s.input_finished();
  s.step();
  for (FrameOutput& o : s.take_outputs()) out.push_back(std::move(o));
  return out;
}

}  // namespace

TEST_CASE("stacked CTC streams: any chunking, both step modes, equal the offline log-probabilities") {
  for (int stack : {1, 3, 4}) {
    CAPTURE(stack);
    const auto sm = random_ctc_model(7, stack);
    // 1.2345 s: 121 frames, not a multiple of 3 or 4, so the last group is partial
    const std::vector<float> x = synthetic_audio(1.2345, 16000, 11);
    int64_t P = 0, frames = 0;
    const std::vector<float> want = offline_log_probs(*sm, x, P, frames);
    REQUIRE(frames == 121);
    const int64_t K = sm->num_classes();
    Rng rng(5);
    const std::vector<FrameOutput> first = stream(sm, x, StepMode::frame, rng);
    REQUIRE(static_cast<int64_t>(first.size()) == P);
    for (int trial = 0; trial < 3; ++trial) {
      const std::vector<FrameOutput> again = stream(sm, x, StepMode::frame, rng);
      REQUIRE(again.size() == first.size());
      for (size_t p = 0; p < first.size(); ++p) CHECK(again[p].log_probs == first[p].log_probs);
    }
    const std::vector<FrameOutput> hop = stream(sm, x, StepMode::hop, rng);
    REQUIRE(static_cast<int64_t>(hop.size()) == P);
    std::vector<float> got(want.size()), got_hop(want.size());
    for (int64_t p = 0; p < P; ++p) {
      CHECK(first[p].frame == p);
      const int64_t last_frame = std::min<int64_t>(p * stack + stack, frames) - 1;
      CHECK(first[p].time_s == doctest::Approx(sm->frame_end_s(last_frame)));
      std::copy(first[p].log_probs.begin(), first[p].log_probs.end(), got.begin() + p * K);
      std::copy(hop[p].log_probs.begin(), hop[p].log_probs.end(), got_hop.begin() + p * K);
    }
    const Comparison c = compare(got.data(), want.data(), want.size(), 1e-5, 1e-5);
    CHECK_MESSAGE(c.ok, c.describe());
    const Comparison h = compare(got_hop.data(), want.data(), want.size(), 1e-5, 1e-5);
    CHECK_MESSAGE(h.ok, h.describe());
    // streamed decodes equal the offline ones
    CtcGreedyDecoder g(K);
    CtcPrefixBeamDecoder b(K, CtcBeamOptions{});
    for (const FrameOutput& o : first) {
      g.push(o.log_probs.data());
      b.push(o.log_probs.data());
    }
    CHECK(g.hypothesis().ids == ctc_greedy_decode(want.data(), P, K).ids);
    CHECK(b.best().ids == ctc_beam_search(want.data(), P, K, CtcBeamOptions{}).front().ids);
  }
}

TEST_CASE("streamed segments (endpoints, text, word times) equal ctc_transcribe over the offline log-probs") {
  // A random model whose head is sharpened (x6) and biased to the blank, and short endpoint rules, so that
  // the 6 s of audio make many segments; frame mode gives the same rows for any chunking, and the
  // transcriber the same segments for any grouping of the rows.
  std::shared_ptr<const StreamModel> sm;
  {
    const auto base = random_ctc_model(9, 3);
    Model m = base->model();
    float* w = m.tensor("cls_head.weight");
    for (int64_t i = 0; i < m.config().output_dim() * m.config().n_embd; ++i) w[i] *= 6.0f;
    m.tensor("cls_head.bias")[0] += 2.0f;
    sm = std::make_shared<const StreamModel>(std::move(m), "random ctc model");
  }
  const std::vector<float> x = synthetic_audio(6.0, 16000, 4);
  int64_t P = 0, frames = 0;
  const std::vector<float> want = offline_log_probs(*sm, x, P, frames);
  const double position_s = sm->frame_shift_s() * sm->frame_stack();
  for (int beam : {1, 4}) {
    CAPTURE(beam);
    CtcTranscriberOptions o;
    o.beam = beam;
    o.endpoint.trailing_silence_s = 0.12;
    o.endpoint.max_segment_s = 1.5;
    const std::vector<CtcSegment> offline = ctc_transcribe(want.data(), P, sm->labels(), position_s, o);
    REQUIRE(offline.size() >= 3);
    Rng rng(17);
    for (int trial = 0; trial < 3; ++trial) {
      CtcTranscriber t(sm->labels(), position_s, o);
      std::vector<CtcSegment> got;
      for (const FrameOutput& f : stream(sm, x, StepMode::frame, rng)) t.push(f.log_probs.data(), 1, &got);
      t.finish(&got);
      REQUIRE(got.size() == offline.size());
      for (size_t i = 0; i < got.size(); ++i) {
        CHECK(got[i].text == offline[i].text);
        CHECK(got[i].start_s == offline[i].start_s);
        CHECK(got[i].end_s == offline[i].end_s);
        REQUIRE(got[i].words.size() == offline[i].words.size());
        for (size_t w = 0; w < got[i].words.size(); ++w) CHECK(got[i].words[w].start_s == offline[i].words[w].start_s);
      }
    }
  }
}

TEST_CASE("a CTC stream cannot be saved yet, and says so") {
  const auto sm = random_ctc_model(3, 3);
  StreamSession s(sm);
  CHECK(error_of([&] { s.save_state(temp_dir("ctc_state") + "/s.state"); }).find("not supported yet") !=
        std::string::npos);
}
