// Streaming features: for every kind of framing (snip edges, Kaldi mirror, centre with reflect /
// replicate / constant padding, no centre) and for fbank, log-mel, MFCC and dithered fbank,
// feeding random chunk sizes (0 and 1 included) gives the offline frames bit for bit; frames
// appear as soon as they are final; memory stays bounded; several streams share one computer
// across threads; misuse is an error.
#include <cstring>
#include <thread>

#include "base/error.h"
#include "base/rng.h"
#include "frontends/audio/online_features.h"
#include "tests/frontend_goldens.h"

using namespace rwkvs;

namespace {

std::vector<float> speech() { return read_audio_file(test::goldens_dir() + "/u16k.flac").samples; }

// Streams x in chunks drawn by next_chunk(), reading and popping frames as they come.
template <class NextChunk>
FeatureMatrix stream(std::shared_ptr<const FeatureComputer> c, const std::vector<float>& x,
                     NextChunk next_chunk) {
  OnlineFeatures s(c);
  FeatureMatrix m;
  m.cols = s.dim();
  auto drain = [&] {
    for (int64_t i = s.frames_popped(); i < s.frames_ready(); ++i)
      m.data.insert(m.data.end(), s.get_frame(i), s.get_frame(i) + m.cols);
    s.pop(s.frames_ready() - s.frames_popped());
  };
  size_t pos = 0;
  while (pos < x.size()) {
    const size_t n = std::min(x.size() - pos, next_chunk());
    s.accept_waveform(c->sample_rate(), x.data() + pos, n);
    pos += n;
    drain();
  }
  s.input_finished();
  drain();
  m.rows = s.frames_ready();
  return m;
}

struct Case {
  std::string name;
  std::shared_ptr<const FeatureComputer> computer;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  FbankOptions f;
  out.push_back({"fbank snip_edges", std::make_shared<Fbank>(f)});
  f.snip_edges = false;
  f.num_mel_bins = 40;
  out.push_back({"fbank mirrored edges", std::make_shared<Fbank>(f)});
  f.dither = 0.01;
  f.dither_seed = 5;
  f.use_energy = true;
  out.push_back({"fbank dithered, energy", std::make_shared<Fbank>(f)});
  MelSpectrogramOptions m;
  out.push_back({"mel center reflect", std::make_shared<MelSpectrogram>(m)});
  m.pad_mode = EdgeMode::constant;
  m.n_fft = 512;
  m.win_length = 300;
  out.push_back({"mel center constant", std::make_shared<MelSpectrogram>(m)});
  m.pad_mode = EdgeMode::replicate;
  out.push_back({"mel center replicate", std::make_shared<MelSpectrogram>(m)});
  m.center = false;
  out.push_back({"mel no center", std::make_shared<MelSpectrogram>(m)});
  MfccOptions c;
  out.push_back({"mfcc from mel", std::make_shared<Mfcc>(c)});
  c.base = MfccBase::fbank;
  c.fbank.snip_edges = false;
  c.cepstral_lifter = 22;
  out.push_back({"mfcc from fbank", std::make_shared<Mfcc>(c)});
  return out;
}

}  // namespace

