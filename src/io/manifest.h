#pragma once
// NeMo-style JSON-lines manifests: one object per non-empty line,
//   {"audio_filepath": "clips/a.wav", "label": "yes", "offset": 0.5, "duration": 1.0}
// with "label" (classification) and/or "text" (transcript); "offset"/"duration" are optional
// seconds; other keys are ignored. Relative paths resolve against the manifest's directory.
// Recordings of running speech name the keywords said in them, with times in seconds from the
// start of the file (offset ignored), for streaming evaluation and training:
//   {"audio_filepath": "s0.wav", "keywords": [{"label": "yes", "start": 1.23, "end": 1.61}, ...]}
// ("keywords": [] is a recording with no keyword: a hard negative).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rwkvs {

struct KeywordSpan {
  std::string label;
  double start_s = 0, end_s = 0;  // end_s >= start_s
};

struct ManifestEntry {
  std::string audio_path;            // resolved against base_dir when relative
  std::optional<std::string> label;  // "label", when present
  std::optional<std::string> text;   // "text", when present
  double offset = 0;                 // seconds, >= 0
  std::optional<double> duration;    // seconds, >= 0; empty = to the end of the file
  std::optional<std::vector<KeywordSpan>> keywords;  // "keywords", sorted by start, when present
  std::string speaker;               // "speaker" (a string, or a number written as text); "" when absent
  size_t line = 0;                   // 1-based line number in the manifest
};

// Parses manifest text held in memory. 'source_name' names the manifest in error messages;
// 'base_dir' is where relative audio paths resolve ("" leaves them relative to the cwd). With
// 'check_files' each audio file must exist, be a regular file and be readable (it is not decoded).
// Throws rwkvs::Error naming the source and the line for: malformed JSON, a line that is not an
// object, a missing or empty audio_filepath, none of label, text or keywords, a keyword without
// a label or with times that are negative, non-finite or end before they start, a value of the wrong type, a
// negative or non-finite offset/duration, a missing/unreadable file, and a manifest with no entries.
std::vector<ManifestEntry> parse_manifest(std::string_view text, const std::string& source_name,
                                          const std::string& base_dir, bool check_files);

// Reads and parses the manifest file at 'path' (relative audio paths resolve against its directory).
std::vector<ManifestEntry> read_manifest(const std::string& path, bool check_files = true);

}  // namespace rwkvs
