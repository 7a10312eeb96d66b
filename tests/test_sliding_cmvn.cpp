// Sliding-window CMVN: torchaudio's sliding_window_cmn (Kaldi's apply-cmvn-sliding) goldens, a
// direct window-by-window reference for random settings, streaming = offline bit for bit for
// random chunkings (as a stage of OnlineFeatures and on its own), the latency each mode must have,
// snapshot/restore, the frontend JSON, and bad settings.
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/rng.h"
#include "frontends/audio/fbank.h"
#include "frontends/audio/feature_pipeline.h"
#include "frontends/audio/online_features.h"
#include "src/audio/frontend_config.h"
#include "tests/frontend_goldens.h"

using namespace rwkvs;

namespace {

std::string cmvn_dir() { return std::string(RWKVS_TEST_DATA_DIR) + "/cmvn"; }

std::vector<float> read_f32(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "cannot open " << path);
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}

FeatureMatrix matrix(std::vector<float> data, int64_t cols) {
  FeatureMatrix m;
  m.cols = cols;
  m.rows = static_cast<int64_t>(data.size()) / cols;
  m.data = std::move(data);
  return m;
}

FeatureMatrix offline(const FeatureMatrix& in, const SlidingCmvnOptions& o) {
  FeatureMatrix m = in;
  FeaturePipeline p(nullptr, o);
  apply_frame_stages(p, m);
  return m;
}

// Kaldi's window rule written out once more, and the mean (and deviation) summed afresh for
// every frame: no running sums, no shared code with the stage.
FeatureMatrix direct(const FeatureMatrix& in, const SlidingCmvnOptions& o) {
  FeatureMatrix out = in;
  const int64_t N = in.rows, w = o.cmn_window;
  for (int64_t t = 0; t < N; ++t) {
    int64_t start = o.center ? t - w / 2 : t - w;
    int64_t end = o.center ? start + w : t + 1;
    if (start < 0) {
      end -= start;
      start = 0;
    }
    if (!o.center && end > t) end = std::max<int64_t>(t + 1, o.min_window);
    if (end > N) {
      start = std::max<int64_t>(0, start - (end - N));
      end = N;
    }
    const double n = static_cast<double>(end - start);
    for (int64_t d = 0; d < in.cols; ++d) {
      double s = 0, s2 = 0;
      for (int64_t u = start; u < end; ++u) {
        s += in.row(u)[d];
        s2 += double(in.row(u)[d]) * in.row(u)[d];
      }
      double y = in.row(t)[d] - s / n;
      if (o.norm_vars) y = end - start == 1 ? 0.0 : y / std::sqrt(std::max(s2 / n - (s / n) * (s / n), 1e-10));
      out.data[t * in.cols + d] = static_cast<float>(y);
    }
  }
  return out;
}

// |a - b| <= atol + rtol |b| everywhere; returns the worst excess ratio for the message.
void check_close(const FeatureMatrix& a, const FeatureMatrix& b, double atol, double rtol) {
  REQUIRE(a.rows == b.rows);
  REQUIRE(a.cols == b.cols);
  double worst = 0;
  int64_t bad = 0;
  for (size_t i = 0; i < a.data.size(); ++i) {
    const double d = std::abs(double(a.data[i]) - b.data[i]), tol = atol + rtol * std::abs(b.data[i]);
    worst = std::max(worst, d / tol);
    bad += d > tol;
  }
  CAPTURE(worst);
  CHECK(bad == 0);
}

std::vector<float> speech() { return read_audio_file(test::goldens_dir() + "/u16k.flac").samples; }

}  // namespace

TEST_CASE("offline CMVN matches torchaudio's sliding_window_cmn (Kaldi apply-cmvn-sliding) goldens") {
  std::ifstream f(cmvn_dir() + "/cases.json");
  REQUIRE(f.good());
  const nlohmann::json j = nlohmann::json::parse(f);
  int n = 0;
  for (const auto& c : j.at("cases")) {
    const std::string name = c.at("golden");
    INFO(name);
    const int64_t dims = c.at("dims");
    SlidingCmvnOptions o;
    o.cmn_window = c.at("cmn_window");
    o.min_window = c.at("min_window");
    o.center = c.at("center");
    o.norm_vars = c.at("norm_vars");
    if (o.center) o.min_window = std::min(o.min_window, o.cmn_window);
    const FeatureMatrix in = matrix(read_f32(cmvn_dir() + "/" + c.at("input").get<std::string>()), dims);
    const FeatureMatrix want = matrix(read_f32(cmvn_dir() + "/" + name), dims);
    REQUIRE(in.rows > 50);
    check_close(offline(in, o), want, 2e-5, 2e-5);
    ++n;
  }
  CHECK(n == 10);
}

