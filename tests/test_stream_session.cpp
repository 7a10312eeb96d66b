// Streaming sessions: posteriors fed in any chunking match the parallel forward over the whole
// file (1e-5), in both step modes; frame mode is bit-identical across chunkings; save -> load ->
// continue equals an uninterrupted run bit for bit; bad state files and states of other models
// are refused by name; reset() gives a fresh stream; a batch of sessions equals each alone;
// resampled input follows the offline resampler; memory stays bounded over a long stream.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

#include "base/error.h"
#include "frontends/audio/resampler.h"
#include "src/infer/session_batch.h"
#include "src/io/safetensors.h"
#include "src/model/checkpoint.h"
#include "tests/stream_support.h"
#include "tests/support.h"

using namespace rwkvs;
using test::flatten;
using test::stream_in_chunks;

namespace {

constexpr double kRate = 16000;

bool bitwise_equal(const std::vector<FrameOutput>& a, const std::vector<FrameOutput>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].frame != b[i].frame || a[i].time_s != b[i].time_s) return false;
    if (a[i].posteriors.size() != b[i].posteriors.size()) return false;
    if (std::memcmp(a[i].posteriors.data(), b[i].posteriors.data(), a[i].posteriors.size() * sizeof(float)) !=
        0)
      return false;
  }
  return true;
}

// Frames are numbered from 0 without gaps, each at the end of its window.
void check_numbering(const StreamModel& m, const std::vector<FrameOutput>& outs) {
  for (size_t i = 0; i < outs.size(); ++i) {
    CHECK(outs[i].frame == static_cast<int64_t>(i));
    CHECK(outs[i].time_s == m.frame_end_s(static_cast<int64_t>(i)));
  }
}

// The chunk sizes a run feeds, drawn in advance so that a replay feeds the same pieces.
std::vector<size_t> random_chunks(size_t total, size_t max_chunk, uint64_t seed) {
  Rng rng(seed);
  std::vector<size_t> sizes;
  for (size_t sum = 0; sum < total;) {
    const size_t n = static_cast<size_t>(rng.below(max_chunk + 1));
    sizes.push_back(n);
    sum += n;
  }
  return sizes;
}

long vm_rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace

TEST_CASE("models that cannot stream are refused with a message naming them") {
  const std::string dir = test::temp_dir("stream_bad_models");
  Model text(ModelConfig::rwkv4(1, 16, 256));
  save_model(dir + "/text.safetensors", text);
  CHECK_THROWS_WITH_AS(StreamModel::load(dir + "/text.safetensors"),
                       doctest::Contains(("'" + dir +
                                          "/text.safetensors' is a text model; stream needs an audio "
                                          "model with a classes or ctc head")
                                             .c_str()),
                       Error);
  ModelConfig lm = ModelConfig::rwkv4(1, 16, 256);
  lm.tokenizer = "mulaw";
  lm.frontend = nlohmann::json{{"type", "mulaw"}, {"sample_rate", 16000}};
  CHECK_THROWS_WITH_AS(StreamModel(Model(lm), "lm.safetensors"),
                       doctest::Contains("'lm.safetensors' is an audio language model"), Error);
  ModelConfig lm_head = test::audio_classifier_config(1, 16, test::small_fbank(), {"a"});
  lm_head.head_kind = "lm";
  lm_head.vocab_size = 256;
  CHECK_THROWS_WITH_AS(StreamModel(Model(lm_head), "h"), doctest::Contains("'h' has an lm head"), Error);
  ModelConfig wrong_dim = test::audio_classifier_config(1, 16, test::small_fbank(), {"a"});
  wrong_dim.input_dim = 40;
  CHECK_THROWS_WITH_AS(StreamModel(Model(wrong_dim), "d"), doctest::Contains("makes 23 features per frame"),
                       Error);
  CHECK_THROWS_AS(StreamSession(nullptr), Error);
  CHECK_NOTHROW(StreamModel(test::random_classifier(1), "ok"));
}

