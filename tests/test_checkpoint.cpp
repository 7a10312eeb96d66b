// Model checkpoints: bit-identical round trip with the config, config inference for official and
// oracle files, accepted time_* shapes, refusal of unknown/missing/misshapen tensors, the oracle's
// own file, and the optimizer-state helpers.
#include <cstring>
#include <filesystem>

#include "base/error.h"
#include "src/model/checkpoint.h"
#include "tests/support.h"

using namespace rwkvs;
namespace fs = std::filesystem;

namespace {

// The message of the Error thrown by load_model(path), or "" when it loads.
std::string load_error(const std::string& path) {
  try {
    load_model(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A model's tensors as an official file has them (no rwkvs.config), optionally edited.
std::vector<TensorView> official_views(const Model& m) { return layout_views(m.layout(), m.params()); }

void write_official(const std::string& path, const std::vector<TensorView>& views) {
  write_safetensors(path, views, {{"format", "pt"}});
}

std::vector<TensorView> without(std::vector<TensorView> views, const std::string& name) {
  std::erase_if(views, [&](const TensorView& v) { return v.name == name; });
  return views;
}

TensorView& view_named(std::vector<TensorView>& views, const std::string& name) {
  for (TensorView& v : views)
    if (v.name == name) return v;
  FAIL("no view named " << name);
  throw;
}

void check_same_params(const Model& got, const Model& want) {
  REQUIRE(got.layout().total() == want.layout().total());
  for (const ParamInfo& p : want.layout().tensors()) {
    INFO("tensor ", p.name);
    CHECK(std::memcmp(got.tensor(p.name), want.tensor(p.name), p.numel * sizeof(float)) == 0);
  }
}

}  // namespace

TEST_CASE("save and load is bit-identical and keeps the config") {
  const std::string dir = test::temp_dir("ckpt_roundtrip");
  ModelConfig c = ModelConfig::rwkv4(3, 16, 256);
  c.dim_ffn = 40;  // not 4C: the config, not a default, must carry it
  c.train_step = 1234;
  Model m(c);
  init_random(m, 11);
  const std::string path = dir + "/model.safetensors";
  save_model(path, m);

  const SafetensorsReader file(path);
  CHECK(file.metadata().at("format") == "pt");
  CHECK(nlohmann::json::parse(file.metadata().at("rwkvs.config")) == c.to_json());
  CHECK(file.tensors().size() == m.layout().tensors().size());
  CHECK(file.at("blocks.2.att.time_mix_k").shape == std::vector<int64_t>{1, 1, 16});
  CHECK(file.at("blocks.1.ffn.value.weight").shape == std::vector<int64_t>{16, 40});

  const Model loaded = load_model(path);
  CHECK(loaded.config().to_json() == c.to_json());
  CHECK(loaded.config().train_step == 1234);
  check_same_params(loaded, m);
}

TEST_CASE("config is inferred from the tensors when the file has no rwkvs.config") {
  const std::string dir = test::temp_dir("ckpt_infer");
  ModelConfig c = ModelConfig::rwkv4(3, 8, 50);
  c.dim_att = 12;
  c.dim_ffn = 20;
  Model m(c);
  init_random(m, 5);
  write_official(dir + "/ids.safetensors", official_views(m));
  const Model loaded = load_model(dir + "/ids.safetensors");
  CHECK(loaded.config().n_layer == 3);
  CHECK(loaded.config().n_embd == 8);
  CHECK(loaded.config().dim_att == 12);
  CHECK(loaded.config().dim_ffn == 20);
  CHECK(loaded.config().vocab_size == 50);
  CHECK(loaded.config().tokenizer == "ids");
  CHECK(loaded.config().train_step == 0);
  check_same_params(loaded, m);

  Model bytes(ModelConfig::rwkv4(1, 8, 256));
  init_random(bytes, 6);
  write_official(dir + "/bytes.safetensors", official_views(bytes));
  const Model b = load_model(dir + "/bytes.safetensors");
  CHECK(b.config().tokenizer == "bytes");
  CHECK(b.config().n_layer == 1);
  check_same_params(b, bytes);
}

TEST_CASE("time_mix as [C] and time_decay/time_first as [1,1,A] are accepted") {
  const std::string dir = test::temp_dir("ckpt_shapes");
  Model m(ModelConfig::rwkv4(2, 8, 40));
  init_random(m, 7);
  std::vector<TensorView> views = official_views(m);
  for (TensorView& v : views) {
    if (contains(v.name, ".time_mix_")) v.shape = {8};
    if (contains(v.name, ".time_decay") || contains(v.name, ".time_first")) v.shape = {1, 1, 8};
  }
  write_official(dir + "/squeezed.safetensors", views);
  const Model loaded = load_model(dir + "/squeezed.safetensors");
  check_same_params(loaded, m);

  // Only the time_* vectors get that freedom, and only with the right length.
  view_named(views, "blocks.1.ffn.time_mix_r").shape = {1, 8, 1};
  write_official(dir + "/odd.safetensors", views);
  CHECK(load_error(dir + "/odd.safetensors") ==
        "load: '" + dir +
            "/odd.safetensors' has blocks.1.ffn.time_mix_r of shape [1,8,1], expected [1,1,8] or [8]");
  views = official_views(m);
  view_named(views, "ln_out.weight").shape = {1, 1, 8};
  write_official(dir + "/ln.safetensors", views);
  CHECK(load_error(dir + "/ln.safetensors") ==
        "load: '" + dir + "/ln.safetensors' has ln_out.weight of shape [1,1,8], expected [8]");
}

TEST_CASE("unknown, missing and misshapen tensors are refused, naming the tensor") {
  const std::string dir = test::temp_dir("ckpt_bad");
  Model m(ModelConfig::rwkv4(2, 8, 40));
  init_random(m, 8);
  const std::vector<float> extra(8 * 8, 0.5f);

  // Experimental keys of v4neo change the graph: refuse rather than silently ignore them.
  for (const std::string name :
       {"blocks.0.pos_emb_x", "head_q.weight", "blocks.0.ffnPre.key.weight", "blocks.2.ln1.bias"}) {
    std::vector<TensorView> views = official_views(m);
    views.push_back({name, {8, 8}, extra.data()});
    const std::string path = dir + "/unknown.safetensors";
    write_official(path, views);
    const std::string msg = load_error(path);
    INFO(msg);
    CHECK(contains(msg, "load: '" + path + "' has unknown tensor(s) " + name));
  }

  const std::string missing = dir + "/missing.safetensors";
  write_official(missing, without(official_views(m), "blocks.1.att.value.weight"));
  CHECK(load_error(missing) ==
        "load: '" + missing + "' lacks tensor blocks.1.att.value.weight (expected shape [8,8])");

  // Shape errors say what was found and what was expected (the STYLE.md example).
  std::vector<TensorView> views = official_views(m);
  view_named(views, "blocks.1.att.key.weight").shape = {8, 4};
  const std::string wrong = dir + "/wrong.safetensors";
  write_official(wrong, views);
  CHECK(load_error(wrong) ==
        "load: '" + wrong + "' has blocks.1.att.key.weight of shape [8,4], expected [8,8]");

  // A config in the metadata that disagrees with the tensors is caught the same way.
  ModelConfig claims = m.config();
  claims.dim_ffn = 16;
  const std::string lying = dir + "/lying.safetensors";
  write_safetensors(lying, official_views(m), {{"rwkvs.config", claims.to_json().dump()}});
  CHECK(load_error(lying) ==
        "load: '" + lying + "' has blocks.0.ffn.key.weight of shape [32,8], expected [16,8]");

  const std::string garbled = dir + "/garbled.safetensors";
  write_safetensors(garbled, official_views(m), {{"rwkvs.config", "{n_layer: 2"}});
  CHECK(contains(load_error(garbled), "load: '" + garbled + "': 'rwkvs.config' metadata is not valid JSON"));
  write_safetensors(garbled, official_views(m), {{"rwkvs.config", "{\"n_layer\": 2, \"n_embd\": 8}"}});
  CHECK(contains(load_error(garbled), "config lacks 'vocab_size'"));
  write_safetensors(
      garbled, official_views(m),
      {{"rwkvs.config",
        "{\"n_layer\": 999999999, \"n_embd\": 8, \"vocab_size\": 40, \"tokenizer\": \"ids\"}"}});
  CHECK(contains(load_error(garbled), "config says n_layer = 999999999 but the file holds only"));

  // Without metadata, the tensors that give the shape must exist.
  const std::string no_emb = dir + "/no_emb.safetensors";
  write_official(no_emb, without(official_views(m), "emb.weight"));
  CHECK(contains(load_error(no_emb), "has no 'rwkvs.config' metadata and no emb.weight"));
  const std::string no_blocks = dir + "/no_blocks.safetensors";
  std::vector<TensorView> only_emb;
  for (const TensorView& v : official_views(m))
    if (!contains(v.name, "blocks.")) only_emb.push_back(v);
  write_official(no_blocks, only_emb);
  CHECK(contains(load_error(no_blocks), "has no blocks.0.ln1.weight: not an RWKV checkpoint"));
}

TEST_CASE("files cached by the rwkv pip package are refused") {
  const std::string dir = test::temp_dir("ckpt_pip");
  Model m(ModelConfig::rwkv4(1, 8, 40));
  std::vector<TensorView> views = official_views(m);
  const float one = 1.0f;
  views.push_back({"_strategy", {1}, &one});
  write_official(dir + "/pip.safetensors", views);
  const std::string msg = load_error(dir + "/pip.safetensors");
  CHECK(contains(msg, "is a model converted by the `rwkv` pip package (it has '_strategy')"));
  CHECK(contains(msg, "convert_pth.py"));
}

TEST_CASE("a file made by the oracle's init loads with its values") {
  // tests/data/README.md has the command; values printed by the oracle's own st_load.
  const std::string path = std::string(RWKVS_TEST_DATA_DIR) + "/ref_init_L2_C16_V50.safetensors";
  const Model m = load_model(path);
  const ModelConfig& c = m.config();
  CHECK(c.n_layer == 2);
  CHECK(c.n_embd == 16);
  CHECK(c.dim_att == 16);
  CHECK(c.dim_ffn == 64);
  CHECK(c.vocab_size == 50);
  CHECK(c.tokenizer == "ids");
  CHECK(m.tensor("emb.weight")[0] == -0.076644294f);
  CHECK(m.tensor("emb.weight")[49 * 16 + 15] == 0.669781566f);
  CHECK(m.tensor("blocks.0.ln0.weight")[3] == 1.12261546f);
  CHECK(m.tensor("blocks.1.att.time_decay")[0] == -5.0f);
  CHECK(m.tensor("blocks.1.att.time_decay")[7] == -3.25777769f);
  CHECK(m.tensor("blocks.0.att.time_mix_k")[5] == 0.3125f);
  CHECK(m.tensor("blocks.1.ffn.value.weight")[15 * 64 + 63] == 0.175504148f);
  CHECK(m.tensor("head.weight")[49 * 16 + 15] == -0.0288188141f);
  CHECK(m.tensor("ln_out.bias")[0] == 0.02936076f);
}

TEST_CASE("optimizer state lives in a sibling file") {
  CHECK(optimizer_state_path("run/model.safetensors") == "run/model.opt.safetensors");
  CHECK(optimizer_state_path("model.safetensors") == "model.opt.safetensors");
  CHECK(optimizer_state_path("run.v2/model") == "run.v2/model.opt.safetensors");
  CHECK(optimizer_state_path(".safetensors") == ".safetensors.opt.safetensors");

  const std::string dir = test::temp_dir("ckpt_opt");
  Model m(ModelConfig::rwkv4(2, 8, 30));
  init_random(m, 9);
  const ParamLayout& layout = m.layout();
  std::vector<float> adam_m(layout.total()), adam_v(layout.total());
  for (size_t i = 0; i < adam_m.size(); ++i) {
    adam_m[i] = 0.001f * static_cast<float>(i % 97);
    adam_v[i] = 1e-7f * static_cast<float>(i % 13);
  }
  std::vector<TensorView> views = layout_views(layout, adam_m.data(), "adam_m.");
  for (TensorView& v : layout_views(layout, adam_v.data(), "adam_v.")) views.push_back(v);
  const std::string path = optimizer_state_path(dir + "/model.safetensors");
  const Metadata meta = {{"step", "42"}, {"rng", "123456789 987654321"}, {"data_pos", "7"}};
  save_tensors(path, views, meta);

  // Read back through the layout into fresh flat blocks: equal, padding untouched (zero).
  const SafetensorsReader file(path);
  CHECK(file.metadata() == meta);
  std::vector<float> m2(layout.total()), v2(layout.total());
  read_layout(file, layout, m2.data(), "adam_m.");
  read_layout(file, layout, v2.data(), "adam_v.");
  for (const ParamInfo& p : layout.tensors()) {
    INFO("tensor ", p.name);
    CHECK(std::memcmp(m2.data() + p.offset, adam_m.data() + p.offset, p.numel * 4) == 0);
    CHECK(std::memcmp(v2.data() + p.offset, adam_v.data() + p.offset, p.numel * 4) == 0);
  }
  CHECK_THROWS_WITH_AS(read_layout(file, layout, m2.data(), "adam_x."),
                       doctest::Contains("lacks tensor adam_x.emb.weight"), Error);

  // The generic loader sees the same tensors and metadata.
  const TensorFile all = load_tensors(path);
  CHECK(all.metadata == meta);
  CHECK(all.tensors.size() == 2 * layout.tensors().size());
  const NamedTensor* head = all.find("adam_v.head.weight");
  REQUIRE(head != nullptr);
  CHECK(head->shape == std::vector<int64_t>{30, 8});
  const ParamInfo& hp = layout.at("head.weight");
  CHECK(std::memcmp(head->data.data(), adam_v.data() + hp.offset, hp.numel * 4) == 0);
  CHECK(all.find("adam_v.nope") == nullptr);
}
