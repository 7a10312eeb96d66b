#include "src/io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "base/error.h"
#include "src/io/atomic_file.h"
#include "src/io/half.h"

namespace rwkvs {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

using nlohmann::json;

// The reference implementation refuses headers above 100 MB; a real one is kilobytes.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// Not "quoted": std::quoted would win overload resolution for non-const strings via ADL.
std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

// Parses the header, failing on duplicate top-level keys (plain JSON parsing keeps the last one).
json parse_header(const std::string& text, const std::string& file) {
  std::string duplicate;
  std::set<std::string> seen;
  auto on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && !seen.insert(parsed.get<std::string>()).second &&
        duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  json header;
  try {
    header = json::parse(text, on_event);
  } catch (const json::exception& e) {
    fail(in_quotes(file), ": safetensors header is not valid JSON (", e.what(), ")");
  }
  if (!duplicate.empty())
    fail(in_quotes(file), ": safetensors header names tensor ", in_quotes(duplicate), " twice");
  if (!header.is_object()) fail(in_quotes(file), ": safetensors header is not a JSON object");
  return header;
}

uint64_t non_negative_int(const json& v, const std::string& file, const std::string& name,
                          const char* field) {
  if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0))
    fail(in_quotes(file), ": tensor ", in_quotes(name), ": ", field, " holds ", v.dump(),
         ", expected a non-negative integer");
  return v.get<uint64_t>();
}

TensorEntry parse_entry(const std::string& name, const json& e, const std::string& file) {
  auto bad = [&](const auto&... why) { fail(in_quotes(file), ": tensor ", in_quotes(name), ": ", why...); };
  if (!e.is_object()) bad("entry is not a JSON object");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!e.contains(key)) bad("entry lacks '", key, "'");
  TensorEntry t;
  t.name = name;
  if (!e["dtype"].is_string()) bad("dtype is not a string");
  t.dtype = e["dtype"].get<std::string>();
  const size_t elem = safetensors_dtype_size(t.dtype);
  if (elem == 0) bad("unknown dtype ", in_quotes(t.dtype));

  if (!e["shape"].is_array()) bad("shape is not an array");
  uint64_t numel = 1;
  for (const json& d : e["shape"]) {
    const uint64_t dim = non_negative_int(d, file, name, "shape");
    if (dim > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, dim, &numel))
      bad("shape ", e["shape"].dump(), " is too large");
    t.shape.push_back(static_cast<int64_t>(dim));
  }
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(numel, elem, &bytes)) bad("shape ", e["shape"].dump(), " is too large");

  const json& offs = e["data_offsets"];
  if (!offs.is_array() || offs.size() != 2) bad("data_offsets is not a [begin, end] pair");
  const uint64_t begin = non_negative_int(offs[0], file, name, "data_offsets");
  const uint64_t end = non_negative_int(offs[1], file, name, "data_offsets");
  if (end < begin) bad("data_offsets [", begin, ",", end, "] end before begin");
  if (end - begin != bytes)
    bad("data_offsets [", begin, ",", end, "] span ", end - begin, " bytes, but ", t.dtype, " ",
        shape_string(t.shape), " needs ", bytes);
  t.numel = numel;
  t.begin = begin;
  t.end = end;
  return t;
}

Metadata parse_metadata(const json& m, const std::string& file) {
  if (!m.is_object()) fail(in_quotes(file), ": __metadata__ is not a JSON object");
  Metadata out;
  for (const auto& [key, value] : m.items()) {
    if (!value.is_string())
      fail(in_quotes(file), ": __metadata__ ", in_quotes(key), " is ", value.dump(), ", expected a string");
    out[key] = value.get<std::string>();
  }
  return out;
}

// Converts n elements of 'dtype' at 'src' to float32.
void convert_to_f32(const std::string& dtype, const unsigned char* src, float* out, size_t n) {
  if (dtype == "F32") {
    std::memcpy(out, src, n * 4);
  } else if (dtype == "F16" || dtype == "BF16") {
    const bool bf16 = dtype == "BF16";
    for (size_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      out[i] = bf16 ? bf16_to_float(h) : f16_to_float(h);
    }
  } else {  // F64
    for (size_t i = 0; i < n; ++i) {
      double d;
      std::memcpy(&d, src + 8 * i, 8);
      // Beyond the float range the C++ cast is undefined; IEEE rounding gives +-inf from the
      // halfway point above FLT_MAX, so spell that out.
      constexpr float inf = std::numeric_limits<float>::infinity();
      out[i] = std::fabs(d) >= 0x1.ffffffp127 ? (d > 0 ? inf : -inf) : static_cast<float>(d);
    }
  }
}

}  // namespace

size_t safetensors_dtype_size(const std::string& dtype) {
  static const std::map<std::string, size_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1}, {"U16", 2}, {"I16", 2}, {"F16", 2},
      {"BF16", 2}, {"U32", 4}, {"I32", 4}, {"F32", 4},     {"U64", 8},     {"I64", 8}, {"F64", 8}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