TEST_CASE("streamed posteriors match the whole-file parallel forward within 1e-5 for any chunking") {
  const auto model = test::random_stream_model(1);
  const std::vector<float> x = test::synthetic_audio(3.0, kRate, 7);
  const std::vector<float> want = test::offline_posteriors(*model, x);
  REQUIRE(want.size() == 298 * 4);
  Rng rng(5);
  const std::vector<std::pair<std::string, std::function<size_t()>>> chunkings = {
      {"one sample", [] { return size_t{1}; }},
      {"random 0..3", [&] { return static_cast<size_t>(rng.below(4)); }},
      {"random 0..2000", [&] { return static_cast<size_t>(rng.below(2001)); }},
      {"100 ms hops", [] { return size_t{1600}; }},
      {"whole file", [&] { return x.size(); }},
  };
  for (StepMode mode : {StepMode::hop, StepMode::frame}) {
    INFO("mode " << step_mode_name(mode));
    std::vector<FrameOutput> first;
    for (const auto& [name, next] : chunkings) {
      INFO(name);
      StreamSession s(model, mode);
      const std::vector<FrameOutput> outs = stream_in_chunks(s, x, kRate, next);
      REQUIRE(outs.size() == 298);
      check_numbering(*model, outs);
      const std::vector<float> got = flatten(outs);
      CHECK_ARRAYS_CLOSE(got.data(), want.data(), want.size(), 1e-5, 0.0);
      // The recurrent form does the same arithmetic whatever the chunking.
      if (mode == StepMode::frame) {
        if (first.empty())
          first = outs;
        else
          CHECK(bitwise_equal(outs, first));
      }
    }
  }
}

TEST_CASE("a session stepping through an engine (as on a GPU) matches the offline posteriors in both modes") {
  const auto model = test::random_stream_model(2);
  const std::vector<float> x = test::synthetic_audio(2.0, kRate, 9);
  const std::vector<float> want = test::offline_posteriors(*model, x);
  Rng rng(3);
  for (StepMode mode : {StepMode::hop, StepMode::frame}) {
    INFO("mode " << step_mode_name(mode));
    StreamSession s(model, mode);
    s.set_engine(make_engine("cpu", model->model()));
    const std::vector<FrameOutput> outs =
        stream_in_chunks(s, x, kRate, [&] { return static_cast<size_t>(rng.below(3000)); });
    REQUIRE(outs.size() * 4 == want.size());
    check_numbering(*model, outs);
    const std::vector<float> got = flatten(outs);
    CHECK_ARRAYS_CLOSE(got.data(), want.data(), want.size(), 1e-5, 0.0);
  }
  StreamSession other(model);
  CHECK_THROWS_WITH_AS(other.set_engine(make_engine("cpu", test::random_classifier(1, 1, 16))),
                       doctest::Contains("another model"), Error);
}

TEST_CASE("an RWKV-7 classifier streams its offline posteriors in both modes; its state saves, loads, and is refused by RWKV-4") {
  const std::string dir = test::temp_dir("stream_rwkv7");
  const auto model = std::make_shared<const StreamModel>(
      test::random_classifier(4, 2, 32, test::small_fbank(), {"_unknown_", "yes", "no", "up"}, "rwkv7"), "rwkv7 model");
  REQUIRE(model->config().rwkv7());
  const std::vector<float> x = test::synthetic_audio(2.0, kRate, 11);
  const std::vector<float> want = test::offline_posteriors(*model, x);
  Rng rng(4);
  for (StepMode mode : {StepMode::hop, StepMode::frame}) {
    INFO("mode " << step_mode_name(mode));
    StreamSession s(model, mode);
    const std::vector<FrameOutput> outs =
        stream_in_chunks(s, x, kRate, [&] { return static_cast<size_t>(rng.below(3000)); });
    REQUIRE(outs.size() * 4 == want.size());
    const std::vector<float> got = flatten(outs);
    CHECK_ARRAYS_CLOSE(got.data(), want.data(), want.size(), 1e-5, 0.0);
  }
  // save half way, continue in a fresh session: the same posteriors
  StreamSession a(model), whole(model);
  const size_t half = x.size() / 2;
  a.accept_waveform(kRate, x.data(), half);
  a.step();
  std::vector<FrameOutput> got = a.take_outputs();
  a.save_state(dir + "/half.state");
  StreamSession b(model);
  b.load_state(dir + "/half.state");
  std::vector<float> rest(x.begin() + static_cast<long>(half), x.end());
  for (FrameOutput& o : stream_in_chunks(b, rest, kRate, [&] { return rest.size(); })) got.push_back(std::move(o));
  // the uninterrupted run takes the same chunks (half, then the rest)
  size_t chunk = 0;
  const size_t sizes[] = {half, rest.size()};
  CHECK(bitwise_equal(got, stream_in_chunks(whole, x, kRate, [&] { return sizes[chunk++]; })));
  // an RWKV-4 model of the same shape refuses the RWKV-7 state, naming the architectures
  const auto model4 = test::random_stream_model(4, 2, 32);
  StreamSession c(model4);
  CHECK_THROWS_WITH_AS(c.load_state(dir + "/half.state"), doctest::Contains("arch \"rwkv7\" there, \"rwkv4\" here"),
                       Error);
}

