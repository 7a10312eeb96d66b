#pragma once
// The immutable half of streaming (sherpa-onnx's recognizer/stream split): an audio classifier
// loaded once -- its parameters, the frontend settings it was trained with and their feature
// computer, its labels -- shared by any number of StreamSessions and threads through a
// shared_ptr<const StreamModel>. Nothing in it changes after construction, so every method is
// safe to call from several threads at once.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "frontends/audio/feature_pipeline.h"
#include "src/audio/frontend_config.h"
#include "src/model/engine.h"
#include "src/model/model.h"

namespace rwkvs {

class StreamModel {
 public:
  // Loads a checkpoint and checks it can stream (see the constructor). Errors name the file.
  static std::shared_ptr<const StreamModel> load(const std::string& path);

  // Takes a model built in memory; 'source' names it in messages (a path, or e.g. "random model").
  // The model must take feature frames and have a classes or ctc head, with framed frontend
  // settings (fbank / mel / mfcc) whose features, frame_stack at a time, make its input_dim;
  // otherwise an Error such as "'m.safetensors' is a text model; stream needs an audio model with
  // a classes or ctc head". Keyword detection (detector, stream_eval) needs a classes head.
  StreamModel(Model model, std::string source);

  const Model& model() const { return model_; }
  const ModelConfig& config() const { return model_.config(); }
  const FrontendConfig& frontend() const { return frontend_; }
  // Shared by every session of this model (compute_frame is const and thread-safe).
  const std::shared_ptr<const FeatureComputer>& computer() const { return features_.computer; }
  // The computer and the frame stages (CMVN) every session runs.
  const FeaturePipeline& features() const { return features_; }
  const std::vector<std::string>& labels() const { return model_.config().labels; }
  int num_classes() const { return static_cast<int>(labels().size()); }
  // Feature frames per model position (ctc models stack them; 1 otherwise).
  int frame_stack() const { return model_.config().frame_stack; }
  bool is_ctc() const { return model_.config().ctc_head(); }
  const std::string& source() const { return source_; }

  double sample_rate() const { return features_.sample_rate(); }  // of the audio the model hears
  double frame_shift_s() const;                                    // time between frames
  double window_s() const;                                         // samples one frame reads
  double frame_end_s(int64_t frame) const;                         // end of frame's window
  // How far a centred CMVN window looks ahead (0 for causal CMVN, whose start-up wait for the
  // first min_window frames happens once per stream).
  double cmvn_lookahead_s() const;

  // A 64-bit hash of the configuration (train_step aside) and every parameter: saved stream states
  // carry it so that a state is only ever continued on the model that made it.
  uint64_t fingerprint() const { return fingerprint_; }

  // The engine a session or batch steps on when none is set: null for RWKV-4 (the CPU recurrent
  // step), a CPU engine for RWKV-7 (whose step is the parallel form at T = 1 from the state).
  std::shared_ptr<Engine> default_engine() const;

  // Throws, naming 'who', unless 'engine' runs this model's configuration (sessions and batches
  // check an engine before stepping on it).
  void check_engine(const Engine& engine, const char* who) const;

 private:
  Model model_;
  std::string source_;
  FrontendConfig frontend_;
  FeaturePipeline features_;
  uint64_t fingerprint_ = 0;
};

}  // namespace rwkvs
