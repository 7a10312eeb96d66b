// rwkvs train --task classify and rwkvs eval end to end on a small synthetic Speech Commands style
// dataset (a low tone, a high tone, and noise as _unknown_): training learns it, the log carries the
// metrics, eval's accuracy and confusion matrix agree with an independent count made by streaming
// each test clip through `rwkvs stream` and taking the last frame's argmax (the pooling the model
// uses), the checkpoint carries everything stream needs, and bad input gets one-line errors.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/rng.h"
#include "src/model/checkpoint.h"
#include "tests/support.h"
#include "tests/wav_writer.h"

using namespace rwkvs;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kRate = 16000;
const std::vector<std::string> kClasses = {"_unknown_", "high", "low"};  // sorted, as the loader lists them

// 0.4-0.6 s: silence, then the class's sound for 0.25-0.35 s at a random level, then silence.
std::vector<float> make_clip(const std::string& cls, Rng& rng) {
  const auto n = static_cast<size_t>(kRate * (0.4 + 0.2 * rng.uniform()));
  std::vector<float> x(n, 0.0f);
  const auto start = static_cast<size_t>(kRate * 0.05 * rng.uniform());
  const auto len = static_cast<size_t>(kRate * (0.25 + 0.1 * rng.uniform()));
  const double amp = 0.1 + 0.4 * rng.uniform();
  const double freq = cls == "low" ? 300 + 40 * rng.uniform() : 1800 + 200 * rng.uniform();
  for (size_t i = start; i < std::min(n, start + len); ++i) {
    const double t = static_cast<double>(i) / kRate;
    x[i] = static_cast<float>(cls == "_unknown_" ? amp * (2 * rng.uniform() - 1) : amp * std::sin(2 * M_PI * freq * t));
  }
  return x;
}

struct Data {
  std::string dir, model_dir, text_model;
  std::vector<std::string> test_clips;  // relative paths
};

// 8 speakers: s0 is test, s1 validation, the rest train; 5 clips per class and speaker.
const Data& data() {
  static const Data d = [] {
    Data d;
    const std::string base = test::temp_dir("classify_cli");
    d.dir = base + "/data";
    d.model_dir = base + "/run";
    Rng rng(11);
    std::string testing, validation;
    for (const std::string& cls : kClasses)
      for (int s = 0; s < 8; ++s)
        for (int i = 0; i < 5; ++i) {
          const std::string rel = cls + "/s" + std::to_string(s) + "_nohash_" + std::to_string(i) + ".wav";
          fs::create_directories(d.dir + "/" + cls);
          test::write_wav(d.dir + "/" + rel, test::WavSpec{}, make_clip(cls, rng));
          if (s == 0) {
            testing += rel + "\n";
            d.test_clips.push_back(rel);
          }
          if (s == 1) validation += rel + "\n";
        }
    test::write_text(d.dir + "/testing_list.txt", testing);
    test::write_text(d.dir + "/validation_list.txt", validation);
    fs::create_directories(d.dir + "/_background_noise_");
    std::vector<float> noise(kRate * 3);
    for (float& v : noise) v = static_cast<float>(0.05 * (2 * rng.uniform() - 1));
    test::write_wav(d.dir + "/_background_noise_/hiss.wav", test::WavSpec{}, noise);

    d.text_model = base + "/text.safetensors";
    save_model(d.text_model, Model(ModelConfig::rwkv4(1, 16, 256)));
    return d;
  }();
  return d;
}

struct Result {
  int status = 0;
  std::string out;
};

// stderr_only: stdout (progress lines) is dropped, so out holds the error alone.
Result rwkvs_cmd(const std::string& args, bool stderr_only = false) {
  Result r;
  const std::string cmd = test::cli() + " " + args;
  r.status = test::run(stderr_only ? "{ " + cmd + " > /dev/null; }" : cmd, &r.out);
  return r;
}

