#include "src/model/config.h"

#include "base/error.h"

namespace rwkvs {

void ModelConfig::validate(const std::string& source) const {
  auto positive = [&](int v, const char* name) {
    if (v <= 0) fail(source, ": ", name, " must be positive, got ", v);
  };
  positive(n_layer, "n_layer");
  positive(n_embd, "n_embd");
  positive(dim_att, "dim_att");
  positive(dim_ffn, "dim_ffn");
  positive(vocab_size, "vocab_size");
  if (tokenizer != "bytes" && tokenizer != "ids")
    fail(source, ": unknown tokenizer '", tokenizer, "' (expected bytes or ids)");
  if (tokenizer == "bytes" && vocab_size < 256)
    fail(source, ": a byte-level model needs vocab_size >= 256, got ", vocab_size);
}

nlohmann::json ModelConfig::to_json() const {
  return {{"format", "rwkvs-1"},   {"arch", "rwkv4"},        {"n_layer", n_layer},
          {"n_embd", n_embd},      {"dim_att", dim_att},     {"dim_ffn", dim_ffn},
          {"vocab_size", vocab_size}, {"tokenizer", tokenizer}, {"train_step", train_step}};
}

ModelConfig ModelConfig::from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) fail(source, ": config is not a JSON object");
  if (j.contains("arch") && j.at("arch") != "rwkv4")
    fail(source, ": unsupported arch ", j.at("arch").dump(), " (expected \"rwkv4\")");
  ModelConfig c;
  auto get_int = [&](const char* key, int& out, bool required) {
    if (!j.contains(key)) {
      if (required) fail(source, ": config lacks '", key, "'");
      return;
    }
    if (!j.at(key).is_number_integer()) fail(source, ": config '", key, "' is not an integer");
    out = j.at(key).get<int>();
  };
  get_int("n_layer", c.n_layer, true);
  get_int("n_embd", c.n_embd, true);
  get_int("vocab_size", c.vocab_size, true);
  c.dim_att = c.n_embd;
  c.dim_ffn = 4 * c.n_embd;
  get_int("dim_att", c.dim_att, false);
  get_int("dim_ffn", c.dim_ffn, false);
  c.tokenizer = c.vocab_size == 256 ? "bytes" : "ids";  // the natural reading when the key is absent
  if (j.contains("tokenizer")) {
    if (!j.at("tokenizer").is_string()) fail(source, ": config 'tokenizer' is not a string");
    c.tokenizer = j.at("tokenizer").get<std::string>();
  }
  if (j.contains("train_step")) {
    if (!j.at("train_step").is_number_integer()) fail(source, ": config 'train_step' is not an integer");
    c.train_step = j.at("train_step").get<int64_t>();
  }
  c.validate(source);
  return c;
}

ModelConfig ModelConfig::rwkv4(int n_layer, int n_embd, int vocab_size) {
  ModelConfig c;
  c.n_layer = n_layer;
  c.n_embd = n_embd;
  c.dim_att = n_embd;
  c.dim_ffn = 4 * n_embd;
  c.vocab_size = vocab_size;
  c.tokenizer = vocab_size == 256 ? "bytes" : "ids";
  return c;
}

}  // namespace rwkvs