SafetensorsReader::SafetensorsReader(const std::string& path) : path_(path) {
  const std::string file = in_quotes(path);
  file_.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file_.fd < 0) fail("cannot open ", file, ": ", std::strerror(errno));
  struct stat st {};
  if (::fstat(file_.fd, &st) != 0) fail("cannot stat ", file, ": ", std::strerror(errno));
  if (S_ISDIR(st.st_mode)) fail(file, " is a directory, expected a .safetensors file");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < 8)
    fail(file, ": not a safetensors file: ", file_size, " bytes, shorter than the 8-byte header length");

  uint64_t header_len = 0;
  read_bytes(0, &header_len, 8, "");
  if (header_len > kMaxHeaderBytes)
    fail(file, ": safetensors header length ", header_len, " is absurd (limit ", kMaxHeaderBytes,
         "): not a safetensors file?");
  if (header_len > file_size - 8)
    fail(file, ": safetensors header length ", header_len, " runs past the end of the file (", file_size,
         " bytes): truncated or not a safetensors file");

  std::string text(header_len, '\0');
  read_bytes(8, text.data(), header_len, "");
  data_start_ = 8 + header_len;
  const uint64_t data_size = file_size - data_start_;
  const json header = parse_header(text, path);

  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      metadata_ = parse_metadata(entry, path);
      continue;
    }
    TensorEntry t = parse_entry(name, entry, path);
    if (t.end > data_size)
      fail(file, ": tensor ", in_quotes(name), " data_offsets [", t.begin, ",", t.end,
           "] run past the end of the data (", data_size, " bytes): file truncated or offsets out of range");
    tensors_.push_back(std::move(t));
  }
  std::sort(tensors_.begin(), tensors_.end(), [](const TensorEntry& a, const TensorEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  // Sorted by start, two non-empty tensors overlap exactly when one starts before the previous ends.
  const TensorEntry* prev = nullptr;
  for (const TensorEntry& t : tensors_) {
    if (t.begin == t.end) continue;
    if (prev && t.begin < prev->end)
      fail(file, ": tensors ", in_quotes(prev->name), " [", prev->begin, ",", prev->end, ") and ",
           in_quotes(t.name), " [", t.begin, ",", t.end, ") overlap");
    prev = &t;
  }
  for (size_t i = 0; i < tensors_.size(); ++i) index_[tensors_[i].name] = i;
}

SafetensorsReader::Descriptor::~Descriptor() {
  if (fd >= 0) ::close(fd);
}

const TensorEntry* SafetensorsReader::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const TensorEntry& SafetensorsReader::at(const std::string& name) const {
  const TensorEntry* t = find(name);
  if (!t) fail(in_quotes(path_), " has no tensor ", in_quotes(name));
  return *t;
}

void SafetensorsReader::read_bytes(size_t offset, void* out, size_t bytes, const std::string& name) const {
  auto* dst = static_cast<unsigned char*>(out);
  while (bytes > 0) {
    const ssize_t got = ::pread(file_.fd, dst, bytes, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      const std::string what = name.empty() ? std::string("header") : "tensor " + in_quotes(name);
      fail(in_quotes(path_), ": reading ", what,
           " failed: ", got < 0 ? std::strerror(errno) : "unexpected end of file (truncated while open?)");
    }
    dst += got;
    offset += static_cast<size_t>(got);
    bytes -= static_cast<size_t>(got);
  }
}

std::vector<float> SafetensorsReader::read_f32(const std::string& name) const {
  std::vector<float> out(at(name).numel);
  read_f32(name, out.data(), out.size());
  return out;
}

void SafetensorsReader::read_f32(const std::string& name, float* out, size_t n) const {
  const TensorEntry& t = at(name);
  if (t.dtype != "F32" && t.dtype != "F16" && t.dtype != "BF16" && t.dtype != "F64")
    fail(in_quotes(path_), ": tensor ", in_quotes(name), " has dtype ", t.dtype,
         ", expected F32, F16, BF16 or F64");
  if (n != t.numel)
    fail("internal: reading ", in_quotes(name), " from ", in_quotes(path_), " into ", n, " floats, it has ",
         t.numel);
  // Convert in slices so a large half-precision tensor needs no second full-size buffer.
  const size_t elem = safetensors_dtype_size(t.dtype);
  const size_t slice = std::max<size_t>(1, (size_t{1} << 20) / elem);
  std::vector<unsigned char> raw(std::min(t.numel, slice) * elem);
  for (size_t done = 0; done < t.numel; done += slice) {
    const size_t count = std::min(slice, t.numel - done);
    read_bytes(data_start_ + t.begin + done * elem, raw.data(), count * elem, name);
    convert_to_f32(t.dtype, raw.data(), out + done, count);
  }
}

std::vector<double> SafetensorsReader::read_f64(const std::string& name) const {
  const TensorEntry& t = at(name);
  std::vector<double> out(t.numel);
  if (t.dtype == "F64") {
    read_bytes(data_start_ + t.begin, out.data(), t.numel * 8, name);
    return out;
  }
  const std::vector<float> f = read_f32(name);
  std::copy(f.begin(), f.end(), out.begin());
  return out;
}

void write_safetensors(const std::string& path, const std::vector<TensorView>& tensors,
                       const Metadata& metadata) {
  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> names;
  std::vector<size_t> bytes(tensors.size());
  size_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorView& t = tensors[i];
    if (t.name == "__metadata__" || t.name.empty())
      fail("cannot write '", path, "': invalid tensor name '", t.name, "'");
    if (!names.insert(t.name).second) fail("cannot write '", path, "': tensor '", t.name, "' given twice");
    size_t numel = 1;
    for (int64_t d : t.shape) {
      if (d < 0) fail("cannot write '", path, "': tensor '", t.name, "' has shape ", shape_string(t.shape));
      numel *= static_cast<size_t>(d);
    }
    if (numel > 0 && !t.data) fail("internal: tensor '", t.name, "' for '", path, "' has no data");
    bytes[i] = numel * sizeof(float);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes[i]}}};
    offset += bytes[i];
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // spaces keep the data section 8-byte aligned
  const uint64_t header_len = text.size();

  AtomicFile out(path);
  out.write(&header_len, 8);
  out.write(text.data(), text.size());
  for (size_t i = 0; i < tensors.size(); ++i) out.write(tensors[i].data, bytes[i]);
  out.commit();
}

}  // namespace rwkvs
