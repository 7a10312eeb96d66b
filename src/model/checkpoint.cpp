#include "src/model/checkpoint.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "src/model/rwkv_cpp_import.h"

namespace rwkvs {

namespace {

constexpr const char* kConfigKey = "rwkvs.config";

std::string in_file(const SafetensorsReader& file) { return "load: '" + file.path() + "'"; }

// time_mix_* (and RWKV-7's x_*, w0, k_k, ...) are [1,1,C] in official files but [C] after the
// official inference code squeezes them; time_decay/time_first the other way round. Accept both
// forms of these vectors only.
bool either_vector_form(const ParamInfo& p) { return p.name.find(".time_") != std::string::npos || is_mix_vector(p); }

bool shape_accepted(const ParamInfo& p, const std::vector<int64_t>& got) {
  if (got == p.shape) return true;
  if (!either_vector_form(p)) return false;
  const auto n = static_cast<int64_t>(p.numel);
  return got == std::vector<int64_t>{n} || got == std::vector<int64_t>{1, 1, n};
}

std::string expected_shape(const ParamInfo& p) {
  std::string s = shape_string(p.shape);
  if (either_vector_form(p)) {
    const auto n = static_cast<int64_t>(p.numel);
    const std::vector<int64_t> other =
        p.shape.size() == 1 ? std::vector<int64_t>{1, 1, n} : std::vector<int64_t>{n};
    s += " or " + shape_string(other);
  }
  return s;
}

void check_layout(const SafetensorsReader& file, const ParamLayout& layout, const std::string& prefix) {
  for (const ParamInfo& p : layout.tensors()) {
    const std::string name = prefix + p.name;
    const TensorEntry* t = file.find(name);
    if (!t) fail(in_file(file), " lacks tensor ", name, " (expected shape ", expected_shape(p), ")");
    if (!shape_accepted(p, t->shape))
      fail(in_file(file), " has ", name, " of shape ", shape_string(t->shape), ", expected ",
           expected_shape(p));
  }
}

// Files cached by the `rwkv` pip package hold -exp(time_decay) and transposed matrices: loading
// them as raw weights would give plausible garbage, so refuse them by their marker keys.
void reject_pip_cache(const SafetensorsReader& file) {
  for (const char* key : {"_strategy", "_version", "_rescale_layer"})
    if (file.find(key) || file.metadata().count(key))
      fail(in_file(file), " is a model converted by the `rwkv` pip package (it has '", key,
           "'): such files store -exp(time_decay) and transposed matrices; convert the original "
           "RWKV-4 .pth with scripts/convert_pth.py instead");
}

// Blocks are counted by their ln1 weight, which every block has exactly once.
int count_blocks(const SafetensorsReader& file) {
  int n = 0;
  for (const TensorEntry& t : file.tensors()) {
    const std::string& s = t.name;
    const std::string head = "blocks.", tail = ".ln1.weight";
    if (s.size() <= head.size() + tail.size() || s.compare(0, head.size(), head) != 0 ||
        s.compare(s.size() - tail.size(), tail.size(), tail) != 0)
      continue;
    const char* first = s.data() + head.size();
    const char* last = s.data() + s.size() - tail.size();
    unsigned index = 0;
    const auto [ptr, ec] = std::from_chars(first, last, index);
    if (ec == std::errc() && ptr == last) ++n;
  }
  return n;
}

const TensorEntry& matrix(const SafetensorsReader& file, const std::string& name) {
  const TensorEntry* t = file.find(name);
  if (!t)
    fail(in_file(file), " has no '", kConfigKey, "' metadata and no ", name,
         " to infer the model shape from");
  if (t->shape.size() != 2 || t->shape[0] <= 0 || t->shape[1] <= 0)
    fail(in_file(file), " has ", name, " of shape ", shape_string(t->shape), ", expected a non-empty matrix");
  if (t->shape[0] > INT32_MAX || t->shape[1] > INT32_MAX)
    fail(in_file(file), " has ", name, " of shape ", shape_string(t->shape), ": too large");
  return *t;
}

ModelConfig infer_config(const SafetensorsReader& file) {
  ModelConfig c;
  const TensorEntry& emb = matrix(file, "emb.weight");
  c.vocab_size = static_cast<int>(emb.shape[0]);
  c.n_embd = static_cast<int>(emb.shape[1]);
  c.n_layer = count_blocks(file);
  if (c.n_layer == 0) fail(in_file(file), " has no blocks.0.ln1.weight: not an RWKV checkpoint");
  c.dim_att = static_cast<int>(matrix(file, "blocks.0.att.key.weight").shape[0]);
  c.dim_ffn = static_cast<int>(matrix(file, "blocks.0.ffn.key.weight").shape[0]);
  if (file.find("blocks.0.att.r_k")) {  // RWKV-7 (x070): the ranks come from the LoRA shapes
    c.arch = "rwkv7";
    c.head_size = static_cast<int>(matrix(file, "blocks.0.att.r_k").shape[1]);
    c.lora_w = static_cast<int>(matrix(file, "blocks.0.att.w1").shape[1]);
    c.lora_a = static_cast<int>(matrix(file, "blocks.0.att.a1").shape[1]);
    c.lora_g = static_cast<int>(matrix(file, "blocks.0.att.g1").shape[1]);
    if (c.n_layer > 1) c.lora_v = static_cast<int>(matrix(file, "blocks.1.att.v1").shape[1]);
  }
  c.tokenizer = c.vocab_size == 256 ? "bytes" : "ids";
  c.train_step = 0;
  c.validate(in_file(file));
  return c;
}

}  // namespace

ModelConfig read_model_config(const SafetensorsReader& file) {
  const auto it = file.metadata().find(kConfigKey);
  if (it == file.metadata().end()) return infer_config(file);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception& e) {
    fail(in_file(file), ": '", kConfigKey, "' metadata is not valid JSON (", e.what(), ")");
  }
  try {
    return ModelConfig::from_json(j, in_file(file) + " " + kConfigKey);
  } catch (const nlohmann::json::exception& e) {  // a field of the wrong JSON type
    fail(in_file(file), ": '", kConfigKey, "' metadata is malformed (", e.what(), ")");
  }
}

