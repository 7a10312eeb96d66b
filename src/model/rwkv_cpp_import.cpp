#include "src/model/rwkv_cpp_import.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "src/io/half.h"
#include "src/io/safetensors.h"
#include "src/model/config.h"

namespace rwkvs {

namespace {

constexpr uint32_t kMagic = 0x67676d66;  // 'ggmf'
constexpr int32_t kF32 = 0, kF16 = 1;
constexpr int32_t kMaxKeyLength = 4096;
constexpr int32_t kMaxDims = 4;  // ggml's limit

std::string type_name(int32_t t) {
  static const char* const names[] = {"FP32",  "FP16",  "Q4_0", "Q4_1", nullptr,
                                      nullptr, nullptr, "Q5_0", "Q5_1", "Q8_0"};
  if (t >= 0 && t < 10 && names[t]) return names[t];
  return "unknown type " + std::to_string(t);
}

bool quantized(int32_t t) { return t == 2 || t == 3 || t == 7 || t == 8 || t == 9; }

struct FileTensor {
  std::string name;
  std::vector<int64_t> shape;  // PyTorch order (the file lists ggml's, reversed)
  int32_t type = kF32;
  uint64_t offset = 0;  // first data byte
  size_t numel = 0;
  bool used = false;
};

// The parsed header and tensor directory of one file; data is read on demand.
class GgmlFile {
 public:
  explicit GgmlFile(const std::string& path) : path_(path), where_("load: '" + path + "' (rwkv.cpp file)") {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec))
      fail("load: '", path, "' is a directory, expected an rwkv.cpp model file");
    in_.open(path, std::ios::binary);
    if (!in_) fail("load: cannot open '", path, "': ", std::strerror(errno));
    size_ = fs::file_size(path, ec);
    if (ec) fail("load: cannot stat '", path, "': ", ec.message());
    read_header();
    uint64_t pos = 24;
    while (pos < size_) pos = read_tensor_info(pos);
  }

  const std::string& where() const { return where_; }
  int32_t n_vocab() const { return n_vocab_; }
  int32_t n_embed() const { return n_embed_; }
  int32_t n_layer() const { return n_layer_; }
  std::vector<FileTensor>& tensors() { return tensors_; }

  FileTensor* find(const std::string& name) {
    const auto it = index_.find(name);
    return it == index_.end() ? nullptr : &tensors_[it->second];
  }

  // The tensor 'name', which must exist and, when dims > 0, have that many dimensions.
  FileTensor& require(const std::string& name, size_t dims = 0) {
    FileTensor* t = find(name);
    if (!t) fail(where_, " lacks tensor ", name);
    if (dims && t->shape.size() != dims)
      fail(where_, " has ", name, " of shape ", shape_string(t->shape), ", expected ", dims, " dimensions");
    return *t;
  }

