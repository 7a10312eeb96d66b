#include "src/model/params.h"

#include "base/error.h"

namespace rwkvs {

ParamLayout::ParamLayout(const ModelConfig& c) {
  const int64_t C = c.n_embd, A = c.dim_att, F = c.dim_ffn, V = c.vocab_size;
  if (c.frames_input()) {
    const int64_t D = c.input_dim;
    add("input_proj.weight", {C, D}, true);
    add("input_proj.bias", {C}, false);
    add("input_norm.mean", {D}, false, /*trainable=*/false);
    add("input_norm.scale", {D}, false, /*trainable=*/false);
  } else {
    add("emb.weight", {V, C}, true);
  }
  for (int i = 0; i < c.n_layer; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    if (i == 0) {
      add(p + "ln0.weight", {C}, false);
      add(p + "ln0.bias", {C}, false);
    }
    add(p + "ln1.weight", {C}, false);
    add(p + "ln1.bias", {C}, false);
    add(p + "ln2.weight", {C}, false);
    add(p + "ln2.bias", {C}, false);
    add(p + "att.time_decay", {A}, false);
    add(p + "att.time_first", {A}, false);
    add(p + "att.time_mix_k", {1, 1, C}, false);
    add(p + "att.time_mix_v", {1, 1, C}, false);
    add(p + "att.time_mix_r", {1, 1, C}, false);
    add(p + "att.key.weight", {A, C}, true);
    add(p + "att.value.weight", {A, C}, true);
    add(p + "att.receptance.weight", {A, C}, true);
    add(p + "att.output.weight", {C, A}, true);
    add(p + "ffn.time_mix_k", {1, 1, C}, false);
    add(p + "ffn.time_mix_r", {1, 1, C}, false);
    add(p + "ffn.key.weight", {F, C}, true);
    add(p + "ffn.receptance.weight", {C, C}, true);
    add(p + "ffn.value.weight", {C, F}, true);
  }
  add("ln_out.weight", {C}, false);
  add("ln_out.bias", {C}, false);
  if (c.labels_head()) {
    const int64_t K = static_cast<int64_t>(c.labels.size());
    add("cls_head.weight", {K, C}, true);
    add("cls_head.bias", {K}, false);
  } else {
    add("head.weight", {V, C}, true);
  }
}

void ParamLayout::add(std::string name, std::vector<int64_t> shape, bool weight_decay, bool trainable) {
  ParamInfo info;
  info.numel = 1;
  for (int64_t d : shape) info.numel *= static_cast<size_t>(d);
  info.name = std::move(name);
  info.shape = std::move(shape);
  info.offset = total_;
  info.weight_decay = weight_decay;
  info.trainable = trainable;
  // Keep every tensor 64-byte aligned inside the block so SIMD loads never straddle tensors.
  total_ += (info.numel + 15) / 16 * 16;
  index_[info.name] = tensors_.size();
  tensors_.push_back(std::move(info));
}

const ParamInfo* ParamLayout::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const ParamInfo& ParamLayout::at(const std::string& name) const {
  const ParamInfo* p = find(name);
  if (!p) fail("internal: no parameter named '", name, "'");
  return *p;
}

ModelView make_view(const ParamLayout& layout, float* base, int n_layer) {
  auto ptr = [&](const std::string& name) { return base + layout.at(name).offset; };
  auto maybe = [&](const std::string& name) -> float* {
    const ParamInfo* p = layout.find(name);
    return p ? base + p->offset : nullptr;
  };
  ModelView m;
  m.emb = maybe("emb.weight");
  m.input_proj_w = maybe("input_proj.weight");
  m.input_proj_b = maybe("input_proj.bias");
  m.input_mean = maybe("input_norm.mean");
  m.input_scale = maybe("input_norm.scale");
  m.blocks.resize(n_layer);
  for (int i = 0; i < n_layer; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    BlockView& b = m.blocks[i];
    if (i == 0) {
      b.ln0_w = ptr(p + "ln0.weight");
      b.ln0_b = ptr(p + "ln0.bias");
    }
    b.ln1_w = ptr(p + "ln1.weight");
    b.ln1_b = ptr(p + "ln1.bias");
    b.ln2_w = ptr(p + "ln2.weight");
    b.ln2_b = ptr(p + "ln2.bias");
    b.att_time_decay = ptr(p + "att.time_decay");
    b.att_time_first = ptr(p + "att.time_first");
    b.att_time_mix_k = ptr(p + "att.time_mix_k");
    b.att_time_mix_v = ptr(p + "att.time_mix_v");
    b.att_time_mix_r = ptr(p + "att.time_mix_r");
    b.att_key = ptr(p + "att.key.weight");
    b.att_value = ptr(p + "att.value.weight");
    b.att_receptance = ptr(p + "att.receptance.weight");
    b.att_output = ptr(p + "att.output.weight");
    b.ffn_time_mix_k = ptr(p + "ffn.time_mix_k");
    b.ffn_time_mix_r = ptr(p + "ffn.time_mix_r");
    b.ffn_key = ptr(p + "ffn.key.weight");
    b.ffn_receptance = ptr(p + "ffn.receptance.weight");
    b.ffn_value = ptr(p + "ffn.value.weight");
  }
  m.ln_out_w = ptr("ln_out.weight");
  m.ln_out_b = ptr("ln_out.bias");
  m.head = maybe("head.weight");
  m.cls_w = maybe("cls_head.weight");
  m.cls_b = maybe("cls_head.bias");
  return m;
}

}  // namespace rwkvs
