// Audio language model: mu-law data loading and splitting, a short training run that must beat the
// unigram entropy, a T = 65,536 window through the task, batch accumulation equal to one big batch,
// audio generation (valid progressive WAV, reproducible, prompt honoured, interruption), bad input.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <set>

#include "base/error.h"
#include "base/rng.h"
#include "frontends/audio/audio_file.h"
#include "src/core/peak_memory.h"
#include "src/core/threads.h"
#include "src/infer/audio_generator.h"
#include "src/io/pcm_wav_writer.h"
#include "src/model/checkpoint.h"
#include "src/train/audio_lm_trainer.h"
#include "tests/support.h"

using namespace rwkvs;
using rwkvs::test::cli;
using rwkvs::test::run;

namespace {

// A tone with two harmonics, a slow amplitude envelope and a little noise: predictable from the
// recent past, but spread over many mu-law classes (a high unigram entropy).
std::vector<float> tone(double rate, double seconds, double f0, uint64_t seed) {
  Rng rng(seed);
  const auto n = static_cast<size_t>(seconds * rate);
  std::vector<float> x(n);
  const double two_pi = 6.283185307179586;
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double env = 0.35 + 0.15 * std::sin(two_pi * 1.5 * t);
    const double s = std::sin(two_pi * f0 * t) + 0.5 * std::sin(two_pi * 2 * f0 * t + 0.3) +
                     0.25 * std::sin(two_pi * 3 * f0 * t + 1.1);
    x[i] = static_cast<float>(env * s / 1.75 + 0.003 * rng.normal());
  }
  return x;
}

void write_wav(const std::string& path, int rate, const std::vector<float>& x) {
  PcmWavWriter w(path, rate);
  w.write(x.data(), x.size());
  w.commit();
}

// Tone files in class folders and at the top, half at 16 kHz and half at 8 kHz.
std::string make_tone_folder(const std::string& dir, int files) {
  namespace fs = std::filesystem;
  const double f0s[] = {220, 330, 440, 550, 262, 392};
  for (int i = 0; i < files; ++i) {
    const std::string sub = dir + "/data/" + (i % 3 == 0 ? "" : (i % 3 == 1 ? "low/" : "high/"));
    fs::create_directories(sub);
    const int rate = i % 2 ? 16000 : 8000;
    write_wav(sub + "tone" + std::to_string(i) + "_nohash_0.wav", rate, tone(rate, 1.0, f0s[i % 6], i));
  }
  return dir + "/data";
}

// A task on one second of an 8 kHz tone, single-threaded, with a random model attached.
struct ToneTask {
  AudioLmTask task;
  Model model;
  ToneTask(const AudioLmTrainOptions& o, uint64_t init_seed) : task(o), model(task.new_model_config(o)) {
    init_random(model, init_seed);
    task.attach_model(model, "test");
  }
};

AudioLmTrainOptions tone_options(const std::string& name, int64_t ctx, int64_t batch, int layers) {
  const std::string dir = test::temp_dir(name);
  write_wav(dir + "/a.wav", 8000, tone(8000, 1.0, 300, 4));
  set_num_threads(1);
  AudioLmTrainOptions o;
  o.data = dir + "/a.wav";
  o.ctx = ctx;
  o.batch = batch;
  o.layers = layers;
  o.embd = 16;
  o.sample_rate = 8000;
  return o;
}

AudioLmTrainOptions tiny_options(const std::string& data, const std::string& out) {
  AudioLmTrainOptions o;
  o.data = data;
  o.out_dir = out;
  o.sample_rate = 8000;
  o.ctx = 256;
  o.batch = 4;
  o.layers = 2;
  o.embd = 32;
  o.lr = 4e-3;
  o.warmup = 10;
  o.minutes = 0;
  o.steps = 80;
  o.eval_every = 40;
  o.log_every = 1000;
  o.save_every = 1000;
  o.eval_samples = 4096;
  o.val_fraction = 0.25;
  o.threads = 1;  // a tiny model: one thread is fastest, and immune to a busy machine
  return o;
}

