// The rwkvs binary: logits/grads against the oracle's golden files, generation reproducibility, and
// bad input giving one clear error line with a non-zero exit.
#include <algorithm>
#include <cmath>
#include <string>

#include "src/infer/token_stepper.h"
#include "src/io/safetensors.h"
#include "src/io/world_tokenizer.h"
#include "src/model/checkpoint.h"
#include "tests/support.h"

using namespace rwkvs;
using rwkvs::test::cli;
using rwkvs::test::run;

namespace {
std::string golden(const std::string& name) { return std::string(RWKVS_TEST_DATA_DIR) + "/oracle/" + name; }

// Exactly one line on stderr/stdout starting with "error:" and naming 'what'.
void check_error(const std::string& args, int want_rc, const std::string& what) {
  std::string out;
  const int rc = run(cli() + " " + args, &out);
  INFO("rwkvs " << args << " -> rc " << rc << ": " << out);
  CHECK(rc == want_rc);
  CHECK(out.rfind("error: ", 0) == 0);
  CHECK(out.find(what) != std::string::npos);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
}
}  // namespace

TEST_CASE("rwkvs logits matches the oracle in both modes") {
  const std::string dir = test::temp_dir("cli_logits");
  for (const char* mode : {"parallel", "recurrent"}) {
    CAPTURE(mode);
    std::string out;
    REQUIRE(run(cli() + " logits --model " + golden("model.safetensors") + " --tokens " + golden("tokens.txt") +
                    " --out " + dir + "/l.f32 --mode " + mode,
                &out) == 0);
    const auto got = test::read_f32_file(dir + "/l.f32");
    const auto want = test::read_f32_file(golden(std::string(mode) == "parallel" ? "logits_forward.f32" : "logits_rnn.f32"));
    REQUIRE(got.size() == want.size());
    CHECK_ARRAYS_CLOSE(got.data(), want.data(), got.size(), 5e-4, 1e-4);
  }
}

TEST_CASE("rwkvs logits runs an RWKV-7 model: the oracle's numbers in both modes") {
  const std::string dir = test::temp_dir("cli_logits_rwkv7");
  const std::string data = std::string(RWKVS_TEST_DATA_DIR) + "/rwkv7/";
  const auto want = test::read_f32_file(data + "logits.f32");
  for (const char* mode : {"parallel", "recurrent"}) {
    CAPTURE(mode);
    std::string out;
    REQUIRE(run(cli() + " logits --model " + data + "model.safetensors --tokens " + data + "tokens.txt --out " + dir +
                    "/l.f32 --mode " + mode,
                &out) == 0);
    const auto got = test::read_f32_file(dir + "/l.f32");
    REQUIRE(got.size() == want.size());
    CHECK_ARRAYS_CLOSE(got.data(), want.data(), got.size(), 1e-4, 1e-4);
  }
}

TEST_CASE("rwkvs generate --tokenizer: World text in and out, greedy output equal to the library's") {
  const std::string dir = test::temp_dir("cli_world_generate");
  const std::string vocab = test::oracle("tokenizers/rwkv_vocab_v20230424.txt");
  Model m(ModelConfig::rwkv7(1, 16, 65536));  // a World-sized vocabulary on a tiny RWKV-7
  init_random(m, 5);
  save_model(dir + "/m.safetensors", m);
  const std::string prompt = "Hello world, \xe4\xb8\xad";
  std::string out;
  REQUIRE(run("(" + cli() + " generate --model " + dir + "/m.safetensors --tokenizer " + vocab + " --prompt '" +
                  prompt + "' --tokens 6 --temperature 0 --threads 1 2>" + dir + "/err.txt) > " + dir + "/out.txt",
              &out) == 0);
  out = test::read_text(dir + "/out.txt");  // stdout alone: the text
  // the same greedy continuation in-process: encode, prefill, argmax over the vocabulary's ids
  const WorldTokenizer tok = WorldTokenizer::load(vocab);
  const std::vector<int32_t> ids = tok.encode(prompt);
  RecurrentState st(m.config(), 1);
  TokenStepper stepper(m);
  std::vector<float> logits(65536);
  stepper.prefill(st, ids.data(), static_cast<int64_t>(ids.size()), logits.data());
  std::string want = prompt;
  for (int i = 0; i < 6; ++i) {
    const auto best = std::max_element(logits.begin(), logits.begin() + static_cast<long>(tok.vocab_size()));
    const int32_t id = static_cast<int32_t>(best - logits.begin());
    if (id == 0) break;
    want += tok.decode({id});
    stepper.step(st, id, logits.data());
  }
  CHECK(out == want);
  CHECK(want.size() > prompt.size());
  // a byte-level model needs no tokenizer: a clear error
  check_error("generate --model " + dir + "/../m_bytes.safetensors --tokenizer " + vocab, 1, "m_bytes.safetensors");
}