  // n elements of t from element 'first' on, as float32.
  void read(const FileTensor& t, size_t first, size_t n, float* out) {
    const size_t esize = t.type == kF16 ? 2 : 4;
    in_.seekg(static_cast<std::streamoff>(t.offset + first * esize));
    if (t.type == kF32) {
      in_.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n * 4));
    } else {
      std::vector<uint16_t> half(n);
      in_.read(reinterpret_cast<char*>(half.data()), static_cast<std::streamsize>(n * 2));
      for (size_t i = 0; i < n; ++i) out[i] = f16_to_float(half[i]);
    }
    if (!in_) fail(where_, ": read error in tensor ", t.name);
  }

 private:
  void read_at(uint64_t pos, void* dst, size_t n, const char* what) {
    if (pos + n > size_)
      fail(where_, " is truncated: ", what, " at byte ", pos, " needs ", n, " bytes but the file ends at ",
           size_);
    in_.seekg(static_cast<std::streamoff>(pos));
    in_.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
    if (!in_) fail(where_, ": read error at byte ", pos);
  }

  void read_header() {
    if (size_ < 4) fail("load: '", path_, "' is ", size_, " bytes: not an rwkv.cpp model file (no magic)");
    int32_t h[6];
    read_at(0, h, 4, "the magic");
    if (static_cast<uint32_t>(h[0]) != kMagic) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%08x", static_cast<uint32_t>(h[0]));
      fail("load: '", path_, "' is not an rwkv.cpp model file: magic ", hex,
           ", expected 0x67676d66 ('ggmf')");
    }
    read_at(0, h, sizeof h, "the 24-byte header");
    version_ = h[1];
    n_vocab_ = h[2];
    n_embed_ = h[3];
    n_layer_ = h[4];
    const int32_t type = h[5];
    if (version_ != 100 && version_ != 101)
      fail(where_, " has format version ", version_, ", expected 100 or 101");
    if (type != kF32 && type != kF16)
      fail(where_, " holds ", type_name(type), " data: only FP32 and FP16 rwkv.cpp files can be read",
           quantized(type) ? " (quantized files lose precision for good; convert the FP32/FP16 model instead)"
                           : "");
    if (n_vocab_ <= 0 || n_embed_ <= 0 || n_layer_ <= 0)
      fail(where_, " header has n_vocab = ", n_vocab_, ", n_embed = ", n_embed_, ", n_layer = ", n_layer_,
           ", expected positive sizes");
  }

  uint64_t read_tensor_info(uint64_t pos) {
    const std::string at = "the header of tensor " + std::to_string(tensors_.size());
    int32_t h[3];
    read_at(pos, h, sizeof h, at.c_str());
    pos += sizeof h;
    const int32_t n_dims = h[0], key_len = h[1], type = h[2];
    if (n_dims < 1 || n_dims > kMaxDims)
      fail(where_, ": tensor ", tensors_.size(), " at byte ", pos - sizeof h, " has ", n_dims,
           " dimensions, expected 1 to ", kMaxDims, " (corrupt file?)");
    if (key_len < 1 || key_len > kMaxKeyLength)
      fail(where_, ": tensor ", tensors_.size(), " at byte ", pos - sizeof h, " has a name of ", key_len,
           " bytes, expected 1 to ", kMaxKeyLength, " (corrupt file?)");
    int32_t dims[kMaxDims];
    read_at(pos, dims, 4 * static_cast<size_t>(n_dims), at.c_str());
    pos += 4 * static_cast<uint64_t>(n_dims);
    FileTensor t;
    t.name.resize(static_cast<size_t>(key_len));
    read_at(pos, t.name.data(), t.name.size(), at.c_str());
    pos += t.name.size();
    if (type != kF32 && type != kF16)
      fail(where_, " has tensor ", t.name, " in ", type_name(type),
           ": only FP32 and FP16 tensors can be read");
    t.type = type;
    const size_t esize = type == kF16 ? 2 : 4;
    for (int i = n_dims - 1; i >= 0; --i) {
      if (dims[i] <= 0) fail(where_, " has tensor ", t.name, " with dimension ", dims[i], " (corrupt file?)");
      t.shape.push_back(dims[i]);
    }
    uint64_t numel = 1;
    for (int64_t d : t.shape) {
      if (numel > (uint64_t{1} << 60) / static_cast<uint64_t>(d))
        fail(where_, " has tensor ", t.name, " of absurd shape ", shape_string(t.shape), " (corrupt file?)");
      numel *= static_cast<uint64_t>(d);
    }
    const uint64_t bytes = numel * esize;
    if (bytes > size_ - pos)
      fail(where_, " is truncated: tensor ", t.name, " of shape ", shape_string(t.shape), " needs ", bytes,
           " bytes of ", type_name(type), " data at byte ", pos, " but the file ends at ", size_);
    t.numel = static_cast<size_t>(numel);
    t.offset = pos;
    if (index_.count(t.name)) fail(where_, " holds tensor ", t.name, " twice");
    index_[t.name] = tensors_.size();
    tensors_.push_back(std::move(t));
    return pos + bytes;
  }

  std::string path_, where_;
  std::ifstream in_;
  uint64_t size_ = 0;
  int32_t version_ = 0, n_vocab_ = 0, n_embed_ = 0, n_layer_ = 0;
  std::vector<FileTensor> tensors_;
  std::unordered_map<std::string, size_t> index_;
};

