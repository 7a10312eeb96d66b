// The RWKV-7 model on the GPU engine (make_engine("cuda"): ModelEngine<CudaOps> running
// src/model/rwkv7_graph.h) against the PyTorch oracle's golden files (tests/data/rwkv7, float64) and
// the CPU engine: logits whole, batched and through the carried state (T = 1 steps and uneven
// segments), the state itself, a training step's loss and every gradient, a random model with
// 64-wide heads, frames input with a classes head, and the tf32/bf16 matmuls. Also that the device
// state has the host state's size and layer views for both architectures, since the engine moves
// it with plain copies. Exits 77 (Skipped) without a usable GPU (gpu_main.cpp).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "src/io/safetensors.h"
#include "src/model/checkpoint.h"
#include "src/model/cuda_ops.h"
#include "tests/engine_checks.h"

using namespace rwkvs;
using namespace rwkvs::test;

namespace {

std::string golden(const std::string& name) { return std::string(RWKVS_TEST_DATA_DIR) + "/rwkv7/" + name; }

double max_abs(const float* x, size_t n) {
  double m = 1e-30;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(double(x[i])));
  return m;
}

double read_loss(const std::string& path) {
  std::ifstream f(path);
  std::string word;
  double loss = NAN;
  f >> word >> loss;  // "loss 3.98948016"
  return loss;
}

// The oracle's state file (blocks.N.att_x [C], .wkv [H,N,N], .ffn_x [C]) as a batch-1 state.
RecurrentState read_oracle_state(const std::string& path, const ModelConfig& c) {
  const SafetensorsReader f(path);
  RecurrentState s(c, 1);
  for (int l = 0; l < c.n_layer; ++l) {
    const LayerStateView v = s.layer(l);
    const std::string b = "blocks." + std::to_string(l) + ".";
    f.read_f32(b + "att_x", v.att_x, static_cast<size_t>(c.n_embd));
    f.read_f32(b + "wkv", v.wkv, static_cast<size_t>(c.n_embd) * c.head_size);
    f.read_f32(b + "ffn_x", v.ffn_x, static_cast<size_t>(c.n_embd));
  }
  return s;
}

// Within tol of the reference's largest magnitude.
void check_scaled(const float* got, const float* want, size_t n, double tol) {
  CHECK_ARRAYS_CLOSE(got, want, n, tol * max_abs(want, n), 0.0);
}
void check_scaled(const std::vector<float>& got, const std::vector<float>& want, double tol) {
  REQUIRE(got.size() == want.size());
  check_scaled(got.data(), want.data(), want.size(), tol);
}

// The GPU's fp32 error: its matmuls and WKV-7 add in other orders than the CPU, which meets 1e-5 on
// logits and 1e-4 on gradients against the float64 oracle; a wrong index or formula is off by O(1).
constexpr double kLogitsTol = 1e-4, kGradTol = 5e-4;

// Every tensor's gradient within tol of that tensor's largest entry.
void check_grads_scaled(const Model& m, const std::vector<float>& got, const std::vector<float>& want,
                        double tol = kGradTol) {
  REQUIRE(got.size() == want.size());
  for (const ParamInfo& p : m.layout().tensors()) {
    CAPTURE(p.name);
    check_scaled(got.data() + p.offset, want.data() + p.offset, p.numel, tol);
  }
}

}  // namespace

TEST_CASE("the device state has the host state's size and layer views, RWKV-4 and RWKV-7") {
  ModelConfig c7 = ModelConfig::rwkv7(3, 128, 40);
  c7.head_size = 32;
  for (const ModelConfig& c :
       {ModelConfig::rwkv4(2, 64, 50), load_model(golden("model.safetensors")).config(), c7})
    for (int64_t B : {int64_t(1), int64_t(3)}) {
      CAPTURE(c.arch);
      CAPTURE(B);
      const RecurrentState host_state(c, B);
      CudaState device_state(c, B);
      REQUIRE(device_state.size() == host_state.size());
      CHECK(device_state.batch() == B);
      CHECK(device_state.floats_per_layer() == host_state.floats_per_layer());
      const float* h0 = host_state.data();
      const float* d0 = device_state.data();
      auto offset = [](const float* p, const float* base) { return p ? p - base : int64_t(-1); };
      for (int l = 0; l < c.n_layer; ++l) {
        CAPTURE(l);
        const LayerStateView h = host_state.layer(l), d = device_state.layer(l);
        CHECK(offset(d.att_x, d0) == offset(h.att_x, h0));
        CHECK(offset(d.aa, d0) == offset(h.aa, h0));
        CHECK(offset(d.bb, d0) == offset(h.bb, h0));
        CHECK(offset(d.pp, d0) == offset(h.pp, h0));
        CHECK(offset(d.wkv, d0) == offset(h.wkv, h0));
        CHECK(offset(d.ffn_x, d0) == offset(h.ffn_x, h0));
      }
    }
}

