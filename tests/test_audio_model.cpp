// Frame-input and classes-head models: checked against the token/lm model (itself checked against
// the oracle) through an exact equivalence, parallel vs recurrent, pooled-loss gradients, and
// checkpoints that carry the frontend and labels.
#include <cmath>
#include <vector>

#include "base/rng.h"
#include "src/audio/frontend_config.h"
#include "src/model/checkpoint.h"
#include "src/model/classify.h"
#include "src/model/rwkv4.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {

ModelConfig frames_classes_config(int L, int C, int F, int K) {
  ModelConfig c = ModelConfig::rwkv4(L, C, 0);
  c.input_kind = "frames";
  c.input_dim = F;
  c.frontend = FrontendConfig{}.to_json();
  c.head_kind = "classes";
  for (int k = 0; k < K; ++k) c.labels.push_back("class" + std::to_string(k));
  return c;
}

double max_abs(const float* x, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, double(std::fabs(x[i])));
  return m;
}

}  // namespace

TEST_CASE("a frames/classes model on one-hot frames equals the tokens/lm model, gradients included") {
  const int L = 2, C = 24, V = 19, T = 30;
  Model tok(ModelConfig::rwkv4(L, C, V));
  init_random(tok, 5);
  Model fr(frames_classes_config(L, C, V, V));
  // copy the shared trunk, then map emb -> input_proj (transposed) and head -> cls_head
  for (const ParamInfo& p : tok.layout().tensors()) {
    if (const ParamInfo* q = fr.layout().find(p.name)) std::copy_n(tok.params() + p.offset, p.numel, fr.params() + q->offset);
  }
  ModelView tv = tok.view(), fv = fr.view();
  for (int v = 0; v < V; ++v)
    for (int c = 0; c < C; ++c) fv.input_proj_w[c * V + v] = tv.emb[v * C + c];
  std::copy_n(tv.head, V * C, fv.cls_w);
  for (int f = 0; f < V; ++f) fv.input_scale[f] = 1.0f;  // mean 0, scale 1, biases 0: the identity

  Rng rng(6);
  std::vector<int32_t> tokens(T), targets(T);
  for (auto& t : tokens) t = static_cast<int32_t>(rng.below(V));
  for (auto& t : targets) t = static_cast<int32_t>(rng.below(V));
  std::vector<float> frames(T * V, 0.0f);
  for (int t = 0; t < T; ++t) frames[t * V + tokens[t]] = 1.0f;

  Activations a, b;
  rwkv4_forward(tok, a, tokens.data(), 1, T, nullptr, nullptr);
  rwkv4_forward(fr, b, ModelInput{nullptr, frames.data()}, 1, T, nullptr, nullptr);
  CHECK_ARRAYS_CLOSE(b.logits.data(), a.logits.data(), size_t(T) * V, 1e-5, 1e-5);

  lm_loss_backward(a, targets.data(), V);
  lm_loss_backward(b, targets.data(), V);
  std::vector<float> ga(tok.params_size()), gb(fr.params_size());
  rwkv4_backward(tok, a, ga.data());
  rwkv4_backward(fr, b, gb.data());
  for (const ParamInfo& p : tok.layout().tensors()) {
    const ParamInfo* q = fr.layout().find(p.name);
    if (!q) continue;
    CAPTURE(p.name);
    CHECK_ARRAYS_CLOSE(gb.data() + q->offset, ga.data() + p.offset, p.numel, 1e-5 * (1 + max_abs(ga.data() + p.offset, p.numel)), 1e-4);
  }
  const ModelView gav = make_view(tok.layout(), ga.data(), L), gbv = make_view(fr.layout(), gb.data(), L);
  std::vector<float> emb_t(V * C), proj_bias(C, 0.0f), cls_bias(V, 0.0f);
  for (int v = 0; v < V; ++v)
    for (int c = 0; c < C; ++c) {
      emb_t[c * V + v] = gav.emb[v * C + c];
      proj_bias[c] += gav.emb[v * C + c];  // one-hot rows: the bias sees every row's gradient
    }
  CHECK_ARRAYS_CLOSE(gbv.input_proj_w, emb_t.data(), emb_t.size(), 1e-5, 1e-4);
  CHECK_ARRAYS_CLOSE(gbv.input_proj_b, proj_bias.data(), size_t(C), 1e-5, 1e-4);
  CHECK_ARRAYS_CLOSE(gbv.cls_w, gav.head, size_t(V) * C, 1e-5, 1e-4);
  for (int t = 0; t < T; ++t)
    for (int k = 0; k < V; ++k) cls_bias[k] += a.logits[t * V + k];  // a.logits now holds dlogits
  CHECK_ARRAYS_CLOSE(gbv.cls_b, cls_bias.data(), size_t(V), 1e-6, 1e-4);
  // the statistics are not trained
  for (int f = 0; f < V; ++f) CHECK(gbv.input_scale[f] == 0.0f);
}

