#include "src/infer/stream_session.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "base/error.h"
#include "frontends/audio/audio.h"
#include "src/audio/frame_stack.h"

namespace rwkvs {

StepMode parse_step_mode(const std::string& name) {
  if (name == "hop") return StepMode::hop;
  if (name == "frame") return StepMode::frame;
  fail("unknown step mode '", name, "' (expected hop|frame)");
}

std::string step_mode_name(StepMode mode) { return mode == StepMode::hop ? "hop" : "frame"; }

void softmax_posteriors(const float* logits, int64_t K, float* out) {
  const float max = *std::max_element(logits, logits + K);
  double sum = 0;
  for (int64_t k = 0; k < K; ++k) {
    out[k] = std::exp(logits[k] - max);
    sum += out[k];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t k = 0; k < K; ++k) out[k] *= inv;
}

void log_softmax_row(const float* logits, int64_t K, float* out) {
  const float max = *std::max_element(logits, logits + K);
  double sum = 0;
  for (int64_t k = 0; k < K; ++k) sum += std::exp(static_cast<double>(logits[k] - max));
  const float log_sum = static_cast<float>(std::log(sum));
  for (int64_t k = 0; k < K; ++k) out[k] = logits[k] - max - log_sum;
}

namespace {
std::shared_ptr<const StreamModel> require_model(std::shared_ptr<const StreamModel> m) {
  RWKVS_CHECK(m != nullptr, "StreamSession: no model given");
  return m;
}
}  // namespace

StreamSession::StreamSession(std::shared_ptr<const StreamModel> model, StepMode mode)
    : model_(require_model(std::move(model))),
      mode_(mode),
      features_(model_->features()),
      state_(model_->config(), 1),
      next_state_(model_->config(), 1),
      logits_(static_cast<size_t>(model_->num_classes())),
      engine_(model_->default_engine()) {}

void StreamSession::accept_waveform(double sample_rate, const float* samples, size_t n) {
  if (features_.finished())
    fail(
        "accept_waveform: the stream was already finished (input_finished() was called); reset() starts a "
        "new one");
  if (!(sample_rate > 0)) fail("accept_waveform: the sample rate must be positive, got ", sample_rate);
  if (n == 0) return;
  RWKVS_CHECK(samples != nullptr, "accept_waveform: null samples with n = ", n);
  static const std::string source = "accept_waveform";
  require_finite(samples, n, source);
  if (input_rate_ == 0) {
    input_rate_ = sample_rate;
    if (sample_rate != model_->sample_rate())
      resampler_ = std::make_unique<Resampler>(sample_rate, model_->sample_rate());
  } else if (sample_rate != input_rate_) {
    fail("accept_waveform: this stream's audio is at ", input_rate_, " Hz, got ", sample_rate,
         " Hz; reset() to start a stream at another rate");
  }
  if (!resampler_) return consume(samples, n);
  resampled_.clear();
  resampler_->accept(samples, n, &resampled_);
  consume(resampled_.data(), resampled_.size());
}

void StreamSession::input_finished() {
  if (features_.finished()) return;
  if (resampler_) {
    resampled_.clear();
    resampler_->finish(&resampled_);
    consume(resampled_.data(), resampled_.size());
  }
  features_.input_finished();
}

void StreamSession::consume(const float* samples, size_t n) {
  features_.accept_waveform(model_->sample_rate(), samples, n);
}

int64_t StreamSession::positions_pending() const {
  const int64_t s = model_->frame_stack(), n = frames_pending();
  return features_.finished() ? stacked_positions(n, static_cast<int>(s)) : n / s;
}

const float* StreamSession::pending_positions(int64_t count) {
  RWKVS_CHECK(count >= 1 && count <= positions_pending(), "pending_positions: ", count, " of ", positions_pending());
  // OnlineFeatures keeps its unpopped frames in one row-major array, so whole groups of
  // frame_stack frames already are the model's stacked positions.
  const float* frames = features_.get_frame(features_.frames_popped());
  const int64_t s = model_->frame_stack(), F = model_->features().dim();
  const int64_t whole = frames_pending() / s;
  if (count <= whole) return frames;
  padded_.resize(static_cast<size_t>(count * s * F));
  std::copy_n(frames, whole * s * F, padded_.data());
  pad_last_group(frames + whole * s * F, frames_pending() - whole * s, F, static_cast<int>(s),
                 padded_.data() + whole * s * F);
  return padded_.data();
}

void StreamSession::emit(const float* logits, int64_t T) {
  const int64_t K = model_->num_classes(), s = model_->frame_stack();
  const bool ctc = model_->config().ctc_head();
  for (int64_t t = 0; t < T; ++t) {
    const int64_t first = features_.frames_popped(), used = std::min(s, frames_pending());
    FrameOutput out{first / s, model_->frame_end_s(first + used - 1), std::vector<float>(static_cast<size_t>(K)), {}};
    softmax_posteriors(logits + t * K, K, out.posteriors.data());
    if (ctc) {
      out.log_probs.resize(static_cast<size_t>(K));
      log_softmax_row(logits + t * K, K, out.log_probs.data());
    }
    outputs_.push_back(std::move(out));
    features_.pop(used);
  }
}

void StreamSession::step() {
  if (mode_ == StepMode::hop)
    step_hop();
  else
    step_frames();
}

void StreamSession::set_engine(std::shared_ptr<Engine> engine) {
  if (engine) model_->check_engine(*engine, "stream");
  engine_ = engine ? std::move(engine) : model_->default_engine();
}

void StreamSession::step_hop() {
  while (positions_pending() > 0) {
    const int64_t T = std::min(positions_pending(), kMaxFramesPerForward);
    if (engine_) {
      logits_.resize(static_cast<size_t>(T * model_->num_classes()));
      engine_->forward(ModelInput{nullptr, pending_positions(T)}, 1, T, &state_, logits_.data());
      emit(logits_.data(), T);
      continue;
    }
    rwkv4_forward(model_->model(), acts_, ModelInput{nullptr, pending_positions(T)}, 1, T, &state_,
                  &next_state_);
    std::swap(state_, next_state_);
    emit(acts_.logits.data(), T);
  }
}

void StreamSession::step_frames() {
  while (positions_pending() > 0) {
    if (engine_)
      engine_->forward(ModelInput{nullptr, pending_positions(1)}, 1, 1, &state_, logits_.data());
    else
      rwkv4_step(model_->model(), state_, ModelInput{nullptr, pending_positions(1)}, logits_.data(), ws_);
    emit(logits_.data(), 1);
  }
}

std::vector<FrameOutput> StreamSession::take_outputs() {
  std::vector<FrameOutput> out(std::make_move_iterator(outputs_.begin()),
                               std::make_move_iterator(outputs_.end()));
  outputs_.clear();
  return out;
}

void StreamSession::reset() {
  input_rate_ = 0;
  resampler_.reset();
  resampled_.clear();
  resampled_.shrink_to_fit();
  features_ = OnlineFeatures(model_->features());
  state_.reset();
  outputs_.clear();
}

}  // namespace rwkvs