// Refuses the architectures rwkv.cpp runs and we do not; true for RWKV-7, false for RWKV-4.
bool detect_rwkv7(GgmlFile& f) {
  if (f.find("blocks.0.att.x_rwkvag")) return true;
  const char* arch = nullptr;
  const char* marker = nullptr;
  if (f.find("blocks.0.att.time_maa_x")) {
    arch = "RWKV-6";
    marker = "blocks.0.att.time_maa_x";
  } else if (f.find("blocks.0.att.ln_x.weight")) {
    const bool v52 = f.find("blocks.0.att.gate.weight") != nullptr;
    arch = v52 ? "RWKV-5.2" : "RWKV-5.1";
    marker = v52 ? "blocks.0.att.gate.weight" : "blocks.0.att.ln_x.weight";
  }
  if (arch)
    fail(f.where(), " is an ", arch, " model (it has ", marker,
         "): rwkvs runs RWKV-4 and RWKV-7 (x070) only");
  return false;
}

int dim_of(GgmlFile& f, const std::string& name, size_t axis) {
  return static_cast<int>(f.require(name, 2).shape[axis]);
}

ModelConfig config_of(GgmlFile& f) {
  const bool v7 = detect_rwkv7(f);
  ModelConfig c = v7 ? ModelConfig::rwkv7(f.n_layer(), f.n_embed(), f.n_vocab())
                     : ModelConfig::rwkv4(f.n_layer(), f.n_embed(), f.n_vocab());
  c.dim_ffn = dim_of(f, "blocks.0.ffn.key.weight", 0);
  if (v7) {
    c.head_size = dim_of(f, "blocks.0.att.r_k", 1);  // [H, N]
    // stored transposed: w1 is [Dw, C] in the file
    c.lora_w = dim_of(f, "blocks.0.att.w1", 0);
    c.lora_a = dim_of(f, "blocks.0.att.a1", 0);
    c.lora_g = dim_of(f, "blocks.0.att.g1", 0);
    if (c.n_layer > 1) c.lora_v = dim_of(f, "blocks.1.att.v1", 0);
  } else {
    c.dim_att = dim_of(f, "blocks.0.att.key.weight", 0);
  }
  c.validate(f.where());
  return c;
}

// How an official tensor is made from the file's.
enum class Kind { kCopy, kLogNegDecay, kTranspose, kMixSlice };

struct Source {
  std::string key;
  Kind kind = Kind::kCopy;
  int slice = 0;  // kMixSlice: index in x_rwkvag
};

bool is_lora(const std::string& name) {
  for (const char* s :
       {".att.w1", ".att.w2", ".att.a1", ".att.a2", ".att.v1", ".att.v2", ".att.g1", ".att.g2"})
    if (name.ends_with(s)) return true;
  return false;
}

