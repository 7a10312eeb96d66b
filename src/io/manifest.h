#pragma once
// NeMo-style JSON-lines manifests: one object per non-empty line,
//   {"audio_filepath": "clips/a.wav", "label": "yes", "offset": 0.5, "duration": 1.0}
// with "label" (classification) and/or "text" (transcript); "offset"/"duration" are optional
// seconds; other keys are ignored. Relative paths resolve against the manifest's directory.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rwkvs {

struct ManifestEntry {
  std::string audio_path;            // resolved against base_dir when relative
  std::optional<std::string> label;  // "label", when present
  std::optional<std::string> text;   // "text", when present
  double offset = 0;                 // seconds, >= 0
  std::optional<double> duration;    // seconds, >= 0; empty = to the end of the file
  size_t line = 0;                   // 1-based line number in the manifest
};

// Parses manifest text held in memory. 'source_name' names the manifest in error messages;
// 'base_dir' is where relative audio paths resolve ("" leaves them relative to the cwd). With
// 'check_files' each audio file must exist, be a regular file and be readable (it is not decoded).
// Throws rwkvs::Error naming the source and the line for: malformed JSON, a line that is not an
// object, a missing or empty audio_filepath, neither label nor text, a value of the wrong type, a
// negative or non-finite offset/duration, a missing/unreadable file, and a manifest with no entries.
std::vector<ManifestEntry> parse_manifest(std::string_view text, const std::string& source_name,
                                          const std::string& base_dir, bool check_files);

// Reads and parses the manifest file at 'path' (relative audio paths resolve against its directory).
std::vector<ManifestEntry> read_manifest(const std::string& path, bool check_files = true);

}  // namespace rwkvs
