#pragma once
// Audio language model on mu-law samples (rwkvs train --task audio-lm): next-sample prediction over
// 256 mu-law classes at 8 or 16 kHz, on training windows of many thousand samples. See
// src/train/mulaw_corpus.h for the data it reads and how files are held out.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/model/rwkv4.h"
#include "src/train/mulaw_corpus.h"
#include "src/train/train_loop.h"

namespace rwkvs {

struct AudioLmTrainOptions : TrainOptions {
  double sample_rate = 16000;    // a new model's rate: 8000 or 16000 (a resumed model keeps its own)
  double val_fraction = 0.1;     // share of speakers (a single file: of its samples) held out
  int64_t eval_samples = 65536;  // held-out predictions per evaluation (at most)

  AudioLmTrainOptions();  // the task's defaults: T = 16,384, 2 x 128, B = 1, 5 minutes
};

// The task for run_training. A batch of B windows runs as B passes of one window each whose
// gradients add up, so activation memory grows with T but not with B.
class AudioLmTask : public TrainTask {
 public:
  explicit AudioLmTask(const AudioLmTrainOptions& options);

  ModelConfig new_model_config(const TrainOptions& o) const override;
  // Checks the model is a 256-class mu-law lm model, then loads the data at its sample rate.
  void attach_model(const Model& model, const std::string& path) override;
  std::string describe(const Model& model) const override;
  double forward_backward(Engine& engine, Rng& rng, const BatchShard& shard, const ForwardOptions& fopt) override;
  int64_t positions_per_step() const override { return o_.batch * o_.ctx; }
  const char* position_unit() const override { return "samples"; }
  EvalResult evaluate(Engine& engine, const ForwardOptions& fopt) override;

  const MulawCorpus& corpus() const { return *corpus_; }

 private:
  AudioLmTrainOptions o_;
  std::unique_ptr<MulawCorpus> corpus_;
  std::vector<int32_t> window_, targets_;
};

// Trains (or resumes) a mu-law model; see run_training for outputs. The primary metric is val_bits,
// mean cross-entropy in bits per sample on held-out windows; every evaluation also logs
// unigram_bits (the entropy of the training samples' classes: what a context-blind model gets) and
// peak_rss_mb (the process's peak memory so far). Prints the peak memory at the end.
TrainResult train_audio_lm(const AudioLmTrainOptions& options);

}  // namespace rwkvs
