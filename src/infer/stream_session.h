#pragma once
// One audio stream through a shared StreamModel: resampling when the input rate differs,
// streaming features, the model's recurrent state, and the per-frame outputs not yet taken.
//
//   auto model = StreamModel::load("kws.safetensors");
//   StreamSession s(model);
//   s.accept_waveform(16000, chunk, n);     // any number of times, any n (0 included)
//   s.step();                               // runs the frames that became ready through the model
//   for (const FrameOutput& o : s.take_outputs()) use(o.time_s, o.posteriors);
//   s.input_finished(); s.step();           // the frames that need the end of the signal
//   s.save_state("s.state"); s.load_state("s.state"); s.reset();
//
// Memory is constant in the stream length: about two windows of samples (plus one resampler block
// and one accepted chunk), the frames accepted but not stepped, and the outputs not taken.
// A session is used by one thread at a time; sessions of one model may run on different threads.
//
// Two ways to step (StepMode), both within 1e-5 of the parallel forward over the whole file:
//  - hop:   the frames ready at a step() go through the parallel form together (rwkv4_forward
//           carrying the state; at most kMaxFramesPerForward at a time). About 3x faster than
//           frame by frame for 10-frame hops, because the products become small GEMMs. Results
//           depend on how frames are grouped, at float rounding level, so they are bit-identical
//           when the same audio is fed in the same pieces (and save/load replays do that).
//  - frame: one rwkv4_step per frame (the recurrent form): bit-identical for any chunking.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "frontends/audio/online_features.h"
#include "frontends/audio/resampler.h"
#include "src/infer/stream_model.h"
#include "src/model/engine.h"
#include "src/model/rwkv4.h"
#include "src/model/state.h"

namespace rwkvs {

enum class StepMode { hop, frame };
StepMode parse_step_mode(const std::string& name);  // "hop" | "frame"; Error otherwise
std::string step_mode_name(StepMode mode);

// The model's view of one position: its global index (the frame's, for models that stack no
// frames; with frame_stack s, position p covers frames p*s .. p*s+s-1), the end of its last
// frame's window in seconds (at the model's sample rate, so resampled input keeps its timeline),
// and softmax(logits) over the labels; CTC models also give log_softmax(logits) for the decoders.
struct FrameOutput {
  int64_t frame = 0;
  double time_s = 0;
  std::vector<float> posteriors;  // [K]
  std::vector<float> log_probs;   // [K], ctc heads only
};

// out (K) = log_softmax(logits (K)), the sum accumulated in double (the offline decoders use it too).
void log_softmax_row(const float* logits /*[K]*/, int64_t K, float* out /*[K]*/);

// out (K) = softmax(logits (K)), max-subtracted, the sum accumulated in double.
void softmax_posteriors(const float* logits /*[K]*/, int64_t K, float* out /*[K]*/);

class StreamSession {
 public:
  static constexpr int64_t kMaxFramesPerForward = 256;  // hop mode: bounds the activations

  explicit StreamSession(std::shared_ptr<const StreamModel> model, StepMode mode = StepMode::hop);

  // Mono samples at 'sample_rate' Hz (samples may be null when n == 0; values must be finite).
  // The first call with n > 0 fixes the stream's rate; when it differs from the model's, the audio
  // is resampled (libsoxr; see resampling()). Another rate later is an Error until reset().
  void accept_waveform(double sample_rate, const float* samples /*[n]*/, size_t n);
  // No more audio: flushes the resampler and computes the frames that need the end of the signal.
  void input_finished();

  // Runs every frame ready so far through the model, alone (batch 1), queueing its output.
  // SessionBatch steps many sessions together instead.
  void step();

  // Runs this session's model on 'engine' (e.g. a GPU, made from model().model()) instead of the
  // CPU functions: hop mode as one engine forward per hop, frame mode one per frame, the state
  // carried through the engine. Not shared with other sessions; null goes back to the CPU.
  void set_engine(std::shared_ptr<Engine> engine);

  // Frames computed by the frontend and not yet stepped.
  int64_t frames_pending() const { return features_.frames_ready() - features_.frames_popped(); }
  // Model positions those frames make now: whole groups of frame_stack frames, and the last,
  // partial one once the input is finished (edge-padded as src/audio/frame_stack.h).
  int64_t positions_pending() const;
  size_t outputs_ready() const { return outputs_.size(); }
  // Moves the queued outputs out, oldest first.
  std::vector<FrameOutput> take_outputs();

  // Back to a fresh stream: frontend buffers, resampler, input rate, model state and outputs.
  void reset();

  // Writes everything the stream carries (recurrent state, the frontend's buffered samples,
  // counters and unstepped frames, the outputs not taken) to a versioned safetensors file,
  // atomically. load_state() of it into a session of the same model continues exactly as this one
  // would: bit for bit when fed the same audio in the same pieces. A stream being resampled
  // cannot be saved (libsoxr's filter state is not exposed): an Error saying to feed audio at the
  // model's rate.
  void save_state(const std::string& path) const;
  // Replaces this session's stream by the one in 'path'. A file that is not a stream state, of
  // another format version, from another model (shape, labels, frontend or weights), corrupt or
  // truncated is an Error naming the file, and leaves the session unchanged.
  void load_state(const std::string& path);

  const StreamModel& model() const { return *model_; }
  const std::shared_ptr<const StreamModel>& model_ptr() const { return model_; }
  StepMode mode() const { return mode_; }
  bool input_done() const { return features_.finished(); }
  double input_rate() const { return input_rate_; }  // 0 until audio arrives
  bool resampling() const { return resampler_ != nullptr; }
  int64_t frames_stepped() const { return features_.frames_popped(); }
  // Samples given to the frontend, at the model's rate.
  int64_t samples_received() const { return features_.samples_received(); }
  // Memory held, for checks that it stays bounded.
  size_t buffered_samples() const { return features_.buffered_samples(); }
  size_t stored_frames() const { return features_.stored_frames(); }

 private:
  friend class SessionBatch;

  void consume(const float* samples, size_t n);  // at the model's rate
  // The model input of the next 'count' pending positions, contiguous: [count, input_dim] (the
  // frames themselves, or a padded copy when the last, partial group is among them).
  const float* pending_positions(int64_t count);
  // Queues the outputs of the next T positions from their logits (T, K) and drops their frames.
  void emit(const float* logits, int64_t T);
  void step_hop();
  void step_frames();

  std::shared_ptr<const StreamModel> model_;
  StepMode mode_;
  double input_rate_ = 0;
  std::unique_ptr<Resampler> resampler_;  // set while input_rate_ != the model's rate
  std::vector<float> resampled_;          // resampler output scratch
  OnlineFeatures features_;
  RecurrentState state_;       // batch 1
  RecurrentState next_state_;  // hop mode: the forward writes here, then the two swap
  Activations acts_;           // hop mode scratch
  StepWorkspace ws_;           // frame mode scratch
  std::vector<float> logits_;  // frame mode: [K]; with an engine: [T, K]
  std::vector<float> padded_;  // the positions asked for when they include the padded last one
  std::shared_ptr<Engine> engine_;
  std::deque<FrameOutput> outputs_;
};

}  // namespace rwkvs
