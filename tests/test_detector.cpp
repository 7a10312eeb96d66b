// Keyword events from synthetic posterior sequences: smoothing, threshold crossings with start,
// end and score, fillers that never fire, the refractory time per class, events open at the end,
// reset, and bad options.
#include <vector>

#include "base/error.h"
#include "src/infer/detector.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {

constexpr double kShift = 0.01;  // 10 ms frames
const std::vector<std::string> kLabels = {"_unknown_", "yes", "no"};

// Posterior rows (T, 3): 'yes' and 'no' follow the given per-frame values, _unknown_ the rest.
struct Track {
  std::vector<float> yes, no;
};

Track flat(size_t T) { return {std::vector<float>(T, 0.0f), std::vector<float>(T, 0.0f)}; }

void set(std::vector<float>& v, size_t from, size_t to, float value) {
  for (size_t t = from; t < to && t < v.size(); ++t) v[t] = value;
}

// Frame t sits at time (t + 1) * kShift.
std::vector<Detection> run(const Track& k, const DetectorOptions& o) {
  Detector d(kLabels, kShift, o);
  std::vector<Detection> events;
  for (size_t t = 0; t < k.yes.size(); ++t) {
    const float p[3] = {1.0f - k.yes[t] - k.no[t], k.yes[t], k.no[t]};
    d.push(static_cast<double>(t + 1) * kShift, p, &events);
  }
  d.finish(&events);
  return events;
}

DetectorOptions no_smoothing() {
  DetectorOptions o;
  o.smooth_s = 0;
  o.refractory_s = 1.0;  // the cases below are written for 1 s
  return o;
}

}  // namespace

TEST_CASE("one bump: start at the first frame above the threshold, end at the first below, score its peak") {
  Track k = flat(200);
  set(k.yes, 50, 80, 0.8f);
  set(k.yes, 60, 65, 0.95f);
  const std::vector<Detection> e = run(k, no_smoothing());
  REQUIRE(e.size() == 1);
  CHECK(e[0].label == 1);
  CHECK(e[0].start_s == doctest::Approx(0.51));
  CHECK(e[0].end_s == doctest::Approx(0.81));
  CHECK(e[0].score == doctest::Approx(0.95));
}

TEST_CASE("the threshold is inclusive and settable; below it nothing fires") {
  Track k = flat(100);
  set(k.yes, 10, 20, 0.7f);
  CHECK(run(k, no_smoothing()).size() == 1);
  set(k.yes, 10, 20, 0.69f);
  CHECK(run(k, no_smoothing()).empty());
  DetectorOptions o = no_smoothing();
  o.threshold = 0.5;
  CHECK(run(k, o).size() == 1);
}

TEST_CASE("fillers (labels starting with '_') never fire") {
  Track k = flat(100);  // _unknown_ is at 1.0 throughout
  CHECK(run(k, no_smoothing()).empty());
}

TEST_CASE("the moving average: a one-frame spike is smoothed away, a long plateau fires late by the window") {
  DetectorOptions o;  // 300 ms = 30 frames
  Track spike = flat(200);
  set(spike.yes, 100, 101, 1.0f);
  CHECK(run(spike, o).empty());
  Detector d(kLabels, kShift, o);
  CHECK(d.window_frames() == 30);

  Track plateau = flat(300);
  set(plateau.yes, 100, 200, 1.0f);
  const std::vector<Detection> e = run(plateau, o);
  REQUIRE(e.size() == 1);
  // The average of the last 30 frames reaches 0.7 after 21 frames of 1.0 (21/30), i.e. frame 120,
  // and falls below 0.7 when fewer than 21 of the last 30 are 1.0: frame 209.
  CHECK(e[0].start_s == doctest::Approx(1.21));
  CHECK(e[0].end_s == doctest::Approx(2.10));
  CHECK(e[0].score == doctest::Approx(1.0));
}

TEST_CASE("at the start the frames before the stream count as zero: first-frame guesses do not fire") {
  Track k = flat(100);
  set(k.yes, 0, 5, 1.0f);  // 5/30 at most
  CHECK(run(k, DetectorOptions{}).empty());
  set(k.yes, 0, 40, 1.0f);
  const std::vector<Detection> e = run(k, DetectorOptions{});
  REQUIRE(e.size() == 1);
  CHECK(e[0].start_s == doctest::Approx(0.21));  // 21/30 = 0.7 at frame 21
  CHECK(e[0].end_s == doctest::Approx(0.50));    // 40 - 10 = 30 frames later, 20/30 < 0.7
}

