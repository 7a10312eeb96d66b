#include "src/io/manifest.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.h"

namespace rwkvs {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Prefix for every message about one line, so users can jump straight to it.
std::string where(const std::string& source, size_t line) {
  return str_cat("manifest '", source, "' line ", line, ": ");
}

// nlohmann reports "[json.exception.parse_error.101] parse error at line 1, column 7: ...";
// every manifest line is parsed alone, so its "line 1" would only confuse. Keep the column and
// the reason (or, for a number overflow, the reason alone).
std::string json_reason(const json::exception& e) {
  const std::string what = e.what();
  const size_t column = what.find("column ");
  if (column != std::string::npos) return what.substr(column);
  const size_t tag_end = what.find("] ");
  return tag_end == std::string::npos ? what : what.substr(tag_end + 2);
}

double seconds_field(const json& object, const char* key, const std::string& at) {
  const json& v = object.at(key);
  if (!v.is_number()) fail(at, "'", key, "' must be a number of seconds, got ", v.type_name());
  const double s = v.get<double>();
  if (!std::isfinite(s) || s < 0)
    fail(at, "'", key, "' must be a non-negative number of seconds, got ", v.dump());
  return s;
}

std::optional<std::string> string_field(const json& object, const char* key, const std::string& at) {
  if (!object.contains(key)) return std::nullopt;
  const json& v = object.at(key);
  if (!v.is_string()) fail(at, "'", key, "' must be a string, got ", v.type_name());
  return v.get<std::string>();
}

std::vector<KeywordSpan> keyword_spans(const json& list, const std::string& at) {
  if (!list.is_array()) fail(at, "'keywords' must be an array, got ", list.type_name());
  std::vector<KeywordSpan> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string here = at + "keywords[" + std::to_string(i) + "]: ";
    const json& k = list[i];
    if (!k.is_object()) fail(here, "expected an object with label, start and end, got ", k.type_name());
    KeywordSpan s;
    const std::optional<std::string> label = string_field(k, "label", here);
    if (!label || label->empty()) fail(here, "needs a non-empty 'label'");
    s.label = *label;
    for (const char* key : {"start", "end"})
      if (!k.contains(key)) fail(here, "missing '", key, "'");
    s.start_s = seconds_field(k, "start", here);
    s.end_s = seconds_field(k, "end", here);
    if (s.end_s < s.start_s) fail(here, "ends (", s.end_s, " s) before it starts (", s.start_s, " s)");
    out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(), [](const KeywordSpan& a, const KeywordSpan& b) { return a.start_s < b.start_s; });
  return out;
}

void check_audio_file(const std::string& path, const std::string& at) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) fail(at, "audio file '", path, "' does not exist");
  if (!fs::is_regular_file(st)) fail(at, "audio file '", path, "' is not a regular file");
  if (::access(path.c_str(), R_OK) != 0) fail(at, "audio file '", path, "' is not readable");
}

ManifestEntry parse_line(std::string_view line_text, size_t line, const std::string& source,
                         const std::string& base_dir, bool check_files) {
  const std::string at = where(source, line);
  json object;
  try {
    object = json::parse(line_text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    fail(at, "malformed JSON (", json_reason(e), ")");
  }
  if (!object.is_object()) fail(at, "expected a JSON object, got ", object.type_name());

  ManifestEntry entry;
  entry.line = line;
  const std::optional<std::string> path = string_field(object, "audio_filepath", at);
  if (!path) fail(at, "missing 'audio_filepath'");
  if (path->empty()) fail(at, "'audio_filepath' is empty");
  if (path->find('\0') != std::string::npos) fail(at, "'audio_filepath' contains a NUL character");
  const fs::path p(*path);
  entry.audio_path = (p.is_absolute() || base_dir.empty()) ? p.string() : (fs::path(base_dir) / p).string();

  entry.label = string_field(object, "label", at);
  entry.text = string_field(object, "text", at);
  if (object.contains("keywords")) entry.keywords = keyword_spans(object.at("keywords"), at);
  if (object.contains("speaker")) {
    const json& sp = object.at("speaker");
    if (sp.is_string()) entry.speaker = sp.get<std::string>();
    else if (sp.is_number()) entry.speaker = sp.dump();
    else if (!sp.is_null()) fail(at, "'speaker' must be a string or a number, got ", sp.type_name());
  }
  if (!entry.label && !entry.text && !entry.keywords) fail(at, "needs a 'label', a 'text' or 'keywords'");
  if (entry.label && entry.label->empty()) fail(at, "'label' is empty");
  if (object.contains("offset")) entry.offset = seconds_field(object, "offset", at);
  if (object.contains("duration")) entry.duration = seconds_field(object, "duration", at);
  if (check_files) check_audio_file(entry.audio_path, at);
  return entry;
}

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos; }

}  // namespace

std::vector<ManifestEntry> parse_manifest(std::string_view text, const std::string& source_name,
                                          const std::string& base_dir, bool check_files) {
  std::vector<ManifestEntry> entries;
  size_t line = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ++line;
    const std::string_view line_text = text.substr(start, end - start);
    if (!is_blank(line_text))
      entries.push_back(parse_line(line_text, line, source_name, base_dir, check_files));
    start = end + 1;
  }
  if (entries.empty()) fail("manifest '", source_name, "' has no entries");
  return entries;
}

std::vector<ManifestEntry> read_manifest(const std::string& path, bool check_files) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail("manifest '", path, "' does not exist");
  if (fs::is_directory(path, ec)) fail("manifest '", path, "' is a directory, expected a JSON-lines file");
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("manifest '", path, "' cannot be opened for reading");
  std::ostringstream contents;
  contents << f.rdbuf();
  if (f.bad()) fail("manifest '", path, "': read error");
  const std::string base_dir = fs::path(path).parent_path().string();
  return parse_manifest(contents.str(), path, base_dir, check_files);
}

}  // namespace rwkvs
