#include "src/infer/session_batch.h"

#include <algorithm>
#include <map>

#include "base/error.h"

namespace rwkvs {

SessionBatch::SessionBatch(std::shared_ptr<const StreamModel> model) : model_(std::move(model)) {
  RWKVS_CHECK(model_ != nullptr, "SessionBatch: no model given");
  engine_ = model_->default_engine();
}

void SessionBatch::set_engine(std::shared_ptr<Engine> engine) {
  if (engine) model_->check_engine(*engine, "SessionBatch");
  engine_ = engine ? std::move(engine) : model_->default_engine();
}

void SessionBatch::size_state(RecurrentState& s, int64_t B) const {
  if (s.batch() != B) s = RecurrentState(model_->config(), B);
}

void SessionBatch::step(const std::vector<StreamSession*>& sessions) {
  if (sessions.empty()) return;
  std::vector<StreamSession*> sorted = sessions;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    fail("SessionBatch::step: the same session appears twice in one batch");
  const StepMode mode = sessions.front()->mode();
  for (StreamSession* s : sessions) {
    RWKVS_CHECK(s != nullptr, "SessionBatch::step: null session");
    if (s->model_ptr().get() != model_.get())
      fail("SessionBatch::step: a session of model '", s->model().source(), "' in a batch of model '",
           model_->source(), "'");
    if (s->mode() != mode) fail("SessionBatch::step: sessions in one batch must use the same step mode");
  }
  if (mode == StepMode::frame)
    step_frames(sessions);
  else
    step_hop(sessions);
}

void SessionBatch::step_frames(std::vector<StreamSession*> live) {
  const int64_t F = model_->config().input_dim, K = model_->num_classes();
  // Longest backlog first: the sessions still stepping at frame-time t are then a prefix, and
  // the batch only changes (states copied out and in) when the shortest backlog runs out.
  std::stable_sort(live.begin(), live.end(), [](const StreamSession* a, const StreamSession* b) {
    return a->positions_pending() > b->positions_pending();
  });
  while (!live.empty() && live.back()->positions_pending() == 0) live.pop_back();
  while (!live.empty()) {
    const int64_t B = static_cast<int64_t>(live.size()), n = live.back()->positions_pending();
    size_state(state_in_, B);
    for (int64_t i = 0; i < B; ++i) state_in_.copy_sequence(i, live[i]->state_, 0);
    frames_.resize(static_cast<size_t>(B * F));
    logits_.resize(static_cast<size_t>(B * K));
    for (int64_t t = 0; t < n; ++t) {
      for (int64_t i = 0; i < B; ++i) std::copy_n(live[i]->pending_positions(1), F, frames_.data() + i * F);
      if (engine_)
        engine_->forward(ModelInput{nullptr, frames_.data()}, B, 1, &state_in_, logits_.data());
      else
        rwkv4_step(model_->model(), state_in_, ModelInput{nullptr, frames_.data()}, logits_.data(), ws_);
      for (int64_t i = 0; i < B; ++i) live[i]->emit(logits_.data() + i * K, 1);
    }
    for (int64_t i = 0; i < B; ++i) live[i]->state_.copy_sequence(0, state_in_, i);
    while (!live.empty() && live.back()->positions_pending() == 0) live.pop_back();
  }
}

void SessionBatch::step_hop(const std::vector<StreamSession*>& sessions) {
  const int64_t F = model_->config().input_dim, K = model_->num_classes();
  for (;;) {
    // Each round every session takes up to kMaxFramesPerForward frames, exactly as step() alone
    // would; sessions taking the same count share one forward.
    std::map<int64_t, std::vector<StreamSession*>> groups;
    for (StreamSession* s : sessions)
      if (s->positions_pending() > 0)
        groups[std::min(s->positions_pending(), StreamSession::kMaxFramesPerForward)].push_back(s);
    if (groups.empty()) return;
    for (const auto& [T, members] : groups) {
      const int64_t B = static_cast<int64_t>(members.size());
      size_state(state_in_, B);
      size_state(state_out_, B);
      frames_.resize(static_cast<size_t>(B * T * F));
      for (int64_t i = 0; i < B; ++i) {
        state_in_.copy_sequence(i, members[i]->state_, 0);
        std::copy_n(members[i]->pending_positions(T), T * F, frames_.data() + i * T * F);
      }
      const float* logits = nullptr;
      const RecurrentState* after = nullptr;
      if (engine_) {  // the engine replaces state_in_ by the state after the hop
        logits_.resize(static_cast<size_t>(B * T * K));
        engine_->forward(ModelInput{nullptr, frames_.data()}, B, T, &state_in_, logits_.data());
        logits = logits_.data();
        after = &state_in_;
      } else {
        rwkv4_forward(model_->model(), acts_, ModelInput{nullptr, frames_.data()}, B, T, &state_in_,
                      &state_out_);
        logits = acts_.logits.data();
        after = &state_out_;
      }
      for (int64_t i = 0; i < B; ++i) {
        members[i]->emit(logits + i * T * K, T);
        members[i]->state_.copy_sequence(0, *after, i);
      }
    }
  }
}

}  // namespace rwkvs
