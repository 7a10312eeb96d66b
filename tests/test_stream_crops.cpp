// Running-speech crops for training: the frame targets around each keyword (target window, no-loss
// zone, background), speed changes, keywords cut by the crop's edges, and crops drawn in proportion
// to the recordings' lengths.
#include <vector>

#include "base/error.h"
#include "src/model/frame_targets.h"
#include "src/train/stream_crops.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {

FrameGeometry fbank_geometry() {  // 25 ms windows every 10 ms at 16 kHz, snip edges
  FrameGeometry g;
  g.length = 400;
  g.shift = 160;
  return g;
}

double frame_end(int64_t f) { return (f * 160 + 400) / 16000.0; }

}  // namespace

TEST_CASE("frames after a keyword get its class, around it no loss, elsewhere the background") {
  const std::vector<TrainStreamKeyword> kws = {{3, 1.0, 1.4}, {5, 2.9, 3.1}};
  StreamCropOptions o;  // target 0.1..0.4 s after the end, no loss up to 0.6 s
  const int64_t frames = 298;  // 3 s
  std::vector<int32_t> t(frames);
  stream_crop_targets(kws, 0.5, 3.0, 1.0, fbank_geometry(), 16000, frames, 0, o, t.data());
  int n_target = 0;
  for (int64_t f = 0; f < frames; ++f) {
    const double at = frame_end(f);
    CAPTURE(at);
    if (at >= 0.5 + 0.1 - 1e-9 && at <= 0.9 + 0.4 + 1e-9) {  // keyword 1 ends at 0.9 s of the crop
      if (at >= 0.9 + 0.1 + 1e-9 && at <= 0.9 + 0.4 - 1e-9) {
        CHECK(t[f] == 3);
        ++n_target;
      }
    }
    if (at < 0.5 - 1e-9) CHECK(t[f] == 0);
    if (at > 0.5 + 1e-9 && at < 0.9 + 0.1 - 1e-9) CHECK(t[f] == kIgnoreFrame);  // hearing the word
    if (at > 1.3 + 1e-9 && at < 1.5 - 1e-9) CHECK(t[f] == kIgnoreFrame);        // just after the target
    if (at > 1.5 + 1e-9 && at < 2.4 - 1e-9) CHECK(t[f] == 0);
    // Keyword 2 starts at 2.4 s of the crop and its window would end at 2.6 + 0.6 > 3 s: cut, ignored.
    if (at > 2.4 + 1e-9) CHECK(t[f] == kIgnoreFrame);
  }
  CHECK(n_target >= 29);
  CHECK(n_target <= 31);
}

TEST_CASE("a faster crop moves the targets earlier by the speed factor") {
  const std::vector<TrainStreamKeyword> kws = {{2, 1.1, 1.32}};
  StreamCropOptions o;
  const int64_t frames = 270;
  std::vector<int32_t> t(frames);
  stream_crop_targets(kws, 0.0, 3.0, 1.1, fbank_geometry(), 16000, frames, 0, o, t.data());
  for (int64_t f = 0; f < frames; ++f) {
    const double at = frame_end(f);
    if (at > 1.2 + 0.1 + 1e-9 && at < 1.2 + 0.4 - 1e-9) CHECK(t[f] == 2);  // the word ends at 1.32 / 1.1 = 1.2 s
    if (at > 1.0 + 1e-9 && at < 1.3 - 1e-9) CHECK(t[f] == kIgnoreFrame);
    if (at < 1.0 - 1e-9 || at > 1.8 + 1e-9) CHECK(t[f] == 0);
  }
}

TEST_CASE("crops lie inside their recording, drawn in proportion to the recordings' lengths") {
  std::vector<TrainStream> s(3);
  s[0].samples.resize(16000 * 10);
  s[1].samples.resize(16000 * 30);
  s[2].samples.resize(16000 * 2);  // shorter than a crop: taken whole
  const size_t total = 16000 * 42;
  StreamCropOptions o;
  Rng rng(5);
  std::vector<int> count(3, 0);
  for (int i = 0; i < 4200; ++i) {
    const StreamCrop c = draw_stream_crop(s, total, o, 16000, rng);
    REQUIRE(c.stream < 3);
    ++count[c.stream];
    CHECK(c.begin + c.length <= s[c.stream].samples.size());
    CHECK(c.length == std::min<size_t>(s[c.stream].samples.size(), 48000));
  }
  CHECK(count[0] == doctest::Approx(1000).epsilon(0.12));
  CHECK(count[1] == doctest::Approx(3000).epsilon(0.06));
  CHECK(count[2] == doctest::Approx(200).epsilon(0.3));
  o.prob = 1.5;
  CHECK_THROWS_WITH_AS(validate_stream_crop_options(o), doctest::Contains("--stream-prob"), UsageError);
  o = StreamCropOptions{};
  o.target_to_s = 0.9;
  CHECK_THROWS_WITH_AS(validate_stream_crop_options(o), doctest::Contains("--stream-target-s"), UsageError);
}
