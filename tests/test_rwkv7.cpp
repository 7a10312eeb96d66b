// The RWKV-7 model: logits, loss and every gradient against the PyTorch oracle's golden files
// (tests/data/rwkv7, computed in float64), any WKV chunk length, batching, and the checkpoint
// reader on RWKV-7 files (config from metadata or from tensor shapes, bad files refused).
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <tuple>
#include <vector>

#include "base/error.h"
#include "src/io/safetensors.h"
#include "src/model/checkpoint.h"
#include "src/model/engine.h"
#include "src/model/rwkv7.h"
#include "tests/support.h"

using namespace rwkvs;
using rwkvs::test::read_tokens;

namespace {

std::string golden(const std::string& name) { return std::string(RWKVS_TEST_DATA_DIR) + "/rwkv7/" + name; }

double max_abs(const float* x, size_t n) {
  double m = 0;
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

// A copy of the oracle's model file with some tensors changed (or dropped when 'drop') and no metadata.
std::string rewritten_model(const std::string& dir, const std::string& name,
                            const std::vector<std::pair<std::string, std::vector<int64_t>>>& reshape,
                            const std::string& drop = "", bool keep_metadata = false,
                            const std::vector<std::string>& extra = {}) {
  const TensorFile src = load_tensors(golden("model.safetensors"));
  std::vector<NamedTensor> kept;
  for (const NamedTensor& t : src.tensors) {
    if (t.name == drop) continue;
    NamedTensor copy = t;
    for (const auto& [n, shape] : reshape)
      if (n == t.name) {
        size_t numel = 1;
        for (int64_t d : shape) numel *= static_cast<size_t>(d);
        copy.shape = shape;
        copy.data.assign(numel, 0.5f);
      }
    kept.push_back(std::move(copy));
  }
  for (const std::string& e : extra) kept.push_back({e, {1, 1, 64}, std::vector<float>(64, 0.25f)});
  std::vector<TensorView> views;
  for (const NamedTensor& t : kept) views.push_back({t.name, t.shape, t.data.data()});
  const std::string path = dir + "/" + name;
  save_tensors(path, views, keep_metadata ? src.metadata : Metadata{});
  return path;
}

// A state file as the oracle writes it (blocks.N.att_x [C], .wkv [H,N,N], .ffn_x [C]; 'prefix' before
// each name) read into a batch-1 state.
RecurrentState read_oracle_state(const SafetensorsReader& f, const ModelConfig& c, const std::string& prefix) {
  RecurrentState s(c, 1);
  for (int l = 0; l < c.n_layer; ++l) {
    const LayerStateView v = s.layer(l);
    const std::string b = prefix + "blocks." + std::to_string(l) + ".";
    f.read_f32(b + "att_x", v.att_x, static_cast<size_t>(c.n_embd));
    f.read_f32(b + "wkv", v.wkv, static_cast<size_t>(c.n_embd) * c.head_size);
    f.read_f32(b + "ffn_x", v.ffn_x, static_cast<size_t>(c.n_embd));
  }
  return s;
}

void check_states_close(const RecurrentState& got, const RecurrentState& want, double tol) {
  REQUIRE(got.size() == want.size());
  const double s = std::max(max_abs(want.data(), want.size()), 1e-30);
  CHECK_ARRAYS_CLOSE(got.data(), want.data(), want.size(), tol * s, 0.0);
}

}  // namespace

TEST_CASE("RWKV-7 logits match the oracle for any WKV chunk length") {
  const Model m = load_model(golden("model.safetensors"));
  const ModelConfig& c = m.config();
  REQUIRE(c.rwkv7());
  CHECK(c.n_layer == 3);
  CHECK(c.n_embd == 64);
  CHECK(c.head_size == 16);
  CHECK(c.n_head() == 4);
  CHECK(c.lora_w == 8);
  CHECK(c.lora_a == 8);
  CHECK(c.lora_v == 12);
  CHECK(c.lora_g == 16);
  const auto tokens = read_tokens(golden("tokens.txt"));
  REQUIRE(tokens.size() == 40);
  const auto want = test::read_f32_file(golden("logits.f32"));
  REQUIRE(want.size() == 40 * 53);
  const double scale = max_abs(want.data(), want.size());
  for (int chunk : {1, 7, 16, 64}) {
    CAPTURE(chunk);
    Forward7Options opt;
    opt.wkv.chunk_len = chunk;
    Activations7 acts;
    rwkv7_forward(m, acts, ModelInput{tokens.data(), nullptr}, 1, 40, nullptr, nullptr, opt);
    CHECK_ARRAYS_CLOSE(acts.logits.data(), want.data(), want.size(), 1e-5 * scale, 1e-5);
  }
}

TEST_CASE("RWKV-7 loss and every gradient match the oracle") {
  const Model m = load_model(golden("model.safetensors"));
  const auto tokens = read_tokens(golden("tokens.txt"));
  const std::vector<int32_t> inputs(tokens.begin(), tokens.end() - 1), targets(tokens.begin() + 1, tokens.end());
  SafetensorsReader want(golden("grads.safetensors"));
  for (int chunk : {5, 16}) {
    CAPTURE(chunk);
    Forward7Options opt;
    opt.wkv.chunk_len = chunk;
    Activations7 acts;
    rwkv7_forward(m, acts, ModelInput{inputs.data(), nullptr}, 1, 39, nullptr, nullptr, opt);
    const double loss = lm_loss_backward(acts, targets.data(), m.config().vocab_size);
    CHECK(loss == doctest::Approx(read_loss(golden("grad_loss.txt"))).epsilon(1e-6));
    std::vector<float> grads(m.params_size(), 0.0f);
    rwkv7_backward(m, acts, grads.data(), nullptr, opt);
    size_t checked = 0;
    for (const ParamInfo& p : m.layout().tensors()) {
      CAPTURE(p.name);
      const std::vector<float> w = want.read_f32(p.name);
      REQUIRE(w.size() == p.numel);
      // relative to the tensor's largest entry: small entries of a big tensor carry its rounding
      const double s = std::max(max_abs(w.data(), w.size()), 1e-30);
      CHECK_ARRAYS_CLOSE(grads.data() + p.offset, w.data(), p.numel, 1e-4 * s, 0.0);
      ++checked;
    }
    CHECK(checked == 102);  // every tensor of the file
  }
}

TEST_CASE("RWKV-7 rows of a batch are independent sequences") {
  const Model m = load_model(golden("model.safetensors"));
  const auto tokens = read_tokens(golden("tokens.txt"));
  // two sequences of 20: each equals its own forward alone
  Activations7 both, first, second;
  rwkv7_forward(m, both, ModelInput{tokens.data(), nullptr}, 2, 20);
  rwkv7_forward(m, first, ModelInput{tokens.data(), nullptr}, 1, 20);
  rwkv7_forward(m, second, ModelInput{tokens.data() + 20, nullptr}, 1, 20);
  const size_t half = 20 * 53;
  CHECK_ARRAYS_CLOSE(both.logits.data(), first.logits.data(), half, 1e-5, 1e-5);
  CHECK_ARRAYS_CLOSE(both.logits.data() + half, second.logits.data(), half, 1e-5, 1e-5);
}

TEST_CASE("RWKV-7 checkpoints: config from metadata or shapes, save round trip, bad files refused") {
  const std::string dir = test::temp_dir("rwkv7_checkpoint");
  const Model m = load_model(golden("model.safetensors"));
  // no metadata: arch, head size and LoRA ranks come from the tensor shapes
  const Model inferred = load_model(rewritten_model(dir, "bare.safetensors", {}));
  CHECK(inferred.config().rwkv7());
  CHECK(inferred.config().head_size == 16);
  CHECK(inferred.config().lora_v == 12);
  CHECK(inferred.config().lora_g == 16);
  REQUIRE(inferred.params_size() == m.params_size());
  CHECK_ARRAYS_CLOSE(inferred.params(), m.params(), m.params_size(), 0.0, 0.0);
  // our own save keeps the architecture
  save_model(dir + "/saved.safetensors", m);
  const Model again = load_model(dir + "/saved.safetensors");
  CHECK(again.config().to_json() == m.config().to_json());
  CHECK_ARRAYS_CLOSE(again.params(), m.params(), m.params_size(), 0.0, 0.0);
  // a fresh official trainer file carries block 0's unused value-residual LoRA: accepted, ignored
  const std::string with_v0 = rewritten_model(dir, "v0.safetensors", {}, "", true, {"blocks.0.att.v0"});
  CHECK(load_model(with_v0).params_size() == m.params_size());
  // squeezed vectors ([C] for [1,1,C]) load too
  CHECK_NOTHROW(load_model(rewritten_model(dir, "squeezed.safetensors", {{"blocks.1.att.x_k", {64}}})));
  // a missing or misshapen tensor is a clear error naming the file and the tensor
  const std::string missing = rewritten_model(dir, "missing.safetensors", {}, "blocks.2.att.k_a", true);
  std::string err = test::error_of([&] { load_model(missing); });
  CHECK(err.find("missing.safetensors") != std::string::npos);
  CHECK(err.find("blocks.2.att.k_a") != std::string::npos);
  const std::string bad = rewritten_model(dir, "bad.safetensors", {{"blocks.1.att.r_k", {4, 8}}}, "", true);
  err = test::error_of([&] { load_model(bad); });
  CHECK(err.find("blocks.1.att.r_k") != std::string::npos);
  CHECK(err.find("[4,8]") != std::string::npos);
}

TEST_CASE("RWKV-7 official init: the oracle's vector ramps, orthogonal and zero matrices") {
  const Model want = load_model(golden("official_init.safetensors"));
  Model m(want.config());
  init_official(m, 3);
  for (const ParamInfo& p : m.layout().tensors()) {
    CAPTURE(p.name);
    const float* got = m.params() + p.offset;
    const float* ref = want.params() + want.layout().at(p.name).offset;
    const bool vector = p.shape.size() != 2 || p.name.ends_with(".r_k");
    if (vector) {  // deterministic ramps: equal up to float rounding of pow/exp
      CHECK_ARRAYS_CLOSE(got, ref, p.numel, 1e-6, 1e-5);
      continue;
    }
    // matrices: zero where the oracle's are zero, else random with the oracle's scale (orthogonal
    // with a gain, or the tiny uniform embedding)
    double got_sq = 0, want_sq = 0;
    for (size_t i = 0; i < p.numel; ++i) {
      got_sq += double(got[i]) * got[i];
      want_sq += double(ref[i]) * ref[i];
    }
    if (want_sq == 0) {
      CHECK(got_sq == 0);
    } else {
      CHECK(got_sq == doctest::Approx(want_sq).epsilon(p.name == "emb.weight" ? 0.2 : 1e-4));
    }
  }
  // and a model from it runs: finite logits
  Activations7 acts;
  const std::vector<int32_t> tokens = {1, 5, 10, 0, 3};
  rwkv7_forward(m, acts, ModelInput{tokens.data(), nullptr}, 1, 5);
  for (size_t i = 0; i < 5 * 11; ++i) REQUIRE(std::isfinite(acts.logits.data()[i]));
}

TEST_CASE("RWKV-7 streaming: the carried state, the recurrent step and chained segments match the oracle") {
  const Model m = load_model(golden("model.safetensors"));
  const ModelConfig& c = m.config();
  const auto tokens = read_tokens(golden("tokens.txt"));
  const int64_t V = c.vocab_size;
  // the state after the first 15 tokens
  SafetensorsReader oracle_state(golden("state15.safetensors"));
  const RecurrentState want15 = read_oracle_state(oracle_state, c, "");
  RecurrentState st(c, 1);
  Activations7 acts;
  rwkv7_forward(m, acts, ModelInput{tokens.data(), nullptr}, 1, 15, nullptr, &st);
  check_states_close(st, want15, 1e-5);
  // the other 25 one token at a time (the recurrent step: T = 1, the state updated in place)
  const auto want_tail = test::read_f32_file(golden("logits_tail_recurrent.f32"));
  REQUIRE(want_tail.size() == static_cast<size_t>(25 * V));
  std::vector<float> stepped(want_tail.size());
  for (int64_t t = 0; t < 25; ++t) {
    rwkv7_forward(m, acts, ModelInput{&tokens[15 + t], nullptr}, 1, 1, &st, &st);
    std::copy(acts.logits.data(), acts.logits.data() + V, stepped.begin() + t * V);
  }
  const double scale = max_abs(want_tail.data(), want_tail.size());
  CHECK_ARRAYS_CLOSE(stepped.data(), want_tail.data(), want_tail.size(), 1e-5 * scale, 1e-5);
  // segments of 1, 6, 8, 17 and 8 tokens chained through the state equal one pass over all 40
  const auto want_all = test::read_f32_file(golden("logits.f32"));
  RecurrentState chained(c, 1), whole(c, 1);
  std::vector<float> seg(want_all.size());
  int64_t t0 = 0;
  for (int64_t n : {1, 6, 8, 17, 8}) {
    rwkv7_forward(m, acts, ModelInput{&tokens[t0], nullptr}, 1, n, &chained, &chained);
    std::copy(acts.logits.data(), acts.logits.data() + n * V, seg.begin() + t0 * V);
    t0 += n;
  }
  REQUIRE(t0 == 40);
  CHECK_ARRAYS_CLOSE(seg.data(), want_all.data(), want_all.size(), 1e-5 * scale, 1e-5);
  rwkv7_forward(m, acts, ModelInput{tokens.data(), nullptr}, 1, 40, nullptr, &whole);
  check_states_close(chained, whole, 1e-5);
  // an RWKV-4 state is refused
  const RecurrentState wrong(ModelConfig::rwkv4(c.n_layer, c.n_embd, V), 1);
  CHECK(test::error_of([&] { rwkv7_forward(m, acts, ModelInput{tokens.data(), nullptr}, 1, 2, &wrong, nullptr); })
            .find("not an RWKV-7 state") != std::string::npos);
}

TEST_CASE("RWKV-7 gradients from a carried state match the oracle, the state's own included") {
  const Model m = load_model(golden("model.safetensors"));
  const ModelConfig& c = m.config();
  const auto tokens = read_tokens(golden("tokens_tail.txt"));
  REQUIRE(tokens.size() == 25);
  const RecurrentState s0 = read_oracle_state(SafetensorsReader(golden("state15.safetensors")), c, "");
  const std::vector<int32_t> inputs(tokens.begin(), tokens.end() - 1), targets(tokens.begin() + 1, tokens.end());
  Activations7 acts;
  rwkv7_forward(m, acts, ModelInput{inputs.data(), nullptr}, 1, 24, &s0, nullptr);
  const double loss = lm_loss_backward(acts, targets.data(), c.vocab_size);
  CHECK(loss == doctest::Approx(read_loss(golden("grad_tail_loss.txt"))).epsilon(1e-6));
  std::vector<float> grads(m.params_size(), 0.0f);
  RecurrentState gs(c, 1);
  rwkv7_backward(m, acts, grads.data(), &gs);
  SafetensorsReader want(golden("grads_tail.safetensors"));
  for (const ParamInfo& p : m.layout().tensors()) {
    CAPTURE(p.name);
    const std::vector<float> w = want.read_f32(p.name);
    const double s = std::max(max_abs(w.data(), w.size()), 1e-30);
    CHECK_ARRAYS_CLOSE(grads.data() + p.offset, w.data(), p.numel, 1e-4 * s, 0.0);
  }
  const RecurrentState want_gs = read_oracle_state(want, c, "state.");
  for (int l = 0; l < c.n_layer; ++l) {
    CAPTURE(l);
    const LayerStateView g = gs.layer(l), w = want_gs.layer(l);
    for (auto [got_p, want_p, n] : {std::tuple{g.att_x, w.att_x, c.n_embd}, {g.ffn_x, w.ffn_x, c.n_embd},
                                    {g.wkv, w.wkv, c.n_embd * c.head_size}}) {
      const double s = std::max(max_abs(want_p, static_cast<size_t>(n)), 1e-30);
      CHECK_ARRAYS_CLOSE(got_p, want_p, static_cast<size_t>(n), 1e-4 * s, 0.0);
    }
  }
}

TEST_CASE("the CPU engine runs RWKV-7: logits, carried state, loss and gradients equal the graph's") {
  const Model m = load_model(golden("model.safetensors"));
  const ModelConfig& c = m.config();
  const auto tokens = read_tokens(golden("tokens.txt"));
  const std::vector<int32_t> inputs(tokens.begin(), tokens.end() - 1), targets(tokens.begin() + 1, tokens.end());
  auto engine = make_engine("cpu", m);
  // logits of two chained segments through the engine's state equal the oracle's single pass
  RecurrentState st(c, 1);
  std::vector<float> logits(40 * 53);
  engine->forward(ModelInput{tokens.data(), nullptr}, 1, 12, &st, logits.data());
  engine->forward(ModelInput{tokens.data() + 12, nullptr}, 1, 28, &st, logits.data() + 12 * 53);
  const auto want = test::read_f32_file(golden("logits.f32"));
  CHECK_ARRAYS_CLOSE(logits.data(), want.data(), want.size(), 1e-5 * max_abs(want.data(), want.size()), 1e-5);
  // one training step's loss and gradients
  engine->zero_grads();
  const double loss = engine->lm_forward_backward(inputs.data(), targets.data(), 1, 39);
  CHECK(loss == doctest::Approx(read_loss(golden("grad_loss.txt"))).epsilon(1e-6));
  std::vector<float> got(m.params_size());
  engine->get_grads(got.data());
  SafetensorsReader g(golden("grads.safetensors"));
  for (const ParamInfo& p : m.layout().tensors()) {
    CAPTURE(p.name);
    const std::vector<float> w = g.read_f32(p.name);
    CHECK_ARRAYS_CLOSE(got.data() + p.offset, w.data(), p.numel, 1e-4 * std::max(max_abs(w.data(), w.size()), 1e-30),
                       0.0);
  }
}
