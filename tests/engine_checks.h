// An Engine (src/model/engine.h) against the plain CPU model functions, its reference, on random
// models: logits (token LM and frames classifier), a whole training step (loss and every
// gradient), AdamW, recurrent generation and chunked streaming through the carried state, and the
// matmul precisions. Shared by tests/test_engine.cpp (the CPU engine: the glue every device runs)
// and tests/gpu/test_engine_model.cpp (the GPU engine).
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "base/rng.h"
#include "src/audio/frontend_config.h"
#include "src/model/classify.h"
#include "src/model/engine.h"
#include "src/model/model.h"
#include "src/model/rwkv4.h"
#include "src/train/optimizer.h"
#include "tests/support.h"

namespace rwkvs::test {


inline std::vector<int32_t> random_tokens(int64_t n, int vocab, uint64_t seed) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  Rng rng(seed);
  for (int32_t& x : t) x = static_cast<int32_t>(rng.below(static_cast<uint64_t>(vocab)));
  return t;
}

inline std::vector<float> random_frames(int64_t n, uint64_t seed) {
  std::vector<float> f(static_cast<size_t>(n));
  Rng rng(seed);
  for (float& x : f) x = static_cast<float>(rng.normal() * 2 + 1);
  return f;
}

inline Model classifier(int layers, int embd, int input_dim, int classes) {
  ModelConfig c = ModelConfig::rwkv4(layers, embd, 0);
  c.input_kind = "frames";
  c.input_dim = input_dim;
  c.frontend = FrontendConfig{}.to_json();
  c.head_kind = "classes";
  for (int k = 0; k < classes; ++k) c.labels.push_back(std::string(1, static_cast<char>('a' + k)));
  Model m(c);
  init_random(m, 11);
  Rng rng(5);
  for (int i = 0; i < input_dim; ++i) {  // input statistics the forward normalises with
    m.view().input_mean[i] = static_cast<float>(rng.normal());
    m.view().input_scale[i] = static_cast<float>(0.5 + rng.uniform());
  }
  return m;
}

// Every tensor's gradient within 1e-4 of the CPU's, relative to that tensor's largest entry.
inline void check_grads(const Model& m, const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (const ParamInfo& p : m.layout().tensors()) {
    CAPTURE(p.name);
    double scale = 1e-30;
    for (size_t i = 0; i < p.numel; ++i) scale = std::max(scale, double(std::fabs(want[p.offset + i])));
    CHECK_ARRAYS_CLOSE(got.data() + p.offset, want.data() + p.offset, p.numel, 1e-4 * scale, 1e-4);
  }
}

inline std::vector<float> grads_of(Engine& e, const Model& m) {
  std::vector<float> g(m.params_size());
  e.get_grads(g.data());
  return g;
}

inline void check_lm_logits(const char* device, int layers, int embd, int vocab, int64_t B, int64_t T, int chunk) {
  CAPTURE(layers);
  CAPTURE(B);
  CAPTURE(T);
  CAPTURE(chunk);
  Model m(ModelConfig::rwkv4(layers, embd, vocab));
  init_random(m, 7);
  const auto tokens = random_tokens(B * T, vocab, 3);
  Activations acts;
  ForwardOptions opt;
  opt.wkv.chunk_len = chunk;
  rwkv4_forward(m, acts, tokens.data(), B, T, nullptr, nullptr, opt);
  const auto engine = make_engine(device, m);
  const std::vector<float> got = engine->logits(ModelInput{tokens.data(), nullptr}, B, T, opt);
  REQUIRE(got.size() == static_cast<size_t>(B * T * vocab));
  CHECK_ARRAYS_CLOSE(got.data(), acts.logits.data(), got.size(), 1e-4, 1e-4);
}

// Logits of token LMs at several shapes (T = 1, odd T, a chunk that does not divide T).
inline void check_engine_logits(const char* device) {
  check_lm_logits(device, 2, 64, 97, 2, 37, 16);
  check_lm_logits(device, 1, 32, 50, 1, 1, 64);
  check_lm_logits(device, 3, 128, 256, 3, 300, 64);
}

