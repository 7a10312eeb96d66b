#pragma once
// The parameters of an RWKV-4 or RWKV-7 model as one flat float block, each tensor a slice of it under
// its official checkpoint name and shape (rwkv4-spec §2, rwkv7-spec §2). Gradients and optimizer
// moments use the same layout.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "src/model/config.h"

namespace rwkvs {

struct ParamInfo {
  std::string name;            // official key, e.g. "blocks.3.att.key.weight"
  std::vector<int64_t> shape;  // official shape, e.g. {A, C}; time_mix_* are {1, 1, C}
  size_t offset = 0;           // start in the flat block, in floats
  size_t numel = 0;
  bool weight_decay = false;   // AdamW decays matrices only
  bool trainable = true;       // false: statistics stored with the model (input_norm.*)
};

// Names, shapes and offsets of every parameter, in a fixed order.
class ParamLayout {
 public:
  explicit ParamLayout(const ModelConfig& config);
  const std::vector<ParamInfo>& tensors() const { return tensors_; }
  size_t total() const { return total_; }
  const ParamInfo* find(const std::string& name) const;
  const ParamInfo& at(const std::string& name) const;  // throws if absent

 private:
  void add(std::string name, std::vector<int64_t> shape, bool weight_decay, bool trainable = true);
  void add_block_norms(const std::string& prefix, int i, int64_t C);
  void add_rwkv4_block(const ModelConfig& c, int i);
  void add_rwkv7_block(const ModelConfig& c, int i);
  std::vector<ParamInfo> tensors_;
  std::unordered_map<std::string, size_t> index_;
  size_t total_ = 0;
};

// Pointers into one flat block for the tensors of a block (layer). Shapes in comments.
struct BlockView {
  float* ln0_w = nullptr;         // (C) block 0 only, else null
  float* ln0_b = nullptr;         // (C)
  float* ln1_w;                   // (C)
  float* ln1_b;                   // (C)
  float* ln2_w;                   // (C)
  float* ln2_b;                   // (C)
  float* att_time_decay;          // (A) raw w; the per-step decay is exp(-exp(w))
  float* att_time_first;          // (A) raw u
  float* att_time_mix_k;          // (C)
  float* att_time_mix_v;          // (C)
  float* att_time_mix_r;          // (C)
  float* att_key;                 // (A, C)
  float* att_value;               // (A, C)
  float* att_receptance;          // (A, C)
  float* att_output;              // (C, A)
  float* ffn_time_mix_k;          // (C)
  float* ffn_time_mix_r;          // (C)
  float* ffn_key;                 // (F, C)
  float* ffn_receptance;          // (C, C)
  float* ffn_value;               // (C, F)
};

// The tensors of one RWKV-7 block (rwkv7-spec §2). Mix vectors are [1,1,C] in files; LoRA matrices
// are stored [in, out] and compute x W, Linear weights [out, in] and compute x W^T.
struct Block7View {
  float* ln0_w = nullptr;  // (C) block 0 only, else null
  float* ln0_b = nullptr;  // (C)
  float* ln1_w;            // (C)
  float* ln1_b;            // (C)
  float* ln2_w;            // (C)
  float* ln2_b;            // (C)
  float* x_r;              // (C) token-shift mixes: x + (prev - x) * mu
  float* x_w;
  float* x_k;
  float* x_v;
  float* x_a;
  float* x_g;
  float* w0;               // (C) decay bias
  float* w1;               // (C, Dw)
  float* w2;               // (Dw, C)
  float* a0;               // (C) in-context learning rate
  float* a1;               // (C, Da)
  float* a2;               // (Da, C)
  float* v0 = nullptr;     // (C) value residual, blocks >= 1 only
  float* v1 = nullptr;     // (C, Dv)
  float* v2 = nullptr;     // (Dv, C)
  float* g1;               // (C, Dg) output gate
  float* g2;               // (Dg, C)
  float* k_k;              // (C)
  float* k_a;              // (C)
  float* r_k;              // (H, N) bonus
  float* receptance;       // (C, C)
  float* key;              // (C, C)
  float* value;            // (C, C)
  float* output;           // (C, C)
  float* ln_x_w;           // (C) per-head GroupNorm affine
  float* ln_x_b;           // (C)
  float* ffn_x_k;          // (C)
  float* ffn_key;          // (F, C)
  float* ffn_value;        // (C, F)
};

// Input and head tensors exist only for the matching input/head kind; the others are null.
// blocks holds RWKV-4 blocks, blocks7 RWKV-7 ones; the other vector is empty.
struct ModelView {
  float* emb = nullptr;           // (V, C) tokens input
  float* input_proj_w = nullptr;  // (C, F) frames input
  float* input_proj_b = nullptr;  // (C)
  float* input_mean = nullptr;    // (F) training-set feature mean (not trained)
  float* input_scale = nullptr;   // (F) 1 / training-set feature std (not trained)
  std::vector<BlockView> blocks;  // L (rwkv4)
  std::vector<Block7View> blocks7;  // L (rwkv7)
  float* ln_out_w;                // (C)
  float* ln_out_b;                // (C)
  float* head = nullptr;          // (V, C) lm head
  float* cls_w = nullptr;         // (K, C) classes head
  float* cls_b = nullptr;         // (K)
};

// Views of the flat block 'base' (params, grads or moments: anything laid out by 'layout').
ModelView make_view(const ParamLayout& layout, float* base, int n_layer);

// A vector parameter stored [1,1,C] in official files, which loaders also accept as [C].
bool is_mix_vector(const ParamInfo& p);

}  // namespace rwkvs