// The trained model: 1 x 32, 20 mel bins, 150 steps (made once per process).
const std::string& trained_model() {
  static const std::string path = [] {
    const Data& d = data();
    const Result r = rwkvs_cmd("train --task classify --data " + d.dir + " --out " + d.model_dir +
                               " --steps 150 --layers 1 --embd 32 --batch 16 --num-mel-bins 20 --eval-every 50"
                               " --log-every 50 --threads 2 --seed 3");
    INFO(r.out);
    REQUIRE(r.status == 0);
    return d.model_dir + "/model_best.safetensors";
  }();
  return path;
}

std::vector<json> read_log(const std::string& path) {
  std::vector<json> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) lines.push_back(json::parse(line));
  return lines;
}

// One line on stderr/stdout that starts with "error: " and contains 'what'.
void check_error(const Result& r, int status, const std::string& what) {
  CAPTURE(r.out);
  CHECK(r.status == status);
  CHECK(r.out.rfind("error: ", 0) == 0);
  CHECK(r.out.find(what) != std::string::npos);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
}

// The confusion matrix counted from `rwkvs stream` on each test clip: its last frame's argmax.
std::vector<std::vector<int64_t>> streamed_confusion(const std::string& model) {
  const Data& d = data();
  std::map<std::string, int> index;
  for (size_t k = 0; k < kClasses.size(); ++k) index[kClasses[k]] = static_cast<int>(k);
  std::vector<std::vector<int64_t>> confusion(kClasses.size(), std::vector<int64_t>(kClasses.size(), 0));
  for (const std::string& rel : d.test_clips) {
    const Result s = rwkvs_cmd("stream --model " + model + " --input " + d.dir + "/" + rel + " --posteriors 2>/dev/null");
    REQUIRE(s.status == 0);
    std::istringstream lines(s.out);
    std::string line;
    json last;
    while (std::getline(lines, line)) {
      const json f = json::parse(line);
      if (f.at("type") == "frame") last = f;
    }
    REQUIRE(!last.is_null());
    const std::vector<double> p = last.at("p").get<std::vector<double>>();
    const auto predicted = std::max_element(p.begin(), p.end()) - p.begin();
    ++confusion[static_cast<size_t>(index.at(rel.substr(0, rel.find('/'))))][static_cast<size_t>(predicted)];
  }
  return confusion;
}

}  // namespace

TEST_CASE("classify training learns the dataset; the log has accuracy, per-class accuracy and the confusion") {
  const std::string& best = trained_model();
  const Data& d = data();
  CHECK(fs::exists(best));
  CHECK(fs::exists(d.model_dir + "/model.safetensors"));
  const std::vector<json> log = read_log(d.model_dir + "/train_log.jsonl");
  REQUIRE(!log.empty());
  std::vector<double> val_acc;
  for (const json& j : log)
    if (j.contains("val_accuracy")) {
      val_acc.push_back(j.at("val_accuracy").get<double>());
      CHECK(j.at("val_per_class_accuracy").size() == kClasses.size());
      CHECK(j.at("val_confusion").size() == kClasses.size());
    }
  REQUIRE(val_acc.size() >= 3);  // steps 50, 100, 150 (and the final evaluation)
  CHECK(*std::max_element(val_acc.begin(), val_acc.end()) >= 0.9);

  // The file carries the frontend, labels and normalisation: stream needs no feature flags.
  const Model m = load_model(best);
  CHECK(m.config().labels == kClasses);
  CHECK(m.config().input_kind == "frames");
  CHECK(m.config().input_dim == 20);
}

