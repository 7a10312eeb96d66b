#pragma once
// NumPy .npy files (format version 1.0, C order, little-endian): float32 features
// [frames, bins] and int32/int64 token ids (mu-law classes). Writes are atomic (temp file, fsync,
// rename). The reader accepts what the writer produces plus versions 2.0/3.0 headers, and is
// meant for tests and tools; any other dtype or layout is an Error naming the file.
#include <cstdint>
#include <string>
#include <vector>

namespace rwkvs {

enum class NpyDtype { f32, i32, i64 };

struct NpyArray {
  NpyDtype dtype = NpyDtype::f32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;           // element data, little-endian, C order
  int64_t size() const;                 // product of shape
  std::vector<float> as_f32() const;    // Error unless dtype is f32
  std::vector<int64_t> as_i64() const;  // from i32 or i64
};

// data holds product(shape) elements of dtype.
void write_npy(const std::string& path, NpyDtype dtype, const void* data, const std::vector<int64_t>& shape);
void write_npy_f32(const std::string& path, const float* data /*[rows, cols]*/, int64_t rows, int64_t cols);

NpyArray read_npy(const std::string& path);

}  // namespace rwkvs
