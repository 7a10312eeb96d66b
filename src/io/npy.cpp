#include "src/io/npy.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "src/io/atomic_file.h"

namespace rwkvs {
namespace {

static_assert(std::endian::native == std::endian::little, "npy I/O assumes a little-endian host");

constexpr char kMagic[] = "\x93NUMPY";

const char* descr(NpyDtype d) {
  switch (d) {
    case NpyDtype::f32:
      return "<f4";
    case NpyDtype::i32:
      return "<i4";
    case NpyDtype::i64:
      return "<i8";
  }
  return "?";
}

size_t item_size(NpyDtype d) { return d == NpyDtype::i64 ? 8 : 4; }

int64_t product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Header text: a Python dict literal padded with spaces so the data starts on a 64-byte boundary.
std::string header_text(NpyDtype dtype, const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << "{'descr': '" << descr(dtype) << "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) s << ",";  // a 1-tuple needs its comma
  s << "), }";
  std::string h = s.str();
  const size_t unpadded = 6 + 2 + 2 + h.size() + 1;  // magic, version, length, text, newline
  h.append((64 - unpadded % 64) % 64, ' ');
  h.push_back('\n');
  return h;
}

// Value of 'key': ... in the header dict, up to the next top-level ',' or '}'.
std::string dict_value(const std::string& header, const std::string& key, const std::string& path) {
  const size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) fail(path, ": npy header has no '", key, "' entry");
  size_t i = header.find(':', k);
  if (i == std::string::npos) fail(path, ": malformed npy header");
  ++i;
  int depth = 0;
  size_t j = i;
  for (; j < header.size(); ++j) {
    const char c = header[j];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
  }
  std::string v = header.substr(i, j - i);
  const size_t a = v.find_first_not_of(" '"), b = v.find_last_not_of(" '");
  return a == std::string::npos ? "" : v.substr(a, b - a + 1);
}

}  // namespace

int64_t NpyArray::size() const { return product(shape); }

std::vector<float> NpyArray::as_f32() const {
  RWKVS_CHECK(dtype == NpyDtype::f32, "npy: array is not float32");
  std::vector<float> v(static_cast<size_t>(size()));
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}

std::vector<int64_t> NpyArray::as_i64() const {
  std::vector<int64_t> v(static_cast<size_t>(size()));
  if (dtype == NpyDtype::i64) {
    std::memcpy(v.data(), bytes.data(), v.size() * 8);
  } else {
    RWKVS_CHECK(dtype == NpyDtype::i32, "npy: array is not an integer array");
    for (size_t i = 0; i < v.size(); ++i) {
      int32_t x;
      std::memcpy(&x, bytes.data() + 4 * i, 4);
      v[i] = x;
    }
  }
  return v;
}

void write_npy(const std::string& path, NpyDtype dtype, const void* data, const std::vector<int64_t>& shape) {
  for (int64_t d : shape) RWKVS_CHECK(d >= 0, path, ": npy shape has a negative dimension ", d);
  const std::string h = header_text(dtype, shape);
  RWKVS_CHECK(h.size() <= 65535, path, ": npy header too long");
  AtomicFile f(path);
  f.write(kMagic, 6);
  const unsigned char version[2] = {1, 0};
  f.write(version, 2);
  const unsigned char len[2] = {static_cast<unsigned char>(h.size() & 0xff),
                                static_cast<unsigned char>(h.size() >> 8)};
  f.write(len, 2);
  f.write(h.data(), h.size());
  const size_t bytes = static_cast<size_t>(product(shape)) * item_size(dtype);
  if (bytes) f.write(data, bytes);
  f.commit();
}

void write_npy_f32(const std::string& path, const float* data, int64_t rows, int64_t cols) {
  write_npy(path, NpyDtype::f32, data, {rows, cols});
}

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open");
  char magic[6];
  unsigned char version[2];
  if (!in.read(magic, 6) || std::memcmp(magic, kMagic, 6) != 0) fail(path, ": not a .npy file (bad magic)");
  if (!in.read(reinterpret_cast<char*>(version), 2)) fail(path, ": truncated .npy header");
  size_t header_len = 0;
  unsigned char len[4] = {0, 0, 0, 0};
  if (version[0] == 1) {
    if (!in.read(reinterpret_cast<char*>(len), 2)) fail(path, ": truncated .npy header");
    header_len = len[0] | (len[1] << 8);
  } else if (version[0] == 2 || version[0] == 3) {
    if (!in.read(reinterpret_cast<char*>(len), 4)) fail(path, ": truncated .npy header");
    header_len = len[0] | (len[1] << 8) | (len[2] << 16) | (static_cast<size_t>(len[3]) << 24);
  } else {
    fail(path, ": unsupported .npy version ", int(version[0]));
  }
  std::string header(header_len, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_len)))
    fail(path, ": truncated .npy header");

  NpyArray a;
  const std::string d = dict_value(header, "descr", path);
  if (d == "<f4")
    a.dtype = NpyDtype::f32;
  else if (d == "<i4")
    a.dtype = NpyDtype::i32;
  else if (d == "<i8")
    a.dtype = NpyDtype::i64;
  else
    fail(path, ": unsupported npy dtype '", d, "' (expected <f4, <i4 or <i8)");
  if (dict_value(header, "fortran_order", path) != "False")
    fail(path, ": Fortran-order npy is not supported");
  const std::string shape = dict_value(header, "shape", path);
  std::string dims;
  for (char c : shape)
    if (c != '(' && c != ')' && c != ' ') dims.push_back(c);
  std::istringstream ds(dims);
  std::string tok;
  while (std::getline(ds, tok, ','))
    if (!tok.empty()) a.shape.push_back(std::stoll(tok));
  const size_t bytes = static_cast<size_t>(a.size()) * item_size(a.dtype);
  a.bytes.resize(bytes);
  if (bytes && !in.read(reinterpret_cast<char*>(a.bytes.data()), static_cast<std::streamsize>(bytes)))
    fail(path, ": truncated .npy data (expected ", bytes, " bytes)");
  return a;
}

}  // namespace rwkvs
