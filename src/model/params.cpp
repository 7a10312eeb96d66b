#include "src/model/params.h"

#include "base/error.h"

namespace rwkvs {

ParamLayout::ParamLayout(const ModelConfig& c) {
  const int64_t C = c.n_embd, V = c.vocab_size;
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
    if (c.rwkv7())
      add_rwkv7_block(c, i);
    else
      add_rwkv4_block(c, i);
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

// The LayerNorms every block has (both architectures): ln0 on block 0 only, then ln1 and ln2.
void ParamLayout::add_block_norms(const std::string& p, int i, int64_t C) {
  if (i == 0) {
    add(p + "ln0.weight", {C}, false);
    add(p + "ln0.bias", {C}, false);
  }
  add(p + "ln1.weight", {C}, false);
  add(p + "ln1.bias", {C}, false);
  add(p + "ln2.weight", {C}, false);
  add(p + "ln2.bias", {C}, false);
}

void ParamLayout::add_rwkv4_block(const ModelConfig& c, int i) {
  const int64_t C = c.n_embd, A = c.dim_att, F = c.dim_ffn;
  const std::string p = "blocks." + std::to_string(i) + ".";
  add_block_norms(p, i, C);
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

// rwkv7-spec §2. Blocks >= 1 only have the value-residual LoRA (v0/v1/v2), as released files.
void ParamLayout::add_rwkv7_block(const ModelConfig& c, int i) {
  const int64_t C = c.n_embd, F = c.dim_ffn, H = c.n_head(), N = c.head_size;
  const std::string p = "blocks." + std::to_string(i) + ".";
  add_block_norms(p, i, C);
  const std::string a = p + "att.";
  for (const char* mix : {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g"}) add(a + mix, {1, 1, C}, false);
  add(a + "w0", {1, 1, C}, false);
  add(a + "w1", {C, c.lora_w}, false);
  add(a + "w2", {c.lora_w, C}, false);
  add(a + "a0", {1, 1, C}, false);
  add(a + "a1", {C, c.lora_a}, false);
  add(a + "a2", {c.lora_a, C}, false);
  if (i > 0) {
    add(a + "v0", {1, 1, C}, false);
    add(a + "v1", {C, c.lora_v}, false);
    add(a + "v2", {c.lora_v, C}, false);
  }
  add(a + "g1", {C, c.lora_g}, false);
  add(a + "g2", {c.lora_g, C}, false);
  add(a + "k_k", {1, 1, C}, false);
  add(a + "k_a", {1, 1, C}, false);
  add(a + "r_k", {H, N}, false);
  add(a + "receptance.weight", {C, C}, true);
  add(a + "key.weight", {C, C}, true);
  add(a + "value.weight", {C, C}, true);
  add(a + "output.weight", {C, C}, true);
  add(a + "ln_x.weight", {C}, false);
  add(a + "ln_x.bias", {C}, false);
  add(p + "ffn.x_k", {1, 1, C}, false);
  add(p + "ffn.key.weight", {F, C}, true);
  add(p + "ffn.value.weight", {C, F}, true);
}

bool is_mix_vector(const ParamInfo& p) { return p.shape.size() == 3 && p.shape[0] == 1 && p.shape[1] == 1; }

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
  if (layout.find("blocks.0.att.r_k")) {
    m.blocks7.resize(n_layer);
    for (int i = 0; i < n_layer; ++i) {
      const std::string p = "blocks." + std::to_string(i) + ".", a = p + "att.";
      Block7View& b = m.blocks7[i];
      b.ln0_w = maybe(p + "ln0.weight");
      b.ln0_b = maybe(p + "ln0.bias");
      b.ln1_w = ptr(p + "ln1.weight");
      b.ln1_b = ptr(p + "ln1.bias");
      b.ln2_w = ptr(p + "ln2.weight");
      b.ln2_b = ptr(p + "ln2.bias");
      b.x_r = ptr(a + "x_r");
      b.x_w = ptr(a + "x_w");
      b.x_k = ptr(a + "x_k");
      b.x_v = ptr(a + "x_v");
      b.x_a = ptr(a + "x_a");
      b.x_g = ptr(a + "x_g");
      b.w0 = ptr(a + "w0");
      b.w1 = ptr(a + "w1");
      b.w2 = ptr(a + "w2");
      b.a0 = ptr(a + "a0");
      b.a1 = ptr(a + "a1");
      b.a2 = ptr(a + "a2");
      b.v0 = maybe(a + "v0");
      b.v1 = maybe(a + "v1");
      b.v2 = maybe(a + "v2");
      b.g1 = ptr(a + "g1");
      b.g2 = ptr(a + "g2");
      b.k_k = ptr(a + "k_k");
      b.k_a = ptr(a + "k_a");
      b.r_k = ptr(a + "r_k");
      b.receptance = ptr(a + "receptance.weight");
      b.key = ptr(a + "key.weight");
      b.value = ptr(a + "value.weight");
      b.output = ptr(a + "output.weight");
      b.ln_x_w = ptr(a + "ln_x.weight");
      b.ln_x_b = ptr(a + "ln_x.bias");
      b.ffn_x_k = ptr(p + "ffn.x_k");
      b.ffn_key = ptr(p + "ffn.key.weight");
      b.ffn_value = ptr(p + "ffn.value.weight");
    }
  }
  const int rwkv4_layers = m.blocks7.empty() ? n_layer : 0;
  m.blocks.resize(rwkv4_layers);
  for (int i = 0; i < rwkv4_layers; ++i) {
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
