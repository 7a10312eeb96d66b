// Keyword spotting as a stream (src/infer/stream_eval.h, rwkvs eval --stream / --streams), with the
// deterministic loudness model (tests/stream_support.h): "yes" fires on loud sound, so the expected
// counts are known exactly, including what a mislabelled clip does to them; the threshold sweep
// against a live detector run over the same session, its monotonicity, and calibration.
#include <memory>
#include <vector>

#include "base/error.h"
#include "src/infer/stream_eval.h"
#include "tests/stream_support.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {

constexpr double kRate = 16000;

std::vector<float> loud_clip(uint64_t seed) { return test::bursts_audio(1.0, kRate, {0.3}, 0.4, seed); }
std::vector<float> quiet_clip(uint64_t seed) { return test::bursts_audio(1.0, kRate, {}, 0.4, seed); }

std::shared_ptr<const StreamModel> loud_model() {
  const double mid = test::energy_midpoint(test::bursts_audio(3.0, kRate, {1.0}));
  return std::make_shared<const StreamModel>(test::loudness_model(mid), "loudness");
}

}  // namespace

TEST_CASE("clips back to back: every loud 'yes' clip is found, quiet fillers raise no alarm, any order") {
  const auto model = loud_model();
  std::vector<std::vector<float>> clips;
  std::vector<int32_t> labels;
  for (uint64_t i = 0; i < 5; ++i) {
    clips.push_back(loud_clip(10 + i));
    labels.push_back(1);  // yes
    clips.push_back(quiet_clip(20 + i));
    labels.push_back(0);  // _unknown_
  }
  for (uint64_t seed : {1, 2, 3}) {
    CAPTURE(seed);
    StreamEvalOptions o;
    o.seed = seed;
    if (seed == 3) o.engine = make_engine("cpu", model->model());  // the session on an engine (as --device cuda)
    const StreamEvalResult r = evaluate_stream(model, clips, labels, o);
    CHECK(r.at.audio_s == doctest::Approx(10.0));
    CHECK(r.at.keywords == std::vector<int64_t>{0, 5});  // fillers are not keywords
    CHECK(r.at.found == std::vector<int64_t>{0, 5});
    CHECK(r.at.false_alarms == 0);
    CHECK(r.recall() == 1.0);
    const auto j = r.to_json();
    CHECK(j.at("stream_recall") == 1.0);
    CHECK(j.at("stream_per_class_recall").at("yes") == 1.0);
    CHECK(!j.at("stream_per_class_recall").contains("_unknown_"));
  }
}

TEST_CASE("a loud clip labelled _unknown_ is a false alarm; a quiet 'yes' clip is missed") {
  const auto model = loud_model();
  std::vector<std::vector<float>> clips = {loud_clip(1), quiet_clip(2), loud_clip(3), quiet_clip(4), quiet_clip(5)};
  std::vector<int32_t> labels = {1, 0, 0, 0, 1};  // clip 2 is loud but _unknown_; clip 4 is quiet but 'yes'
  const StreamEvalResult r = evaluate_stream(model, clips, labels, StreamEvalOptions{});
  CHECK(r.at.keywords[1] == 2);
  CHECK(r.at.found[1] == 1);
  CHECK(r.at.false_alarms == 1);
  CHECK(r.recall() == doctest::Approx(0.5));
  CHECK(r.false_alarms_per_hour() == doctest::Approx(3600.0 / 5.0));
  CHECK(r.table().find("found 1 of 2 keywords (50.00%), 1 false alarms") != std::string::npos);
}

TEST_CASE("16-bit stored clips (a ClipSet's waves) score as their floats do") {
  const auto model = loud_model();
  std::vector<Pcm16Clip> stored = {Pcm16Clip(loud_clip(1)), Pcm16Clip(quiet_clip(2)), Pcm16Clip(loud_clip(3))};
  std::vector<std::vector<float>> floats(stored.size());
  for (size_t i = 0; i < stored.size(); ++i) stored[i].to_float(floats[i]);
  const std::vector<int32_t> labels = {1, 0, 0};
  StreamEvalOptions o;
  o.seed = 5;
  const StreamEvalResult a = evaluate_stream(model, floats, labels, o);
  const StreamEvalResult b = evaluate_stream(model, stored, labels, o);
  CHECK(b.to_json() == a.to_json());
  CHECK(b.at.found == a.at.found);
  CHECK(b.at.false_alarms == a.at.false_alarms);
}

TEST_CASE("bad input is an error") {
  const auto model = loud_model();
  CHECK_THROWS_AS(evaluate_stream(model, std::vector<std::vector<float>>{}, {}, StreamEvalOptions{}), Error);
  CHECK_THROWS_AS(evaluate_stream(model, std::vector<Pcm16Clip>{}, {}, StreamEvalOptions{}), Error);
  CHECK_THROWS_AS(evaluate_stream(model, {quiet_clip(1)}, {}, StreamEvalOptions{}), Error);
  CHECK_THROWS_AS(evaluate_stream(model, {quiet_clip(1)}, {7}, StreamEvalOptions{}), Error);
  StreamEvalOptions o;
  o.hop_s = 0;
  CHECK_THROWS_AS(evaluate_stream(model, {quiet_clip(1)}, {0}, o), Error);
}

