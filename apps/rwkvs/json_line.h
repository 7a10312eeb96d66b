#pragma once
// JSON lines as `rwkvs stream` prints them: flat objects whose fields keep their order, numbers at a
// chosen count of significant digits (nlohmann's shortest round-trip printing is not always short:
// 0.828347 came out as 0.8283470000000001), non-finite numbers as null.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace rwkvs::app {

// Writes one line to stdout (not flushed).
inline void print_line(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
}

// Numbers printed with a given count of significant digits ("%.9g": every float32 posterior reads
// back exactly; "%.6g": scores and measurements read better short). Non-finite values are null.
inline void append_number(std::string& s, double v, int digits = 9) {
  if (!std::isfinite(v)) {
    s += "null";
    return;
  }
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  s.append(buf, static_cast<size_t>(n));
}

// A JSON object built in order, with numbers at the precision asked for.
class JsonLine {
 public:
  JsonLine() = default;  // an object without a "type" (e.g. an element of an array)
  explicit JsonLine(const char* type) { text(std::string("type"), type); }
  JsonLine& text(const std::string& key, const std::string& value) {
    field(key);
    s_ += nlohmann::json(value).dump();
    return *this;
  }
  JsonLine& number(const std::string& key, double v, int digits = 6) {
    field(key);
    append_number(s_, v, digits);
    return *this;
  }
  JsonLine& integer(const std::string& key, int64_t v) {
    field(key);
    s_ += std::to_string(v);
    return *this;
  }
  // A value already written as JSON (an array or object built by the caller).
  JsonLine& raw(const std::string& key, const std::string& json_text) {
    field(key);
    s_ += json_text;
    return *this;
  }
  std::string str() const { return s_ + "}"; }

 private:
  void field(const std::string& key) {
    s_ += s_.size() > 1 ? "," : "";
    s_ += nlohmann::json(key).dump() + ":";
  }
  std::string s_ = "{";
};

}  // namespace rwkvs::app
