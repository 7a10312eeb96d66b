// Keyword spotting as a stream (src/infer/stream_eval.h, rwkvs eval --stream), with the
// deterministic loudness model (tests/stream_support.h): "yes" fires on loud clips, so the expected
// counts are known exactly, including what a mislabelled clip does to them.
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
    CHECK(r.audio_s == doctest::Approx(10.0));
    CHECK(r.clips == std::vector<int64_t>{0, 5});  // fillers are not keywords
    CHECK(r.found == std::vector<int64_t>{0, 5});
    CHECK(r.false_alarms == 0);
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
  CHECK(r.clips[1] == 2);
  CHECK(r.found[1] == 1);
  CHECK(r.false_alarms == 1);
  CHECK(r.recall() == doctest::Approx(0.5));
  CHECK(r.false_alarms_per_hour() == doctest::Approx(3600.0 / 5.0));
  CHECK(r.table().find("found 1 of 2 keywords (50.00%), 1 false alarms") != std::string::npos);
}

TEST_CASE("bad input is an error") {
  const auto model = loud_model();
  CHECK_THROWS_AS(evaluate_stream(model, {}, {}, StreamEvalOptions{}), Error);
  CHECK_THROWS_AS(evaluate_stream(model, {quiet_clip(1)}, {}, StreamEvalOptions{}), Error);
  CHECK_THROWS_AS(evaluate_stream(model, {quiet_clip(1)}, {7}, StreamEvalOptions{}), Error);
  StreamEvalOptions o;
  o.hop_s = 0;
  CHECK_THROWS_AS(evaluate_stream(model, {quiet_clip(1)}, {0}, o), Error);
}