Model mulaw_model(int layers, int embd, double rate, uint64_t seed) {
  AudioLmTrainOptions o;
  o.layers = layers;
  o.embd = embd;
  o.sample_rate = rate;
  AudioLmTask task(o);
  Model m(task.new_model_config(o));
  init_random(m, seed);
  return m;
}

std::string read_bytes(const std::string& path) { return test::read_text(path); }


// One task step on a CPU engine over m: the loss, and the gradient written to grads.
double task_step(AudioLmTask& task, const Model& m, Rng& rng, const BatchShard& shard, std::vector<float>& grads) {
  const auto engine = make_engine("cpu", m);
  engine->zero_grads();
  const double loss = task.forward_backward(*engine, rng, shard, {});
  grads.resize(m.params_size());
  engine->get_grads(grads.data());
  return loss;
}

}  // namespace

TEST_CASE("unigram entropy of mu-law classes") {
  std::vector<uint8_t> q(512);
  for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<uint8_t>(i % 256);
  CHECK(unigram_entropy_bits(q.data(), q.size()) == doctest::Approx(8.0));
  std::fill(q.begin(), q.end(), 128);
  CHECK(unigram_entropy_bits(q.data(), q.size()) == doctest::Approx(0.0));
  for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<uint8_t>(i % 2 ? 3 : 200);
  CHECK(unigram_entropy_bits(q.data(), q.size()) == doctest::Approx(1.0));
}

TEST_CASE("sources: a folder is searched recursively and split the same way every time") {
  const std::string dir = test::temp_dir("alm_sources");
  const std::string data = make_tone_folder(dir, 12);
  test::write_text(data + "/readme.txt", "not audio");
  std::filesystem::create_directories(data + "/.hidden");
  write_wav(data + "/.hidden/skip_me.wav", 8000, tone(8000, 0.1, 300, 1));
  std::filesystem::create_directories(data + "/_background_noise_");
  write_wav(data + "/_background_noise_/noise.wav", 8000, tone(8000, 0.1, 300, 1));
  const MulawSources a = list_mulaw_sources(data, 0.25), b = list_mulaw_sources(data, 0.25);
  CHECK_FALSE(a.single_file);
  CHECK(a.train.size() + a.val.size() == 12);  // hidden folder, noise folder and text file skipped
  CHECK(!a.train.empty());
  CHECK(!a.val.empty());
  std::set<std::string> train_paths, val_paths;
  for (const auto& e : a.train) train_paths.insert(e.path);
  for (const auto& e : a.val) val_paths.insert(e.path);
  for (const auto& p : val_paths) CHECK(train_paths.count(p) == 0);
  REQUIRE(b.val.size() == a.val.size());
  for (size_t i = 0; i < a.val.size(); ++i) CHECK(a.val[i].path == b.val[i].path);
}

TEST_CASE("sources: a single file holds out its tail; a manifest lists its files") {
  const std::string dir = test::temp_dir("alm_single");
  write_wav(dir + "/one.wav", 8000, tone(8000, 2.0, 300, 1));
  const MulawCorpus c(dir + "/one.wav", 8000, 0.25, 1000);
  CHECK(c.train_size() == 12000);
  CHECK(c.val_size() == 4000);
  CHECK(c.unigram_bits() > 5.0);  // a tone with harmonics spreads over many classes
  write_wav(dir + "/two.wav", 8000, tone(8000, 1.0, 400, 2));
  test::write_text(dir + "/m.jsonl",
                   "{\"audio_filepath\": \"one.wav\", \"text\": \"a\", \"duration\": 1.5}\n"
                   "{\"audio_filepath\": \"two.wav\", \"text\": \"b\"}\n");
  const MulawCorpus m(dir + "/m.jsonl", 8000, 0.5, 100);
  CHECK(m.train_size() + m.val_size() == 12000 + 8000);
  CHECK(m.train_files() == 1);
  CHECK(m.val_files() == 1);
}