TEST_CASE("eval: accuracy and confusion equal the count from streaming each test clip") {
  const std::string& best = trained_model();
  const Data& d = data();
  const Result r = rwkvs_cmd("eval --model " + best + " --data " + d.dir + " --split test --json --threads 1");
  INFO(r.out);
  REQUIRE(r.status == 0);
  const json j = json::parse(r.out);
  CHECK(j.at("count") == d.test_clips.size());
  CHECK(j.at("accuracy").get<double>() >= 0.9);

  // Independent count: rwkvs stream's last frame (the model pools the last frame) on each clip.
  const std::vector<std::vector<int64_t>> confusion = streamed_confusion(best);
  CHECK(j.at("confusion").get<std::vector<std::vector<int64_t>>>() == confusion);
  int64_t right = 0;
  for (size_t k = 0; k < kClasses.size(); ++k) right += confusion[k][k];
  CHECK(j.at("accuracy").get<double>() ==
        doctest::Approx(static_cast<double>(right) / static_cast<double>(d.test_clips.size())));

  // --stream adds the stream figures: the test split's keyword clips (high, low) back to back.
  const Result st = rwkvs_cmd("eval --model " + best + " --data " + d.dir + " --split test --json --stream --threads 1");
  REQUIRE(st.status == 0);
  const json sj = json::parse(st.out);
  CHECK(sj.at("stream_keyword_clips") == 10);
  CHECK(sj.at("stream_audio_s").get<double>() > 15 * 0.4);
  CHECK(sj.at("stream_recall").get<double>() >= 0.0);
  CHECK(sj.at("stream_recall").get<double>() <= 1.0);
  CHECK(sj.at("accuracy") == j.at("accuracy"));

  // The readable form prints the same accuracy.
  const Result table = rwkvs_cmd("eval --model " + best + " --data " + d.dir + " --split test --threads 1");
  REQUIRE(table.status == 0);
  char want[64];
  std::snprintf(want, sizeof want, "accuracy %.2f%% on %zu clips", 100 * j.at("accuracy").get<double>(),
                d.test_clips.size());
  CHECK(table.out.find(want) != std::string::npos);
}

TEST_CASE("bad input: wrong model kind, empty or unreadable data, bad flags") {
  const Data& d = data();
  const std::string base = test::temp_dir("classify_cli_bad");
  check_error(rwkvs_cmd("eval --model " + d.text_model + " --data " + d.dir), 1, "is not an audio classifier");

  fs::create_directories(base + "/empty");
  check_error(rwkvs_cmd("train --task classify --data " + base + "/empty --out " + base + "/r1 --steps 2"), 1,
              "has no class folders");

  // A class folder whose only "audio" cannot be decoded: the error names the file.
  fs::create_directories(base + "/broken/yes");
  fs::create_directories(base + "/broken/no");
  Rng rng(1);
  test::write_wav(base + "/broken/yes/a_nohash_0.wav", test::WavSpec{}, make_clip("low", rng));
  test::write_text(base + "/broken/no/b_nohash_0.wav", "not audio at all\n");
  const Result broken =
      rwkvs_cmd("train --task classify --data " + base + "/broken --out " + base + "/r2 --steps 2", true);
  check_error(broken, 1, "b_nohash_0.wav");

  check_error(rwkvs_cmd("train --task classify --data " + d.dir + " --out " + base + "/r3 --steps 2 --pool max"), 2,
              "--pool");
  check_error(rwkvs_cmd("train --task classify --data " + d.dir + " --out " + base +
                        "/r4 --steps 2 --tail-min-s 0.5 --tail-max-s 0.2"),
              2, "--tail-min-s");
  check_error(rwkvs_cmd("train --task classify --data " + d.dir + " --out " + base + "/r5 --steps 2 --ctx 64"), 2,
              "--ctx");
  CHECK(!fs::exists(base + "/r1/model.safetensors"));
  CHECK(!fs::exists(base + "/r2/model.safetensors"));
}