TEST_CASE("any chunking gives exactly the offline frames") {
  const std::vector<float> x = speech();
  Rng rng(11);
  for (const Case& k : cases()) {
    INFO(k.name);
    const FeatureMatrix offline = compute_features(*k.computer, x.data(), static_cast<int64_t>(x.size()));
    REQUIRE(offline.rows > 50);
    std::vector<std::pair<std::string, std::function<size_t()>>> chunkings = {
        {"one sample", [] { return size_t{1}; }},
        {"whole signal", [&] { return x.size(); }},
        {"random 0..2000", [&] { return static_cast<size_t>(rng.below(2001)); }},
        {"random 0..3 with zeros", [&] { return static_cast<size_t>(rng.below(4)); }},
        {"a hop", [] { return size_t{160}; }},
    };
    for (auto& [name, next] : chunkings) {
      INFO(name);
      const FeatureMatrix s = stream(k.computer, x, next);
      REQUIRE(s.rows == offline.rows);
      REQUIRE(s.data.size() == offline.data.size());
      CHECK(std::memcmp(s.data.data(), offline.data.data(), s.data.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("frames appear once final: at once with snip edges, the tail at input_finished with centring") {
  const std::vector<float> x = speech();
  FbankOptions f;
  OnlineFeatures s(std::make_shared<Fbank>(f));
  s.accept_waveform(16000, x.data(), 399);
  CHECK(s.frames_ready() == 0);
  s.accept_waveform(16000, x.data() + 399, 1);
  CHECK(s.frames_ready() == 1);  // a 25 ms window is all it takes
  s.accept_waveform(16000, x.data() + 400, 160);
  CHECK(s.frames_ready() == 2);
  s.input_finished();
  CHECK(s.frames_ready() == 2);
  CHECK(s.is_last_frame(1));

  MelSpectrogramOptions m;  // centre: frame t covers [t*160 - 200, t*160 + 200)
  OnlineFeatures c(std::make_shared<MelSpectrogram>(m));
  c.accept_waveform(16000, x.data(), 200);
  CHECK(c.frames_ready() == 0);  // reflecting the start needs sample 200
  c.accept_waveform(16000, x.data() + 200, 1);
  CHECK(c.frames_ready() == 1);
  c.accept_waveform(16000, x.data() + 201, 1999);  // 2200 samples: frames up to t = 12 end inside
  CHECK(c.frames_ready() == 13);
  CHECK_FALSE(c.is_last_frame(12));
  c.input_finished();
  CHECK(c.frames_ready() == 1 + 2200 / 160);  // the mirrored tail arrives now
  CHECK(c.is_last_frame(c.frames_ready() - 1));
}

TEST_CASE("memory stays bounded by the window plus one chunk on a long stream") {
  FbankOptions f;
  auto fb = std::make_shared<Fbank>(f);
  OnlineFeatures s(fb);
  Rng rng(2);
  const size_t chunk = 1000;
  std::vector<float> x(chunk);
  size_t max_buffer = 0, max_frames = 0;
  for (int i = 0; i < 16 * 60; ++i) {  // one minute at 16 kHz
    for (auto& v : x) v = static_cast<float>(0.1 * rng.normal());
    s.accept_waveform(16000, x.data(), x.size());
    max_buffer = std::max(max_buffer, s.buffered_samples());
    max_frames = std::max(max_frames, s.stored_frames());
    s.pop(s.frames_ready() - s.frames_popped());
  }
  const size_t window = 400;
  CHECK(max_buffer <= 4 * window + 2 * chunk);
  CHECK(max_frames <= chunk / 160 + 1);
  CHECK(s.samples_received() == 16000 * 60);
}

TEST_CASE("several streams share one computer from several threads") {
  const std::vector<float> x = speech();
  MelSpectrogramOptions m;
  auto mel = std::make_shared<const MelSpectrogram>(m);
  const FeatureMatrix offline = compute_features(*mel, x.data(), static_cast<int64_t>(x.size()));
  std::vector<FeatureMatrix> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t)
    threads.emplace_back([&, t] {
      size_t step = 37 * (t + 1);
      results[t] = stream(mel, x, [step] { return step; });
    });
  for (auto& th : threads) th.join();
  for (const FeatureMatrix& r : results) CHECK(r.data == offline.data);
}

TEST_CASE("misuse is an error, not a crash") {
  FbankOptions f;
  OnlineFeatures s(std::make_shared<Fbank>(f));
  const std::vector<float> x(1000, 0.1f);
  CHECK_THROWS_WITH_AS(s.accept_waveform(8000, x.data(), x.size()), doctest::Contains("resample first"),
                       Error);
  s.accept_waveform(16000, nullptr, 0);
  s.accept_waveform(16000, x.data(), x.size());
  CHECK(s.frames_ready() == 4);
  CHECK_NOTHROW(s.get_frame(3));
  CHECK_THROWS_WITH_AS(s.get_frame(4), doctest::Contains("not available"), Error);
  s.pop(2);
  CHECK(s.frames_popped() == 2);
  CHECK_THROWS_AS(s.get_frame(1), Error);
  s.pop(100);
  CHECK(s.frames_popped() == 4);
  s.input_finished();
  CHECK_THROWS_WITH_AS(s.accept_waveform(16000, x.data(), 1), doctest::Contains("already finished"), Error);
  CHECK_THROWS_AS(OnlineFeatures(nullptr), Error);
  // A stream too short for reflect padding fails at the end, naming the reason.
  OnlineFeatures c(std::make_shared<MelSpectrogram>(MelSpectrogramOptions{}));
  c.accept_waveform(16000, x.data(), 150);
  CHECK_THROWS_WITH_AS(c.input_finished(), doctest::Contains("too short for reflect padding"), Error);
}

TEST_CASE("snapshot and restore at any point continue bit for bit, also into a fresh object") {
  const std::vector<float> x = speech();
  Rng rng(21);
  for (const Case& k : cases()) {
    INFO(k.name);
    const FeatureMatrix offline = compute_features(*k.computer, x.data(), static_cast<int64_t>(x.size()));
    for (int trial = 0; trial < 3; ++trial) {
      // Stream up to a random cut in random chunks, pop some frames, snapshot, then continue in a
      // fresh object restored from the snapshot; the frames must be exactly the offline ones.
      const size_t cut = static_cast<size_t>(rng.below(x.size()));
      OnlineFeatures a(k.computer);
      FeatureMatrix m;
      m.cols = a.dim();
      auto drain = [&](OnlineFeatures& s, int64_t keep) {
        const int64_t n = std::max<int64_t>(0, s.frames_ready() - s.frames_popped() - keep);
        for (int64_t i = s.frames_popped(); i < s.frames_popped() + n; ++i)
          m.data.insert(m.data.end(), s.get_frame(i), s.get_frame(i) + m.cols);
        s.pop(n);
      };
      size_t pos = 0;
      while (pos < cut) {
        const size_t n = std::min(cut - pos, static_cast<size_t>(rng.below(3000)));
        a.accept_waveform(k.computer->sample_rate(), x.data() + pos, n);
        pos += n;
        drain(a, 2);  // leave two unpopped frames in the snapshot
      }
      const OnlineFeaturesSnapshot snap = a.snapshot();
      OnlineFeatures b(k.computer);
      b.restore(snap);
      CHECK(b.frames_ready() == a.frames_ready());
      CHECK(b.frames_popped() == a.frames_popped());
      CHECK(b.samples_received() == a.samples_received());
      while (pos < x.size()) {
        const size_t n = std::min(x.size() - pos, static_cast<size_t>(rng.below(3000)));
        b.accept_waveform(k.computer->sample_rate(), x.data() + pos, n);
        pos += n;
        drain(b, 0);
      }
      b.input_finished();
      drain(b, 0);
      REQUIRE(m.data.size() == offline.data.size());
      CHECK(std::memcmp(m.data.data(), offline.data.data(), m.data.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("restore refuses an inconsistent snapshot and keeps the object unchanged") {
  FbankOptions f;
  auto fb = std::make_shared<Fbank>(f);
  const std::vector<float> x = speech();
  OnlineFeatures a(fb);
  a.accept_waveform(16000, x.data(), 5000);
  const OnlineFeaturesSnapshot good = a.snapshot();
  REQUIRE(good.frames_ready == 1 + (5000 - 400) / 160);
  OnlineFeatures b(fb);
  auto refused = [&](OnlineFeaturesSnapshot s, const char* why) {
    CHECK_THROWS_WITH_AS(b.restore(s), doctest::Contains(why), Error);
    CHECK(b.frames_ready() == 0);
    CHECK(b.samples_received() == 0);
  };
  OnlineFeaturesSnapshot s = good;
  s.samples.pop_back();
  refused(s, "samples buffered");
  s = good;
  s.frames.push_back(0.0f);
  refused(s, "frame values");
  s = good;
  s.frames_ready += 1;  // one more frame than the samples make
  s.frames.insert(s.frames.end(), static_cast<size_t>(a.dim()), 0.0f);
  refused(s, "frames ready");
  s = good;
  s.samples_received += 160;  // more samples counted than the frames computed from them
  s.samples.insert(s.samples.end(), 160, 0.0f);
  refused(s, "frames ready");
  s = good;
  s.first_frame = s.frames_ready + 1;
  refused(s, "first frame");
  s = good;  // dropping samples the next frame still reads
  REQUIRE(s.samples.size() > 100);
  s.samples_start += 100;
  s.samples.erase(s.samples.begin(), s.samples.begin() + 100);
  refused(s, "were dropped");
  CHECK_NOTHROW(b.restore(good));
  CHECK(b.frames_ready() == good.frames_ready);
}