namespace {

// A recording with loud bursts at 'starts' (seconds), of which those in 'said' are labelled "yes".
KeywordRecording bursts(double seconds, const std::vector<double>& starts, const std::vector<double>& said,
                        uint64_t seed, double burst_s = 0.4) {
  KeywordRecording r;
  r.name = "bursts";
  r.samples = test::bursts_audio(seconds, kRate, starts, burst_s, seed);
  for (double s : said) r.keywords.push_back({"yes", s, s + burst_s});
  return r;
}

// The same measurement done by hand: a live detector (with its smoothing) on the session's
// outputs at this threshold, events matched to the keywords by the rule in stream_eval.h.
DetectionCounts live_counts(std::shared_ptr<const StreamModel> model, const KeywordRecording& rec, double threshold) {
  StreamSession s(model);
  DetectorOptions d;
  d.threshold = threshold;
  Detector det(model->labels(), model->frame_shift_s(), d);
  std::vector<Detection> events;
  for (size_t at = 0; at < rec.samples.size(); at += 1600) {
    s.accept_waveform(kRate, rec.samples.data() + at, std::min<size_t>(1600, rec.samples.size() - at));
    s.step();
    for (const FrameOutput& f : s.take_outputs()) det.push(f.time_s, f.posteriors.data(), &events);
  }
  s.input_finished();
  s.step();
  for (const FrameOutput& f : s.take_outputs()) det.push(f.time_s, f.posteriors.data(), &events);
  det.finish(&events);
  DetectionCounts c;
  c.keywords = {0, static_cast<int64_t>(rec.keywords.size())};
  c.found = {0, 0};
  std::vector<bool> used(rec.keywords.size(), false);
  for (const Detection& e : events) {
    bool hit = false;
    for (size_t j = 0; j < rec.keywords.size() && !hit; ++j)
      if (!used[j] && e.start_s >= rec.keywords[j].start_s && e.start_s <= rec.keywords[j].end_s + 0.5) {
        used[j] = true;
        hit = true;
        ++c.found[1];
      }
    if (!hit) ++c.false_alarms;
  }
  return c;
}

}  // namespace

TEST_CASE("recordings of running speech: the replayed sweep equals a live detector at every threshold") {
  const auto model = loud_model();
  // Bursts at 1, 3, 5, 7 s; the ones at 3 and 7 are "yes", the others are sounds no one asked for.
  const KeywordRecording rec = bursts(9.0, {1.0, 3.0, 5.0, 7.0}, {3.0, 7.0}, 4);
  StreamEvalOptions o;
  o.thresholds = {0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0};
  const StreamEvalResult r = evaluate_recordings(model, 1, [&](size_t) { return rec; }, o);
  REQUIRE(r.sweep.size() == 7);
  CHECK(r.at.threshold == 0.7);
  CHECK(r.at.keywords_said() == 2);
  CHECK(r.at.keywords_found() == 2);
  CHECK(r.at.false_alarms == 2);  // the bursts at 1 and 5 s
  CHECK(r.at.false_alarms_per_hour() == doctest::Approx(2 * 3600.0 / 9.0));
  for (const DetectionCounts& c : r.sweep) {
    CAPTURE(c.threshold);
    const DetectionCounts want = live_counts(model, rec, c.threshold);
    CHECK(c.found == want.found);
    CHECK(c.false_alarms == want.false_alarms);
  }
  // Higher thresholds never find more nor raise more alarms.
  for (size_t i = 1; i < r.sweep.size(); ++i) {
    CHECK(r.sweep[i].threshold > r.sweep[i - 1].threshold);
    CHECK(r.sweep[i].keywords_found() <= r.sweep[i - 1].keywords_found());
    CHECK(r.sweep[i].false_alarms <= r.sweep[i - 1].false_alarms);
  }
  const auto j = r.to_json();
  CHECK(j.at("stream_sweep").size() == 7);
  CHECK(j.at("stream_threshold") == 0.7);
}

TEST_CASE("calibration picks the lowest threshold of the sweep within the false-alarm target") {
  const auto model = loud_model();
  // A quiet recording with one short loud unlabelled burst (half the smoothing window, so its
  // smoothed peak is about 0.5): every threshold it reaches is one false alarm in 9 s (400 per
  // hour), and a threshold above its peak gives none.
  const KeywordRecording rec = bursts(9.0, {4.0}, {}, 8, 0.15);
  StreamEvalOptions o;
  o.thresholds = {0.2, 0.5, 0.8, 0.9999, 1.0};
  const StreamEvalResult all = evaluate_recordings(model, 1, [&](size_t) { return rec; }, o);
  size_t first_clean = all.sweep.size();
  for (size_t i = 0; i < all.sweep.size() && first_clean == all.sweep.size(); ++i)
    if (all.sweep[i].false_alarms == 0) first_clean = i;
  REQUIRE(first_clean > 0);  // the burst fires at the low thresholds
  REQUIRE(first_clean < all.sweep.size());
  o.target_fa_per_hour = 1;
  const StreamEvalResult cal = evaluate_recordings(model, 1, [&](size_t) { return rec; }, o);
  CHECK(cal.target_met);
  CHECK(cal.at.threshold == all.sweep[first_clean].threshold);
  CHECK(cal.to_json().at("stream_target_fa_per_hour") == 1.0);
  o.target_fa_per_hour = 500;  // lenient: the lowest threshold already meets it
  CHECK(evaluate_recordings(model, 1, [&](size_t) { return rec; }, o).at.threshold == 0.2);
  // A keyword that is not a class of the model, or a filler given as a keyword, is an error.
  KeywordRecording bad = rec;
  bad.keywords.push_back({"maybe", 1, 2});
  CHECK_THROWS_WITH_AS(evaluate_recordings(model, 1, [&](size_t) { return bad; }, StreamEvalOptions{}),
                       doctest::Contains("keyword 'maybe' is not a class"), Error);
  bad.keywords.back().label = "_unknown_";
  CHECK_THROWS_WITH_AS(evaluate_recordings(model, 1, [&](size_t) { return bad; }, StreamEvalOptions{}),
                       doctest::Contains("filler"), Error);
  CHECK_THROWS_AS(evaluate_recordings(model, 0, [&](size_t) { return rec; }, StreamEvalOptions{}), Error);
}
