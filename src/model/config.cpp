#include "src/model/config.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace rwkvs {

namespace {

// The official trainer's LoRA rank suggestion for width C (Python's round: half to even).
int suggested_lora(double factor, int C) {
  return std::max(32, static_cast<int>(std::nearbyint(factor * std::sqrt(static_cast<double>(C)) / 32.0)) * 32);
}

}  // namespace

void ModelConfig::validate(const std::string& source) const {
  auto positive = [&](int v, const char* name) {
    if (v <= 0) fail(source, ": ", name, " must be positive, got ", v);
  };
  positive(n_layer, "n_layer");
  positive(n_embd, "n_embd");
  positive(dim_att, "dim_att");
  positive(dim_ffn, "dim_ffn");
  if (arch == "rwkv7") {
    positive(head_size, "head_size");
    if (n_embd % head_size != 0)
      fail(source, ": n_embd ", n_embd, " is not a multiple of head_size ", head_size);
    if (dim_att != n_embd) fail(source, ": rwkv7 needs dim_att = n_embd, got ", dim_att);
    positive(lora_w, "lora (decay rank)");
    positive(lora_a, "lora (in-context rate rank)");
    positive(lora_g, "lora (gate rank)");
    if (n_layer > 1) positive(lora_v, "lora (value-residual rank)");
  } else if (arch != "rwkv4") {
    fail(source, ": unsupported arch '", arch, "' (expected rwkv4 or rwkv7)");
  }
  if (input_kind == "tokens") {
    positive(vocab_size, "vocab_size");
    if (tokenizer != "bytes" && tokenizer != "ids" && tokenizer != "mulaw")
      fail(source, ": unknown tokenizer '", tokenizer, "' (expected bytes, ids or mulaw)");
    if ((tokenizer == "bytes" || tokenizer == "mulaw") && vocab_size < 256)
      fail(source, ": a ", tokenizer, " model needs vocab_size >= 256, got ", vocab_size);
    if (tokenizer == "mulaw" && frontend.is_null()) fail(source, ": a mulaw model needs its frontend settings");
  } else if (input_kind == "frames") {
    positive(input_dim, "input_dim");
    positive(frame_stack, "frame_stack");
    if (input_dim % frame_stack != 0)
      fail(source, ": input_dim ", input_dim, " is not a multiple of frame_stack ", frame_stack);
    if (frontend.is_null()) fail(source, ": a frames model needs its frontend settings");
  } else {
    fail(source, ": unknown input kind '", input_kind, "' (expected tokens or frames)");
  }
  if (head_kind == "lm") {
    positive(vocab_size, "vocab_size");
  } else if (head_kind == "classes") {
    if (labels.empty()) fail(source, ": a classes head needs at least one label");
    if (pool != "last" && pool != "mean") fail(source, ": unknown pool '", pool, "' (expected last or mean)");
  } else if (head_kind == "ctc") {
    if (labels.size() < 2) fail(source, ": a ctc head needs the blank and at least one character");
  } else {
    fail(source, ": unknown head kind '", head_kind, "' (expected lm, classes or ctc)");
  }
}

nlohmann::json ModelConfig::to_json() const {
  nlohmann::json j = {{"format", "rwkvs-1"}, {"arch", arch},       {"n_layer", n_layer},
                      {"n_embd", n_embd},    {"dim_att", dim_att},     {"dim_ffn", dim_ffn},
                      {"vocab_size", vocab_size}, {"input_kind", input_kind}, {"head_kind", head_kind},
                      {"train_step", train_step}};
  if (rwkv7()) {
    j["version"] = "x070";
    j["head_size"] = head_size;
    j["lora"] = {lora_w, lora_a, lora_v, lora_g};
  }
  if (input_kind == "tokens") j["tokenizer"] = tokenizer;
  if (input_kind == "frames") j["input_dim"] = input_dim;
  if (input_kind == "frames" && frame_stack != 1) j["frame_stack"] = frame_stack;
  if (!frontend.is_null()) j["frontend"] = frontend;
  if (head_kind == "classes") {
    j["labels"] = labels;
    j["pool"] = pool;
    if (!detector.is_null()) j["detector"] = detector;
  }
  if (head_kind == "ctc") j["labels"] = labels;
  return j;
}

