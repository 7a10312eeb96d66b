#pragma once
// Model checkpoints: one .safetensors file holding every parameter under its official RWKV-4 name
// and shape (spec §2) as F32, with __metadata__ {"format": "pt", "rwkvs.config": <ModelConfig JSON>}.
// Optimizer state lives in a sibling file (optimizer_state_path) written with save_tensors.
// Every write is atomic: a crash leaves either the old file or the complete new one.
#include <cstdint>
#include <string>
#include <vector>

#include "src/io/safetensors.h"
#include "src/model/model.h"

namespace rwkvs {

// Writes all parameters and the config to 'path'. Throws Error naming the path on failure.
void save_model(const std::string& path, const Model& model);

// Loads a model saved by save_model, an official RWKV-4 checkpoint converted by
// scripts/convert_pth.py, or a file made by rwkv4_ref.py (F32, F16, BF16 or F64 tensors).
// A file starting with rwkv.cpp's ggml magic is read by load_rwkv_cpp_model (rwkv_cpp_import.h).
// Every expected tensor must be present with its shape (time_mix_*, time_decay and time_first may
// be [n] or [1,1,n]) and no other tensor may be present. Throws Error naming the file and tensor,
// e.g. "load: 'x.safetensors' has blocks.3.att.key.weight of shape [64,32], expected [64,64]".
Model load_model(const std::string& path);

// The config in the file's "rwkvs.config" metadata or, when absent (official and oracle files),
// inferred from tensor shapes: n_layer from blocks.N.ln1.weight, V and C from emb.weight [V,C],
// dim_att and dim_ffn from the rows of blocks.0.att.key.weight and blocks.0.ffn.key.weight,
// tokenizer "bytes" when V == 256 else "ids".
ModelConfig read_model_config(const SafetensorsReader& file);

// The optimizer-state file beside a model: "run/model.safetensors" -> "run/model.opt.safetensors".
std::string optimizer_state_path(const std::string& model_path);

// Views of every tensor of 'layout' in the flat block 'base' (parameters, gradients or optimizer
// moments), named prefix + official name, in layout order. 'base' must outlive the views.
std::vector<TensorView> layout_views(const ParamLayout& layout, const float* base,
                                     const std::string& prefix = "");

// Reads every tensor of 'layout', named prefix + official name, from 'file' into the flat block
// 'base' (layout.total() floats). Each must be present with its layout shape (time_* vectors also
// as [n] or [1,1,n]). Tensors in the file outside the layout are ignored here. Checks all names and
// shapes before writing to 'base'.
void read_layout(const SafetensorsReader& file, const ParamLayout& layout, float* base,
                 const std::string& prefix = "");

// Generic named float arrays plus string metadata, e.g. the optimizer state: tensors
// "adam_m.<name>", "adam_v.<name>" and metadata "step", "rng", "data_pos". Atomic.
void save_tensors(const std::string& path, const std::vector<TensorView>& tensors, const Metadata& metadata);

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct TensorFile {
  std::vector<NamedTensor> tensors;  // in the file's data order
  Metadata metadata;
  const NamedTensor* find(const std::string& name) const;  // null when absent
};

// Reads every tensor of a safetensors file as float32, and its metadata.
TensorFile load_tensors(const std::string& path);

}  // namespace rwkvs
