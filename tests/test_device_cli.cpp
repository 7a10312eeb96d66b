// --device cuda on every command that takes it (train, generate, stream, bench train; logits/grads
// are in test_cli.cpp): on a GPU machine each runs and agrees with --device cpu; anywhere else each
// stops with one error line naming --device cuda and a non-zero exit.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "src/model/checkpoint.h"
#include "tests/stream_support.h"
#include "tests/support.h"
#include "tests/wav_writer.h"

using namespace rwkvs;
using nlohmann::json;

namespace {

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] == '{') lines.push_back(json::parse(line));
  return lines;
}

double last_logged_loss(const std::string& run_dir) {
  double loss = NAN;
  for (const json& j : json_lines(test::read_text(run_dir + "/train_log.jsonl")))
    if (j.contains("loss")) loss = j.at("loss").get<double>();
  return loss;
}

}  // namespace

TEST_CASE("train --device cuda: the same losses as the CPU, or one clear error") {
  const std::string dir = test::temp_dir("device_train");
  std::string text;
  for (int i = 0; i < 400; ++i)
    text += "the quick brown fox jumps over the lazy dog " + std::to_string(i % 7) + "\n";
  test::write_text(dir + "/corpus.txt", text);
  const std::string common = "train --task text --data " + dir +
                             "/corpus.txt --layers 2 --embd 32 --batch 4 --ctx 32 "
                             "--steps 4 --eval-every 4 --threads 1 --out ";
  REQUIRE(test::run(test::cli() + " " + common + dir + "/cpu > /dev/null") == 0);
  const double cpu_loss = last_logged_loss(dir + "/cpu");
  REQUIRE(std::isfinite(cpu_loss));
  bool ran = false;
  test::run_on_gpu_or_expect_error(common + dir + "/gpu", [&](const std::string&) {
    ran = true;
    CHECK(last_logged_loss(dir + "/gpu") == doctest::Approx(cpu_loss).epsilon(1e-3));
    const Model a = load_model(dir + "/cpu/model.safetensors"),
                b = load_model(dir + "/gpu/model.safetensors");
    CHECK_ARRAYS_CLOSE(b.params(), a.params(), a.params_size(), 1e-4, 1e-3);
  });
  if (!ran) CHECK(!std::filesystem::exists(dir + "/gpu"));  // refused before writing anything
}

TEST_CASE("generate --device cuda: text from the GPU, or one clear error") {
  const std::string dir = test::temp_dir("device_generate");
  Model m(ModelConfig::rwkv4(2, 32, 256));
  init_random(m, 3);
  save_model(dir + "/m.safetensors", m);
  test::run_on_gpu_or_expect_error(
      "generate --model " + dir + "/m.safetensors --prompt hello --tokens 20 --temperature 0 2>/dev/null",
      [&](const std::string& out) { CHECK(out.size() >= std::string("hello").size() + 20); });
}

TEST_CASE("stream --device cuda: the CPU's posteriors from the GPU, or one clear error") {
  const std::string dir = test::temp_dir("device_stream");
  save_model(dir + "/kws.safetensors", test::random_classifier(1));
  test::write_wav(dir + "/x.wav", test::WavSpec{}, test::synthetic_audio(2.0, 16000, 5));
  const std::string args =
      "stream --model " + dir + "/kws.safetensors --input " + dir + "/x.wav --posteriors";
  std::string cpu_out;
  REQUIRE(test::run(test::cli() + " " + args + " 2>/dev/null", &cpu_out) == 0);
  test::run_on_gpu_or_expect_error(args + " 2>/dev/null", [&](const std::string& out) {
    const auto want = json_lines(cpu_out), got = json_lines(out);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i)
      if (want[i].at("type") == "frame") {
        const auto a = got[i].at("p").get<std::vector<float>>();
        const auto b = want[i].at("p").get<std::vector<float>>();
        CHECK_ARRAYS_CLOSE(a.data(), b.data(), b.size(), 1e-4, 0.0);
      }
  });
}

TEST_CASE("bench train --device cuda: GPU throughput, or one clear error") {
  test::run_on_gpu_or_expect_error("bench train --layers 2 --embd 64 --batch 2 --ctx 64 --steps 2 --json",
                                   [](const std::string& out) {
                                     const json r = json_lines(out).at(0);
                                     CHECK(r.at("tokens_per_s").get<double>() > 0);
                                     CHECK(r.at("gemm_gflops").get<double>() > 0);
                                   });
}

TEST_CASE(
    "bench stream --device cuda: batched streams on the GPU within 1e-4 of the CPU session, or one clear "
    "error") {
  test::run_on_gpu_or_expect_error("bench stream --streams 4 --seconds 2 --json", [](const std::string& out) {
    const auto results = json_lines(out);
    REQUIRE(results.size() == 2);  // hop and frame mode
    for (const json& r : results) CHECK(r.at("max_diff_batch_vs_alone").get<double>() <= 1e-4);
  });
}
