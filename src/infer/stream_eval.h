#pragma once
// Keyword spotting measured as a stream: the clips of a split played back to back (in an order
// shuffled by a seed) through one StreamSession and the Detector, as `rwkvs stream` would hear them.
// A keyword clip is found when an event of its label starts between the clip's start and its end
// plus grace_s; every other event is a false alarm (fillers such as _unknown_ never fire).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/infer/detector.h"
#include "src/infer/stream_session.h"

namespace rwkvs {

struct StreamEvalOptions {
  DetectorOptions detector;
  double hop_s = 0.1;    // audio per accept_waveform call
  uint64_t seed = 1;     // clip order
  double grace_s = 0.5;  // an event may start this long after its clip ends
  std::shared_ptr<Engine> engine;  // where the session runs the model (null: the CPU functions)
};

struct StreamEvalResult {
  std::vector<std::string> labels;
  std::vector<int64_t> clips, found;  // per class: keyword clips streamed, and found
  int64_t false_alarms = 0;
  double audio_s = 0;

  int64_t keyword_clips() const;
  int64_t keywords_found() const;
  double recall() const;  // found / keyword clips
  double false_alarms_per_hour() const;
  nlohmann::json to_json() const;
  std::string table() const;
};

// clips[i] (mono, at the model's rate) has class labels[i] (an index into model->labels()).
StreamEvalResult evaluate_stream(std::shared_ptr<const StreamModel> model,
                                 const std::vector<std::vector<float>>& clips, const std::vector<int32_t>& labels,
                                 const StreamEvalOptions& options);

}  // namespace rwkvs