TEST_CASE("--cmvn sliding: the model stores its CMVN, learns, and eval agrees with streaming each clip") {
  const Data& d = data();
  const std::string out = test::temp_dir("classify_cli_cmvn") + "/run";
  const Result r = rwkvs_cmd("train --task classify --data " + d.dir + " --out " + out +
                             " --steps 150 --layers 1 --embd 32 --batch 16 --num-mel-bins 20 --eval-every 50"
                             " --log-every 50 --threads 2 --seed 3 --cmvn sliding --cmn-window 40"
                             " --min-cmn-window 10 --cmn-norm-vars");
  INFO(r.out);
  REQUIRE(r.status == 0);
  const std::string best = out + "/model_best.safetensors";
  const Model m = load_model(best);
  const json cmvn = m.config().frontend.at("cmvn");
  CHECK(cmvn.at("cmn_window") == 40);
  CHECK(cmvn.at("min_window") == 10);
  CHECK(cmvn.at("norm_vars") == true);
  CHECK(cmvn.at("center") == false);
  const Result e = rwkvs_cmd("eval --model " + best + " --data " + d.dir + " --split test --json --threads 1");
  REQUIRE(e.status == 0);
  const json j = json::parse(e.out);
  CHECK(j.at("accuracy").get<double>() >= 0.8);
  CHECK(j.at("confusion").get<std::vector<std::vector<int64_t>>>() == streamed_confusion(best));

  const std::string base = out + "_bad";
  check_error(rwkvs_cmd("train --task classify --data " + d.dir + " --out " + base + " --steps 2 --cmvn sliding"
                        " --cmn-window 0"),
              2, "--cmn-window must be at least 1");
  check_error(rwkvs_cmd("train --task classify --data " + d.dir + " --out " + base + " --steps 2 --cmn-window 30"), 2,
              "--cmn-window needs --cmvn sliding");
  check_error(rwkvs_cmd("train --task classify --data " + d.dir + " --out " + base + " --steps 2 --cmvn global"), 2,
              "--cmvn");
  check_error(rwkvs_cmd("train --task text --data " + d.text_model + " --out " + base + " --steps 2 --cmvn sliding"), 2,
              "--cmvn does not apply to --task text");
  CHECK(!fs::exists(base + "/model.safetensors"));
}

TEST_CASE("augmentation flags: bad settings are one-line usage errors before anything is written") {
  const Data& d = data();
  const std::string base = test::temp_dir("classify_cli_augment");
  fs::create_directories(base + "/no_audio");
  test::write_text(base + "/no_audio/readme.txt", "no audio here\n");
  const std::string train = "train --task classify --data " + d.dir + " --out " + base + "/run --steps 2 ";
  check_error(rwkvs_cmd(train + "--noise-dir " + base + "/no_audio"), 2, "holds no audio files");
  check_error(rwkvs_cmd(train + "--noise-dir " + base + "/missing"), 2, "is not a folder");
  check_error(rwkvs_cmd(train + "--reverb-rt60 0.2,9"), 2, "--reverb-rt60: RT60 must be in (0, 5]");
  check_error(rwkvs_cmd(train + "--reverb-rt60 0.8,0.2"), 2, "--reverb-rt60: the minimum");
  check_error(rwkvs_cmd(train + "--reverb-prob 1.5"), 2, "--reverb-prob must be in [0, 1]");
  check_error(rwkvs_cmd(train + "--telephone-prob -0.1"), 2, "--telephone-prob");
  check_error(rwkvs_cmd(train + "--speed-factors 0.9,5"), 2, "--speed-factors");
  check_error(rwkvs_cmd(train + "--spec-time-masks -1"), 2, "--spec-time-masks");
  check_error(rwkvs_cmd("train --task text --data " + d.text_model + " --out " + base + "/t --steps 2 --reverb-prob 0.5"),
              2, "--reverb-prob does not apply to --task text");
  CHECK(!fs::exists(base + "/run/model.safetensors"));
  // The whole chain runs: every stage on, a few steps, noise from a folder of any audio.
  fs::create_directories(base + "/noises/deeper");
  std::vector<float> hum(16000);
  for (size_t i = 0; i < hum.size(); ++i) hum[i] = static_cast<float>(0.1 * std::sin(2 * M_PI * 50 * i / 16000.0));
  test::write_wav(base + "/noises/deeper/hum.wav", test::WavSpec{}, hum);
  const Result r = rwkvs_cmd(train + "--layers 1 --embd 16 --noise-dir " + base +
                             "/noises --reverb-prob 1 --telephone-prob 1 --speed-factors 0.9,1.1 --threads 1");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("2 noise files") != std::string::npos);  // the dataset's hiss and the folder's hum
}

