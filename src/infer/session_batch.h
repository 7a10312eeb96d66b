#pragma once
// Steps many StreamSessions of one model together, for servers (sherpa-onnx's decode_streams):
// the sessions' states are copied into one batch RecurrentState, so every layer does one GEMM for
// the whole batch instead of one small product per session.
//   frame mode: one rwkv4_step per frame-time over the sessions that still have frames then;
//   hop mode:   one rwkv4_forward per group of sessions with the same number of ready frames.
// Results equal stepping each session alone up to float rounding (a batch of one uses the
// single-row kernels, a batch of several GEMMs that round differently), well within 1e-5.
#include <cstdint>
#include <memory>
#include <vector>

#include "src/infer/stream_session.h"

namespace rwkvs {

class SessionBatch {
 public:
  explicit SessionBatch(std::shared_ptr<const StreamModel> model);

  // Runs every ready frame of every session through the model and queues the outputs in each
  // session, as StreamSession::step() would. The sessions must be distinct, use this batch's model
  // and all the same StepMode (an Error otherwise). Not thread-safe: one batch per thread.
  void step(const std::vector<StreamSession*>& sessions);

  // Runs the batches on 'engine' (e.g. a GPU, made from the model) instead of the CPU functions:
  // one engine forward per hop group (hop mode) or per frame-time (frame mode), the batch state
  // carried through it. Null goes back to the CPU.
  void set_engine(std::shared_ptr<Engine> engine);

 private:
  void step_frames(std::vector<StreamSession*> live);
  void step_hop(const std::vector<StreamSession*>& sessions);
  // Makes a state of batch B (keeping the old one when its batch is already B).
  void size_state(RecurrentState& s, int64_t B) const;

  std::shared_ptr<const StreamModel> model_;
  RecurrentState state_in_, state_out_;  // (B sequences) batch states
  StepWorkspace ws_;
  Activations acts_;
  std::vector<float> frames_;  // (B, T, F) gathered input frames
  std::vector<float> logits_;  // (B, K) frame mode; (B, T, K) hop mode on an engine
  std::shared_ptr<Engine> engine_;
};

}  // namespace rwkvs
