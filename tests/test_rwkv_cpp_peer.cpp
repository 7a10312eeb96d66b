// rwkv.cpp's legacy ggml model files (src/model/rwkv_cpp_import.h): rwkv.cpp's own tiny test models
// (../shared/reference/peers/rwkv.cpp) give the logits rwkv.cpp expects after its test prompt, in the
// parallel and the token-by-token forms, through load_model and the CLI; a model exported to the
// format here imports back to the same parameters (FP32 and FP16); bad files are refused by name.
// The peer cases skip with a message where ../shared is absent (a clean clone).
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "src/model/checkpoint.h"
#include "src/model/rwkv4.h"
#include "src/model/rwkv7.h"
#include "src/model/rwkv_cpp_import.h"
#include "tests/support.h"

using namespace rwkvs;
namespace fs = std::filesystem;

namespace {

// rwkv.cpp's tests/logit_difference_validator.inc feeds the bytes of "\"in" and compares the logits
// after the last one (serially with rwkv_eval and at once with rwkv_eval_sequence).
const std::vector<int32_t> kPrompt = {'"', 'i', 'n'};

std::string peer(const std::string& name) {
  return (fs::path(RWKVS_SOURCE_DIR) / ".." / "shared" / "reference" / "peers" / "rwkv.cpp" / name).string();
}

bool peers_present() {
  if (fs::exists(peer("tiny-rwkv-7v0-834K-FP32.bin"))) return true;
  MESSAGE("skipped: rwkv.cpp's tiny models are not at " << peer("") << " (a clone without ../shared)");
  return false;
}

// The logits after the last prompt token: parallel forward over the whole prompt, and one token at
// a time through the carried state.
struct LastLogits {
  std::vector<float> parallel, serial;
};

LastLogits run_prompt(const Model& m) {
  const int64_t V = m.config().vocab_size, T = static_cast<int64_t>(kPrompt.size());
  LastLogits out;
  RecurrentState st(m.config(), 1);
  if (m.config().rwkv7()) {
    Activations7 acts;
    rwkv7_forward(m, acts, ModelInput{kPrompt.data(), nullptr}, 1, T);
    out.parallel.assign(acts.logits.data() + (T - 1) * V, acts.logits.data() + T * V);
    for (int64_t t = 0; t < T; ++t) {
      Activations7 one;
      rwkv7_forward(m, one, ModelInput{&kPrompt[t], nullptr}, 1, 1, &st, &st);
      out.serial.assign(one.logits.data(), one.logits.data() + V);
    }
  } else {
    Activations acts;
    rwkv4_forward(m, acts, kPrompt.data(), 1, T, nullptr, nullptr);
    out.parallel.assign(acts.logits.data() + (T - 1) * V, acts.logits.data() + T * V);
    StepWorkspace ws;
    out.serial.resize(V);
    for (int64_t t = 0; t < T; ++t) rwkv4_step(m, st, &kPrompt[t], out.serial.data(), ws);
  }
  return out;
}

void check_expected_logits(const std::string& version, const Model& m) {
  const std::vector<float> want = test::read_f32_file(peer("expected-logits-" + version + ".bin"));
  REQUIRE(want.size() == 256);
  REQUIRE(m.config().vocab_size == 256);
  const LastLogits got = run_prompt(m);
  for (const auto& [mode, logits] :
       {std::pair{std::string("parallel"), &got.parallel}, {std::string("token by token"), &got.serial}}) {
    const test::Comparison c = test::compare(logits->data(), want.data(), want.size(), 1e-4, 0.0);
    MESSAGE("rwkv.cpp " << version << ", " << mode << ": " << c.describe());
    CAPTURE(mode);
    CHECK_ARRAYS_CLOSE(logits->data(), want.data(), want.size(), 1e-4, 0.0);
  }
}

// --- a writer of the format, for round trips and bad files -------------------------------------

struct GgmlTensor {
  std::string name;
  std::vector<int64_t> shape;  // PyTorch order
  std::vector<float> data;
  bool f16 = false;
};

// float -> IEEE half for values a half holds exactly (normal numbers and zero), as the tests use.
uint16_t exact_f16(float x) {
  const uint32_t b = std::bit_cast<uint32_t>(x);
  const uint16_t sign = static_cast<uint16_t>((b >> 16) & 0x8000u);
  if ((b & 0x7fffffffu) == 0) return sign;
  const int e = static_cast<int>((b >> 23) & 0xffu) - 127 + 15;
  REQUIRE((e > 0 && e < 31 && (b & 0x1fffu) == 0));
  return static_cast<uint16_t>(sign | (e << 10) | ((b >> 13) & 0x3ffu));
}

std::string ggml_bytes(const std::vector<GgmlTensor>& tensors, int32_t n_vocab, int32_t n_embed,
                       int32_t n_layer, int32_t version = 101, int32_t data_type = 0,
                       uint32_t magic = 0x67676d66) {
  std::string out;
  auto put = [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
  auto put_i32 = [&](int32_t v) { put(&v, 4); };
  put(&magic, 4);
  for (int32_t v : {version, n_vocab, n_embed, n_layer, data_type}) put_i32(v);
  for (const GgmlTensor& t : tensors) {
    put_i32(static_cast<int32_t>(t.shape.size()));
    put_i32(static_cast<int32_t>(t.name.size()));
    put_i32(t.f16 ? 1 : 0);
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) put_i32(static_cast<int32_t>(*it));
    put(t.name.data(), t.name.size());
    for (float x : t.data) {
      if (t.f16) {
        const uint16_t h = exact_f16(x);
        put(&h, 2);
      } else {
        put(&x, 4);
      }
    }
  }
  return out;
}

std::string write_file(const std::string& dir, const std::string& name, const std::string& bytes) {
  const std::string path = dir + "/" + name;
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// A model with every parameter set from a fixed sequence: multiples of 1/1024 in [-0.5, 0.5), so
// FP16 holds them exactly; time_decay in [-2, 1).
Model patterned_model(const ModelConfig& c) {
  Model m(c);
  uint64_t s = 12345;
  for (const ParamInfo& p : m.layout().tensors()) {
    float* x = m.params() + p.offset;
    for (size_t i = 0; i < p.numel; ++i) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      const float u = static_cast<float>((s >> 40) % 1024) / 1024.0f;  // [0, 1)
      x[i] = p.name.ends_with("time_decay") ? 3 * u - 2 : u - 0.5f;
    }
  }
  return m;
}

bool vector_shape(const std::vector<int64_t>& s) {
  for (size_t i = 0; i + 1 < s.size(); ++i)
    if (s[i] != 1) return false;
  return true;
}

bool is_lora(const std::string& n) {
  for (const char* s : {".w1", ".w2", ".a1", ".a2", ".v1", ".v2", ".g1", ".g2"})
    if (n.ends_with(std::string(".att") + s)) return true;
  return false;
}

// What rwkv.cpp's converter writes for 'm': time_* squeezed, RWKV-4 time_decay as -exp(w), RWKV-7
// x_* concatenated into x_rwkvag and LoRA matrices transposed; matrices in FP16 when asked.
std::vector<GgmlTensor> export_rwkv_cpp(const Model& m, bool f16) {
  std::vector<GgmlTensor> out;
  const int64_t C = m.config().n_embd;
  for (const ParamInfo& p : m.layout().tensors()) {
    const float* x = m.params() + p.offset;
    GgmlTensor t{p.name, p.shape, std::vector<float>(x, x + p.numel)};
    const size_t mix = p.name.find(".att.x_");
    if (mix != std::string::npos) {
      const std::string key = p.name.substr(0, mix) + ".att.x_rwkvag";
      if (p.name.ends_with("x_r")) out.push_back({key, {6, 1, C}, {}});
      GgmlTensor& cat = out.back();
      REQUIRE(cat.name == key);
      cat.data.insert(cat.data.end(), t.data.begin(), t.data.end());
      continue;
    }
    if (p.name.find(".time_") != std::string::npos) t.shape = {static_cast<int64_t>(p.numel)};
    if (p.name.ends_with("time_decay"))
      for (float& d : t.data) d = -std::exp(d);
    if (is_lora(p.name)) {
      const size_t rows = p.shape[0], cols = p.shape[1];
      for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < cols; ++c) t.data[c * rows + r] = x[r * cols + c];
      t.shape = {p.shape[1], p.shape[0]};
    }
    t.f16 = f16 && t.shape.size() > 1 && !vector_shape(t.shape);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

TEST_CASE("rwkv.cpp's tiny RWKV-4 model gives the logits rwkv.cpp expects") {
  if (!peers_present()) return;
  const Model m = load_rwkv_cpp_model(peer("tiny-rwkv-4v0-660K-FP32.bin"));
  const ModelConfig& c = m.config();
  CHECK(c.arch == "rwkv4");
  CHECK(c.n_layer == 4);
  CHECK(c.n_embd == 128);
  CHECK(c.dim_att == 128);
  CHECK(c.dim_ffn == 256);
  CHECK(c.vocab_size == 256);
  CHECK(c.tokenizer == "bytes");
  check_expected_logits("4v0-660K", m);
}

TEST_CASE("rwkv.cpp's tiny RWKV-7 model gives the logits rwkv.cpp expects") {
  if (!peers_present()) return;
  const Model m = load_rwkv_cpp_model(peer("tiny-rwkv-7v0-834K-FP32.bin"));
  const ModelConfig& c = m.config();
  CHECK(c.arch == "rwkv7");
  CHECK(c.n_layer == 12);
  CHECK(c.n_embd == 64);
  CHECK(c.head_size == 64);
  CHECK(c.dim_ffn == 256);
  CHECK(c.lora_w == 32);
  CHECK(c.lora_a == 32);
  CHECK(c.lora_v == 32);
  CHECK(c.lora_g == 32);
  check_expected_logits("7v0-834K", m);
}

TEST_CASE("load_model and rwkvs logits read rwkv.cpp files; its RWKV-5.2 model is refused by name") {
  if (!peers_present()) return;
  for (const std::string name : {"tiny-rwkv-4v0-660K-FP32.bin", "tiny-rwkv-7v0-834K-FP32.bin"}) {
    CAPTURE(name);
    const Model direct = load_rwkv_cpp_model(peer(name));
    const Model m = load_model(peer(name));
    REQUIRE(m.params_size() == direct.params_size());
    CHECK(std::memcmp(m.params(), direct.params(), m.params_size() * sizeof(float)) == 0);
  }
  const std::string dir = test::temp_dir("rwkv_cpp_cli");
  test::write_text(dir + "/prompt.txt", "34 105 110\n");
  const std::vector<float> want = test::read_f32_file(peer("expected-logits-7v0-834K.bin"));
  for (const std::string mode : {"parallel", "recurrent"}) {
    CAPTURE(mode);
    std::string out;
    const int rc =
        test::run(test::cli() + " logits --model " + peer("tiny-rwkv-7v0-834K-FP32.bin") + " --tokens " +
                      dir + "/prompt.txt --out " + dir + "/logits.f32 --mode " + mode,
                  &out);
    INFO(out);
    REQUIRE(rc == 0);
    const std::vector<float> got = test::read_f32_file(dir + "/logits.f32");
    REQUIRE(got.size() == 3 * 256);
    CHECK_ARRAYS_CLOSE(got.data() + 2 * 256, want.data(), 256, 1e-4, 0.0);
  }
  const std::string err = test::error_of([] { load_model(peer("tiny-rwkv-5v2-730K-FP32.bin")); });
  CHECK(err.find("tiny-rwkv-5v2-730K-FP32.bin") != std::string::npos);
  CHECK(err.find("RWKV-5.2") != std::string::npos);
  CHECK(err.find("RWKV-4 and RWKV-7") != std::string::npos);
}

TEST_CASE("a model in rwkv.cpp's layout imports back to the official parameters, FP32 and FP16") {
  const std::string dir = test::temp_dir("rwkv_cpp_roundtrip");
  ModelConfig c4 = ModelConfig::rwkv4(2, 8, 256);
  c4.dim_ffn = 16;
  ModelConfig c7 = ModelConfig::rwkv7(3, 8, 11);
  c7.head_size = 4;
  c7.dim_ffn = 32;
  c7.lora_w = 2;
  c7.lora_a = 3;
  c7.lora_v = 5;
  c7.lora_g = 6;
  for (const ModelConfig& c : {c4, c7}) {
    for (bool f16 : {false, true}) {
      CAPTURE(c.arch);
      CAPTURE(f16);
      const Model m = patterned_model(c);
      const std::string path = write_file(
          dir, c.arch + (f16 ? "_f16.bin" : ".bin"),
          ggml_bytes(export_rwkv_cpp(m, f16), c.vocab_size, c.n_embd, c.n_layer, 101, f16 ? 1 : 0));
      const Model back = load_model(path);
      CHECK(back.config().to_json() == m.config().to_json());
      for (const ParamInfo& p : m.layout().tensors()) {
        CAPTURE(p.name);
        // time_decay goes through -exp and back: a float rounding each way.
        const double tol = p.name.ends_with("time_decay") ? 1e-6 : 0.0;
        CHECK_ARRAYS_CLOSE(back.params() + p.offset, m.params() + p.offset, p.numel, tol, 0.0);
      }
    }
  }
}

TEST_CASE("bad rwkv.cpp files are refused with the file and the problem named") {
  const std::string dir = test::temp_dir("rwkv_cpp_bad");
  ModelConfig c = ModelConfig::rwkv4(1, 4, 256);
  c.dim_ffn = 8;
  const std::vector<GgmlTensor> good = export_rwkv_cpp(patterned_model(c), false);
  auto file = [](const std::vector<GgmlTensor>& t) { return ggml_bytes(t, 256, 4, 1); };
  // 'good' with the tensor 'name' changed by 'change' (dropped when it returns false).
  auto edited = [&](const std::string& name, auto change) {
    std::vector<GgmlTensor> out;
    for (GgmlTensor t : good)
      if (t.name != name || change(t)) out.push_back(std::move(t));
    return file(out);
  };
  auto refused = [&](const std::string& name, const std::string& content, const std::string& part) {
    const std::string path = write_file(dir, name, content);
    const std::string err = test::error_of([&] { load_rwkv_cpp_model(path); });
    INFO(name << ": " << err);
    CHECK(err.find(path) != std::string::npos);
    CHECK(err.find(part) != std::string::npos);
  };
  const std::string bytes = file(good);
  REQUIRE_NOTHROW(load_rwkv_cpp_model(write_file(dir, "good.bin", bytes)));

  refused("magic.bin", ggml_bytes(good, 256, 4, 1, 101, 0, 0x67676a74),
          "not an rwkv.cpp model file: magic 0x67676a74, expected 0x67676d66");
  refused("short.bin", "fm", "not an rwkv.cpp model file");
  refused("version.bin", ggml_bytes(good, 256, 4, 1, 102), "version 102, expected 100 or 101");
  refused("q5.bin", ggml_bytes(good, 256, 4, 1, 101, 8), "holds Q5_1 data");
  refused("header.bin", ggml_bytes(good, 255, 4, 1),
          "emb.weight of shape [256,4] but its header says n_vocab = 255");
  // Cut inside the header, a tensor's header, its name and its data.
  for (size_t cut : {size_t{12}, size_t{30}, size_t{40}, size_t{60}, bytes.size() - 1})
    refused("cut_" + std::to_string(cut) + ".bin", bytes.substr(0, cut), "truncated");
  std::vector<GgmlTensor> extra = good;
  extra.push_back({"blocks.0.att.time_maa_k", {4}, std::vector<float>(4)});
  refused("unknown.bin", file(extra), "unknown tensor(s) blocks.0.att.time_maa_k");
  extra.back().name = "blocks.0.att.time_maa_x";
  refused("rwkv6.bin", file(extra), "is an RWKV-6 model");
  extra.back() = good[1];
  refused("twice.bin", file(extra), "holds tensor " + good[1].name + " twice");
  refused("missing.bin", edited("blocks.0.ffn.receptance.weight", [](GgmlTensor&) { return false; }),
          "lacks tensor blocks.0.ffn.receptance.weight (expected shape [4,4])");
  refused("shape.bin",
          edited("blocks.0.att.value.weight",
                 [](GgmlTensor& t) {
                   t.shape = {2, 8};
                   return true;
                 }),
          "has blocks.0.att.value.weight of shape [2,8], expected [4,4]");
  refused("decay.bin",
          edited("blocks.0.att.time_decay",
                 [](GgmlTensor& t) {
                   t.data[2] = 0.5f;
                   return true;
                 }),
          "blocks.0.att.time_decay[2] = 0.5: rwkv.cpp stores -exp(time_decay)");
}