namespace {

// A recording of 'seconds' of faint noise with the dataset's sounds at 1.5 s spacing: tones of the
// keyword classes (listed with their times) and noise bursts (_unknown_, not listed).
std::string running_recording(const std::string& path, double seconds, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(static_cast<size_t>(seconds * kRate));
  for (float& v : x) v = static_cast<float>(0.002 * (2 * rng.uniform() - 1));
  json keywords = json::array();
  for (double t = 0.5; t + 1.0 < seconds; t += 1.5) {
    const std::string cls = kClasses[rng.below(3)];
    const std::vector<float> clip = make_clip(cls, rng);
    const auto at = static_cast<size_t>(t * kRate);
    double first = -1, last = -1;
    for (size_t i = 0; i < clip.size() && at + i < x.size(); ++i) {
      x[at + i] += clip[i];
      if (clip[i] != 0) {
        if (first < 0) first = static_cast<double>(at + i) / kRate;
        last = static_cast<double>(at + i) / kRate;
      }
    }
    if (cls != "_unknown_") keywords.push_back({{"label", cls}, {"start", first}, {"end", last}});
  }
  test::write_wav(path, test::WavSpec{}, x);
  return json{{"audio_filepath", fs::path(path).filename().string()}, {"keywords", keywords}}.dump() + "\n";
}

}  // namespace

TEST_CASE("--train-streams: running speech joins the batches; --validation-streams calibrates the stored threshold") {
  const Data& d = data();
  const std::string dir = test::temp_dir("classify_cli_streams");
  test::write_text(dir + "/train.jsonl", running_recording(dir + "/t0.wav", 40, 1) + running_recording(dir + "/t1.wav", 40, 2));
  test::write_text(dir + "/val.jsonl", running_recording(dir + "/v.wav", 40, 3));
  test::write_text(dir + "/test.jsonl", running_recording(dir + "/x.wav", 60, 4));
  const std::string out = dir + "/run";
  const Result r = rwkvs_cmd("train --task classify --data " + d.dir + " --out " + out +
                             " --steps 150 --layers 1 --embd 32 --batch 16 --num-mel-bins 20 --eval-every 75"
                             " --log-every 75 --threads 2 --seed 3 --train-streams " + dir + "/train.jsonl"
                             " --stream-prob 0.5 --validation-streams " + dir + "/val.jsonl --target-fa-per-hour 60");
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("running speech: 2 recordings, 1.3 minutes") != std::string::npos);
  CHECK(r.out.find("calibrated " + out + "/model_best.safetensors on 0.7 minutes of validation speech") !=
        std::string::npos);
  const Model m = load_model(out + "/model_best.safetensors");
  REQUIRE(m.config().detector.is_object());
  CHECK(m.config().detector.at("target_fa_per_hour") == 60.0);
  CHECK(m.config().detector.at("calibrated_on") == dir + "/val.jsonl");
  // On recordings it never heard, at the calibrated threshold: the tones are found.
  std::string text;
  REQUIRE(test::run("{ " + test::cli() + " eval --model " + out + "/model_best.safetensors --streams " + dir +
                        "/test.jsonl --json 2>/dev/null; }",
                    &text) == 0);
  const json e = json::parse(text);
  CHECK(e.at("stream_threshold") == m.config().detector.at("threshold"));
  CHECK(e.at("stream_keyword_clips").get<int>() >= 20);
  CHECK(e.at("stream_recall").get<double>() >= 0.5);

  const std::string bad = "train --task classify --data " + d.dir + " --out " + dir + "/bad --steps 2 ";
  test::write_text(dir + "/plain.jsonl", "{\"audio_filepath\": \"x.wav\", \"label\": \"high\"}\n");
  check_error(rwkvs_cmd(bad + "--train-streams " + dir + "/plain.jsonl"), 1, "has no 'keywords'");
  test::write_text(dir + "/other.jsonl",
                   "{\"audio_filepath\": \"x.wav\", \"keywords\": [{\"label\": \"yes\", \"start\": 1, \"end\": 2}]}\n");
  check_error(rwkvs_cmd(bad + "--train-streams " + dir + "/other.jsonl"), 1, "keyword 'yes' is not a keyword class");
  check_error(rwkvs_cmd(bad + "--train-streams " + dir + "/train.jsonl --stream-prob 2"), 2, "--stream-prob");
  check_error(rwkvs_cmd(bad + "--validation-streams " + dir + "/missing.jsonl"), 1, "does not exist");
  CHECK(!fs::exists(dir + "/bad/model.safetensors"));
}
