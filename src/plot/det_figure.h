#pragma once
// The DET figure of keyword spotting: how many keywords a detector finds against how often it
// fires when no keyword was said, one line per evaluation, over the sweep of detector thresholds
// that `rwkvs eval --stream/--streams` measures.
//
//   x: false alarms per hour, on a log axis (decades labelled 0.1, 1, 10, 100, ...; faint lines at
//      2..9 x each decade). A rate of 0 has no place on a log axis, so points with no false alarm
//      are drawn at a floor one decade below the finest rate any of the evaluations can resolve
//      (one false alarm in its audio: 3600 / audio_s per hour), rounded down to a power of ten;
//      that position is labelled "0" and a break mark on the axis separates it from the decades.
//   y: recall, the percentage of the keywords said that were found. Recall rather than the miss
//      rate of classic DET plots: "found 95% of the keywords" is what people quote, and up-and-left
//      then reads as better, as on the other figures.
//   Each evaluation's operating point (the threshold the detector runs at) is a larger dot labelled
//   "threshold t"; a target false-alarm rate, when the evaluation had one, is a vertical dashed line
//   in the curve's color (gray when several curves share it), labelled "target r/h". The title says
//   what was measured (hours of audio, what kind, keywords said); the lines under it give each
//   operating point in numbers, the caller's notes and the keyword names.
#include <optional>
#include <string>
#include <vector>

#include "src/plot/axes.h"

namespace rwkvs {

struct DetPoint {
  double threshold = 0;
  double recall = 0;                 // found / said, in [0, 1]
  double false_alarms_per_hour = 0;  // >= 0
};

struct DetCurve {
  std::string label;                       // the legend's name for it
  std::vector<DetPoint> sweep;             // any order; drawn in ascending threshold
  std::optional<DetPoint> operating;       // the detector's threshold and what it gives
  double target_fa_per_hour = 0;           // > 0: the rate the operating point was chosen for
  double audio_s = 0;                      // seconds of audio measured (0: unknown)
  long long keywords = -1;                 // keywords said in it (-1: unknown)
  std::vector<std::string> keyword_names;  // the classes counted as keywords (may be empty)
  std::string audio_kind;                  // "running speech", "clips back to back", or "" (unknown)
};

struct DetFigureOptions {
  int width = 1000;  // pixels
  int height = 750;
  std::vector<std::string> notes;  // extra items for the lines under the title
  // Appended to the title after " · " (e.g. which of a file's sweeps is drawn); it opens the lines
  // under the title instead when the title would not fit the picture's width.
  std::string title_note;
};

// Where things ended up, for callers and tests that look at the pixels.
struct DetFigureLayout {
  Rect area;                // the data rectangle
  Range x;                  // log10(false alarms per hour) across the rectangle
  Range y;                  // recall in percent, bottom to top
  double zero_floor = 0;    // false alarms per hour at which 0 is drawn (x = log10 of it)
  std::vector<Rgb> colors;  // [curves]
  // Pixel position of a point of the figure (false alarms per hour, recall in [0, 1]).
  Point at(double false_alarms_per_hour, double recall) const;
};

// The rate at which "no false alarm" is drawn for these curves (see the top of this file).
double det_zero_floor(const std::vector<DetCurve>& curves);

// Draws the figure to 'out_path' (.png or .svg). Error when there is no curve, a curve has no
// points or a point is out of range (the readers check their files first), or when the picture
// cannot be written.
DetFigureLayout plot_det_figure(const std::vector<DetCurve>& curves, const std::string& out_path,
                                const DetFigureOptions& options);

}  // namespace rwkvs