Source source_of(const ParamInfo& p, bool v7) {
  static const char* const mixes[] = {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g"};
  if (v7) {
    for (int j = 0; j < 6; ++j) {
      const std::string tail = std::string(".att.") + mixes[j];
      if (p.name.ends_with(tail))
        return {p.name.substr(0, p.name.size() - tail.size()) + ".att.x_rwkvag", Kind::kMixSlice, j};
    }
    if (is_lora(p.name)) return {p.name, Kind::kTranspose};
  } else if (p.name.ends_with(".att.time_decay")) {
    return {p.name, Kind::kLogNegDecay};
  }
  return {p.name, Kind::kCopy};
}

// A vector parameter: every dimension but the last is 1 ([C], [1,1,C]); rwkv.cpp squeezes some.
bool vector_like(const std::vector<int64_t>& s) {
  for (size_t i = 0; i + 1 < s.size(); ++i)
    if (s[i] != 1) return false;
  return true;
}

std::vector<int64_t> file_shape_expected(const ParamInfo& p, const Source& s, int64_t C) {
  if (s.kind == Kind::kMixSlice) return {6, 1, C};
  if (s.kind == Kind::kTranspose) return {p.shape[1], p.shape[0]};
  return p.shape;
}

bool shape_ok(const std::vector<int64_t>& got, const std::vector<int64_t>& want) {
  if (got == want) return true;
  return vector_like(got) && vector_like(want) && got.back() == want.back();
}

void import_tensor(GgmlFile& f, const ParamInfo& p, bool v7, int64_t C, float* dst) {
  const Source s = source_of(p, v7);
  FileTensor* t = f.find(s.key);
  const std::vector<int64_t> want = file_shape_expected(p, s, C);
  if (!t) fail(f.where(), " lacks tensor ", s.key, " (expected shape ", shape_string(want), ")");
  if (!shape_ok(t->shape, want))
    fail(f.where(), " has ", s.key, " of shape ", shape_string(t->shape), ", expected ", shape_string(want),
         s.kind == Kind::kTranspose ? " (rwkv.cpp stores the LoRA matrices transposed)" : "");
  t->used = true;
  switch (s.kind) {
    case Kind::kCopy:
      f.read(*t, 0, p.numel, dst);
      break;
    case Kind::kMixSlice:
      f.read(*t, static_cast<size_t>(s.slice) * p.numel, p.numel, dst);
      break;
    case Kind::kTranspose: {
      const size_t rows = static_cast<size_t>(p.shape[0]), cols = static_cast<size_t>(p.shape[1]);
      std::vector<float> stored(p.numel);  // [cols, rows]
      f.read(*t, 0, p.numel, stored.data());
      for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < cols; ++c) dst[r * cols + c] = stored[c * rows + r];
      break;
    }
    case Kind::kLogNegDecay: {
      f.read(*t, 0, p.numel, dst);
      for (size_t i = 0; i < p.numel; ++i) {
        const float d = dst[i];  // -exp(w)
        if (!(d <= 0) || !std::isfinite(d))
          fail(f.where(), " has ", s.key, "[", i, "] = ", d, ": rwkv.cpp stores -exp(time_decay), which is ",
               "negative and finite (a file from another converter?)");
        // -exp(w) underflowed to 0 for w < -103; any w that small decays the same (not at all).
        dst[i] = d == 0 ? -1e30f : static_cast<float>(std::log(-static_cast<double>(d)));
      }
      break;
    }
  }
}

}  // namespace

bool is_rwkv_cpp_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  uint32_t magic = 0;
  if (!in.read(reinterpret_cast<char*>(&magic), sizeof magic)) return false;
  return magic == kMagic;
}

Model load_rwkv_cpp_model(const std::string& path) {
  GgmlFile f(path);
  const ModelConfig config = config_of(f);
  const FileTensor& emb = f.require("emb.weight", 2);
  if (emb.shape != std::vector<int64_t>{f.n_vocab(), f.n_embed()})
    fail(f.where(), " has emb.weight of shape ", shape_string(emb.shape),
         " but its header says n_vocab = ", f.n_vocab(), ", n_embed = ", f.n_embed());
  Model model(config);
  for (const ParamInfo& p : model.layout().tensors())
    import_tensor(f, p, config.rwkv7(), config.n_embd, model.params() + p.offset);
  std::vector<std::string> unknown;
  for (const FileTensor& t : f.tensors()) {
    // Block 0's value-residual LoRA is never used (block 0 sets v_first = v): accepted and ignored.
    const bool unused_v0 = config.rwkv7() && t.name.starts_with("blocks.0.att.v") && t.name.size() == 15;
    if (!t.used && !unused_v0) unknown.push_back(t.name);
  }
  if (!unknown.empty()) {
    std::string list;
    for (size_t i = 0; i < unknown.size() && i < 5; ++i) list += (i ? ", " : "") + unknown[i];
    if (unknown.size() > 5) list += ", ... (" + std::to_string(unknown.size()) + " in all)";
    fail(f.where(), " has unknown tensor(s) ", list, ": not part of an ", config.arch_title(),
         " model with n_layer = ", config.n_layer, " (the header's)");
  }
  return model;
}

}  // namespace rwkvs