TEST_CASE("refractory time: the same class cannot fire again too soon; other classes can") {
  DetectorOptions o = no_smoothing();  // refractory 1 s
  Track k = flat(600);
  set(k.yes, 100, 110, 0.9f);  // event ends at frame 110 (1.11 s)
  set(k.yes, 150, 160, 0.9f);  // 0.4 s later: ignored
  set(k.no, 150, 160, 0.9f);   // another class: fires
  set(k.yes, 300, 310, 0.9f);  // 1.9 s after the first ended: fires
  std::vector<Detection> e = run(k, o);
  REQUIRE(e.size() == 3);
  CHECK(e[0].label == 1);
  CHECK(e[0].start_s == doctest::Approx(1.01));
  CHECK(e[1].label == 2);
  CHECK(e[1].start_s == doctest::Approx(1.51));
  CHECK(e[2].label == 1);
  CHECK(e[2].start_s == doctest::Approx(3.01));

  o.refractory_s = 2.5;
  e = run(k, o);
  REQUIRE(e.size() == 2);
  CHECK(e[1].label == 2);
  o.refractory_s = 0;
  CHECK(run(k, o).size() == 4);

  // A rise that begins inside the refractory time and lasts beyond it is not an event half-way.
  Track plateau = flat(600);
  set(plateau.yes, 100, 110, 0.9f);
  set(plateau.yes, 150, 400, 0.9f);
  e = run(plateau, no_smoothing());
  REQUIRE(e.size() == 1);
  CHECK(e[0].end_s == doctest::Approx(1.11));
}

TEST_CASE("an event still open at the end of input ends at the last frame") {
  Track k = flat(100);
  set(k.yes, 90, 100, 0.9f);
  const std::vector<Detection> e = run(k, no_smoothing());
  REQUIRE(e.size() == 1);
  CHECK(e[0].start_s == doctest::Approx(0.91));
  CHECK(e[0].end_s == doctest::Approx(1.00));
}

TEST_CASE("reset forgets the averages, open events and refractory times") {
  DetectorOptions o;
  Detector d(kLabels, kShift, o);
  std::vector<Detection> events;
  const float high[3] = {0.0f, 1.0f, 0.0f}, low[3] = {1.0f, 0.0f, 0.0f};
  for (int t = 0; t < 50; ++t) d.push(0.01 * (t + 1), high, &events);
  d.reset();
  d.finish(&events);
  CHECK(events.empty());        // the open event was forgotten
  // A fresh average (21 of 30 frames to fire, as at the start) and no refractory time left over.
  for (int t = 0; t < 21; ++t) d.push(0.01 * (t + 1), high, &events);
  CHECK(events.empty());
  for (int t = 21; t < 31; ++t) d.push(0.01 * (t + 1), low, &events);  // the first high leaves at 0.31
  REQUIRE(events.size() == 1);
  CHECK(events[0].start_s == doctest::Approx(0.21));
  CHECK(events[0].end_s == doctest::Approx(0.31));
}

TEST_CASE("bad options are errors") {
  auto make = [](double thr, double smooth, double refr, double shift) {
    DetectorOptions o;
    o.threshold = thr;
    o.smooth_s = smooth;
    o.refractory_s = refr;
    Detector d(kLabels, shift, o);
  };
  CHECK_THROWS_WITH_AS(make(0, 0.3, 1, kShift), doctest::Contains("threshold must be in (0, 1]"), Error);
  CHECK_THROWS_WITH_AS(make(1.5, 0.3, 1, kShift), doctest::Contains("threshold"), Error);
  CHECK_THROWS_WITH_AS(make(0.7, -1, 1, kShift), doctest::Contains("smoothing"), Error);
  CHECK_THROWS_WITH_AS(make(0.7, 0.3, -1, kShift), doctest::Contains("refractory"), Error);
  CHECK_THROWS_WITH_AS(make(0.7, 0.3, 1, 0), doctest::Contains("frame shift"), Error);
  CHECK_THROWS_AS(Detector({}, kShift, DetectorOptions{}), Error);
}
