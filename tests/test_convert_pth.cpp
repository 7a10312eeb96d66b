// scripts/convert_pth.py: an official-style .pth (bf16 tensors, [1,1,C] time_mix, fp32 time_decay,
// an fp16 head) made by tests/make_test_pth.py converts to a file load_model reads with exactly the
// torch values, in every output dtype; an RWKV-7 .pth likewise; unknown keys and pip-rwkv caches are refused.
// Needs Debian's python3 with torch: without it the whole file exits 77 (ctest: Skipped).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "base/error.h"
#include "src/model/checkpoint.h"
#include "tests/support.h"

using namespace rwkvs;
namespace fs = std::filesystem;

namespace {

void require_torch() {
  if (test::have_torch()) return;
  std::printf(
      "test_convert_pth: SKIPPED: '%s' cannot import torch, which scripts/convert_pth.py and the "
      "test's .pth maker need\n",
      test::python().c_str());
  std::fflush(stdout);
  std::exit(77);
}

std::string source(const std::string& rel) { return (fs::path(RWKVS_SOURCE_DIR) / rel).string(); }

// The .pth files of tests/make_test_pth.py (model, pos_emb, head_q, pip) and their reference values
// (ref/<name>.f32), made once per process: every torch start costs about a second.
const std::string& pth_dir() {
  static const std::string dir = [] {
    const std::string d = test::temp_dir("convert_pth");
    std::string out;
    const int rc = test::run(test::python() + " " + source("tests/make_test_pth.py") + " " + d, &out);
    INFO(out);
    REQUIRE(rc == 0);
    return d;
  }();
  return dir;
}

// Runs the converter; returns its exit status and puts its output in *out.
int convert(const std::string& pth, const std::string& dst, const std::string& flags, std::string* out) {
  return test::run(
      test::python() + " " + source("scripts/convert_pth.py") + " " + pth + " " + dst + " " + flags, out);
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a bf16 .pth converts to a checkpoint with exactly the torch values, in every output dtype") {
  require_torch();
  const std::string dir = pth_dir();
  for (const auto& [flag, dtype] : {std::pair{"", "F32"}, {"--dtype bf16", "BF16"}, {"--dtype f16", "F16"}}) {
    CAPTURE(flag);
    const std::string dst = dir + "/model_" + dtype + ".safetensors";
    std::string out;
    REQUIRE_MESSAGE(convert(dir + "/model.pth", dst, flag, &out) == 0, out);

    const SafetensorsReader file(dst);
    CHECK(file.at("emb.weight").dtype == dtype);
    CHECK(file.at("blocks.1.att.time_decay").dtype == dtype);
    CHECK(file.at("blocks.0.att.time_mix_k").shape == std::vector<int64_t>{1, 1, 16});  // squeezes nothing
    const nlohmann::json stored = nlohmann::json::parse(file.metadata().at("rwkvs.config"));
    nlohmann::json want_config = ModelConfig::rwkv4(2, 16, 40).to_json();
    want_config["dim_ffn"] = 48;
    CHECK(stored == want_config);

    const Model m = load_model(dst);
    CHECK(m.config().n_layer == 2);
    CHECK(m.config().n_embd == 16);
    CHECK(m.config().dim_att == 16);
    CHECK(m.config().dim_ffn == 48);
    CHECK(m.config().vocab_size == 40);
    CHECK(m.config().tokenizer == "ids");
    CHECK(m.config().train_step == 0);
    for (const ParamInfo& p : m.layout().tensors()) {
      const std::vector<float> want = test::read_f32_file(dir + "/ref/" + p.name + ".f32");
      INFO("tensor ", p.name);
      REQUIRE(want.size() == p.numel);
      CHECK_ARRAYS_CLOSE(m.tensor(p.name), want.data(), p.numel, 0.0, 0.0);  // bf16 -> f32 is exact
    }
  }
}

TEST_CASE("an RWKV-7 .pth (as released, or as a fresh trainer file) converts with exactly the torch values") {
  require_torch();
  const std::string dir = pth_dir();
  for (const char* name : {"rwkv7", "rwkv7_trainer"}) {
    CAPTURE(name);
    const std::string dst = dir + "/" + name + ".safetensors";
    std::string out;
    REQUIRE_MESSAGE(convert(dir + "/" + name + ".pth", dst, "", &out) == 0, out);
    const SafetensorsReader file(dst);
    CHECK(file.find("blocks.0.att.v0") == nullptr);  // block 0's unused value residual is dropped
    const Model m = load_model(dst);
    const ModelConfig& c = m.config();
    CHECK(c.rwkv7());
    CHECK(c.n_layer == 2);
    CHECK(c.n_embd == 16);
    CHECK(c.head_size == 8);
    CHECK(c.dim_ffn == 48);
    CHECK(c.vocab_size == 40);
    CHECK((std::vector<int>{c.lora_w, c.lora_a, c.lora_v, c.lora_g}) == std::vector<int>{4, 4, 4, 4});
    for (const ParamInfo& p : m.layout().tensors()) {
      const std::vector<float> want = test::read_f32_file(dir + "/ref7/" + p.name + ".f32");
      INFO("tensor ", p.name);
      REQUIRE(want.size() == p.numel);
      CHECK_ARRAYS_CLOSE(m.tensor(p.name), want.data(), p.numel, 0.0, 0.0);
    }
  }
}

TEST_CASE("the converter refuses bad input and leaves an existing output intact") {
  require_torch();
  const std::string dir = pth_dir();
  const std::string dst = dir + "/out.safetensors";
  std::string out;
  test::write_text(dst, "the previous output");

  for (const auto& [pth, key] :
       {std::pair{"pos_emb.pth", "blocks.0.pos_emb_x"}, {"head_q.pth", "head_q.weight"}}) {
    CHECK(convert(dir + "/" + pth, dst, "", &out) != 0);
    INFO(out);
    CHECK(contains(out, "error: '" + dir + "/" + pth + "' has unknown tensor(s) " + key));
  }

  CHECK(convert(dir + "/pip.pth", dst, "", &out) != 0);
  CHECK(contains(out, "is a model converted by the `rwkv` pip package (it has '_strategy')"));

  test::write_text(dir + "/garbage.pth", "not a checkpoint");
  CHECK(convert(dir + "/garbage.pth", dst, "", &out) != 0);
  CHECK(contains(out, "error: cannot load '" + dir + "/garbage.pth'"));

  CHECK(convert(dir + "/absent.pth", dst, "", &out) != 0);
  CHECK(contains(out, "error: cannot read '" + dir + "/absent.pth'"));
  CHECK(convert(dir + "/model.pth", dir + "/no/such/x.safetensors", "", &out) != 0);
  CHECK(contains(out, "error: cannot write '" + dir + "/no/such/x.safetensors'"));

  CHECK(test::read_text(dst) == "the previous output");
  for (const auto& e : fs::directory_iterator(dir)) CHECK_FALSE(contains(e.path().string(), ".tmp."));
}