TEST_CASE("save_state -> load_state -> continue equals an uninterrupted run bit for bit") {
  const std::string dir = test::temp_dir("stream_save_load");
  const auto model = test::random_stream_model(2);
  const std::vector<float> x = test::synthetic_audio(2.5, kRate, 8);
  for (StepMode mode : {StepMode::hop, StepMode::frame}) {
    for (uint64_t trial = 0; trial < 4; ++trial) {
      INFO("mode " << step_mode_name(mode) << ", trial " << trial);
      const std::vector<size_t> chunks = random_chunks(x.size(), trial == 0 ? 5 : 3000, 100 + trial);
      // Uninterrupted: every chunk, stepping after each.
      StreamSession whole(model, mode);
      size_t c = 0;
      auto next = [&] { return chunks[c++]; };
      const std::vector<FrameOutput> want = stream_in_chunks(whole, x, kRate, next);

      // Interrupted after chunk 'cut': the last chunk is accepted but not stepped, and the outputs
      // of the earlier ones are left untaken, so the file holds pending frames and outputs too.
      const size_t cut = 1 + static_cast<size_t>(Rng(trial).below(chunks.size() - 1));
      StreamSession a(model, mode);
      std::vector<FrameOutput> got;
      size_t pos = 0;
      for (size_t i = 0; i < cut; ++i) {
        const size_t n = std::min(x.size() - pos, chunks[i]);
        a.accept_waveform(kRate, x.data() + pos, n);
        pos += n;
        if (i + 1 < cut) a.step();
      }
      for (FrameOutput& o : a.take_outputs()) got.push_back(std::move(o));
      a.step();  // the last chunk's frames become untaken outputs
      const std::string path = dir + "/s" + std::to_string(trial) + ".state";
      a.save_state(path);
      StreamSession b(model, mode);  // a fresh object, as in another process
      b.load_state(path);
      CHECK(b.frames_stepped() == a.frames_stepped());
      CHECK(b.samples_received() == a.samples_received());
      c = cut;
      std::vector<float> rest(x.begin() + static_cast<long>(pos), x.end());
      for (FrameOutput& o : stream_in_chunks(b, rest, kRate, next)) got.push_back(std::move(o));
      CHECK(bitwise_equal(got, want));
    }
  }
  // A state saved after input_finished, with frames not yet stepped, finishes the same way.
  StreamSession a(model), ref(model);
  a.accept_waveform(kRate, x.data(), x.size());
  a.input_finished();
  a.save_state(dir + "/finished.state");
  StreamSession b(model);
  b.load_state(dir + "/finished.state");
  CHECK(b.input_done());
  b.step();
  const std::vector<FrameOutput> want = stream_in_chunks(ref, x, kRate, [&] { return x.size(); });
  CHECK(bitwise_equal(b.take_outputs(), want));
  CHECK_THROWS_WITH_AS(b.accept_waveform(kRate, x.data(), 10), doctest::Contains("already finished"), Error);
  // A fresh session saves and loads too.
  StreamSession empty(model);
  empty.save_state(dir + "/empty.state");
  CHECK_NOTHROW(b.load_state(dir + "/empty.state"));
  CHECK(b.frames_stepped() == 0);
  CHECK_FALSE(b.input_done());
}