ModelConfig ModelConfig::from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) fail(source, ": config is not a JSON object");
  ModelConfig c;
  if (j.contains("arch")) {
    if (!j.at("arch").is_string() || (j.at("arch") != "rwkv4" && j.at("arch") != "rwkv7"))
      fail(source, ": unsupported arch ", j.at("arch").dump(), " (expected \"rwkv4\" or \"rwkv7\")");
    c.arch = j.at("arch").get<std::string>();
  }
  auto get_int = [&](const char* key, int& out, bool required) {
    if (!j.contains(key)) {
      if (required) fail(source, ": config lacks '", key, "'");
      return;
    }
    if (!j.at(key).is_number_integer()) fail(source, ": config '", key, "' is not an integer");
    out = j.at(key).get<int>();
  };
  auto get_string = [&](const char* key, std::string& out) {
    if (!j.contains(key)) return;
    if (!j.at(key).is_string()) fail(source, ": config '", key, "' is not a string");
    out = j.at(key).get<std::string>();
  };
  get_int("n_layer", c.n_layer, true);
  get_int("n_embd", c.n_embd, true);
  get_string("input_kind", c.input_kind);
  get_string("head_kind", c.head_kind);
  get_int("vocab_size", c.vocab_size, c.input_kind == "tokens" || c.head_kind == "lm");
  c.dim_att = c.n_embd;
  c.dim_ffn = 4 * c.n_embd;
  get_int("dim_att", c.dim_att, false);
  get_int("dim_ffn", c.dim_ffn, false);
  get_int("input_dim", c.input_dim, false);
  if (c.rwkv7()) {
    get_int("head_size", c.head_size, true);
    if (!j.contains("lora") || !j.at("lora").is_array() || j.at("lora").size() != 4)
      fail(source, ": an rwkv7 config needs 'lora': [decay, in-context rate, value residual, gate] ranks");
    int* ranks[4] = {&c.lora_w, &c.lora_a, &c.lora_v, &c.lora_g};
    for (size_t i = 0; i < 4; ++i) {
      if (!j.at("lora")[i].is_number_integer()) fail(source, ": config 'lora' holds a non-integer");
      *ranks[i] = j.at("lora")[i].get<int>();
    }
  }
  get_int("frame_stack", c.frame_stack, false);
  c.tokenizer = c.vocab_size == 256 ? "bytes" : "ids";  // the natural reading when the key is absent
  get_string("tokenizer", c.tokenizer);
  if (j.contains("frontend")) c.frontend = j.at("frontend");
  if (j.contains("labels")) {
    if (!j.at("labels").is_array()) fail(source, ": config 'labels' is not an array");
    for (const auto& l : j.at("labels")) {
      if (!l.is_string()) fail(source, ": config 'labels' holds a non-string ", l.dump());
      c.labels.push_back(l.get<std::string>());
    }
  }
  get_string("pool", c.pool);
  if (j.contains("detector")) {
    if (!j.at("detector").is_object()) fail(source, ": config 'detector' is not an object");
    c.detector = j.at("detector");
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

ModelConfig ModelConfig::rwkv7(int n_layer, int n_embd, int vocab_size) {
  ModelConfig c = rwkv4(n_layer, n_embd, vocab_size);
  c.arch = "rwkv7";
  c.head_size = std::min(64, n_embd);
  c.lora_w = suggested_lora(2.5, n_embd);
  c.lora_a = suggested_lora(2.5, n_embd);
  c.lora_v = suggested_lora(1.7, n_embd);
  c.lora_g = suggested_lora(5.0, n_embd);
  return c;
}

}  // namespace rwkvs
