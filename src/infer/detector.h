#pragma once
// Keyword events from per-frame posteriors: each class's posterior is smoothed by a moving average
// over the last smooth_s seconds of frames (frames before the stream count as 0); a class fires when its smoothed
// posterior reaches the threshold, and the event lasts until the first frame where it falls below
// (or the end of the input). Labels starting with '_' (_unknown_, _silence_, ...) are fillers and
// never fire. After an event ends, its class cannot start another for refractory_s seconds; a rise
// inside that time is ignored until the class falls below the threshold again (no event starting
// half-way up a plateau). Classes are independent of each other.
#include <cstdint>
#include <string>
#include <vector>

namespace rwkvs {

struct DetectorOptions {
  double threshold = 0.7;     // in (0, 1]
  double smooth_s = 0.3;      // >= 0; 0 means no smoothing
  double refractory_s = 0.3;  // >= 0; longer swallows a keyword said twice within a second
};

struct Detection {
  int label = 0;       // index into the detector's labels
  double start_s = 0;  // time of the first frame at or above the threshold
  double end_s = 0;    // time of the first frame below it, or of the last frame
  double score = 0;    // the highest smoothed posterior during the event, in [0, 1]
};

class Detector {
 public:
  // frame_shift_s turns smooth_s into a frame count. Error on a bad option or empty labels.
  Detector(std::vector<std::string> labels, double frame_shift_s, const DetectorOptions& options);

  // One frame's posteriors [K] at time_s (increasing); events that end here are appended to *events.
  void push(double time_s, const float* posteriors /*[K]*/, std::vector<Detection>* events);
  // End of input: events still open end at the last frame's time and are appended.
  void finish(std::vector<Detection>* events);
  // Forgets everything (a new stream).
  void reset();

  int window_frames() const { return window_; }
  const std::vector<std::string>& labels() const { return labels_; }
  // The smoothed posteriors of the last frame pushed [K].
  const std::vector<float>& smoothed() const { return smoothed_; }

 private:
  struct ClassTrack {
    bool filler = false;
    bool active = false;  // inside an event
    bool armed = true;    // false while a rise during the refractory time is being ignored
    double start_s = 0, score = 0;
    double blocked_until = -1e300;  // no new event before this time
  };

  std::vector<std::string> labels_;
  DetectorOptions options_;
  int window_ = 1;           // frames averaged
  std::vector<float> ring_;  // [window, K] last frames' posteriors
  int64_t frames_seen_ = 0;
  double last_time_ = 0;
  std::vector<float> smoothed_;  // [K]
  std::vector<ClassTrack> tracks_;
};

}  // namespace rwkvs