TEST_CASE("a model with sliding CMVN streams its offline posteriors, and its state saves and loads exactly") {
  const std::string dir = test::temp_dir("stream_cmvn");
  FrontendConfig f = test::small_fbank();
  SlidingCmvnOptions o;
  o.cmn_window = 80;
  o.min_window = 30;  // the first 30 frames wait: start-up latency
  o.norm_vars = true;
  f.cmvn = o;
  const auto model = test::random_stream_model(4, 2, 32, f);
  const std::vector<float> x = test::synthetic_audio(3.0, kRate, 12);
  const std::vector<float> want = test::offline_posteriors(*model, x);
  REQUIRE(want.size() == 298 * 4);
  // The CMVN changes what the model sees: the same weights without it answer otherwise.
  const auto plain = test::random_stream_model(4, 2, 32, test::small_fbank());
  const std::vector<float> without = test::offline_posteriors(*plain, x);
  double moved = 0;
  for (size_t i = 0; i < want.size(); ++i) moved = std::max(moved, double(std::abs(want[i] - without[i])));
  CHECK(moved > 0.01);
  for (StepMode mode : {StepMode::hop, StepMode::frame}) {
    INFO("mode " << step_mode_name(mode));
    for (size_t max_chunk : {size_t{7}, size_t{3000}}) {
      StreamSession s(model, mode);
      const std::vector<FrameOutput> outs =
          stream_in_chunks(s, x, kRate, [&, rng = Rng(max_chunk)]() mutable {
            return static_cast<size_t>(rng.below(max_chunk + 1));
          });
      REQUIRE(outs.size() == 298);
      check_numbering(*model, outs);
      const std::vector<float> got = flatten(outs);
      CHECK_ARRAYS_CLOSE(got.data(), want.data(), want.size(), 1e-5, 0.0);
    }
    // Saved before, inside and after the start-up window, then continued in a fresh session.
    for (size_t cut_samples : {size_t{1000}, size_t{3000}, size_t{20000}}) {
      INFO("cut at sample " << cut_samples);
      StreamSession whole(model, mode);
      const std::vector<FrameOutput> ref = stream_in_chunks(whole, x, kRate, [] { return size_t{500}; });
      StreamSession a(model, mode);
      std::vector<float> head(x.begin(), x.begin() + static_cast<long>(cut_samples));
      std::vector<FrameOutput> got = stream_in_chunks(a, head, kRate, [] { return size_t{500}; }, false);
      a.save_state(dir + "/cmvn.state");
      StreamSession b(model, mode);
      b.load_state(dir + "/cmvn.state");
      std::vector<float> rest(x.begin() + static_cast<long>(cut_samples), x.end());
      for (FrameOutput& out : stream_in_chunks(b, rest, kRate, [] { return size_t{500}; })) got.push_back(std::move(out));
      CHECK(bitwise_equal(got, ref));
    }
  }
  // A state of a model without CMVN does not load into one with it (their frontends differ).
  StreamSession p(plain);
  p.save_state(dir + "/plain.state");
  StreamSession c(model);
  CHECK_THROWS_WITH_AS(c.load_state(dir + "/plain.state"), doctest::Contains("other frontend settings"), Error);
}