TEST_CASE("a short run on tones learns: held-out bits/sample fall well below the unigram entropy") {
  const std::string dir = test::temp_dir("alm_learn");
  const std::string data = make_tone_folder(dir, 8);
  const TrainResult r = train_audio_lm(tiny_options(data, dir + "/run"));
  const double val = r.final_eval.metrics.at("val_bits").get<double>();
  const double unigram = r.final_eval.metrics.at("unigram_bits").get<double>();
  INFO("val_bits " << val << ", unigram_bits " << unigram);
  CHECK(unigram > 5.0);
  CHECK(val < unigram - 1.2);  // measured: ~1.9 bits below at 80 steps
  CHECK(r.final_eval.metrics.at("peak_rss_mb").get<double>() > 0);
  const Model m = load_model(r.model_path);
  CHECK(m.config().tokenizer == "mulaw");
  CHECK(mulaw_model_rate(m, r.model_path) == 8000);
}

TEST_CASE("a T = 65,536 window runs forward and backward through the task") {
  const std::string dir = test::temp_dir("alm_long");
  write_wav(dir + "/long.wav", 16000, tone(16000, 4.6, 300, 3));
  AudioLmTrainOptions o;
  set_num_threads(1);
  o.data = dir + "/long.wav";
  o.ctx = 65536;
  o.batch = 1;
  o.layers = 1;
  o.embd = 16;
  AudioLmTask task(o);
  Model m(task.new_model_config(o));
  init_official(m, 1);
  task.attach_model(m, "test");
  CHECK(task.positions_per_step() == 65536);
  std::vector<float> grads(m.params_size(), 0.0f);
  Rng rng(1);
  const double loss = task_step(task, m, rng, BatchShard::whole(o.batch), grads);
  CHECK(loss == doctest::Approx(std::log(256.0)).epsilon(0.05));  // a fresh model is close to uniform
  double norm = 0;
  for (float g : grads) norm += static_cast<double>(g) * g;
  CHECK(std::isfinite(norm));
  CHECK(norm > 0);
  const EvalResult e = task.evaluate(*make_engine("cpu", m), {});
  CHECK(e.metrics.at("val_bits").get<double>() == doctest::Approx(8.0).epsilon(0.05));
  CHECK(peak_rss_mb() > 0);
}

TEST_CASE("shards of a batch (data parallelism) average to the whole batch's loss and gradient") {
  ToneTask t(tone_options("alm_shards", 100, 4, 1), 3);
  AudioLmTask& task = t.task;
  const Model& m = t.model;
  std::vector<float> whole(m.params_size(), 0.0f), sum(m.params_size(), 0.0f);
  Rng rng(9);
  const double whole_loss = task_step(task, m, rng, BatchShard::whole(4), whole);
  double shard_loss = 0;
  for (int64_t r = 0; r < 2; ++r) {  // two "ranks", each drawing the same global batch
    Rng same(9);
    std::vector<float> g(m.params_size(), 0.0f);
    shard_loss += task_step(task, m, same, BatchShard{2 * r, 2}, g) / 2;
    for (size_t i = 0; i < g.size(); ++i) sum[i] += g[i] / 2;
  }
  CHECK(shard_loss == doctest::Approx(whole_loss).epsilon(1e-6));
  CHECK_ARRAYS_CLOSE(sum.data(), whole.data(), whole.size(), 1e-7, 1e-5);
}

TEST_CASE("B windows run one at a time give the gradient of one batch of B") {
  const AudioLmTrainOptions o = tone_options("alm_batch", 200, 3, 2);
  ToneTask t(o, 2);
  AudioLmTask& task = t.task;
  const Model& m = t.model;
  std::vector<float> got(m.params_size(), 0.0f), want(m.params_size(), 0.0f);
  Rng rng_a(7), rng_b(7);
  const double loss = task_step(task, m, rng_a, BatchShard::whole(o.batch), got);
  // The same windows as one (B, T) batch.
  std::vector<int32_t> windows, in(3 * 200), target(3 * 200);
  task.corpus().sample_windows(rng_b, 3, 201, windows);
  for (int b = 0; b < 3; ++b)
    for (int t = 0; t < 200; ++t) {
      in[b * 200 + t] = windows[b * 201 + t];
      target[b * 200 + t] = windows[b * 201 + t + 1];
    }
  Activations acts;
  rwkv4_forward(m, acts, in.data(), 3, 200, nullptr, nullptr);
  const double want_loss = lm_loss_backward(acts, target.data(), 256);
  rwkv4_backward(m, acts, want.data());
  CHECK(loss == doctest::Approx(want_loss).epsilon(1e-6));
  double scale = 0;
  for (float g : want) scale = std::max(scale, static_cast<double>(std::fabs(g)));
  CHECK_ARRAYS_CLOSE(got.data(), want.data(), got.size(), 1e-5 * scale, 1e-4);
}

