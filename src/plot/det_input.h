#pragma once
// Reads the keyword-spotting sweep out of what `rwkvs eval --json` prints, for the DET figure
// (src/plot/det_figure.h).
//
// The file holds one JSON object (the whole file, possibly spread over lines) or JSON lines, of
// which the first object holding the wanted sweep is taken. An evaluation of a split's clips back
// to back (--stream), or of recordings alone (--streams without --data), writes stream_* keys; one
// of both a dataset and recordings writes the recordings under recordings_* instead:
//   <p>sweep:  [{"threshold":t,"found":n,"recall":r,"false_alarms":f,"false_alarms_per_hour":x}, ...]
//   <p>threshold, <p>recall, <p>false_alarms_per_hour: the operating point (all three, or none)
//   <p>target_fa_per_hour: the target the threshold was chosen for (optional)
//   <p>audio_s, <p>keyword_clips, <p>per_class_recall: what was measured (optional)
// 'threshold', 'recall' (in [0, 1]) and 'false_alarms_per_hour' (>= 0) are required numbers in
// every point; 'found' and 'false_alarms', when there, must be numbers too.
#include <string>

#include "src/plot/det_figure.h"

namespace rwkvs {

enum class DetSweepKind {
  automatic,   // recordings_sweep when the object has one (the running speech), else stream_sweep
  stream,      // stream_sweep
  recordings,  // recordings_sweep
};

struct DetInput {
  DetCurve curve;          // labelled with the path
  std::string prefix;      // "stream_" or "recordings_": the keys drawn
  bool has_other = false;  // the object also holds the other prefix's sweep
  long line = 0;           // the JSON line it came from (0: the whole file was one object)
};

// Errors (rwkvs::Error) name the file (and the line, for JSON lines): unreadable or empty file, a
// line that is not a JSON object, no object with the wanted sweep, a sweep that is not a
// non-empty array of objects, a missing or non-numeric (or non-finite) value, recall outside
// [0, 1], a negative rate, an operating point given in part.
DetInput read_det_input(const std::string& path, DetSweepKind which = DetSweepKind::automatic);

}  // namespace rwkvs
