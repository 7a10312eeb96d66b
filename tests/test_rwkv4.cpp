// The RWKV-4 model: logits and every gradient against the PyTorch oracle's golden files, the
// parallel form against the recurrent form, chained segments against one pass, batching.
#include <cmath>
#include <fstream>
#include <iterator>
#include <vector>

#include "base/error.h"
#include "base/rng.h"
#include "src/io/safetensors.h"
#include "src/model/checkpoint.h"
#include "src/model/rwkv4.h"
#include "tests/support.h"

using namespace rwkvs;
using rwkvs::test::read_tokens;

namespace {

std::string golden(const std::string& name) { return std::string(RWKVS_TEST_DATA_DIR) + "/oracle/" + name; }

std::vector<int32_t> random_tokens(int64_t n, int64_t V, uint64_t seed) {
  Rng rng(seed);
  std::vector<int32_t> t(n);
  for (auto& x : t) x = static_cast<int32_t>(rng.below(V));
  return t;
}

std::vector<float> recurrent_logits(const Model& m, const std::vector<int32_t>& tokens) {
  const int64_t V = m.config().vocab_size;
  RecurrentState st(m.config(), 1);
  StepWorkspace ws;
  std::vector<float> out(tokens.size() * V);
  for (size_t t = 0; t < tokens.size(); ++t) rwkv4_step(m, st, &tokens[t], out.data() + t * V, ws);
  return out;
}

double max_abs(const float* x, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(double(x[i])));
  return m;
}

}  // namespace

TEST_CASE("logits match the oracle's parallel and recurrent forward") {
  const Model m = load_model(golden("model.safetensors"));
  const auto tokens = read_tokens(golden("tokens.txt"));
  REQUIRE(tokens.size() == 50);
  const auto want_fwd = test::read_f32_file(golden("logits_forward.f32"));
  const auto want_rnn = test::read_f32_file(golden("logits_rnn.f32"));
  Activations acts;
  rwkv4_forward(m, acts, tokens.data(), 1, 50, nullptr, nullptr);
  const double scale = max_abs(want_fwd.data(), want_fwd.size());
  CHECK_ARRAYS_CLOSE(acts.logits.data(), want_fwd.data(), want_fwd.size(), 1e-4 * scale, 1e-4);
  const auto rec = recurrent_logits(m, tokens);
  CHECK_ARRAYS_CLOSE(rec.data(), want_rnn.data(), want_rnn.size(), 1e-4 * scale, 1e-4);
}

TEST_CASE("loss and every gradient match the oracle") {
  const Model m = load_model(golden("model.safetensors"));
  const auto tokens = read_tokens(golden("tokens.txt"));
  const std::vector<int32_t> inputs(tokens.begin(), tokens.end() - 1), targets(tokens.begin() + 1, tokens.end());
  for (int chunk : {4, 64}) {
    CAPTURE(chunk);
    ForwardOptions opt;
    opt.wkv.chunk_len = chunk;
    Activations acts;
    rwkv4_forward(m, acts, inputs.data(), 1, 49, nullptr, nullptr, opt);
    const double loss = lm_loss_backward(acts, targets.data(), m.config().vocab_size);
    CHECK(loss == doctest::Approx(4.66721106).epsilon(1e-6));
    std::vector<float> grads(m.params_size(), 0.0f);
    rwkv4_backward(m, acts, grads.data(), opt);
    SafetensorsReader want(golden("grads.safetensors"));
    for (const ParamInfo& p : m.layout().tensors()) {
      CAPTURE(p.name);
      const std::vector<float> w = want.read_f32(p.name);
      REQUIRE(w.size() == p.numel);
      // relative to the tensor's largest entry: small entries of a big tensor carry its rounding
      const double scale = std::max(max_abs(w.data(), w.size()), 1e-30);
      CHECK_ARRAYS_CLOSE(grads.data() + p.offset, w.data(), p.numel, 1e-4 * scale, 1e-4);
    }
  }
}

