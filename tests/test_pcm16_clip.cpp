// Decoded clips stored as 16-bit samples (src/audio/pcm16_clip.h) and the sets that hold them
// (ClipSet, UtteranceSet): every int16 value round-trips exactly; out-of-range floats saturate and
// others round to nearest; a 16-bit WAV loaded through load_clips / load_utterances reads back as
// the very floats the decoder gives, so features are bit-identical; non-16-bit sources are within
// half a step; the storage is 2 bytes a sample.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "base/error.h"
#include "frontends/audio/audio_file.h"
#include "src/audio/clip_loader.h"
#include "src/audio/frontend_config.h"
#include "src/audio/pcm16_clip.h"
#include "src/train/audio_clips.h"
#include "src/train/utterances.h"
#include "tests/support.h"
#include "tests/wav_writer.h"

using namespace rwkvs;
using test::WavSpec;

namespace {

constexpr float kStep = 1.0f / 32768.0f;  // one 16-bit step
constexpr double kPi = 3.14159265358979323846;

// Every int16 value once, as the floats a 16-bit decoder gives (s / 32768).
std::vector<float> every_int16_value() {
  std::vector<float> x;
  for (int s = -32768; s <= 32767; ++s) x.push_back(static_cast<float>(s) / 32768.0f);
  return x;
}

// A speech-like test signal: a chirp with a decaying envelope, within [-0.8, 0.8].
std::vector<float> chirp(size_t n, double rate) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    x[i] = static_cast<float>(0.8 * std::exp(-2.0 * t) * std::sin(2 * kPi * (200 * t + 900 * t * t)));
  }
  return x;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

AudioExample labelled(const std::string& path, int label) {
  AudioExample ex;
  ex.path = path;
  ex.label = label;
  ex.label_name = "c" + std::to_string(label);
  return ex;
}

}  // namespace

TEST_CASE("every int16 value: to float is s / 32768 exactly, and back gives s") {
  for (int s = -32768; s <= 32767; ++s) {
    const auto v = static_cast<int16_t>(s);
    const float f = pcm16_to_float(v);
    if (f != static_cast<float>(static_cast<double>(s) / 32768.0) || pcm16_from_float(f) != v) {
      CAPTURE(s);
      FAIL("int16 value does not round-trip");
    }
  }
  const std::vector<float> x = every_int16_value();
  const Pcm16Clip clip(x);
  REQUIRE(clip.size() == 65536);
  CHECK(clip.data()[0] == -32768);
  CHECK(clip.data()[65535] == 32767);
  std::vector<float> back;
  clip.to_float(back);
  CHECK(same_bits(back, x));
  CHECK(clip.sample(32768) == 0.0f);
  CHECK(clip.sample(0) == -1.0f);
}

TEST_CASE("rounding to the nearest step, ties to even") {
  CHECK(pcm16_from_float(0.0f) == 0);
  CHECK(pcm16_from_float(-0.0f) == 0);
  CHECK(pcm16_from_float(0.4f * kStep) == 0);
  CHECK(pcm16_from_float(0.6f * kStep) == 1);
  CHECK(pcm16_from_float(-0.4f * kStep) == 0);
  CHECK(pcm16_from_float(-0.6f * kStep) == -1);
  CHECK(pcm16_from_float(100.49f * kStep) == 100);
  CHECK(pcm16_from_float(100.51f * kStep) == 101);
  CHECK(pcm16_from_float(-100.51f * kStep) == -101);
  CHECK(pcm16_from_float(0.5f * kStep) == 0);
  CHECK(pcm16_from_float(1.5f * kStep) == 2);
  CHECK(pcm16_from_float(2.5f * kStep) == 2);
  CHECK(pcm16_from_float(-1.5f * kStep) == -2);
  CHECK(pcm16_from_float(1e-30f) == 0);
  // Any float in [-1, 1) is within half a step of what it reads back as.
  for (float x : {0.123456f, -0.987654f, 0.5f + 0.3f * kStep, -0.25f - 0.7f * kStep, 0.99998f}) {
    CAPTURE(x);
    CHECK(std::fabs(pcm16_to_float(pcm16_from_float(x)) - x) <= 0.5f * kStep);
  }
}

