// Text training: a smoke run that must learn, exact resume, bad data and flags.
#include <cmath>
#include <fstream>
#include <limits>
#include <map>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/rng.h"
#include "src/model/checkpoint.h"
#include "src/train/schedule.h"
#include "src/train/text_trainer.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {

// A small corpus with structure to learn: sentences from a tiny grammar.
std::string make_corpus(size_t bytes, uint64_t seed) {
  const char* subjects[] = {"the cat", "a dog", "the old man", "my sister"};
  const char* verbs[] = {" sees ", " likes ", " follows ", " calls "};
  const char* objects[] = {"the river.\n", "a red ball.\n", "the moon.\n", "her friend.\n"};
  Rng rng(seed);
  std::string s;
  while (s.size() < bytes) {
    s += subjects[rng.below(4)];
    s += verbs[rng.below(4)];
    s += objects[rng.below(4)];
  }
  return s;
}

TextTrainOptions small_options(const std::string& data, const std::string& out) {
  TextTrainOptions o;
  o.data = data;
  o.out_dir = out;
  o.ctx = 32;
  o.batch = 8;
  o.layers = 2;
  o.embd = 32;
  o.lr = 3e-3;
  o.warmup = 10;
  o.eval_every = 50;
  o.save_every = 1000;
  o.eval_tokens = 2048;
  o.log_every = 1000;
  o.threads = 2;
  return o;
}

std::map<int64_t, double> logged_losses(const std::string& dir) {
  std::ifstream f(dir + "/train_log.jsonl");
  std::map<int64_t, double> out;
  std::string line;
  while (std::getline(f, line)) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("loss")) out[j["step"].get<int64_t>()] = j["loss"].get<double>();
  }
  return out;
}

}  // namespace

TEST_CASE("a small model learns a toy grammar: loss falls well below the unigram level") {
  const std::string dir = test::temp_dir("train_smoke");
  test::write_text(dir + "/corpus.txt", make_corpus(60000, 1));
  TextTrainOptions o = small_options(dir + "/corpus.txt", dir + "/run");
  o.steps = 150;
  const TrainResult r = train_text(o);
  CHECK(r.steps == 150);
  // Uniform bytes cost 8 bits; the grammar's letters alone (unigram) cost ~4 bits/byte. A model
  // that learned words and sentence structure is far below.
  CHECK(r.final_eval.metrics.at("val_bpb").get<double>() < 1.6);
  const auto losses = logged_losses(dir + "/run");
  CHECK(losses.at(1) > 5.0);  // starts near ln 256 = 5.55
  const Model m = load_model(r.model_path);
  CHECK(m.config().train_step == 150);
}

TEST_CASE("an RWKV-7 model learns the toy grammar too (--arch rwkv7)") {
  const std::string dir = test::temp_dir("train_smoke_rwkv7");
  test::write_text(dir + "/corpus.txt", make_corpus(60000, 1));
  TextTrainOptions o = small_options(dir + "/corpus.txt", dir + "/run");
  o.arch = "rwkv7";
  o.head_size = 16;
  o.steps = 150;
  const TrainResult r = train_text(o);
  CHECK(r.steps == 150);
  CHECK(r.final_eval.metrics.at("val_bpb").get<double>() < 1.6);
  const Model m = load_model(r.model_path);
  CHECK(m.config().rwkv7());
  CHECK(m.config().n_head() == 2);
  o.head_size = 24;  // does not divide 32
  o.out_dir = dir + "/bad";
  CHECK(test::error_of([&] { train_text(o); }).find("--head-size 24 must divide --embd 32") != std::string::npos);
}

TEST_CASE("resume continues exactly: losses after resuming equal the uninterrupted run's") {
  const std::string dir = test::temp_dir("train_resume");
  test::write_text(dir + "/corpus.txt", make_corpus(30000, 2));
  TextTrainOptions full = small_options(dir + "/corpus.txt", dir + "/full");
  full.steps = 24;
  full.eval_every = 10;  // evaluations in between must not disturb the training stream
  train_text(full);
  TextTrainOptions part = full;
  part.out_dir = dir + "/part";
  part.stop_at_step = 11;
  CHECK(train_text(part).steps == 11);
  part.stop_at_step = 0;
  part.resume = true;
  CHECK(train_text(part).steps == 24);
  const auto a = logged_losses(dir + "/full"), b = logged_losses(dir + "/part");
  for (int64_t s = 1; s <= 24; ++s) {
    CAPTURE(s);
    REQUIRE(b.count(s));
    CHECK(std::fabs(a.at(s) - b.at(s)) <= 1e-6);
  }
  const Model ma = load_model(dir + "/full/model.safetensors"), mb = load_model(dir + "/part/model.safetensors");
  CHECK_ARRAYS_CLOSE(mb.params(), ma.params(), ma.params_size(), 1e-6, 0.0);
}