TEST_CASE("RWKV-7 logits on the GPU equal the oracle's, whole and as a batch of two sequences") {
  const Model m = load_model(golden("model.safetensors"));
  const int64_t V = m.config().vocab_size;
  const auto tokens = read_tokens(golden("tokens.txt"));
  REQUIRE(tokens.size() == 40);
  const auto want = read_f32_file(golden("logits.f32"));
  const auto gpu = make_engine("cuda", m), cpu = make_engine("cpu", m);
  check_scaled(gpu->logits(ModelInput{tokens.data(), nullptr}, 1, 40), want, kLogitsTol);
  // two sequences of 20: rows of a batch are independent
  const auto got2 = gpu->logits(ModelInput{tokens.data(), nullptr}, 2, 20);
  const auto want2 = cpu->logits(ModelInput{tokens.data(), nullptr}, 2, 20);
  check_scaled(got2, want2, kLogitsTol);
  // the first sequence is the oracle's first 20 tokens
  check_scaled(got2.data(), want.data(), static_cast<size_t>(20 * V), kLogitsTol);
}

TEST_CASE("RWKV-7 streaming on the GPU: the state after 15 tokens, T = 1 steps and uneven segments") {
  const Model m = load_model(golden("model.safetensors"));
  const ModelConfig& c = m.config();
  const int64_t V = c.vocab_size;
  const auto tokens = read_tokens(golden("tokens.txt"));
  const auto gpu = make_engine("cuda", m);
  // the first 15 tokens in one call: the state equals the oracle's
  RecurrentState st(c, 1);
  std::vector<float> head(static_cast<size_t>(15 * V));
  gpu->forward(ModelInput{tokens.data(), nullptr}, 1, 15, &st, head.data());
  const RecurrentState want15 = read_oracle_state(golden("state15.safetensors"), c);
  check_scaled(st.data(), want15.data(), want15.size(), 1e-4);
  // the other 25 one token per call (the generation path)
  const auto want_tail = read_f32_file(golden("logits_tail_recurrent.f32"));
  REQUIRE(want_tail.size() == static_cast<size_t>(25 * V));
  std::vector<float> stepped(want_tail.size());
  for (int64_t t = 0; t < 25; ++t)
    gpu->forward(ModelInput{&tokens[15 + t], nullptr}, 1, 1, &st, stepped.data() + t * V);
  check_scaled(stepped, want_tail, kLogitsTol);
  // segments of 1, 6, 8, 17 and 8 tokens chained through the state equal the oracle's single pass,
  // and the final state equals the CPU engine's after the whole sequence
  const auto want_all = read_f32_file(golden("logits.f32"));
  RecurrentState chained(c, 1), whole(c, 1);
  std::vector<float> seg(want_all.size()), cpu_logits(want_all.size());
  int64_t t0 = 0;
  for (int64_t n : {1, 6, 8, 17, 8}) {
    gpu->forward(ModelInput{&tokens[t0], nullptr}, 1, n, &chained, seg.data() + t0 * V);
    t0 += n;
  }
  REQUIRE(t0 == 40);
  check_scaled(seg, want_all, kLogitsTol);
  make_engine("cpu", m)->forward(ModelInput{tokens.data(), nullptr}, 1, 40, &whole, cpu_logits.data());
  check_scaled(chained.data(), whole.data(), whole.size(), 1e-4);
  check_scaled(st.data(), whole.data(), whole.size(), 1e-4);
}

TEST_CASE("a RWKV-7 training step on the GPU: the loss and every gradient equal the oracle's") {
  const Model m = load_model(golden("model.safetensors"));
  const auto tokens = read_tokens(golden("tokens.txt"));
  const std::vector<int32_t> inputs(tokens.begin(), tokens.end() - 1),
      targets(tokens.begin() + 1, tokens.end());
  const auto gpu = make_engine("cuda", m);
  gpu->zero_grads();
  const double loss = gpu->lm_forward_backward(inputs.data(), targets.data(), 1, 39);
  CHECK(loss == doctest::Approx(read_loss(golden("grad_loss.txt"))).epsilon(1e-5));
  const std::vector<float> got = grads_of(*gpu, m);
  const SafetensorsReader want(golden("grads.safetensors"));
  size_t checked = 0;
  for (const ParamInfo& p : m.layout().tensors()) {
    CAPTURE(p.name);
    const std::vector<float> w = want.read_f32(p.name);
    REQUIRE(w.size() == p.numel);
    check_scaled(got.data() + p.offset, w.data(), p.numel, kGradTol);
    ++checked;
  }
  CHECK(checked == 102);
  // the CPU engine's gradients too, and a second step accumulates
  const auto cpu = make_engine("cpu", m);
  cpu->zero_grads();
  cpu->lm_forward_backward(inputs.data(), targets.data(), 1, 39);
  check_grads_scaled(m, got, grads_of(*cpu, m));
  gpu->lm_forward_backward(inputs.data(), targets.data(), 1, 39);
  std::vector<float> twice = grads_of(*cpu, m);
  for (float& g : twice) g *= 2;
  check_grads_scaled(m, grads_of(*gpu, m), twice);
}