TEST_CASE("generation writes a valid growing WAV, reproducibly, and honours a prompt") {
  const std::string dir = test::temp_dir("alm_generate");
  const std::string model = dir + "/m.safetensors";
  save_model(model, mulaw_model(2, 32, 8000, 5));
  write_wav(dir + "/p1.wav", 16000, tone(16000, 0.3, 300, 6));  // at another rate: resampled
  write_wav(dir + "/p2.wav", 16000, tone(16000, 0.3, 520, 7));
  const std::string gen = cli() + " generate --threads 1 --model " + model + " --seconds 0.5 ";
  std::string log;
  REQUIRE(run(gen + "--seed 1 --out " + dir + "/a.wav", &log) == 0);
  const AudioFileInfo info = probe_audio_file(dir + "/a.wav");
  CHECK(info.sample_rate == 8000);
  CHECK(info.channels == 1);
  CHECK(info.frames == 4000);
  CHECK(log.find("0.50 / 0.50 s generated") != std::string::npos);
  REQUIRE(run(gen + "--seed 1 --out " + dir + "/b.wav") == 0);
  REQUIRE(run(gen + "--seed 2 --out " + dir + "/c.wav") == 0);
  CHECK(read_bytes(dir + "/a.wav") == read_bytes(dir + "/b.wav"));
  CHECK(read_bytes(dir + "/a.wav") != read_bytes(dir + "/c.wav"));
  // Audio samples plainly by default (the RWKV rule's alpha is 0 unless given).
  REQUIRE(run(gen + "--seed 1 --alpha 0 --out " + dir + "/plain.wav") == 0);
  REQUIRE(run(gen + "--seed 1 --alpha 0.9 --power 1 --out " + dir + "/cut.wav") == 0);
  CHECK(read_bytes(dir + "/a.wav") == read_bytes(dir + "/plain.wav"));
  CHECK(read_bytes(dir + "/a.wav") != read_bytes(dir + "/cut.wav"));
  REQUIRE(run(gen + "--seed 1 --prompt " + dir + "/p1.wav --out " + dir + "/p1a.wav", &log) == 0);
  CHECK(log.find("resampling the prompt from 16000 Hz") != std::string::npos);
  REQUIRE(run(gen + "--seed 1 --prompt " + dir + "/p1.wav --out " + dir + "/p1b.wav") == 0);
  REQUIRE(run(gen + "--seed 1 --prompt " + dir + "/p2.wav --out " + dir + "/p2a.wav") == 0);
  CHECK(read_bytes(dir + "/p1a.wav") == read_bytes(dir + "/p1b.wav"));
  CHECK(read_bytes(dir + "/p1a.wav") != read_bytes(dir + "/p2a.wav"));
  CHECK(read_bytes(dir + "/p1a.wav") != read_bytes(dir + "/a.wav"));
  for (const auto& e : std::filesystem::directory_iterator(dir))
    CHECK(e.path().string().find(".tmp.") == std::string::npos);  // no temp files left behind
}

TEST_CASE("generation: the temp file is valid at every flush; a stop finishes the file early") {
  const std::string dir = test::temp_dir("alm_generate_stop");
  const Model m = mulaw_model(1, 16, 8000, 8);
  const std::string out = dir + "/g.wav", temp = out + ".tmp." + std::to_string(::getpid());
  AudioGenerateOptions o;
  o.seconds = 1.0;
  o.seed = 3;
  std::atomic<bool> stop{false};
  int calls = 0;
  const AudioGenerateResult r =
      generate_audio_file(m, {}, out, o, &stop, [&](const AudioGenerateProgress& p) {
        ++calls;
        CHECK(p.total == 8000);
        CHECK(probe_audio_file(temp).frames == p.samples);  // readable while it grows
        if (p.samples >= 4000) stop = true;
      });
  CHECK(r.interrupted);
  CHECK(r.samples == 4000);
  CHECK(calls == 2);  // 0.25 s pieces: the stop came after the second
  CHECK(probe_audio_file(out).frames == 4000);
  CHECK_FALSE(std::filesystem::exists(temp));
}

