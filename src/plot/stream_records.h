#pragma once
// The record loop shared by the readers of `rwkvs stream` output (posteriors_file, transcript_track):
// JSON lines, blank lines skipped, each line an object with a string "type", the first one the
// header, no second header. Errors name the file and line ("path:line: ...").
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace rwkvs {

// what: the file's kind in messages ("posteriors file"); header_example: the header line shown when the
// first record is something else. on_header(rec, where) gets the header, on_record(type, rec, where)
// every later record; 'where' is "path:line".
void read_stream_records(const std::string& path, const std::string& what, const std::string& header_example,
                         const std::function<void(const nlohmann::json& rec, const std::string& where)>& on_header,
                         const std::function<void(const std::string& type, const nlohmann::json& rec,
                                                  const std::string& where)>& on_record);

}  // namespace rwkvs