TEST_CASE("load_state refuses other models and broken files, naming the file, and changes nothing") {
  const std::string dir = test::temp_dir("stream_bad_states");
  const auto model = test::random_stream_model(3);
  const std::vector<float> x = test::synthetic_audio(1.0, kRate, 9);
  StreamSession src(model);
  src.accept_waveform(kRate, x.data(), 7000);
  src.step();
  const std::string good = dir + "/good.state";
  src.save_state(good);

  // Sessions of other models cannot take it.
  auto refused_by = [&](std::shared_ptr<const StreamModel> other, const char* why) {
    StreamSession s(other);
    CHECK_THROWS_WITH_AS(s.load_state(good),
                         doctest::Contains(("'" + good + "' was saved with another model").c_str()), Error);
    CHECK_THROWS_WITH_AS(s.load_state(good), doctest::Contains(why), Error);
  };
  refused_by(test::random_stream_model(3, 3, 32), "n_layer 2 there, 3 here");
  refused_by(test::random_stream_model(3, 2, 16), "n_embd 32 there, 16 here");
  refused_by(
      std::make_shared<const StreamModel>(
          test::random_classifier(3, 2, 32, test::small_fbank(), {"_unknown_", "yes", "no", "down"}), "l"),
      "labels");
  FrontendConfig dithered = test::small_fbank();
  dithered.fbank.dither = 0.1;
  refused_by(test::random_stream_model(3, 2, 32, dithered), "other frontend settings");
  refused_by(test::random_stream_model(4), "other weights");

  // Broken files: the session keeps its stream and continues as if nothing happened.
  StreamSession s(model), ref(model);
  s.accept_waveform(kRate, x.data(), 5000);
  ref.accept_waveform(kRate, x.data(), 5000);
  auto refused = [&](const std::string& path, const std::string& why) {
    INFO(path);
    const std::string msg = test::error_of([&] { s.load_state(path); });
    CHECK(msg.find(path) != std::string::npos);
    CHECK(msg.find(why) != std::string::npos);
    if (msg.find(why) == std::string::npos) MESSAGE(msg);
  };
  refused(dir + "/missing.state", "missing.state");
  Model plain = test::random_classifier(3);
  save_model(dir + "/model.safetensors", plain);
  refused(dir + "/model.safetensors", "is not a stream state");
  std::ifstream in(good, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto write = [&](const std::string& name, const std::vector<char>& b) {
    std::ofstream(dir + "/" + name, std::ios::binary).write(b.data(), static_cast<std::streamsize>(b.size()));
    return dir + "/" + name;
  };
  refused(write("truncated.state", std::vector<char>(bytes.begin(), bytes.end() - 100)), "");
  std::vector<char> flipped = bytes;
  flipped[flipped.size() - 40] ^= 0x10;  // a bit of the stored floats
  refused(write("flipped.state", flipped), "checksum");
  refused(write("text.state", std::vector<char>{'h', 'e', 'l', 'l', 'o'}), "");
  {
    // A future format version.
    const SafetensorsReader r(good);
    Metadata meta = r.metadata();
    meta["rwkvs.stream_state"] = "2";
    std::vector<std::vector<float>> data;
    std::vector<TensorView> views;
    for (const TensorEntry& t : r.tensors()) data.push_back(r.read_f32(t.name));
    for (size_t i = 0; i < r.tensors().size(); ++i)
      views.push_back({r.tensors()[i].name, r.tensors()[i].shape, data[i].data()});
    write_safetensors(dir + "/v2.state", views, meta);
    refused(dir + "/v2.state", "format version 2; this build reads version 1");
    // Inconsistent frontend counters (with a matching checksum, so the counters are what fails).
    meta["rwkvs.stream_state"] = "1";
    meta["frames_ready"] = "1000";
    write_safetensors(dir + "/counters.state", views, meta);
    refused(dir + "/counters.state", "is corrupt");
  }
  s.step();
  ref.step();
  CHECK(bitwise_equal(s.take_outputs(), ref.take_outputs()));
}

TEST_CASE("resampled input: offline resampling's posteriors, the rate fixed per stream, no save") {
  const auto model = test::random_stream_model(5);
  const std::vector<float> x8k = test::synthetic_audio(2.0, 8000, 10);
  // The streaming resampler gives the offline resampler's samples for any chunking.
  const std::vector<float> x16k = resample(x8k.data(), x8k.size(), 8000, kRate);
  const std::vector<float> want = test::offline_posteriors(*model, x16k);
  Rng rng(3);
  StreamSession s(model);
  const std::vector<FrameOutput> outs =
      stream_in_chunks(s, x8k, 8000, [&] { return static_cast<size_t>(rng.below(700)); });
  CHECK(s.resampling());
  CHECK(s.input_rate() == 8000);
  const std::vector<float> got = flatten(outs);
  REQUIRE(got.size() == want.size());
  CHECK_ARRAYS_CLOSE(got.data(), want.data(), want.size(), 1e-5, 0.0);

  StreamSession t(model);
  t.accept_waveform(8000, x8k.data(), 100);
  CHECK_THROWS_WITH_AS(t.accept_waveform(16000, x8k.data(), 100), doctest::Contains("reset() to start"),
                       Error);
  CHECK_THROWS_WITH_AS(t.save_state(test::temp_dir("stream_resampled") + "/r.state"),
                       doctest::Contains("resampler's (libsoxr) filter state cannot be saved"), Error);
}

TEST_CASE(
    "reset() clears resampler, features and state: the same audio then gives a fresh session's outputs") {
  const auto model = test::random_stream_model(6);
  const std::vector<float> a = test::synthetic_audio(1.5, 8000, 11),
                           b = test::synthetic_audio(1.5, kRate, 12);
  for (StepMode mode : {StepMode::hop, StepMode::frame}) {
    StreamSession fresh(model, mode), s(model, mode);
    const std::vector<FrameOutput> want = stream_in_chunks(fresh, b, kRate, [] { return size_t{1000}; });
    // Half a stream at another rate (resampling), then reset mid-way with frames and outputs pending.
    s.accept_waveform(8000, a.data(), a.size() / 2);
    s.step();
    s.accept_waveform(8000, a.data(), 1234);
    s.reset();
    CHECK_FALSE(s.resampling());
    CHECK(s.input_rate() == 0);
    CHECK(s.frames_stepped() == 0);
    CHECK(s.outputs_ready() == 0);
    CHECK(s.frames_pending() == 0);
    CHECK(bitwise_equal(stream_in_chunks(s, b, kRate, [] { return size_t{1000}; }), want));
    // And after a finished stream.
    s.reset();
    CHECK(bitwise_equal(stream_in_chunks(s, b, kRate, [] { return size_t{1000}; }), want));
  }
}

TEST_CASE("a batch of 3 sessions stepped together equals each stepped alone, on the CPU or an engine") {
  const auto model = test::random_stream_model(7);
  const std::vector<std::vector<float>> audio = {test::synthetic_audio(2.0, kRate, 20),
                                                 test::synthetic_audio(1.3, kRate, 21),
                                                 test::synthetic_audio(2.6, kRate, 22)};
  const size_t chunk[3] = {1600, 777, 2900};  // different backlogs at every step
  for (const bool on_engine : {false, true})
  for (StepMode mode : {StepMode::hop, StepMode::frame}) {
    INFO("mode " << step_mode_name(mode) << (on_engine ? " on an engine" : ""));
    std::vector<std::vector<FrameOutput>> alone(3), batched(3);
    for (int i = 0; i < 3; ++i) {
      StreamSession s(model, mode);
      alone[i] = stream_in_chunks(s, audio[i], kRate, [&] { return chunk[i]; });
    }
    std::vector<std::unique_ptr<StreamSession>> owned;
    std::vector<StreamSession*> sessions;
    for (int i = 0; i < 3; ++i) {
      owned.push_back(std::make_unique<StreamSession>(model, mode));
      sessions.push_back(owned.back().get());
    }
    SessionBatch batch(model);
    if (on_engine) batch.set_engine(make_engine("cpu", model->model()));  // as --device cuda runs it
    std::vector<size_t> pos(3, 0);
    for (bool more = true; more;) {
      more = false;
      for (int i = 0; i < 3; ++i) {
        const size_t n = std::min(chunk[i], audio[i].size() - pos[i]);
        if (n == 0 && !sessions[i]->input_done()) sessions[i]->input_finished();
        if (n > 0) sessions[i]->accept_waveform(kRate, audio[i].data() + pos[i], n);
        pos[i] += n;
        more = more || pos[i] < audio[i].size() || !sessions[i]->input_done();
      }
      batch.step(sessions);
      for (int i = 0; i < 3; ++i)
        for (FrameOutput& o : sessions[i]->take_outputs()) batched[i].push_back(std::move(o));
    }
    for (int i = 0; i < 3; ++i) {
      INFO("session " << i);
      REQUIRE(batched[i].size() == alone[i].size());
      check_numbering(*model, batched[i]);
      const std::vector<float> got = flatten(batched[i]), want = flatten(alone[i]);
      CHECK_ARRAYS_CLOSE(got.data(), want.data(), want.size(), 1e-5, 0.0);
    }
    // The sessions really differ, so a mix-up would show.
    const std::vector<float> p0 = flatten(batched[0]), p1 = flatten(batched[1]);
    CHECK_FALSE(test::compare(p0.data(), p1.data(), std::min(p0.size(), p1.size()), 1e-3, 0.0).ok);
  }
  // Misuse.
  SessionBatch batch(model);
  StreamSession a(model), b(model, StepMode::frame), other(test::random_stream_model(8));
  CHECK_THROWS_WITH_AS(batch.step({&a, &b}), doctest::Contains("same step mode"), Error);
  CHECK_THROWS_WITH_AS(batch.step({&a, &other}), doctest::Contains("in a batch of model"), Error);
  CHECK_THROWS_WITH_AS(batch.step({&a, &a}), doctest::Contains("appears twice"), Error);
}

TEST_CASE("sessions of one shared model on several threads give the single-thread results") {
  const auto model = test::random_stream_model(11);
  std::vector<std::vector<float>> audio;
  for (uint64_t i = 0; i < 4; ++i) audio.push_back(test::synthetic_audio(1.5, kRate, 30 + i));
  for (StepMode mode : {StepMode::hop, StepMode::frame}) {
    std::vector<std::vector<FrameOutput>> want(4), got(4);
    for (size_t i = 0; i < 4; ++i) {
      StreamSession s(model, mode);
      want[i] = stream_in_chunks(s, audio[i], kRate, [] { return size_t{1600}; });
    }
    std::vector<std::thread> threads;
    for (size_t i = 0; i < 4; ++i)
      threads.emplace_back([&, i] {
        StreamSession s(model, mode);
        got[i] = stream_in_chunks(s, audio[i], kRate, [] { return size_t{1600}; });
      });
    for (std::thread& t : threads) t.join();
    for (size_t i = 0; i < 4; ++i) CHECK(bitwise_equal(got[i], want[i]));
  }
}

TEST_CASE("memory does not grow: 10 minutes through one session stay bounded") {
  const auto model = test::random_stream_model(9, 2, 32);
  StreamSession s(model);
  Rng rng(4);
  std::vector<float> hop(1600);
  size_t max_samples = 0, max_frames = 0, max_outputs = 0;
  long rss_1min = 0;
  int64_t frames = 0;
  for (int i = 0; i < 10 * 600; ++i) {  // 10 minutes of 100 ms hops
    const double amp = 0.3 * (1 + std::sin(i * 0.01));
    for (size_t j = 0; j < hop.size(); ++j)
      hop[j] = static_cast<float>(amp * rng.normal() * (j % 320 < 160 ? 1 : 0.1));
    s.accept_waveform(kRate, hop.data(), hop.size());
    max_samples = std::max(max_samples, s.buffered_samples());
    max_frames = std::max(max_frames, s.stored_frames());
    s.step();
    max_outputs = std::max(max_outputs, s.outputs_ready());
    frames += static_cast<int64_t>(s.take_outputs().size());
    CHECK(s.outputs_ready() == 0);
    if (i == 600 - 1) rss_1min = vm_rss_kb();
  }
  const long rss_10min = vm_rss_kb();
  CHECK(frames == 1 + (600 * 16000 - 400) / 160);
  CHECK(max_samples <= 4 * 400 + 2 * 1600);  // a few windows plus one chunk
  CHECK(max_frames <= 11);                   // one hop's frames
  CHECK(max_outputs <= 11);
  MESSAGE("VmRSS after 1 minute " << rss_1min << " kB, after 10 minutes " << rss_10min << " kB");
#if defined(__SANITIZE_ADDRESS__)
  MESSAGE("AddressSanitizer build: its allocator quarantine holds freed memory, RSS not compared");
#else
  REQUIRE(rss_1min > 0);
  CHECK(rss_10min - rss_1min <= 2048);
#endif
}

TEST_CASE("misuse is an error, not a crash") {
  const auto model = test::random_stream_model(10);
  StreamSession s(model);
  std::vector<float> x(100, 0.1f);
  s.accept_waveform(kRate, nullptr, 0);
  CHECK(s.input_rate() == 0);  // an empty call fixes no rate
  x[42] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(s.accept_waveform(kRate, x.data(), x.size()), doctest::Contains("sample 42 is nan"),
                       Error);
  CHECK_THROWS_WITH_AS(s.accept_waveform(-1, x.data(), 1), doctest::Contains("must be positive"), Error);
  CHECK_THROWS_WITH_AS(s.accept_waveform(kRate, nullptr, 5), doctest::Contains("null samples"), Error);
  CHECK_THROWS_AS(parse_step_mode("chunk"), Error);
  s.input_finished();
  s.input_finished();  // twice is harmless
  s.step();
  CHECK(s.take_outputs().empty());
}