TEST_CASE("bad input: clear one-line errors") {
  const std::string dir = test::temp_dir("alm_bad");
  auto last_line = [](const std::string& s) {
    const std::string t = s.substr(0, s.find_last_not_of('\n') + 1);
    return t.substr(t.rfind('\n') == std::string::npos ? 0 : t.rfind('\n') + 1);
  };
  auto check_error = [&](const std::string& args, int want_rc, const std::string& what) {
    std::string out;
    const int rc = run(cli() + " " + args, &out);
    INFO("rwkvs " << args << " -> rc " << rc << ": " << out);
    CHECK(rc == want_rc);
    const std::string line = last_line(out);
    CHECK(line.rfind("error: ", 0) == 0);
    CHECK(line.find(what) != std::string::npos);
  };
  const std::string text_model = dir + "/text.safetensors", audio_model = dir + "/audio.safetensors";
  {
    Model t(ModelConfig::rwkv4(1, 16, 256));
    init_random(t, 1);
    save_model(text_model, t);
    save_model(audio_model, mulaw_model(1, 16, 8000, 2));
  }
  check_error("generate --model " + text_model + " --seconds 2", 2, "--seconds and --out are for audio");
  check_error("generate --model " + text_model + " --out x.wav", 2, "is a text model");
  check_error("generate --model " + audio_model + " --seconds 1", 2, "give --out");
  check_error("generate --model " + audio_model + " --out " + dir + "/o.wav --tokens 5", 2,
              "--tokens does not apply");
  test::write_text(dir + "/corrupt.wav", "this is not a wav file at all");
  check_error("generate --model " + audio_model + " --out " + dir + "/o.wav --prompt " + dir + "/corrupt.wav",
              1, "corrupt.wav: cannot decode audio");
  check_error("generate --model " + audio_model + " --out " + dir + "/no/such/dir/o.wav", 1, "cannot write");

  const std::string train = "train --task audio-lm --steps 1 --out " + dir + "/run --data ";
  std::filesystem::create_directories(dir + "/empty");
  check_error(train + dir + "/empty", 1, "is empty");
  std::filesystem::create_directories(dir + "/texts/yes");
  test::write_text(dir + "/texts/yes/notes.txt", "hello");
  check_error(train + dir + "/texts", 1, "holds no audio files");
  std::filesystem::create_directories(dir + "/broken");
  test::write_text(dir + "/broken/a.wav", "RIFF garbage");
  check_error(train + dir + "/broken", 1, "a.wav: cannot decode audio");
  check_error(train + dir + "/corrupt.wav", 1, "corrupt.wav: cannot decode audio");
  check_error(train + dir + "/missing", 1, "does not exist");
  write_wav(dir + "/short.wav", 8000, tone(8000, 0.5, 300, 1));
  check_error(train + dir + "/short.wav", 1, "fewer than one window");
  check_error(train + dir + "/short.wav --sample-rate 22050", 2, "--sample-rate must be 8000 or 16000");
  check_error(train + dir + "/short.wav --pool mean", 2, "--pool does not apply to --task audio-lm");
  check_error("train --task classify --steps 1 --data " + dir + "/texts --eval-tokens 5", 2,
              "--eval-tokens does not apply to --task classify");
  // a text model where an audio model is expected
  std::filesystem::create_directories(dir + "/textrun");
  std::filesystem::copy_file(text_model, dir + "/textrun/model.safetensors");
  check_error("train --task audio-lm --steps 1 --ctx 100 --resume --out " + dir + "/textrun --data " + dir +
                  "/short.wav",
              1, "is not a mu-law audio language model");
}
