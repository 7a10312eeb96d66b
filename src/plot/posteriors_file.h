#pragma once
// Reads a per-frame posteriors file (JSON lines; the format is specified in
// src/plot/stream_figure.h, next to the figure that draws it).
#include <cstdint>
#include <string>
#include <vector>

namespace rwkvs {

struct DetectionEvent {
  std::string label;
  int label_index = 0;        // into PosteriorTrack::labels
  double start = 0, end = 0;  // seconds
  double score = 0;
};

struct PosteriorTrack {
  std::vector<std::string> labels;  // K class names
  double hop_s = 0;
  double sample_rate = 0;  // of the audio the model heard (0 when the header leaves it out)
  std::vector<double> t;   // [T] frame end times, strictly increasing
  std::vector<float> p;    // [T, K] posteriors, row per frame
  std::vector<DetectionEvent> events;
  int classes() const { return static_cast<int>(labels.size()); }
  int64_t frames() const { return static_cast<int64_t>(t.size()); }
};

// Errors (rwkvs::Error) name the file and line: unreadable file, a line that is not a JSON object
// or lacks "type", a first record that is not the header, a second header, the header of a CTC
// stream ("task":"ctc": read_transcript() in transcript_track.h reads those), a header without
// labels (non-empty strings) or a positive hop_s, a frame with a non-numeric t or a posterior
// count other than the header's, non-numeric or non-finite values, frame times that do not
// increase, an event with an unknown label, end < start or a score outside [0, 1].
PosteriorTrack read_posteriors(const std::string& path);

}  // namespace rwkvs