TEST_CASE("rwkvs logits/grads --device cuda: the oracle's numbers on a GPU, or one clear error without one") {
  const std::string dir = test::temp_dir("cli_logits_cuda");
  const std::string model = " --model " + golden("model.safetensors") + " --tokens " + golden("tokens.txt");
  for (const char* mode : {"parallel", "recurrent"}) {
    CAPTURE(mode);
    const std::string args = "logits" + model + " --out " + dir + "/l.f32 --mode " + mode;
    test::run_on_gpu_or_expect_error(args, [&](const std::string&) {
      const auto got = test::read_f32_file(dir + "/l.f32");
      const auto want =
          test::read_f32_file(golden(std::string(mode) == "parallel" ? "logits_forward.f32" : "logits_rnn.f32"));
      REQUIRE(got.size() == want.size());
      CHECK_ARRAYS_CLOSE(got.data(), want.data(), got.size(), 5e-4, 1e-4);
    });
  }
  test::run_on_gpu_or_expect_error("grads" + model + " --out " + dir + "/g.safetensors", [&](const std::string& out) {
    CHECK(out.find("loss 4.6672") != std::string::npos);
    SafetensorsReader got(dir + "/g.safetensors"), want(golden("grads.safetensors"));
    for (const auto& t : want.tensors()) {
      CAPTURE(t.name);
      const auto a = got.read_f32(t.name), b = want.read_f32(t.name);
      double scale = 1e-30;
      for (float x : b) scale = std::max(scale, double(std::fabs(x)));
      CHECK_ARRAYS_CLOSE(a.data(), b.data(), a.size(), 1e-4 * scale, 1e-4);
    }
  });
  check_error("logits" + model + " --out " + dir + "/r.f32 --device tpu", 2, "--device");
  check_error("logits" + model + " --out " + dir + "/r.f32 --device cuda --precision fp8", 2, "--precision");
}

TEST_CASE("rwkvs grads prints the loss and writes every gradient under its own name") {
  const std::string dir = test::temp_dir("cli_grads");
  std::string out;
  REQUIRE(run(cli() + " grads --model " + golden("model.safetensors") + " --tokens " + golden("tokens.txt") +
                  " --out " + dir + "/g.safetensors",
              &out) == 0);
  CHECK(out.find("loss 4.6672") != std::string::npos);
  SafetensorsReader got(dir + "/g.safetensors"), want(golden("grads.safetensors"));
  CHECK(got.tensors().size() == want.tensors().size());
  for (const auto& t : want.tensors()) {
    CAPTURE(t.name);
    REQUIRE(got.find(t.name));
    CHECK(got.at(t.name).shape == t.shape);
    const auto a = got.read_f32(t.name), b = want.read_f32(t.name);
    double scale = 1e-30;
    for (float x : b) scale = std::max(scale, double(std::fabs(x)));
    CHECK_ARRAYS_CLOSE(a.data(), b.data(), a.size(), 1e-4 * scale, 1e-4);
  }
}

TEST_CASE("generate is reproducible with a seed") {
  std::string a, b, c;
  const std::string cmd = cli() + " generate --model " + golden("model.safetensors") + " --prompt '1 2 3' --tokens 30 ";
  // stdout holds the tokens; the speed summary goes to stderr
  REQUIRE(run(cmd + "--seed 5 2>/dev/null; true", &a) == 0);
  REQUIRE(run(cmd + "--seed 5 2>/dev/null; true", &b) == 0);
  REQUIRE(run(cmd + "--seed 6 2>/dev/null; true", &c) == 0);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(std::count(a.begin(), a.end(), ' ') == 30);  // ids model: 30 space-separated ids
}

TEST_CASE("bad input: one error line, non-zero exit, no crash") {
  const std::string dir = test::temp_dir("cli_bad");
  const std::string model = " --model " + golden("model.safetensors");
  test::write_text(dir + "/oov.txt", "1 2 67 3");
  test::write_text(dir + "/text.txt", "1 two 3");
  test::write_text(dir + "/empty.txt", "   \n");
  check_error("logits" + model + " --tokens " + dir + "/oov.txt --out " + dir + "/x", 1, "outside the model's vocabulary");
  check_error("logits" + model + " --tokens " + dir + "/text.txt --out " + dir + "/x", 1, "'two'");
  check_error("logits" + model + " --tokens " + dir + "/empty.txt --out " + dir + "/x", 1, "no tokens");
  check_error("logits" + model + " --tokens " + dir + " --out " + dir + "/x", 1, "is a directory");
  check_error("logits --model " + dir + " --tokens " + golden("tokens.txt") + " --out " + dir + "/x", 1, dir);
  check_error("logits" + model + " --tokens " + golden("tokens.txt") + " --out " + dir + "/x --mode sideways", 2,
              "--mode");
  check_error("grads" + model + " --tokens " + golden("tokens.txt"), 2, "--out");
  check_error("train --data " + dir + "/missing.txt --steps 1 --out " + dir + "/r", 1, "missing.txt");
  test::write_text(dir + "/empty_data.txt", "");
  check_error("train --data " + dir + "/empty_data.txt --steps 1 --out " + dir + "/r", 1, "empty");
  check_error("train --data " + golden("tokens.txt") + " --steps 1 --ctx 0 --out " + dir + "/r", 2, "--ctx");
  check_error("train --data " + golden("tokens.txt") + " --steps 1 --batch 0 --out " + dir + "/r", 2, "--batch");
  check_error("train --data " + golden("tokens.txt") + " --steps x --out " + dir + "/r", 2, "--steps");
  check_error("generate --model " + golden("model.safetensors") + " --top-p 2", 2, "--top-p");
  check_error("no-such-command", 2, "subcommand");
}