TEST_CASE("RWKV-7 on the GPU with 64-wide heads, a batch and ignored targets: logits, loss, gradients") {
  Model m(ModelConfig::rwkv7(2, 128, 97));  // head size 64: the WKV-7 kernels' widest
  REQUIRE(m.config().head_size == 64);
  init_random(m, 17);
  const int64_t B = 3, T = 70;  // T not a multiple of the WKV chunk
  const auto in = random_tokens(B * T, 97, 5);
  auto target = random_tokens(B * T, 97, 6);
  for (size_t i = 3; i < target.size(); i += 7) target[i] = -1;
  const auto gpu = make_engine("cuda", m), cpu = make_engine("cpu", m);
  const auto want_logits = cpu->logits(ModelInput{in.data(), nullptr}, B, T);
  check_scaled(gpu->logits(ModelInput{in.data(), nullptr}, B, T), want_logits, 1e-4);
  cpu->zero_grads();
  gpu->zero_grads();
  const double want = cpu->lm_forward_backward(in.data(), target.data(), B, T);
  const double loss = gpu->lm_forward_backward(in.data(), target.data(), B, T);
  CHECK(loss == doctest::Approx(want).epsilon(1e-5));
  check_grads_scaled(m, grads_of(*gpu, m), grads_of(*cpu, m));
}

TEST_CASE("RWKV-7 with frames input and a classes head on the GPU: logits and gradients") {
  ModelConfig c = ModelConfig::rwkv7(2, 64, 0);
  c.head_size = 16;
  c.input_kind = "frames";
  c.input_dim = 20;
  c.frontend = FrontendConfig{}.to_json();
  c.head_kind = "classes";
  c.labels = {"a", "b", "c", "d", "e"};
  Model m(c);
  init_random(m, 11);
  for (int i = 0; i < c.input_dim; ++i) {  // input statistics the forward normalises with
    m.view().input_mean[i] = 0.1f * static_cast<float>(i % 5);
    m.view().input_scale[i] = 0.5f + 0.05f * static_cast<float>(i);
  }
  const int64_t B = 2, T = 33, K = 5;
  const auto frames = random_frames(B * T * c.input_dim, 8);
  const ModelInput input{nullptr, frames.data()};
  const auto gpu = make_engine("cuda", m), cpu = make_engine("cpu", m);
  check_scaled(gpu->logits(input, B, T), cpu->logits(input, B, T), 1e-4);
  // a host loss sum_i w_i logits_i: its logits gradient is w
  const auto w = random_frames(B * T * K, 9);
  auto weighted_sum = [&](float* logits) {
    double s = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      s += double(w[i]) * logits[i];
      logits[i] = w[i];
    }
    return s;
  };
  cpu->zero_grads();
  gpu->zero_grads();
  const double want = cpu->forward_backward(input, B, T, weighted_sum);
  const double got = gpu->forward_backward(input, B, T, weighted_sum);
  CHECK(got == doctest::Approx(want).epsilon(1e-4));
  check_grads_scaled(m, grads_of(*gpu, m), grads_of(*cpu, m));
}

TEST_CASE("RWKV-7 with tf32 and bf16 matmuls on the GPU stays close to fp32") {
  Model m(ModelConfig::rwkv7(2, 128, 90));
  init_random(m, 3);
  const int64_t B = 2, T = 64;
  const auto in = random_tokens(B * T, 90, 1), target = random_tokens(B * T, 90, 2);
  double fp32 = 0;
  for (const char* p : {"fp32", "tf32", "bf16"}) {
    CAPTURE(p);
    const auto engine = make_engine("cuda", m, p);
    engine->zero_grads();
    const double loss = engine->lm_forward_backward(in.data(), target.data(), B, T);
    if (std::string(p) == "fp32") fp32 = loss;
    CHECK(std::isfinite(loss));
    CHECK(loss == doctest::Approx(fp32).epsilon(std::string(p) == "bf16" ? 2e-2 : 2e-3));
    const std::vector<float> g = grads_of(*engine, m);
    bool finite = true;
    for (float x : g) finite &= std::isfinite(x);
    CHECK(finite);
  }
}