TEST_CASE("parallel and recurrent forms agree on a long sequence (T = 1200)") {
  Model m(ModelConfig::rwkv4(2, 40, 97));
  init_random(m, 3);
  const auto tokens = random_tokens(1200, 97, 4);
  Activations acts;
  rwkv4_forward(m, acts, tokens.data(), 1, 1200, nullptr, nullptr);
  const auto rec = recurrent_logits(m, tokens);
  const double scale = max_abs(rec.data(), rec.size());
  CHECK_ARRAYS_CLOSE(acts.logits.data(), rec.data(), rec.size(), 1e-4 * scale, 1e-4);
}

TEST_CASE("segments chained through the state equal one pass; the final state equals the recurrent one") {
  Model m(ModelConfig::rwkv4(3, 24, 50));
  init_random(m, 8);
  const int64_t T = 300;
  const auto tokens = random_tokens(T, 50, 9);
  Activations whole;
  rwkv4_forward(m, whole, tokens.data(), 1, T, nullptr, nullptr);
  RecurrentState st(m.config(), 1);
  std::vector<float> seg_logits;
  int64_t t0 = 0;
  for (int64_t len : {1, 7, 64, 100, 128}) {
    Activations part;
    RecurrentState next(m.config(), 1);
    rwkv4_forward(m, part, tokens.data() + t0, 1, len, &st, &next);
    seg_logits.insert(seg_logits.end(), part.logits.data(), part.logits.data() + len * 50);
    st = next;
    t0 += len;
  }
  REQUIRE(t0 == T);
  CHECK_ARRAYS_CLOSE(seg_logits.data(), whole.logits.data(), seg_logits.size(), 2e-5, 1e-5);
  // the recurrent state after T tokens represents the same sums
  RecurrentState rs(m.config(), 1);
  StepWorkspace ws;
  std::vector<float> lg(50);
  for (int64_t t = 0; t < T; ++t) rwkv4_step(m, rs, &tokens[t], lg.data(), ws);
  for (int l = 0; l < 3; ++l) {
    const LayerStateView a = st.layer(l), b = rs.layer(l);
    CHECK_ARRAYS_CLOSE(a.att_x, b.att_x, 24, 1e-5, 1e-5);
    CHECK_ARRAYS_CLOSE(a.ffn_x, b.ffn_x, 24, 1e-5, 1e-5);
    for (int c = 0; c < 24; ++c) {
      CHECK(a.aa[c] * std::exp(double(a.pp[c]) - b.pp[c]) == doctest::Approx(b.aa[c]).epsilon(1e-4).scale(1e-6));
      CHECK(a.bb[c] * std::exp(double(a.pp[c]) - b.pp[c]) == doctest::Approx(b.bb[c]).epsilon(1e-4));
    }
  }
}

TEST_CASE("a batch of sequences equals each sequence alone, in both forms") {
  Model m(ModelConfig::rwkv4(1, 16, 30));  // n_layer = 1 must work
  init_random(m, 10);
  const int64_t B = 3, T = 20;
  const auto tokens = random_tokens(B * T, 30, 11);
  Activations batch;
  rwkv4_forward(m, batch, tokens.data(), B, T, nullptr, nullptr);
  RecurrentState st(m.config(), B);
  StepWorkspace ws;
  std::vector<int32_t> step_tokens(B);
  std::vector<float> step_logits(B * 30);
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t b = 0; b < B; ++b) step_tokens[b] = tokens[b * T + t];
    rwkv4_step(m, st, step_tokens.data(), step_logits.data(), ws);
    for (int64_t b = 0; b < B; ++b)
      CHECK_ARRAYS_CLOSE(step_logits.data() + b * 30, batch.logits.data() + (b * T + t) * 30, 30, 1e-4, 1e-4);
  }
  for (int64_t b = 0; b < B; ++b) {
    Activations one;
    rwkv4_forward(m, one, tokens.data() + b * T, 1, T, nullptr, nullptr);
    CHECK_ARRAYS_CLOSE(one.logits.data(), batch.logits.data() + b * T * 30, T * 30, 1e-5, 1e-5);
  }
}

TEST_CASE("out-of-vocabulary tokens are errors") {
  Model m(ModelConfig::rwkv4(1, 8, 10));
  const int32_t bad[2] = {3, 10};
  Activations acts;
  CHECK_THROWS_WITH_AS(rwkv4_forward(m, acts, bad, 1, 2, nullptr, nullptr), doctest::Contains("outside the vocabulary"),
                       Error);
}
