#pragma once
// Keyword spotting measured as a stream, as `rwkvs stream` would hear it: recordings of running
// speech with the keywords said in them (or a split's clips played back to back, in an order
// shuffled by a seed), each through one StreamSession and the Detector.
//
// A keyword is found when an event of its label starts between the keyword's start and its end
// plus grace_s (each keyword found once, each event used once); every other event is a false alarm
// (fillers such as _unknown_ never fire). The posteriors are scored once and the detector is then
// replayed over a sweep of thresholds, giving recall against false alarms per hour (a DET curve);
// the operating point is the detector's threshold, or the lowest threshold of the sweep whose false
// alarms per hour stay within a target (calibration, done on validation data).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/audio/pcm16_clip.h"
#include "src/infer/detector.h"
#include "src/infer/stream_session.h"
#include "src/io/manifest.h"

namespace rwkvs {

// One recording: mono samples at the model's rate and the keywords said in it (label names).
struct KeywordRecording {
  std::string name;  // for messages
  std::vector<float> samples;
  std::vector<KeywordSpan> keywords;
};

struct StreamEvalOptions {
  DetectorOptions detector;  // smoothing and refractory time; its threshold is the operating point
  double hop_s = 0.1;        // audio per accept_waveform call
  uint64_t seed = 1;         // clips back to back: their order
  double grace_s = 0.5;      // an event may start this long after its keyword ends
  std::shared_ptr<Engine> engine;  // where the sessions run the model (null: the CPU functions)
  // > 0: the operating threshold is the lowest of the sweep with at most this many false alarms
  // per hour (the highest of the sweep when none reaches it).
  double target_fa_per_hour = 0;
  std::vector<double> thresholds;  // the sweep (any order); empty: default_sweep_thresholds()
};

// 0.05 ... 0.95, then finer towards 1 (0.96 ... 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999), where
// low false-alarm rates live.
std::vector<double> default_sweep_thresholds();

// What the detector found at one threshold.
struct DetectionCounts {
  double threshold = 0;
  std::vector<int64_t> keywords, found;  // per class: keywords said, and found
  int64_t false_alarms = 0;
  double audio_s = 0;

  int64_t keywords_said() const;
  int64_t keywords_found() const;
  double recall() const;  // found / said
  double false_alarms_per_hour() const;
};

struct StreamEvalResult {
  std::vector<std::string> labels;
  DetectionCounts at;                 // the operating point
  std::vector<DetectionCounts> sweep;  // ascending thresholds
  double target_fa_per_hour = 0;      // 0: none was asked for
  bool target_met = true;

  double recall() const { return at.recall(); }
  double false_alarms_per_hour() const { return at.false_alarms_per_hour(); }
  // stream_* keys: audio, keywords, found, recall, false alarms (and per hour), per-class recall,
  // threshold, the target when given, and the sweep as a list of points.
  nlohmann::json to_json() const;
  std::string table() const;
};

// Scores 'count' recordings, loaded one at a time by load(i) (so an hour of audio is never held at
// once), each through a fresh session and detector. Keywords must be classes of the model.
StreamEvalResult evaluate_recordings(std::shared_ptr<const StreamModel> model, size_t count,
                                     const std::function<KeywordRecording(size_t)>& load,
                                     const StreamEvalOptions& options);

// clips[i] (mono, at the model's rate) has class labels[i] (an index into model->labels()): the clips
// back to back as one recording, a keyword clip's whole span counting as its keyword.
StreamEvalResult evaluate_stream(std::shared_ptr<const StreamModel> model,
                                 const std::vector<std::vector<float>>& clips, const std::vector<int32_t>& labels,
                                 const StreamEvalOptions& options);
// The same for stored 16-bit clips (a ClipSet's waves), turned into floats as they are joined.
StreamEvalResult evaluate_stream(std::shared_ptr<const StreamModel> model, const std::vector<Pcm16Clip>& clips,
                                 const std::vector<int32_t>& labels, const StreamEvalOptions& options);

}  // namespace rwkvs