TEST_CASE("bad data and options are clear errors") {
  const std::string dir = test::temp_dir("train_bad");
  TextTrainOptions o = small_options(dir + "/missing.txt", dir + "/run");
  o.steps = 1;
  CHECK_THROWS_WITH_AS(train_text(o), doctest::Contains("does not exist"), Error);
  test::write_text(dir + "/empty.txt", "");
  o.data = dir + "/empty.txt";
  CHECK_THROWS_WITH_AS(train_text(o), doctest::Contains("is empty"), Error);
  test::write_text(dir + "/short.txt", "tiny");
  o.data = dir + "/short.txt";
  CHECK_THROWS_WITH_AS(train_text(o), doctest::Contains("too short"), Error);
  o.data = dir;
  CHECK_THROWS_WITH_AS(train_text(o), doctest::Contains("is a directory"), Error);
  o.data = dir + "/short.txt";
  o.batch = 0;
  CHECK_THROWS_AS(train_text(o), UsageError);
  o.batch = 8;
  o.steps = 0;
  CHECK_THROWS_WITH_AS(train_text(o), doctest::Contains("--steps or --minutes"), UsageError);
}

TEST_CASE("learning-rate schedule: linear warm-up, cosine to the floor") {
  LrSchedule s{1.0, 10, 110, 0.1};
  CHECK(s.at(1) == doctest::Approx(0.1));
  CHECK(s.at(10) == doctest::Approx(1.0));
  CHECK(s.at(60) == doctest::Approx(0.55));  // halfway through the cosine
  CHECK(s.at(110) == doctest::Approx(0.1));
  CHECK(s.at(500) == doctest::Approx(0.1));
}

TEST_CASE("learning-rate schedule: re-estimating the length never raises the rate after warm-up") {
  // Without retargets the anchors change nothing: the plain cosine.
  LrSchedule plain{1.0, 10, 110, 0.1};
  LrSchedule s = plain;
  for (int64_t step = 1; step <= 120; ++step) CHECK(s.at(step) == plain.at(step));
  // A time budget's estimates, growing and shrinking as they do when step times change
  // (evaluations, a busy machine): the old code restarted the cosine at every one of them.
  Rng rng(3);
  LrSchedule t{1.0, 10, std::numeric_limits<int64_t>::max(), 0.1};
  double previous = 0;
  int64_t step = 1;
  for (; step <= 5000; ++step) {
    const double lr = t.at(step);
    if (step > 10) CHECK(lr <= previous + 1e-15);
    CHECK(lr >= 0.1 - 1e-12);
    previous = lr;
    if (step == 5 || (step % 100 == 0 && step <= 1000)) t.retarget(step, step + 200 + static_cast<int64_t>(rng.below(1800)));
    if (step >= t.total) break;
  }
  CHECK(t.at(step) == doctest::Approx(0.1));  // the cosine still ends at the floor
  CHECK(t.at(step + 1) == doctest::Approx(0.1));
  // Progress is kept across a retarget: the rate at the retarget step is unchanged, and shrinking
  // the schedule to end at once drops it to the floor rather than up.
  LrSchedule u{1.0, 10, 110, 0.1};
  const double before = u.at(60);
  u.retarget(60, 1000);
  CHECK(u.at(60) == doctest::Approx(before));
  CHECK(u.progress(60) == doctest::Approx(0.5));
  CHECK(u.progress(1000) == doctest::Approx(1.0));
  u.retarget(70, 70);
  CHECK(u.at(71) == doctest::Approx(0.1));
  // Retargets during warm-up only move the end.
  LrSchedule w{1.0, 10, 110, 0.1};
  w.retarget(5, 210);
  CHECK(w.at(5) == doctest::Approx(0.5));
  CHECK(w.at(110) == doctest::Approx(0.55));
}

TEST_CASE("a time budget gives a rate that never rises after warm-up (the training log)") {
  const std::string dir = test::temp_dir("train_minutes");
  test::write_text(dir + "/corpus.txt", make_corpus(20000, 5));
  TextTrainOptions o = small_options(dir + "/corpus.txt", dir + "/run");
  o.steps = 0;
  o.minutes = 0.04;  // ~2.4 s: many evaluations, each re-estimating the schedule's length
  o.eval_every = 7;
  o.eval_tokens = 256;
  o.warmup = 3;
  o.threads = 1;
  train_text(o);
  std::ifstream f(dir + "/run/train_log.jsonl");
  std::string line;
  double previous = 1e9;
  int rows = 0;
  while (std::getline(f, line)) {
    const auto j = nlohmann::json::parse(line);
    if (!j.contains("lr")) continue;
    const int64_t step = j["step"].get<int64_t>();
    const double lr = j["lr"].get<double>();
    if (step > o.warmup) {
      CAPTURE(step);
      CHECK(lr <= previous + 1e-15);
      previous = lr;
    }
    ++rows;
  }
  CHECK(rows > 20);  // enough steps to have re-estimated several times
}