// A whole training step: loss and every gradient against the CPU functions, within 1e-4.
inline void check_engine_training_step(const char* device) {
  for (int64_t T : {int64_t(1), int64_t(33), int64_t(200)}) {
    CAPTURE(T);
    Model m(ModelConfig::rwkv4(2, 64, 120));
    init_random(m, 9);
    const int64_t B = 3;
    auto tokens = random_tokens(B * (T + 1), 120, 21);
    std::vector<int32_t> in, target;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t) {
        in.push_back(tokens[b * (T + 1) + t]);
        target.push_back(t % 7 == 3 ? -1 : tokens[b * (T + 1) + t + 1]);  // some ignored rows
      }
    ForwardOptions opt;
    opt.wkv.chunk_len = 16;
    Activations acts;
    rwkv4_forward(m, acts, in.data(), B, T, nullptr, nullptr, opt);
    const double want_loss = lm_loss_backward(acts, target.data(), 120);
    std::vector<float> want(m.params_size(), 0.0f);
    rwkv4_backward(m, acts, want.data(), opt);

    const auto engine = make_engine(device, m);
    engine->zero_grads();
    const double loss = engine->lm_forward_backward(in.data(), target.data(), B, T, 1.0f, opt);
    CHECK(loss == doctest::Approx(want_loss).epsilon(1e-5));
    check_grads(m, grads_of(*engine, m), want);
  }
}

// Frames input and a classes head (host loss): logits and gradients against the CPU functions.
inline void check_engine_classifier(const char* device) {
  Model m = classifier(2, 48, 20, 5);
  const int64_t B = 4, T = 45, K = 5;
  const auto frames = random_frames(B * T * 20, 8);
  const std::vector<int64_t> lengths = {45, 30, 1, 17};
  const std::vector<int32_t> labels = {0, 3, 4, 1};
  ForwardOptions opt;
  Activations acts;
  rwkv4_forward(m, acts, ModelInput{nullptr, frames.data()}, B, T, nullptr, nullptr, opt);
  const auto engine = make_engine(device, m);
  const auto logits = engine->logits(ModelInput{nullptr, frames.data()}, B, T, opt);
  CHECK_ARRAYS_CLOSE(logits.data(), acts.logits.data(), logits.size(), 1e-4, 1e-4);

  const double want_loss = classification_loss_backward(acts, lengths.data(), labels.data(), "last", K);
  std::vector<float> want(m.params_size(), 0.0f);
  rwkv4_backward(m, acts, want.data(), opt);
  engine->zero_grads();
  const double loss = engine->forward_backward(ModelInput{nullptr, frames.data()}, B, T, [&](float* host_logits) {
    Activations view;  // the host loss reads logits from an Activations, as the CPU trainer does
    view.B = B;
    view.T = T;
    view.logits.resize(static_cast<size_t>(B * T * K));
    std::copy(host_logits, host_logits + B * T * K, view.logits.data());
    const double l = classification_loss_backward(view, lengths.data(), labels.data(), "last", K);
    std::copy(view.logits.data(), view.logits.data() + B * T * K, host_logits);
    return l;
  });
  CHECK(loss == doctest::Approx(want_loss).epsilon(1e-5));
  check_grads(m, grads_of(*engine, m), want);
}

// Clipping and AdamW against AdamW::step over 3 steps.
inline void check_engine_adamw(const char* device) {
  Model cpu_model(ModelConfig::rwkv4(2, 32, 40));
  init_random(cpu_model, 4);
  Model engine_model = cpu_model;
  OptimizerConfig cfg;
  cfg.clip_norm = 0.05f;  // small, so clipping is exercised
  AdamW cpu_opt(cpu_model, cfg), host_moments(engine_model, cfg);
  const auto engine = make_engine(device, engine_model);
  const int64_t B = 2, T = 24;
  for (int64_t step = 1; step <= 3; ++step) {
    CAPTURE(step);
    auto tokens = random_tokens(B * T, 40, 100 + step);
    auto targets = random_tokens(B * T, 40, 200 + step);
    Activations acts;
    rwkv4_forward(cpu_model, acts, tokens.data(), B, T, nullptr, nullptr);
    lm_loss_backward(acts, targets.data(), 40);
    std::vector<float> grads(cpu_model.params_size(), 0.0f);
    rwkv4_backward(cpu_model, acts, grads.data());
    const double want_norm = cpu_opt.step(cpu_model, grads.data(), 1e-2, step);

    engine->zero_grads();
    engine->lm_forward_backward(tokens.data(), targets.data(), B, T);
    const double norm = engine->adamw_step(cfg, 1e-2, step);
    CHECK(norm == doctest::Approx(want_norm).epsilon(1e-4));
    engine->get_params(engine_model);
    CHECK_ARRAYS_CLOSE(engine_model.params(), cpu_model.params(), cpu_model.params_size(), 1e-5, 1e-4);
  }
  engine->get_moments(host_moments);
  CHECK_ARRAYS_CLOSE(host_moments.m(), cpu_opt.m(), cpu_model.params_size(), 1e-6, 1e-3);
}

