// The safetensors reader and writer: round trip, half-precision decoding, every malformed-file case
// (each error must name the file and, where there is one, the tensor) and atomic writes.
#include <sys/resource.h>

#include <bit>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>

#include "base/error.h"
#include "src/io/safetensors.h"
#include "tests/support.h"

using namespace rwkvs;
namespace fs = std::filesystem;

namespace {

// Writes a safetensors file by hand: header length, header text, then raw data bytes.
void write_raw(const std::string& path, const std::string& header, const std::string& data,
               uint64_t header_len = UINT64_MAX) {
  if (header_len == UINT64_MAX) header_len = header.size();
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &header_len, 8);
  test::write_text(path, bytes + header + data);
}

template <class T>
std::string bytes_of(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// The message of the Error thrown by opening 'path' (and reading 'tensor' when given), or "".
std::string open_error(const std::string& path, const std::string& tensor = "") {
  try {
    SafetensorsReader r(path);
    if (!tensor.empty()) r.read_f32(tensor);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Checks that opening a file with this header and data fails with a message naming the file and
// containing every one of 'parts'.
void check_bad(const std::string& dir, const std::string& label, const std::string& header,
               const std::string& data, const std::vector<std::string>& parts,
               uint64_t header_len = UINT64_MAX) {
  const std::string path = dir + "/" + label + ".safetensors";
  write_raw(path, header, data, header_len);
  const std::string msg = open_error(path);
  INFO("case ", label, ": message: ", msg);
  CHECK(contains(msg, "'" + path + "'"));
  for (const std::string& p : parts) CHECK(contains(msg, p));
}

std::vector<std::string> leftover_temps(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (contains(e.path().filename().string(), ".tmp.")) out.push_back(e.path().string());
  return out;
}

}  // namespace

TEST_CASE("round trip of several tensors and metadata") {
  const std::string dir = test::temp_dir("st_roundtrip");
  const std::string path = dir + "/a.safetensors";
  std::vector<float> m(6), v(5), scalar = {-7.25f};
  for (size_t i = 0; i < m.size(); ++i) m[i] = 0.1f * static_cast<float>(i) - 0.3f;
  v = {1e-30f, -0.0f, std::numeric_limits<float>::infinity(), 3.5f, std::numeric_limits<float>::denorm_min()};
  const Metadata meta = {{"format", "pt"}, {"step", "123"}, {"json", "{\"a\": [1, 2]}"}};
  write_safetensors(
      path,
      {{"m", {2, 3}, m.data()}, {"v", {5}, v.data()}, {"s", {}, scalar.data()}, {"empty", {0, 4}, nullptr}},
      meta);

  // The data section starts on an 8-byte boundary (the header is padded with spaces).
  const std::string raw = test::read_text(path);
  uint64_t header_len = 0;
  std::memcpy(&header_len, raw.data(), 8);
  CHECK(header_len % 8 == 0);
  CHECK(raw.size() == 8 + header_len + 4 * (6 + 5 + 1));

  SafetensorsReader r(path);
  CHECK(r.metadata() == meta);
  REQUIRE(r.tensors().size() == 4);
  CHECK(r.at("m").dtype == "F32");
  CHECK(r.at("m").shape == std::vector<int64_t>{2, 3});
  CHECK(r.at("s").shape.empty());
  CHECK(r.at("s").numel == 1);
  CHECK(r.at("empty").numel == 0);
  const std::vector<float> m2 = r.read_f32("m"), v2 = r.read_f32("v"), s2 = r.read_f32("s");
  CHECK(std::memcmp(m2.data(), m.data(), m.size() * 4) == 0);
  CHECK(std::memcmp(v2.data(), v.data(), v.size() * 4) == 0);  // bit-identical, -0 and denormals too
  CHECK(s2 == scalar);
  CHECK(r.read_f32("empty").empty());
  CHECK(r.find("nope") == nullptr);
  CHECK(contains(open_error(path, "nope"), "has no tensor 'nope'"));
}

TEST_CASE("F16, BF16 and F64 tensors are converted exactly to float32") {
  const std::string dir = test::temp_dir("st_dtypes");
  const float inf = std::numeric_limits<float>::infinity();
  // {bits, expected value}: normals, the smallest and largest subnormals, signed zero, inf, NaN.
  const std::vector<std::pair<uint16_t, float>> f16 = {{0x3C00, 1.0f},
                                                       {0xC000, -2.0f},
                                                       {0x3555, 0.333251953125f},
                                                       {0x7BFF, 65504.0f},
                                                       {0x0400, 0x1p-14f},
                                                       {0x0001, 0x1p-24f},
                                                       {0x8001, -0x1p-24f},
                                                       {0x03FF, 1023 * 0x1p-24f},
                                                       {0x0200, 0x1p-15f},
                                                       {0x8000, -0.0f},
                                                       {0x7C00, inf},
                                                       {0xFC00, -inf},
                                                       {0x7E00, NAN}};
  const std::vector<std::pair<uint16_t, float>> bf16 = {
      {0x3F80, 1.0f},      {0xC040, -3.0f},     {0x3EAB, 0.333984375f}, {0x7F7F, 0x1.fep127f},
      {0x0001, 0x1p-133f}, {0x0080, 0x1p-126f}, {0x8000, -0.0f},        {0x7F80, inf},
      {0xFF80, -inf},      {0x7FC0, NAN}};
  const std::vector<double> f64 = {1.0 / 3.0,
                                   -1e300,
                                   1e-40,
                                   -0.0,
                                   0x1.fffffefffffffp127,
                                   0x1.ffffffp127,
                                   std::numeric_limits<double>::quiet_NaN()};
  const std::vector<float> f64_want = {1.0f / 3.0f, -inf, 1e-40f, -0.0f, 0x1.fffffep127f, inf, NAN};

  std::vector<uint16_t> f16_bits, bf16_bits;
  for (auto& [b, _] : f16) f16_bits.push_back(b);
  for (auto& [b, _] : bf16) bf16_bits.push_back(b);
  const size_t n16 = f16.size() * 2, nb16 = bf16.size() * 2, n64 = f64.size() * 8;
  const std::string header =
      "{\"h\":{\"dtype\":\"F16\",\"shape\":[" + std::to_string(f16.size()) + "],\"data_offsets\":[0," +
      std::to_string(n16) + "]},\"b\":{\"dtype\":\"BF16\",\"shape\":[" + std::to_string(bf16.size()) +
      "],\"data_offsets\":[" + std::to_string(n16) + "," + std::to_string(n16 + nb16) +
      "]},\"d\":{\"dtype\":\"F64\",\"shape\":[" + std::to_string(f64.size()) + "],\"data_offsets\":[" +
      std::to_string(n16 + nb16) + "," + std::to_string(n16 + nb16 + n64) + "]}}";
  const std::string path = dir + "/half.safetensors";
  write_raw(path, header, bytes_of(f16_bits) + bytes_of(bf16_bits) + bytes_of(f64));

  SafetensorsReader r(path);
  // Compares bit patterns, so -0 differs from +0 and any NaN matches a NaN.
  auto same = [](float got, float want) {
    return std::isnan(want) ? std::isnan(got) : std::bit_cast<uint32_t>(got) == std::bit_cast<uint32_t>(want);
  };
  const std::vector<float> h = r.read_f32("h"), b = r.read_f32("b"), d = r.read_f32("d");
  for (size_t i = 0; i < f16.size(); ++i) {
    INFO("F16 bits 0x", std::hex, f16[i].first, ": got ", h[i], " want ", f16[i].second);
    CHECK(same(h[i], f16[i].second));
  }
  for (size_t i = 0; i < bf16.size(); ++i) {
    INFO("BF16 bits 0x", std::hex, bf16[i].first, ": got ", b[i], " want ", bf16[i].second);
    CHECK(same(b[i], bf16[i].second));
  }
  for (size_t i = 0; i < f64.size(); ++i) {
    INFO("F64 ", f64[i], ": got ", d[i], " want ", f64_want[i]);
    CHECK(same(d[i], f64_want[i]));
  }
}

TEST_CASE("a large half-precision tensor is converted across read slices") {
  // More than one 1 MiB conversion slice, so a wrong slice offset shows up.
  const std::string dir = test::temp_dir("st_large");
  const size_t n = 700'000;
  std::vector<uint16_t> bits(n);
  // BF16 0x3C00 + j (j < 128) is 2^-7 * (1 + j/128).
  for (size_t i = 0; i < n; ++i) bits[i] = static_cast<uint16_t>(0x3C00 + i % 128);
  write_raw(dir + "/big.safetensors",
            "{\"x\":{\"dtype\":\"BF16\",\"shape\":[" + std::to_string(n) + "],\"data_offsets\":[0," +
                std::to_string(2 * n) + "]}}",
            bytes_of(bits));
  const std::vector<float> x = SafetensorsReader(dir + "/big.safetensors").read_f32("x");
  size_t bad = 0;
  for (size_t i = 0; i < n; ++i)
    if (x[i] != 0x1p-7f * (1.0f + static_cast<float>(i % 128) / 128.0f)) ++bad;
  CHECK(bad == 0);
}

TEST_CASE("malformed files fail with a message naming the file and the tensor") {
  const std::string dir = test::temp_dir("st_bad");
  const std::string f32x4 = std::string(16, '\0');
  auto entry = [](const std::string& name, const std::string& body) {
    return "\"" + name + "\":{" + body + "}";
  };
  const std::string good = "\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]";

  // Sanity: the well-formed version of these files opens.
  write_raw(dir + "/good.safetensors", "{" + entry("w", good) + "}", f32x4);
  CHECK(open_error(dir + "/good.safetensors").empty());

  // Whole-file defects.
  test::write_text(dir + "/short.safetensors", "abcde");
  CHECK(contains(open_error(dir + "/short.safetensors"),
                 "'" + dir + "/short.safetensors': not a safetensors file: 5 bytes"));
  test::write_text(dir + "/empty.safetensors", "");
  CHECK(contains(open_error(dir + "/empty.safetensors"), "0 bytes, shorter than the 8-byte header length"));
  check_bad(dir, "len_past_end", "{}", "", {"header length 1000 runs past the end of the file (10 bytes)"},
            1000);
  check_bad(dir, "len_absurd", "{}", "", {"header length 4611686018427387904 is absurd"}, uint64_t{1} << 62);
  check_bad(dir, "not_json", "{\"w\": {\"dtype\": ", "", {"header is not valid JSON"});
  check_bad(dir, "not_object", "[1, 2, 3]", "", {"header is not a JSON object"});
  check_bad(dir, "duplicate", "{" + entry("w", good) + "," + entry("w", good) + "}", f32x4,
            {"names tensor 'w' twice"});
  check_bad(dir, "meta_not_object", "{\"__metadata__\": [1]}", "", {"__metadata__ is not a JSON object"});
  check_bad(dir, "meta_not_string", "{\"__metadata__\": {\"step\": 5}}", "",
            {"__metadata__ 'step' is 5, expected a string"});

  // Defects of one tensor entry: the message names the tensor.
  check_bad(dir, "entry_not_object", "{\"w\": 3}", "", {"tensor 'w': entry is not a JSON object"});
  check_bad(dir, "no_dtype", "{" + entry("w", "\"shape\":[2,2],\"data_offsets\":[0,16]") + "}", f32x4,
            {"tensor 'w': entry lacks 'dtype'"});
  check_bad(dir, "no_shape", "{" + entry("w", "\"dtype\":\"F32\",\"data_offsets\":[0,16]") + "}", f32x4,
            {"tensor 'w': entry lacks 'shape'"});
  check_bad(dir, "no_offsets", "{" + entry("w", "\"dtype\":\"F32\",\"shape\":[2,2]") + "}", f32x4,
            {"tensor 'w': entry lacks 'data_offsets'"});
  check_bad(dir, "unknown_dtype",
            "{" + entry("w", "\"dtype\":\"F12\",\"shape\":[2,2],\"data_offsets\":[0,16]") + "}", f32x4,
            {"tensor 'w': unknown dtype 'F12'"});
  check_bad(dir, "dtype_not_string",
            "{" + entry("w", "\"dtype\":4,\"shape\":[2,2],\"data_offsets\":[0,16]") + "}", f32x4,
            {"tensor 'w': dtype is not a string"});
  check_bad(dir, "negative_dim",
            "{" + entry("w", "\"dtype\":\"F32\",\"shape\":[-2,2],\"data_offsets\":[0,16]") + "}", f32x4,
            {"tensor 'w': shape holds -2, expected a non-negative integer"});
  check_bad(dir, "fraction_dim",
            "{" + entry("w", "\"dtype\":\"F32\",\"shape\":[2.5,2],\"data_offsets\":[0,16]") + "}", f32x4,
            {"tensor 'w': shape holds 2.5"});
  check_bad(dir, "string_dim",
            "{" + entry("w", "\"dtype\":\"F32\",\"shape\":[\"2\",2],\"data_offsets\":[0,16]") + "}", f32x4,
            {"tensor 'w': shape holds \"2\""});
  check_bad(dir, "shape_not_array",
            "{" + entry("w", "\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]") + "}", f32x4,
            {"tensor 'w': shape is not an array"});
  check_bad(
      dir, "huge_shape",
      "{" + entry("w", "\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]") + "}",
      f32x4, {"tensor 'w': shape [4294967296,4294967296] is too large"});
  check_bad(dir, "size_mismatch",
            "{" + entry("w", "\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]") + "}", f32x4,
            {"tensor 'w': data_offsets [0,12] span 12 bytes, but F32 [2,2] needs 16"});
  check_bad(dir, "offsets_not_pair",
            "{" + entry("w", "\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0]") + "}", f32x4,
            {"tensor 'w': data_offsets is not a [begin, end] pair"});
  check_bad(dir, "offsets_reversed",
            "{" + entry("w", "\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]") + "}", f32x4,
            {"tensor 'w': data_offsets [8,4] end before begin"});
  check_bad(dir, "negative_offset",
            "{" + entry("w", "\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[-4,12]") + "}", f32x4,
            {"tensor 'w': data_offsets holds -4"});
  check_bad(dir, "out_of_range",
            "{" + entry("w", "\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[8,24]") + "}", f32x4,
            {"tensor 'w' data_offsets [8,24] run past the end of the data (16 bytes)"});
  check_bad(dir, "overlap",
            "{" + entry("a", "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]") + "," +
                entry("b", "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]") + "}",
            f32x4, {"tensors 'a' [0,8) and 'b' [4,12) overlap"});
  check_bad(dir, "same_range",
            "{" + entry("a", "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]") + "," +
                entry("b", "\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]") + "}",
            f32x4, {"overlap"});
  // Zero-size tensors take no bytes, so they overlap nothing.
  write_raw(dir + "/zero_size.safetensors",
            "{" + entry("a", "\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]") + "," +
                entry("z", "\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]") + "}",
            f32x4);
  CHECK(open_error(dir + "/zero_size.safetensors").empty());

  // A file cut short: the last tensor's data runs past the end.
  std::vector<float> a(8, 1.0f), b(8, 2.0f);
  const std::string cut = dir + "/truncated.safetensors";
  write_safetensors(cut, {{"a", {8}, a.data()}, {"b", {2, 4}, b.data()}}, {});
  fs::resize_file(cut, fs::file_size(cut) - 5);
  const std::string msg = open_error(cut);
  CHECK(contains(msg,
                 "'" + cut + "': tensor 'b' data_offsets [32,64] run past the end of the data (59 bytes)"));
  CHECK(contains(msg, "truncated"));

  // A tensor of a dtype that is valid safetensors but not floating point cannot be read as floats.
  write_raw(dir + "/ints.safetensors",
            "{" + entry("i", "\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]") + "}", f32x4);
  CHECK(open_error(dir + "/ints.safetensors").empty());
  CHECK(contains(open_error(dir + "/ints.safetensors", "i"),
                 "tensor 'i' has dtype I64, expected F32, F16, BF16 or F64"));

  CHECK(contains(open_error(dir + "/missing.safetensors"), "cannot open '" + dir + "/missing.safetensors'"));
  CHECK(contains(open_error(dir), "'" + dir + "' is a directory"));
}

TEST_CASE("the writer rejects bad tensor lists before touching the file") {
  const std::string dir = test::temp_dir("st_writer_args");
  const std::string path = dir + "/x.safetensors";
  std::vector<float> a(4, 1.0f);
  CHECK_THROWS_WITH_AS(write_safetensors(path, {{"a", {4}, a.data()}, {"a", {4}, a.data()}}, {}),
                       doctest::Contains("tensor 'a' given twice"), Error);
  CHECK_THROWS_WITH_AS(write_safetensors(path, {{"__metadata__", {4}, a.data()}}, {}),
                       doctest::Contains("invalid tensor name"), Error);
  CHECK_THROWS_WITH_AS(write_safetensors(path, {{"a", {-1, 4}, a.data()}}, {}), doctest::Contains("[-1,4]"),
                       Error);
  CHECK_FALSE(fs::exists(path));
  CHECK(leftover_temps(dir).empty());
}

TEST_CASE("atomic write: a failed write leaves the old file intact and no temp file") {
  const std::string dir = test::temp_dir("st_atomic");
  const std::string path = dir + "/model.safetensors";
  std::vector<float> small(4, 1.5f);
  write_safetensors(path, {{"w", {4}, small.data()}}, {{"step", "1"}});
  const std::string before = test::read_text(path);

  SUBCASE("target folder does not exist") {
    const std::string nowhere = dir + "/no/such/dir/model.safetensors";
    CHECK_THROWS_WITH_AS(write_safetensors(nowhere, {{"w", {4}, small.data()}}, {}),
                         doctest::Contains(("cannot write '" + nowhere + "'").c_str()), Error);
    CHECK_FALSE(fs::exists(dir + "/no"));
  }

  SUBCASE("the disk fills up mid-write") {
    // A file-size limit makes write() fail with EFBIG part way, like a full disk.
    std::vector<float> big(1 << 20, 2.5f);
    rlimit old{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limited = old;
    limited.rlim_cur = 64 * 1024;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &limited) == 0);
    std::string msg;
    try {
      write_safetensors(path, {{"w", {1 << 20}, big.data()}}, {{"step", "2"}});
    } catch (const Error& e) {
      msg = e.what();
    }
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);
    INFO("message: ", msg);
    CHECK(contains(msg, "cannot write '" + path + "'"));
  }

  SUBCASE("the rename fails because the target is a folder") {
    const std::string folder = dir + "/taken.safetensors";
    fs::create_directories(folder + "/inside");
    CHECK_THROWS_WITH_AS(write_safetensors(folder, {{"w", {4}, small.data()}}, {}),
                         doctest::Contains(("cannot write '" + folder + "': renaming").c_str()), Error);
    CHECK(fs::is_directory(folder + "/inside"));
  }

  CHECK(test::read_text(path) == before);
  CHECK(SafetensorsReader(path).metadata().at("step") == "1");
  CHECK(leftover_temps(dir).empty());

  // A successful write replaces the old file completely.
  std::vector<float> other(3, -1.0f);
  write_safetensors(path, {{"v", {3}, other.data()}}, {{"step", "3"}});
  SafetensorsReader r(path);
  CHECK(r.find("w") == nullptr);
  CHECK(r.read_f32("v") == other);
  CHECK(leftover_temps(dir).empty());
}
