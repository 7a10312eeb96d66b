#include "src/plot/transcript_track.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "src/plot/stream_records.h"

namespace rwkvs {

namespace {

using nlohmann::json;

constexpr double kWordSlackS = 1e-6;  // the writer prints 9 significant digits

double finite_number(const json& rec, const char* key, const std::string& where, const std::string& what) {
  const auto it = rec.find(key);
  if (it == rec.end()) fail(where, ": missing '", key, "' in ", what);
  if (!it->is_number()) fail(where, ": '", key, "' of ", what, " is not a number (", it->dump(), ")");
  const double v = it->get<double>();
  if (!std::isfinite(v)) fail(where, ": '", key, "' of ", what, " is not finite");
  return v;
}

void read_header(const json& rec, const std::string& where, TranscriptTrack& track) {
  const auto task = rec.find("task");
  if (task == rec.end() || !task->is_string() || task->get<std::string>() != "ctc")
    fail(where, ": the header's \"task\" is ", task == rec.end() ? std::string("missing") : task->dump(),
         ", expected \"ctc\" (a keyword posteriors file?)");
  if (const auto labels = rec.find("labels"); labels != rec.end()) {
    if (!labels->is_array()) fail(where, ": the header's \"labels\" is not an array");
    for (const json& l : *labels) {
      if (!l.is_string()) fail(where, ": header label ", l.dump(), " is not a string");
      track.labels.push_back(l.get<std::string>());
    }
  }
  for (const auto& [key, value] :
       {std::pair{"position_s", &track.position_s}, std::pair{"sample_rate", &track.sample_rate}}) {
    if (!rec.contains(key)) continue;
    *value = finite_number(rec, key, where, "the header");
    if (*value <= 0) fail(where, ": the header's ", key, " must be positive, got ", *value);
  }
  if (const auto decoder = rec.find("decoder"); decoder != rec.end()) {
    if (!decoder->is_string())
      fail(where, ": the header's \"decoder\" is not a string (", decoder->dump(), ")");
    track.decoder = decoder->get<std::string>();
  }
}

TranscriptWord read_word(const json& w, size_t i, const TranscriptSegment& seg, const std::string& where) {
  const std::string what = "word " + std::to_string(i);
  if (!w.is_object()) fail(where, ": ", what, " is not an object (", w.dump(), ")");
  TranscriptWord word;
  const auto text = w.find("word");
  if (text == w.end() || !text->is_string()) fail(where, ": ", what, " has no string \"word\"");
  word.word = text->get<std::string>();
  const std::string named = what + " ('" + word.word + "')";
  word.start = finite_number(w, "start", where, named);
  word.end = finite_number(w, "end", where, named);
  if (word.end < word.start)
    fail(where, ": ", named, " ends (", word.end, " s) before it starts (", word.start, " s)");
  if (word.start < seg.start - kWordSlackS || word.end > seg.end + kWordSlackS)
    fail(where, ": ", named, " spans [", word.start, ", ", word.end, "] s, outside its segment's [",
         seg.start, ", ", seg.end, "] s");
  return word;
}

void read_final(const json& rec, const std::string& where, TranscriptTrack& track) {
  TranscriptSegment seg;
  const auto index = rec.find("segment");
  if (index == rec.end() || !index->is_number_integer() || index->get<int64_t>() < 0)
    fail(where, ": final needs \"segment\": a non-negative integer",
         index == rec.end() ? std::string() : " (got " + index->dump() + ")");
  seg.index = index->get<int64_t>();
  seg.start = finite_number(rec, "start", where, "the final");
  seg.end = finite_number(rec, "end", where, "the final");
  if (seg.end < seg.start)
    fail(where, ": segment ", seg.index, " ends (", seg.end, " s) before it starts (", seg.start, " s)");
  const auto text = rec.find("text");
  if (text == rec.end() || !text->is_string())
    fail(where, ": final needs a string \"text\"",
         text == rec.end() ? std::string() : " (got " + text->dump() + ")");
  seg.text = text->get<std::string>();
  if (const auto words = rec.find("words"); words != rec.end()) {
    if (!words->is_array()) fail(where, ": final's \"words\" is not an array");
    for (size_t i = 0; i < words->size(); ++i) seg.words.push_back(read_word((*words)[i], i, seg, where));
  }
  track.segments.push_back(std::move(seg));
}

}  // namespace

StreamOutputKind stream_output_kind(const std::string& path) {
  std::ifstream in(path);
  RWKVS_CHECK(in, "cannot open stream output file '", path, "'");
  std::string text;
  while (std::getline(in, text)) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const json rec = json::parse(text, nullptr, /*allow_exceptions=*/false);
    const bool ctc =
        rec.is_object() && rec.value("type", json()) == "header" && rec.value("task", json()) == "ctc";
    return ctc ? StreamOutputKind::ctc : StreamOutputKind::keywords;
  }
  RWKVS_CHECK(!in.bad(), "error reading stream output file '", path, "'");
  return StreamOutputKind::keywords;
}

TranscriptTrack read_transcript(const std::string& path) {
  TranscriptTrack track;
  read_stream_records(
      path, "CTC stream file", "{\"type\":\"header\",\"task\":\"ctc\",...}",
      [&](const json& rec, const std::string& where) { read_header(rec, where, track); },
      [&](const std::string& type, const json& rec, const std::string& where) {
        if (type == "final") read_final(rec, where, track);  // partial, summary, ...: nothing to draw
      });
  return track;
}

}  // namespace rwkvs