TEST_CASE("offline CMVN equals a direct per-frame window sum for random settings and lengths") {
  Rng rng(4);
  for (int trial = 0; trial < 60; ++trial) {
    SlidingCmvnOptions o;
    o.cmn_window = 1 + static_cast<int>(rng.below(trial < 30 ? 12 : 200));
    o.min_window = 1 + static_cast<int>(rng.below(static_cast<uint64_t>(o.cmn_window)));
    o.center = rng.uniform() < 0.4;
    o.norm_vars = rng.uniform() < 0.5;
    const int64_t rows = 1 + static_cast<int64_t>(rng.below(300)), cols = 1 + static_cast<int64_t>(rng.below(5));
    std::vector<float> x(static_cast<size_t>(rows * cols));
    double drift = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      drift += 0.1 * rng.normal();
      x[i] = static_cast<float>(3 + drift + rng.normal());
    }
    CAPTURE(trial);
    CAPTURE(o.cmn_window);
    CAPTURE(o.min_window);
    CAPTURE(o.center);
    CAPTURE(o.norm_vars);
    CAPTURE(rows);
    const FeatureMatrix in = matrix(x, cols);
    check_close(offline(in, o), direct(in, o), 1e-5, 1e-5);
  }
}

TEST_CASE("streaming CMVN inside OnlineFeatures equals offline bit for bit for random chunkings") {
  const std::vector<float> x = speech();
  FbankOptions fo;
  fo.num_mel_bins = 23;
  const auto fbank = std::make_shared<Fbank>(fo);
  std::vector<SlidingCmvnOptions> settings(5);
  settings[0].cmn_window = 600;  // longer than the clip: the min-window start-up all along
  settings[1].cmn_window = 30;
  settings[1].min_window = 1;
  settings[1].norm_vars = true;
  settings[2].cmn_window = 20;
  settings[2].min_window = 15;
  settings[3].cmn_window = 25;
  settings[3].center = true;
  settings[4].cmn_window = 40;
  settings[4].center = true;
  settings[4].norm_vars = true;
  Rng rng(9);
  for (const SlidingCmvnOptions& o : settings) {
    CAPTURE(o.cmn_window);
    CAPTURE(o.center);
    const FeaturePipeline p(fbank, o);
    const FeatureMatrix want = compute_features(p, x.data(), static_cast<int64_t>(x.size()));
    REQUIRE(want.rows > 50);
    const std::vector<std::function<size_t()>> chunkings = {
        [] { return size_t{1}; }, [&] { return static_cast<size_t>(rng.below(4)); },
        [&] { return static_cast<size_t>(rng.below(3000)); }, [&] { return x.size(); }};
    for (const auto& next : chunkings) {
      OnlineFeatures s(p);
      std::vector<float> got;
      auto drain = [&] {
        for (int64_t i = s.frames_popped(); i < s.frames_ready(); ++i)
          got.insert(got.end(), s.get_frame(i), s.get_frame(i) + s.dim());
        s.pop(s.frames_ready() - s.frames_popped());
      };
      for (size_t pos = 0; pos < x.size();) {
        const size_t n = std::min(x.size() - pos, next());
        s.accept_waveform(16000, x.data() + pos, n);
        pos += n;
        drain();
      }
      s.input_finished();
      drain();
      REQUIRE(got.size() == want.data.size());
      CHECK(std::memcmp(got.data(), want.data.data(), got.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("frames leave the stage as soon as their window is known: causal, start-up, centred") {
  auto ready_after = [](const SlidingCmvnOptions& o, int64_t accepted) {
    SlidingCmvn c(o, 1);
    int64_t out = 0;
    float y;
    for (int64_t t = 0; t < accepted; ++t) {
      const float v = static_cast<float>(t % 7);
      c.accept(&v);
      while (c.ready()) {
        c.emit(&y);
        ++out;
      }
    }
    return out;
  };
  SlidingCmvnOptions causal;
  causal.cmn_window = 50;
  causal.min_window = 1;
  for (int64_t n : {1, 2, 10, 100}) CHECK(ready_after(causal, n) == n);  // no look-ahead at all
  SlidingCmvnOptions startup = causal;
  startup.min_window = 10;
  CHECK(ready_after(startup, 9) == 0);  // the first frames wait for frame 9
  CHECK(ready_after(startup, 10) == 10);
  CHECK(ready_after(startup, 80) == 80);  // then every frame at once
  SlidingCmvnOptions centred;
  centred.cmn_window = 21;
  centred.center = true;
  // Frame t needs frames up to t + 10; the first window is [0, 21).
  CHECK(ready_after(centred, 20) == 0);
  CHECK(ready_after(centred, 21) == 11);
  CHECK(ready_after(centred, 100) == 90);
}

TEST_CASE("a stage snapshot restored mid-stream continues bit for bit; inconsistent ones are refused") {
  Rng rng(2);
  SlidingCmvnOptions o;
  o.cmn_window = 17;
  o.min_window = 5;
  o.norm_vars = true;
  std::vector<float> x(3 * 200);
  for (float& v : x) v = static_cast<float>(rng.normal() * 2 + 1);
  auto run = [&](SlidingCmvn& c, int64_t from, int64_t to, std::vector<float>& out) {
    for (int64_t t = from; t < to; ++t) {
      c.accept(x.data() + t * 3);
      while (c.ready()) {
        out.resize(out.size() + 3);
        c.emit(out.data() + out.size() - 3);
      }
    }
  };
  SlidingCmvn whole(o, 3);
  std::vector<float> want;
  run(whole, 0, 200, want);
  whole.finish();
  while (whole.ready()) {
    want.resize(want.size() + 3);
    whole.emit(want.data() + want.size() - 3);
  }
  for (int64_t cut : {0, 3, 4, 5, 60, 199}) {
    CAPTURE(cut);
    SlidingCmvn a(o, 3);
    std::vector<float> got;
    run(a, 0, cut, got);
    SlidingCmvn b(o, 3);
    b.restore(a.snapshot());
    run(b, cut, 200, got);
    b.finish();
    while (b.ready()) {
      got.resize(got.size() + 3);
      b.emit(got.data() + got.size() - 3);
    }
    REQUIRE(got.size() == want.size());
    CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
  }
  SlidingCmvn a(o, 3);
  std::vector<float> sink;
  run(a, 0, 50, sink);
  const SlidingCmvnSnapshot good = a.snapshot();
  SlidingCmvnSnapshot s = good;
  s.sum.pop_back();
  CHECK_THROWS_WITH_AS(a.restore(s), doctest::Contains("sums of"), Error);
  s = good;
  s.frames.resize(s.frames.size() - 1);
  CHECK_THROWS_WITH_AS(a.restore(s), doctest::Contains("values for"), Error);
  s = good;
  const int64_t drop = s.window_start + 1 - s.frames_start;  // the oldest frame the window holds
  REQUIRE(drop > 0);
  s.frames_start += drop;
  s.frames.erase(s.frames.begin(), s.frames.begin() + drop * 3);
  CHECK_THROWS_WITH_AS(a.restore(s), doctest::Contains("still needed"), Error);
  s = good;
  s.sum[0] = std::nan("");
  CHECK_THROWS_WITH_AS(a.restore(s), doctest::Contains("not finite"), Error);
  CHECK(a.snapshot().frames_in == good.frames_in);  // unchanged by the refusals
  // An OnlineFeatures with CMVN refuses a snapshot without its stage and the other way round.
  const auto fbank = std::make_shared<Fbank>(FbankOptions{});
  OnlineFeatures with(FeaturePipeline(fbank, o)), without(fbank);
  CHECK_THROWS_WITH_AS(with.restore(without.snapshot()), doctest::Contains("no CMVN state"), Error);
  CHECK_THROWS_WITH_AS(without.restore(with.snapshot()), doctest::Contains("a CMVN state"), Error);
}

TEST_CASE("the CMVN settings live in the frontend JSON; bad ones are one-line errors") {
  FrontendConfig f;
  f.type = "fbank";
  f.fbank.num_mel_bins = 40;
  CHECK_FALSE(f.to_json().contains("cmvn"));  // models without CMVN keep their old JSON
  CHECK_FALSE(FrontendConfig::from_json(f.to_json(), "m").cmvn.has_value());
  SlidingCmvnOptions o;
  o.cmn_window = 300;
  o.min_window = 50;
  o.norm_vars = true;
  f.cmvn = o;
  const FrontendConfig g = FrontendConfig::from_json(f.to_json(), "m");
  REQUIRE(g.cmvn.has_value());
  CHECK(g.cmvn->cmn_window == 300);
  CHECK(g.cmvn->min_window == 50);
  CHECK(g.cmvn->norm_vars);
  CHECK_FALSE(g.cmvn->center);
  CHECK(g.make_pipeline().cmvn.has_value());
  nlohmann::json j = f.to_json();
  j["cmvn"]["cmn_window"] = 0;
  CHECK_THROWS_WITH_AS(FrontendConfig::from_json(j, "m.safetensors"),
                       doctest::Contains("m.safetensors: frontend.cmvn: --cmn-window must be at least 1"), Error);
  j = f.to_json();
  j["cmvn"]["type"] = "global";
  CHECK_THROWS_WITH_AS(FrontendConfig::from_json(j, "m"), doctest::Contains("unknown type 'global'"), Error);
  j = f.to_json();
  j["cmvn"]["center"] = 3;
  CHECK_THROWS_WITH_AS(FrontendConfig::from_json(j, "m"), doctest::Contains("'center' has the wrong type"), Error);
  j = {{"type", "mulaw"}, {"sample_rate", 16000}, {"cmvn", f.to_json()["cmvn"]}};
  CHECK_THROWS_WITH_AS(FrontendConfig::from_json(j, "m"), doctest::Contains("mulaw"), Error);
  SlidingCmvnOptions bad;
  bad.cmn_window = 0;
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("--cmn-window must be at least 1"), UsageError);
  bad.cmn_window = 10;
  bad.min_window = 11;
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("--min-cmn-window must be between 1 and"), UsageError);
  bad.center = true;
  CHECK_NOTHROW(bad.validate());  // min_window does not apply to a centred window
  CHECK_THROWS_AS(SlidingCmvn(o, 0), Error);
}