TEST_CASE("frames model: parallel and recurrent per-frame logits agree (T = 500)") {
  Model m(frames_classes_config(2, 32, 13, 5));
  init_random(m, 7);
  const int T = 500, F = 13, K = 5;
  Rng rng(8);
  std::vector<float> frames(T * F);
  for (auto& x : frames) x = static_cast<float>(rng.normal() * 3 + 1);
  Activations acts;
  rwkv4_forward(m, acts, ModelInput{nullptr, frames.data()}, 1, T, nullptr, nullptr);
  RecurrentState st(m.config(), 1);
  StepWorkspace ws;
  std::vector<float> lg(K);
  for (int t = 0; t < T; ++t) {
    rwkv4_step(m, st, ModelInput{nullptr, frames.data() + t * F}, lg.data(), ws);
    CHECK_ARRAYS_CLOSE(lg.data(), acts.logits.data() + t * K, size_t(K), 1e-4, 1e-4);
  }
}

TEST_CASE("pooled classification loss: gradient by finite differences, padding ignored") {
  const int64_t B = 3, T = 6, K = 4;
  const int64_t lengths[B] = {6, 2, 4};
  const int32_t labels[B] = {1, 3, 0};
  Rng rng(9);
  for (const char* pool : {"last", "mean"}) {
    CAPTURE(pool);
    Activations acts;
    acts.B = B;
    acts.T = T;
    acts.logits.resize(B * T * K);
    for (size_t i = 0; i < acts.logits.size(); ++i) acts.logits[i] = static_cast<float>(rng.normal());
    const std::vector<float> base(acts.logits.data(), acts.logits.data() + B * T * K);
    auto loss_at = [&](const std::vector<float>& l) {
      std::copy(l.begin(), l.end(), acts.logits.data());
      return classification_loss(acts, lengths, labels, pool, K);
    };
    const double l0 = loss_at(base);
    Activations g = acts;
    std::copy(base.begin(), base.end(), g.logits.data());
    const double l1 = classification_loss_backward(g, lengths, labels, pool, K);
    CHECK(l1 == doctest::Approx(l0));
    const float h = 1e-2f;
    for (int64_t i = 0; i < B * T * K; ++i) {
      std::vector<float> p = base, m = base;
      p[i] += h;
      m[i] -= h;
      const double fd = (loss_at(p) - loss_at(m)) / (2 * h);
      INFO("index " << i << " analytic " << g.logits[i] << " fd " << fd);
      CHECK(std::fabs(g.logits[i] - fd) < 2e-4);
      const int64_t b = i / (T * K), t = (i / K) % T;
      if (t >= lengths[b]) CHECK(g.logits[i] == 0.0f);  // padding gets no gradient
    }
  }
}

TEST_CASE("checkpoints keep the frontend, labels and normalisation statistics") {
  ModelConfig c = frames_classes_config(1, 16, 80, 3);
  c.pool = "mean";
  FrontendConfig fe;
  fe.type = "mel";
  fe.mel.n_mels = 80;
  fe.mel.hop_length = 320;
  c.frontend = fe.to_json();
  Model m(c);
  init_random(m, 10);
  const std::string dir = test::temp_dir("audio_ckpt");
  save_model(dir + "/m.safetensors", m);
  const Model back = load_model(dir + "/m.safetensors");
  CHECK(back.config().labels == c.labels);
  CHECK(back.config().pool == "mean");
  CHECK(back.config().input_dim == 80);
  const FrontendConfig fe2 = FrontendConfig::from_json(back.config().frontend, "test");
  CHECK(fe2.type == "mel");
  CHECK(fe2.mel.hop_length == 320);
  CHECK(fe2.make_computer()->dim() == 80);
  REQUIRE(back.params_size() == m.params_size());
  CHECK_ARRAYS_CLOSE(back.params(), m.params(), m.params_size(), 0.0, 0.0);
  // the frontend JSON is validated
  nlohmann::json bad = fe.to_json();
  bad["mel"]["pad_mode"] = "sideways";
  CHECK_THROWS_AS(FrontendConfig::from_json(bad, "x"), Error);
  bad = fe.to_json();
  bad["mel"]["n_fft"] = "big";
  CHECK_THROWS_WITH_AS(FrontendConfig::from_json(bad, "x"), doctest::Contains("n_fft"), Error);
}

TEST_CASE("a frames model refuses token input and non-finite frames") {
  Model m(frames_classes_config(1, 8, 4, 2));
  Activations acts;
  const int32_t ids[2] = {0, 1};
  CHECK_THROWS_WITH_AS(rwkv4_forward(m, acts, ids, 1, 2, nullptr, nullptr), doctest::Contains("feature frames"), Error);
  std::vector<float> frames(8, 0.0f);
  frames[5] = NAN;
  CHECK_THROWS_WITH_AS(rwkv4_forward(m, acts, ModelInput{nullptr, frames.data()}, 1, 2, nullptr, nullptr),
                       doctest::Contains("non-finite"), Error);
}
