#pragma once
// The safetensors format: 8-byte little-endian header length N, N bytes of JSON
//   {"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"<key>": "<string value>"}}
// then the data, with offsets relative to the first byte after the header.
// The reader validates the whole header when it opens a file and converts F32, F16, BF16 and F64
// tensors to float32 on read. The writer writes F32 only, atomically (see AtomicFile).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rwkvs {

using Metadata = std::map<std::string, std::string>;

// One tensor as described by a file's header.
struct TensorEntry {
  std::string name;
  std::string dtype;           // safetensors dtype name: "F32", "F16", "BF16", "F64", "I64", ...
  std::vector<int64_t> shape;  // every dimension >= 0
  size_t numel = 0;
  size_t begin = 0, end = 0;  // byte range inside the data section
};

// Size in bytes of one element of a safetensors dtype, or 0 when the name is not a safetensors dtype.
size_t safetensors_dtype_size(const std::string& dtype);

// "[64,32]": shapes as error messages print them.
std::string shape_string(const std::vector<int64_t>& shape);

// An open, validated safetensors file. Tensor data is read on demand (pread), so a large checkpoint
// is never held in memory twice, and const methods may be called from several threads at once.
class SafetensorsReader {
 public:
  // Opens and validates 'path'; throws Error naming the file (and tensor) on any defect.
  explicit SafetensorsReader(const std::string& path);
  SafetensorsReader(const SafetensorsReader&) = delete;
  SafetensorsReader& operator=(const SafetensorsReader&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<TensorEntry>& tensors() const { return tensors_; }  // in data order
  const Metadata& metadata() const { return metadata_; }

  const TensorEntry* find(const std::string& name) const;  // null when absent
  const TensorEntry& at(const std::string& name) const;    // throws Error naming file and tensor

  // The tensor converted to float32 (from F32, F16, BF16 or F64; other dtypes throw).
  std::vector<float> read_f32(const std::string& name) const;
  // Same, into out[0..n); n must equal the tensor's element count.
  void read_f32(const std::string& name, float* out, size_t n) const;
  // The tensor as float64: F64 exactly, F32/F16/BF16 widened (for double-precision goldens).
  std::vector<double> read_f64(const std::string& name) const;

 private:
  void read_bytes(size_t data_offset, void* out, size_t bytes, const std::string& name) const;

  // Closes the descriptor however the reader goes away, including a throwing constructor.
  struct Descriptor {
    int fd = -1;
    Descriptor() = default;
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    ~Descriptor();
  };

  std::string path_;
  Descriptor file_;
  size_t data_start_ = 0;  // 8 + header length
  std::vector<TensorEntry> tensors_;
  std::map<std::string, size_t> index_;
  Metadata metadata_;
};

// A float32 tensor to write. 'data' holds numel(shape) floats and is only read.
struct TensorView {
  std::string name;
  std::vector<int64_t> shape;
  const float* data = nullptr;
};

// Writes 'tensors' (as F32, in the given order) and 'metadata' to 'path' atomically: the file is
// either the complete new one or, on any failure, untouched. Throws Error naming the path.
void write_safetensors(const std::string& path, const std::vector<TensorView>& tensors,
                       const Metadata& metadata);

}  // namespace rwkvs