Model load_model(const std::string& path) {
  if (is_rwkv_cpp_file(path)) return load_rwkv_cpp_model(path);
  SafetensorsReader file(path);
  reject_pip_cache(file);
  const ModelConfig config = read_model_config(file);
  // Each block has many tensors, so a config claiming more blocks than the file has tensors is
  // wrong; refusing it here also keeps a corrupt config from allocating a huge model.
  if (static_cast<size_t>(config.n_layer) > file.tensors().size())
    fail(in_file(file), ": config says n_layer = ", config.n_layer, " but the file holds only ",
         file.tensors().size(), " tensors");
  const ParamLayout layout(config);
  check_layout(file, layout, "");
  std::vector<std::string> unknown;
  for (const TensorEntry& t : file.tensors()) {
    // A freshly initialised official RWKV-7 trainer file holds block 0's value-residual LoRA,
    // which the model never uses (block 0 sets v_first = v): accepted and ignored.
    const bool unused_v0 = config.rwkv7() && t.name.starts_with("blocks.0.att.v") && t.name.size() == 15;
    if (!layout.find(t.name) && !unused_v0) unknown.push_back(t.name);
  }
  if (!unknown.empty()) {
    std::string list;
    for (size_t i = 0; i < unknown.size() && i < 5; ++i) {
      if (i) list += ", ";
      list += unknown[i];
    }
    if (unknown.size() > 5) list += ", ... (" + std::to_string(unknown.size()) + " in all)";
    fail(in_file(file), " has unknown tensor(s) ", list,
         ": not part of an ", config.rwkv7() ? "RWKV-7" : "RWKV-4", " model with n_layer=", config.n_layer,
         " (optional/experimental keys such as pos_emb, head_q/head_k, ffnPre, tiny_*, "
         "att.qq change the model and are not supported)");
  }
  Model model(config);
  read_layout(file, model.layout(), model.params());
  return model;
}

void save_model(const std::string& path, const Model& model) {
  const Metadata metadata = {{"format", "pt"}, {kConfigKey, model.config().to_json().dump()}};
  write_safetensors(path, layout_views(model.layout(), model.params()), metadata);
}

std::string optimizer_state_path(const std::string& model_path) {
  const std::string ext = ".safetensors";
  const bool has_ext = model_path.size() > ext.size() &&
                       model_path.compare(model_path.size() - ext.size(), ext.size(), ext) == 0;
  const std::string stem = has_ext ? model_path.substr(0, model_path.size() - ext.size()) : model_path;
  return stem + ".opt" + ext;
}

std::vector<TensorView> layout_views(const ParamLayout& layout, const float* base,
                                     const std::string& prefix) {
  std::vector<TensorView> views;
  views.reserve(layout.tensors().size());
  for (const ParamInfo& p : layout.tensors()) views.push_back({prefix + p.name, p.shape, base + p.offset});
  return views;
}

void read_layout(const SafetensorsReader& file, const ParamLayout& layout, float* base,
                 const std::string& prefix) {
  check_layout(file, layout, prefix);
  for (const ParamInfo& p : layout.tensors()) file.read_f32(prefix + p.name, base + p.offset, p.numel);
}

void save_tensors(const std::string& path, const std::vector<TensorView>& tensors, const Metadata& metadata) {
  write_safetensors(path, tensors, metadata);
}

const NamedTensor* TensorFile::find(const std::string& name) const {
  for (const NamedTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

TensorFile load_tensors(const std::string& path) {
  const SafetensorsReader file(path);
  TensorFile out;
  out.metadata = file.metadata();
  out.tensors.reserve(file.tensors().size());
  for (const TensorEntry& t : file.tensors()) out.tensors.push_back({t.name, t.shape, file.read_f32(t.name)});
  return out;
}

}  // namespace rwkvs
