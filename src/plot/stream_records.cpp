#include "src/plot/stream_records.h"

#include <fstream>

#include "base/error.h"

namespace rwkvs {

using nlohmann::json;

void read_stream_records(const std::string& path, const std::string& what, const std::string& header_example,
                         const std::function<void(const json& rec, const std::string& where)>& on_header,
                         const std::function<void(const std::string& type, const json& rec,
                                                  const std::string& where)>& on_record) {
  std::ifstream in(path);
  RWKVS_CHECK(in, "cannot open ", what, " '", path, "'");
  bool have_header = false;
  std::string text;
  long line_no = 0;
  while (std::getline(in, text)) {
    ++line_no;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(line_no);
    const json rec = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!rec.is_object()) fail(where, ": not a JSON object");
    const auto type_it = rec.find("type");
    if (type_it == rec.end() || !type_it->is_string()) fail(where, ": no string \"type\"");
    const std::string type = type_it->get<std::string>();
    if (!have_header) {
      if (type != "header")
        fail(where, ": the first record must be the header (", header_example, "), found type '", type, "'");
      on_header(rec, where);
      have_header = true;
    } else if (type == "header") {
      fail(where, ": a second header");
    } else {
      on_record(type, rec, where);
    }
  }
  RWKVS_CHECK(!in.bad(), "error reading ", what, " '", path, "'");
  RWKVS_CHECK(have_header, what, " '", path, "' is empty (expected a header line first)");
}

}  // namespace rwkvs
