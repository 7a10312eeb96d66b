#include "src/train/audio_lm_trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/error.h"
#include "frontends/audio/mulaw.h"
#include "src/audio/frontend_config.h"
#include "src/core/peak_memory.h"

namespace rwkvs {

AudioLmTrainOptions::AudioLmTrainOptions() {
  out_dir = "runs/audio-lm";
  // Tuned for a 5-minute run on 2 cores (tones of keywords data): more small steps beat fewer big
  // ones -- 2 x 128 at B = 1 reached lower held-out bits than 4 x 128 at B = 4 or B = 1, or 4 x 64.
  ctx = 16384;
  batch = 1;
  layers = 2;
  embd = 128;
  lr = 4e-3;
  warmup = 5;
  minutes = 5;
  eval_every = 20;
  save_every = 100;
  log_every = 5;
}

AudioLmTask::AudioLmTask(const AudioLmTrainOptions& options) : o_(options) {}

ModelConfig AudioLmTask::new_model_config(const TrainOptions& o) const {
  ModelConfig c = new_trunk_config(o, kMuLawClasses);
  c.tokenizer = "mulaw";
  FrontendConfig f;
  f.type = "mulaw";
  f.mulaw_sample_rate = o_.sample_rate;
  c.frontend = f.to_json();
  return c;
}

void AudioLmTask::attach_model(const Model& model, const std::string& path) {
  const ModelConfig& c = model.config();
  if (c.frames_input() || c.labels_head() || c.tokenizer != "mulaw" || c.vocab_size != kMuLawClasses)
    fail("'", path, "' is not a mu-law audio language model (input ", c.input_kind, ", head ", c.head_kind,
         ", tokenizer ", c.tokenizer, ", vocab ", c.vocab_size, ")");
  const FrontendConfig f = FrontendConfig::from_json(c.frontend, path);
  if (!corpus_)
    corpus_ = std::make_unique<MulawCorpus>(o_.data, f.sample_rate(), o_.val_fraction, o_.ctx + 1);
}

std::string AudioLmTask::describe(const Model& model) const {
  const double rate = corpus_->sample_rate();
  char buf[400];
  std::snprintf(
      buf, sizeof buf,
      "training %d x %d mu-law %s audio LM on %s at %g Hz: %zu train files (%.1f s) / %zu held out "
      "(%.1f s), unigram entropy %.3f bits/sample, B=%lld T=%lld (%.2f s)",
      model.config().n_layer, model.config().n_embd, model.config().arch_title(), o_.data.c_str(), rate, corpus_->train_files(),
      static_cast<double>(corpus_->train_size()) / rate, corpus_->val_files(),
      static_cast<double>(corpus_->val_size()) / rate, corpus_->unigram_bits(),
      static_cast<long long>(o_.batch), static_cast<long long>(o_.ctx), static_cast<double>(o_.ctx) / rate);
  return buf;
}

double AudioLmTask::forward_backward(Engine& engine, Rng& rng, const BatchShard& shard,
                                     const ForwardOptions& fopt) {
  const int64_t B = shard.count, T = o_.ctx;
  corpus_->sample_windows(rng, o_.batch, T + 1, window_);
  targets_.resize(T);
  double loss = 0;
  for (int64_t b = 0; b < B; ++b) {
    const int32_t* w = window_.data() + (shard.begin + b) * (T + 1);
    std::copy(w + 1, w + T + 1, targets_.begin());
    // The batch loss is the mean of the windows' mean losses.
    loss += engine.lm_forward_backward(w, targets_.data(), 1, T, 1.0f / static_cast<float>(B), fopt);
  }
  return loss / static_cast<double>(B);
}

// Mean bits per sample over windows spread evenly across the held-out stream (at most eval_samples
// predictions), so every part of it -- not just its first files -- is represented.
EvalResult AudioLmTask::evaluate(Engine& engine, const ForwardOptions& fopt) {
  const std::vector<uint8_t>& val = corpus_->val();
  const auto n = static_cast<int64_t>(val.size());
  const int64_t len = std::min<int64_t>(o_.ctx, n - 1);
  const int64_t windows = std::max<int64_t>(1, std::min(o_.eval_samples / len, (n - 1) / len));
  targets_.resize(len);
  double sum = 0;
  for (int64_t i = 0; i < windows; ++i) {
    const int64_t start = windows == 1 ? 0 : i * (n - 1 - len) / (windows - 1);
    const uint8_t* w = val.data() + start;
    window_.assign(w, w + len);
    std::copy(w + 1, w + len + 1, targets_.begin());
    sum += engine.lm_loss(window_.data(), targets_.data(), 1, len, fopt);
  }
  const double bits = sum / static_cast<double>(windows) / std::log(2.0);
  char text[64];
  std::snprintf(text, sizeof text, "%.3f bits/sample (unigram %.3f)", bits, corpus_->unigram_bits());
  return {{{"val_bits", bits}, {"unigram_bits", corpus_->unigram_bits()}, {"peak_rss_mb", peak_rss_mb()}},
          "val_bits",
          false,
          text};
}

TrainResult train_audio_lm(const AudioLmTrainOptions& o) {
  validate_train_options(o);
  if (o.sample_rate != 8000 && o.sample_rate != 16000)
    fail_usage("--sample-rate must be 8000 or 16000 for --task audio-lm, got ", o.sample_rate);
  if (o.eval_samples < 1) fail_usage("--eval-tokens must be at least 1, got ", o.eval_samples);
  AudioLmTask task(o);
  TrainResult r = run_training(task, o);
  std::printf("peak memory: %.0f MB (VmHWM)\n", peak_rss_mb());
  return r;
}

}  // namespace rwkvs