// Generation: one token per call through the carried state against rwkv4_step.
inline void check_engine_generation(const char* device) {
  Model m(ModelConfig::rwkv4(3, 64, 77));
  init_random(m, 13);
  const auto tokens = random_tokens(40, 77, 17);
  RecurrentState cpu_state(m.config(), 1), engine_state(m.config(), 1);
  StepWorkspace ws;
  const auto engine = make_engine(device, m);
  std::vector<float> want(77), got(77);
  for (size_t t = 0; t < tokens.size(); ++t) {
    CAPTURE(t);
    rwkv4_step(m, cpu_state, &tokens[t], want.data(), ws);
    engine->forward(ModelInput{&tokens[t], nullptr}, 1, 1, &engine_state, got.data());
    CHECK_ARRAYS_CLOSE(got.data(), want.data(), got.size(), 1e-4, 1e-4);
  }
  CHECK_ARRAYS_CLOSE(engine_state.data(), cpu_state.data(), cpu_state.size(), 1e-4, 1e-4);
}

// Streaming: uneven chunks through the carried state against the whole-clip forward.
inline void check_engine_streaming(const char* device) {
  Model m = classifier(2, 48, 20, 4);
  const int64_t T = 97;
  const auto frames = random_frames(T * 20, 31);
  Activations acts;
  rwkv4_forward(m, acts, ModelInput{nullptr, frames.data()}, 1, T, nullptr, nullptr);
  const auto engine = make_engine(device, m);
  RecurrentState state(m.config(), 1);
  std::vector<float> got(static_cast<size_t>(T * 4));
  int64_t t = 0;
  for (int64_t len : {1, 10, 3, 40, 43}) {
    engine->forward(ModelInput{nullptr, frames.data() + t * 20}, 1, len, &state, got.data() + t * 4);
    t += len;
  }
  REQUIRE(t == T);
  CHECK_ARRAYS_CLOSE(got.data(), acts.logits.data(), got.size(), 1e-4, 1e-4);
}

// tf32 and bf16 matmuls stay close to fp32 (GPU only); unknown precisions are refused by name.
inline void check_engine_precisions(const char* device) {
  Model m(ModelConfig::rwkv4(2, 64, 90));
  init_random(m, 3);
  const int64_t B = 2, T = 64;
  const auto in = random_tokens(B * T, 90, 1), target = random_tokens(B * T, 90, 2);
  double fp32 = 0;
  const bool gpu_device = std::string(device) == "cuda";
  for (const char* p : {"fp32", "tf32", "bf16"}) {
    CAPTURE(p);
    if (!gpu_device && std::string(p) != "fp32") {  // the CPU multiplies in fp32 only
      CHECK_THROWS_WITH_AS(make_engine(device, m, p), doctest::Contains("needs --device cuda"), Error);
      continue;
    }
    const auto engine = make_engine(device, m, p);
    engine->zero_grads();
    const double loss = engine->lm_forward_backward(in.data(), target.data(), B, T);
    if (std::string(p) == "fp32") fp32 = loss;
    CHECK(std::isfinite(loss));
    CHECK(loss == doctest::Approx(fp32).epsilon(std::string(p) == "bf16" ? 2e-2 : 2e-3));
  }
  CHECK_THROWS_WITH_AS(make_engine(device, m, "fp8"), doctest::Contains("--precision"), Error);
}

}  // namespace rwkvs::test
