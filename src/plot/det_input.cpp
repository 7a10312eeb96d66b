#include "src/plot/det_input.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.h"

namespace rwkvs {

namespace {

using nlohmann::json;

bool has_sweep(const json& obj, const std::string& prefix) { return obj.contains(prefix + "sweep"); }

// The prefix 'which' asks for in 'obj', or "" when it has no such sweep.
std::string chosen_prefix(const json& obj, DetSweepKind which) {
  if (which != DetSweepKind::stream && has_sweep(obj, "recordings_")) return "recordings_";
  if (which != DetSweepKind::recordings && has_sweep(obj, "stream_")) return "stream_";
  return "";
}

// The finite number under 'key' of 'obj'; Error naming 'where' and the key when missing (and
// required) or not a finite number. NaN when missing and optional.
double number_at(const json& obj, const std::string& key, const std::string& where, bool required) {
  const auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) fail(where, ": missing '", key, "'");
    return NAN;
  }
  if (!it->is_number()) fail(where, ": '", key, "' is not a number (", it->dump(), ")");
  const double v = it->get<double>();
  if (!std::isfinite(v)) fail(where, ": '", key, "' is not finite");
  return v;
}

DetPoint read_point(const json& p, const std::string& where) {
  if (!p.is_object()) fail(where, ": not an object (", p.dump(), ")");
  DetPoint d;
  d.threshold = number_at(p, "threshold", where, true);
  d.recall = number_at(p, "recall", where, true);
  d.false_alarms_per_hour = number_at(p, "false_alarms_per_hour", where, true);
  number_at(p, "found", where, false);
  number_at(p, "false_alarms", where, false);
  if (d.recall < 0 || d.recall > 1) fail(where, ": recall ", d.recall, " is outside [0, 1]");
  if (d.false_alarms_per_hour < 0)
    fail(where, ": false_alarms_per_hour ", d.false_alarms_per_hour, " is negative");
  return d;
}

DetCurve read_curve(const json& obj, const std::string& prefix, const std::string& where) {
  DetCurve c;
  const json& sweep = obj.at(prefix + "sweep");
  if (!sweep.is_array() || sweep.empty())
    fail(where, ": '", prefix, "sweep' is not a non-empty array of points (", sweep.dump().substr(0, 60),
         ")");
  for (size_t i = 0; i < sweep.size(); ++i)
    c.sweep.push_back(read_point(sweep[i], where + ": " + prefix + "sweep[" + std::to_string(i) + "]"));

  const double threshold = number_at(obj, prefix + "threshold", where, false);
  const double recall = number_at(obj, prefix + "recall", where, false);
  const double rate = number_at(obj, prefix + "false_alarms_per_hour", where, false);
  const int given = !std::isnan(threshold) + !std::isnan(recall) + !std::isnan(rate);
  if (given == 3) {
    c.operating = DetPoint{threshold, recall, rate};
    if (recall < 0 || recall > 1) fail(where, ": '", prefix, "recall' ", recall, " is outside [0, 1]");
    if (rate < 0) fail(where, ": '", prefix, "false_alarms_per_hour' ", rate, " is negative");
  } else if (given > 0) {
    fail(where, ": the operating point needs '", prefix, "threshold', '", prefix, "recall' and '", prefix,
         "false_alarms_per_hour' together; ",
         std::isnan(threshold) ? "threshold"
         : std::isnan(recall)  ? "recall"
                               : "false_alarms_per_hour",
         " is missing");
  }
  const double target = number_at(obj, prefix + "target_fa_per_hour", where, false);
  if (!std::isnan(target)) {
    if (target < 0) fail(where, ": '", prefix, "target_fa_per_hour' ", target, " is negative");
    c.target_fa_per_hour = target;
  }
  const double audio_s = number_at(obj, prefix + "audio_s", where, false);
  if (!std::isnan(audio_s)) {
    if (audio_s < 0) fail(where, ": '", prefix, "audio_s' ", audio_s, " is negative");
    c.audio_s = audio_s;
  }
  const double keywords = number_at(obj, prefix + "keyword_clips", where, false);
  if (!std::isnan(keywords)) {
    if (keywords < 0 || keywords != std::floor(keywords))
      fail(where, ": '", prefix, "keyword_clips' ", keywords, " is not a count");
    c.keywords = static_cast<long long>(keywords);
  }
  const auto per_class = obj.find(prefix + "per_class_recall");
  if (per_class != obj.end() && per_class->is_object())
    for (const auto& [name, value] : per_class->items()) c.keyword_names.push_back(name);
  // recordings_*: running speech; stream_* is a split's clips back to back when a dataset was
  // evaluated (the object names its split), the recordings when only they were.
  if (prefix == "recordings_")
    c.audio_kind = "running speech";
  else if (obj.contains("split"))
    c.audio_kind = "clips back to back";
  else if (obj.contains("streams"))
    c.audio_kind = "running speech";
  return c;
}

std::string wanted(DetSweepKind which) {
  switch (which) {
    case DetSweepKind::stream:
      return "no 'stream_sweep'";
    case DetSweepKind::recordings:
      return "no 'recordings_sweep'";
    default:
      return "no 'stream_sweep' or 'recordings_sweep'";
  }
}

}  // namespace

DetInput read_det_input(const std::string& path, DetSweepKind which) {
  std::ifstream in(path, std::ios::binary);
  RWKVS_CHECK(in, "cannot open eval file '", path, "'");
  std::ostringstream buf;
  buf << in.rdbuf();
  RWKVS_CHECK(!in.bad(), "error reading eval file '", path, "'");
  const std::string text = buf.str();
  RWKVS_CHECK(text.find_first_not_of(" \t\r\n") != std::string::npos, "eval file '", path, "' is empty");
  const std::string hint = " (expected the output of rwkvs eval --json with --stream or --streams)";

  DetInput r;
  const json whole = json::parse(text, nullptr, /*allow_exceptions=*/false);
  json obj;
  if (!whole.is_discarded()) {
    if (!whole.is_object()) fail("eval file '", path, "' holds JSON that is not an object");
    obj = whole;
    r.prefix = chosen_prefix(obj, which);
    if (r.prefix.empty()) fail("eval file '", path, "' has ", wanted(which), hint);
  } else {
    std::istringstream lines(text);
    std::string line;
    long line_no = 0;
    while (std::getline(lines, line)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      json rec = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!rec.is_object()) fail(path, ":", line_no, ": not a JSON object");
      r.prefix = chosen_prefix(rec, which);
      if (!r.prefix.empty()) {
        obj = std::move(rec);
        r.line = line_no;
        break;
      }
    }
    if (r.prefix.empty()) fail("eval file '", path, "': no line has ", wanted(which).substr(3), hint);
  }
  const std::string where = r.line ? path + ":" + std::to_string(r.line) : path;
  r.curve = read_curve(obj, r.prefix, where);
  r.curve.label = path;
  r.has_other = has_sweep(obj, r.prefix == "stream_" ? "recordings_" : "stream_");
  return r;
}

}  // namespace rwkvs