TEST_CASE("values outside [-1, 1) saturate; NaN is silence") {
  const float inf = std::numeric_limits<float>::infinity();
  for (float x : {1.0f, 32767.4f * kStep, 32767.6f * kStep, 1.0001f, 1.5f, 2.0f, 1e30f, inf}) {
    CAPTURE(x);
    CHECK(pcm16_from_float(x) == 32767);
  }
  for (float x : {-1.0f, -32768.4f * kStep, -1.0001f, -1.5f, -1e30f, -inf}) {
    CAPTURE(x);
    CHECK(pcm16_from_float(x) == -32768);
  }
  CHECK(pcm16_from_float(std::numeric_limits<float>::quiet_NaN()) == 0);
  const std::vector<float> x = {2.0f, -3.0f, 0.5f, std::numeric_limits<float>::quiet_NaN()};
  const Pcm16Clip clip(x);
  CHECK(clip.data()[0] == 32767);
  CHECK(clip.data()[1] == -32768);
  CHECK(clip.data()[2] == 16384);
  CHECK(clip.data()[3] == 0);
  CHECK(clip.sample(0) == 32767.0f / 32768.0f);
}

TEST_CASE("conversion into a caller's buffer: a range, appending, and bad ranges") {
  const std::vector<float> x = every_int16_value();
  const Pcm16Clip clip(x);
  std::vector<float> buf(10, -7.0f);
  clip.to_float(100, 8, buf.data() + 1);
  CHECK(buf[0] == -7.0f);
  for (size_t i = 0; i < 8; ++i) CHECK(buf[1 + i] == x[100 + i]);
  CHECK(buf[9] == -7.0f);
  clip.to_float(65536, 0, buf.data());  // an empty range at the end
  std::vector<float> out = {0.25f};
  clip.append_float(out, 65530, 6);
  REQUIRE(out.size() == 7);
  CHECK(out[0] == 0.25f);
  for (size_t i = 0; i < 6; ++i) CHECK(out[1 + i] == x[65530 + i]);
  CHECK_THROWS_AS(clip.to_float(65530, 7, buf.data()), Error);
  CHECK_THROWS_AS(clip.to_float(65537, 0, buf.data()), Error);
  CHECK_THROWS_AS(clip.append_float(out, 1, 65536), Error);
  CHECK(out.size() == 7);  // unchanged
  std::vector<float> reused(100000, 1.0f);
  clip.to_float(reused);
  CHECK(same_bits(reused, x));
  const Pcm16Clip empty;
  empty.to_float(reused);
  CHECK(reused.empty());
}

TEST_CASE("storage is 2 bytes a sample, for a clip and for a loaded set") {
  const Pcm16Clip clip(chirp(16000, 16000));
  CHECK(clip.bytes() == 16000 * sizeof(int16_t));
  const std::string dir = test::temp_dir("pcm16_clip_bytes");
  std::vector<AudioExample> examples;
  size_t samples = 0;
  for (int k = 0; k < 3; ++k) {
    const size_t n = 8000 + 1000 * static_cast<size_t>(k);
    const std::string p = dir + "/c" + std::to_string(k) + ".wav";
    test::write_wav(p, WavSpec{}, chirp(n, 16000));
    examples.push_back(labelled(p, k));
    samples += n;
  }
  const ClipSet set = load_clips(examples, 16000, "train");
  REQUIRE(set.waves.size() == 3);
  for (const Pcm16Clip& c : set.waves) CHECK(c.bytes() == 2 * c.size());
  CHECK(sample_bytes(set.waves) == 2 * samples);
}

