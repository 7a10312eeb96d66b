#include "src/plot/posteriors_file.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "src/plot/stream_records.h"

namespace rwkvs {

namespace {

using nlohmann::json;

double finite_number(const json& rec, const char* key, const std::string& where) {
  const auto it = rec.find(key);
  if (it == rec.end()) fail(where, ": missing '", key, "'");
  if (!it->is_number()) fail(where, ": '", key, "' is not a number (", it->dump(), ")");
  const double v = it->get<double>();
  if (!std::isfinite(v)) fail(where, ": '", key, "' is not finite");
  return v;
}

void read_header(const json& rec, const std::string& where, PosteriorTrack& track) {
  if (rec.value("task", json()) == "ctc")
    fail(where, ": a CTC recogniser's stream (\"task\":\"ctc\"): it has a transcript, not posteriors ",
         "(read_transcript() reads it)");
  const auto labels = rec.find("labels");
  if (labels == rec.end() || !labels->is_array() || labels->empty())
    fail(where, ": the header needs \"labels\": a non-empty array of class names");
  for (const json& l : *labels) {
    if (!l.is_string() || l.get<std::string>().empty())
      fail(where, ": header label ", l.dump(), " is not a non-empty string");
    track.labels.push_back(l.get<std::string>());
  }
  track.hop_s = finite_number(rec, "hop_s", where);
  if (track.hop_s <= 0) fail(where, ": hop_s must be positive, got ", track.hop_s);
  if (rec.contains("sample_rate")) {
    track.sample_rate = finite_number(rec, "sample_rate", where);
    if (track.sample_rate <= 0) fail(where, ": sample_rate must be positive, got ", track.sample_rate);
  }
}

void read_frame(const json& rec, const std::string& where, PosteriorTrack& track) {
  const double t = finite_number(rec, "t", where);
  if (!track.t.empty() && t <= track.t.back())
    fail(where, ": frame time ", t, " s does not come after the previous frame's ", track.t.back(), " s");
  const auto p = rec.find("p");
  if (p == rec.end() || !p->is_array()) fail(where, ": frame needs \"p\": an array of posteriors");
  if (p->size() != track.labels.size())
    fail(where, ": frame has ", p->size(), " posteriors, the header has ", track.labels.size(), " labels");
  for (size_t k = 0; k < p->size(); ++k) {
    const json& v = (*p)[k];
    if (!v.is_number() || !std::isfinite(v.get<double>()))
      fail(where, ": posterior ", k, " ('", track.labels[k], "') is not a finite number (", v.dump(), ")");
    track.p.push_back(v.get<float>());
  }
  track.t.push_back(t);
}

void read_event(const json& rec, const std::string& where, PosteriorTrack& track) {
  DetectionEvent e;
  const auto label = rec.find("label");
  if (label == rec.end() || !label->is_string()) fail(where, ": event needs a string \"label\"");
  e.label = label->get<std::string>();
  const auto it = std::find(track.labels.begin(), track.labels.end(), e.label);
  if (it == track.labels.end())
    fail(where, ": event label '", e.label, "' is not one of the header's labels");
  e.label_index = static_cast<int>(it - track.labels.begin());
  e.start = finite_number(rec, "start", where);
  e.end = finite_number(rec, "end", where);
  if (e.end < e.start) fail(where, ": event ends (", e.end, " s) before it starts (", e.start, " s)");
  e.score = finite_number(rec, "score", where);
  if (e.score < 0 || e.score > 1) fail(where, ": event score ", e.score, " is outside [0, 1]");
  track.events.push_back(e);
}

}  // namespace

PosteriorTrack read_posteriors(const std::string& path) {
  PosteriorTrack track;
  read_stream_records(
      path, "posteriors file", "{\"type\":\"header\",\"labels\":[...],\"hop_s\":...}",
      [&](const json& rec, const std::string& where) { read_header(rec, where, track); },
      [&](const std::string& type, const json& rec, const std::string& where) {
        if (type == "frame") read_frame(rec, where, track);
        else if (type == "event") read_event(rec, where, track);
        // other types (summary, ...) carry nothing to draw
      });
  return track;
}

}  // namespace rwkvs