TEST_CASE("a 16-bit WAV through load_clips gives the decoder's floats exactly, and the same features") {
  const std::string dir = test::temp_dir("pcm16_clip_wav");
  // Every int16 value, a speech-like clip, and one shorter than a feature window.
  const std::vector<std::vector<float>> sources = {every_int16_value(), chirp(16000, 16000), chirp(200, 16000)};
  std::vector<AudioExample> examples;
  for (size_t k = 0; k < sources.size(); ++k) {
    const std::string p = dir + "/c" + std::to_string(k) + ".wav";
    test::write_wav(p, WavSpec{}, sources[k]);
    examples.push_back(labelled(p, static_cast<int>(k)));
  }
  const ClipSet set = load_clips(examples, 16000, "train");
  REQUIRE(set.waves.size() == sources.size());
  std::vector<std::vector<float>> decoded(sources.size());
  for (size_t k = 0; k < sources.size(); ++k) {
    CAPTURE(k);
    decoded[k] = load_clip(examples[k], 16000);  // the float decoder
    CHECK(same_bits(decoded[k], read_audio_file(examples[k].path).samples));
    std::vector<float> back;
    set.waves[k].to_float(back);
    CHECK(same_bits(back, decoded[k]));
    CHECK(set.labels[k] == static_cast<int32_t>(k));
    CHECK(set.paths[k] == examples[k].path);
  }
  CHECK(same_bits(decoded[0], sources[0]));  // the WAV held every value exactly

  const FeaturePipeline pipeline = FrontendConfig{}.make_pipeline();
  REQUIRE(static_cast<int64_t>(sources[2].size()) < pipeline.geometry().length);
  FrameBatch from_floats, from_clips;
  std::vector<const std::vector<float>*> float_ptrs;
  std::vector<const Pcm16Clip*> clip_ptrs;
  for (size_t k = 0; k < sources.size(); ++k) {
    float_ptrs.push_back(&decoded[k]);
    clip_ptrs.push_back(&set.waves[k]);
  }
  featurize_batch(pipeline, float_ptrs, from_floats);
  featurize_batch(pipeline, clip_ptrs, from_clips);
  CHECK(from_clips.B == from_floats.B);
  CHECK(from_clips.T == from_floats.T);
  CHECK(from_clips.F == from_floats.F);
  CHECK(from_clips.lengths == from_floats.lengths);
  CHECK(same_bits(from_clips.frames, from_floats.frames));
}

TEST_CASE("a 16-bit WAV through load_utterances gives the decoder's floats exactly") {
  const std::string dir = test::temp_dir("pcm16_clip_utterances");
  const std::vector<float> x = chirp(12000, 16000);
  test::write_wav(dir + "/u.wav", WavSpec{}, x);
  test::write_text(dir + "/m.jsonl", "{\"audio_filepath\": \"u.wav\", \"text\": \"yes\"}\n");
  const UtteranceSet set = load_utterances(dir + "/m.jsonl", 16000, "train");
  REQUIRE(set.waves.size() == 1);
  std::vector<float> back;
  set.waves[0].to_float(back);
  AudioExample ex;
  ex.path = dir + "/u.wav";
  CHECK(same_bits(back, load_clip(ex, 16000)));
  CHECK(set.seconds == doctest::Approx(12000.0 / 16000));
  CHECK(set.waves[0].bytes() == 2 * 12000);
}

TEST_CASE("other sources (float WAV, stereo averaged to mono) are within half a step") {
  const std::string dir = test::temp_dir("pcm16_clip_other");
  std::vector<float> x = chirp(4000, 16000);
  x[10] = 1.25f;  // a float file may hold values past full scale: they saturate
  x[11] = -1.5f;
  test::write_wav(dir + "/f.wav", WavSpec{1, 16000, 32, true, -1}, x);
  std::vector<float> stereo;
  for (size_t i = 0; i < 4000; ++i) stereo.insert(stereo.end(), {x[i] * 0.5f, (i % 2 ? 1.0f : -1.0f) * kStep});
  test::write_wav(dir + "/s.wav", WavSpec{2, 16000, 16, false, -1}, stereo);
  const ClipSet set = load_clips({labelled(dir + "/f.wav", 0), labelled(dir + "/s.wav", 1)}, 16000, "train");
  for (size_t k = 0; k < 2; ++k) {
    CAPTURE(k);
    const std::vector<float> decoded = load_clip(labelled(set.paths[k], 0), 16000);
    REQUIRE(set.waves[k].size() == decoded.size());
    float worst = 0;
    for (size_t i = 0; i < decoded.size(); ++i) {
      const float want = std::max(-1.0f, std::min(32767.0f * kStep, decoded[i]));
      worst = std::max(worst, std::fabs(set.waves[k].sample(i) - want));
    }
    CHECK(worst <= 0.5f * kStep);
  }
  CHECK(set.waves[0].data()[10] == 32767);
  CHECK(set.waves[0].data()[11] == -32768);
}
