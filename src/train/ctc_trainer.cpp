#include "src/train/ctc_trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/error.h"
#include "frontends/text/transcript.h"
#include "kernels/ctc_loss.h"
#include "src/audio/frame_stack.h"
#include "src/train/audio_clips.h"
#include "src/train/ctc_eval.h"
#include "src/train/input_norm.h"
#include "src/train/noise_folder.h"
#include "src/train/utterances.h"

namespace rwkvs {

CtcTrainOptions::CtcTrainOptions() {
  frontend.type = "fbank";
  frontend.fbank.num_mel_bins = 80;
  layers = 4;
  embd = 192;
  batch = 16;
  lr = 2e-3;
  warmup = 100;
  eval_every = 200;
  out_dir = "runs/asr";
  minutes = 30;
  augmentation.context_prob = 0;  // keyword-spotting stream tricks: a transcript covers the whole clip
  augmentation.tail_prob = 0;
}

namespace {

class CtcTask : public TrainTask {
 public:
  explicit CtcTask(const CtcTrainOptions& o) : o_(o) {
    if (o.frame_stack < 1 || o.frame_stack > 8) fail_usage("--frame-stack must be in [1, 8], got ", o.frame_stack);
    if (o.eval_utterances < 0) fail_usage("--eval-utterances must be >= 0, got ", o.eval_utterances);
    validate_augment_options(o.augmentation);
    noise_files_ = find_noise_files(o.augmentation.noise_dirs);
  }

  ModelConfig new_model_config(const TrainOptions& o) const override {
    const FeaturePipeline p = o_.frontend.make_pipeline();
    // The vocabulary comes from the training transcripts: read them (not the audio) now.
    const std::vector<std::string> texts = read_transcripts(o_.data);
    ModelConfig c = new_trunk_config(o, 0);
    c.input_kind = "frames";
    c.frontend = o_.frontend.to_json();
    c.frame_stack = o_.frame_stack;
    c.input_dim = p.dim() * o_.frame_stack;
    c.head_kind = "ctc";
    c.labels = CharVocab::from_transcripts(texts).labels();
    return c;
  }

  void attach_model(const Model& model, const std::string& path) override {
    const ModelConfig& c = model.config();
    if (!c.frames_input() || !c.ctc_head())
      fail("'", path, "' is not a CTC speech recogniser (input ", c.input_kind, ", head ", c.head_kind, ")");
    vocab_ = std::make_unique<CharVocab>(c.labels, path);
    frontend_ = FrontendConfig::from_json(c.frontend, path);
    features_ = frontend_.make_pipeline();
    stack_ = c.frame_stack;
    if (features_.dim() * stack_ != c.input_dim)
      fail("'", path, "': its frontend makes ", features_.dim(), " features x ", stack_, " frames, the model takes ",
           c.input_dim);
    model_ = &model;  // its input_norm.mean (never trained) fills SpecAugment's masks
    load_audio();
  }

  void prepare_new_model(Model& model) override { set_input_norm(model, features_, train_.waves, o_.data); }

  std::string describe(const Model& model) const override {
    char buf[400];
    std::snprintf(buf, sizeof buf,
                  "training %d x %d %s CTC recogniser on %s: %zu train utterances (%.1f h, %lld skipped as too "
                  "short for their transcript), %zu validation, vocabulary of %lld (blank + \"%s\"), %s features "
                  "(%d) stacked %d, B=%lld",
                  model.config().n_layer, model.config().n_embd, model.config().arch_title(), o_.data.c_str(), usable_.size(),
                  train_.seconds / 3600, static_cast<long long>(skipped_), val_.waves.size(),
                  static_cast<long long>(vocab_->size()), vocab_symbols().c_str(), frontend_.type.c_str(),
                  features_.dim(), stack_, static_cast<long long>(o_.batch));
    return buf;
  }

  double forward_backward(Engine& engine, Rng& rng, const BatchShard& shard, const ForwardOptions& fopt) override {
    const int64_t B = o_.batch;
    // Utterances of similar length share a batch (less padding): a random run of B neighbours in
    // the length order. The whole global batch is drawn and augmented whatever the shard.
    const size_t n = usable_.size();
    const size_t first = n > static_cast<size_t>(B) ? rng.below(n - static_cast<size_t>(B) + 1) : 0;
    augmented_.resize(B);
    rows_.resize(B);
    for (int64_t b = 0; b < B; ++b) {
      const size_t u = usable_[(first + static_cast<size_t>(b)) % n];
      rows_[b] = u;
      train_.waves[u].to_float(augmented_[b]);
      if (o_.augment) augment_clip(augmented_[b], noises_, o_.augmentation, frontend_.sample_rate(), rng);
    }
    std::vector<const std::vector<float>*> waves;
    for (int64_t b = shard.begin; b < shard.begin + shard.count; ++b) waves.push_back(&augmented_[b]);
    featurize_batch(features_, waves, frames_);
    if (o_.augment && o_.augmentation.spec.enabled()) {
      spec_seeds_.resize(B);
      for (uint64_t& seed : spec_seeds_) seed = rng.next_u64();
      spec_augment_batch(frames_, model_->view().input_mean, o_.augmentation.spec, spec_seeds_.data() + shard.begin);
    }
    int64_t T = 0;
    stack_frame_batch(frames_.frames, frames_.lengths, frames_.B, frames_.T, frames_.F, stack_, stacked_, lengths_, T);
    // Labels, and which rows CTC can align (speed perturbation may shorten a tight utterance).
    const int64_t Bs = frames_.B;
    int64_t S = 1, chars = 0;
    for (int64_t r = 0; r < Bs; ++r) S = std::max<int64_t>(S, static_cast<int64_t>(ids_[rows_[shard.begin + r]].size()));
    labels_.assign(static_cast<size_t>(Bs * S), 0);
    label_lengths_.resize(Bs);
    scales_.assign(Bs, 0.0f);
    std::vector<bool> feasible(Bs);
    for (int64_t r = 0; r < Bs; ++r) {
      const std::vector<int32_t>& ids = ids_[rows_[shard.begin + r]];
      std::copy(ids.begin(), ids.end(), labels_.begin() + r * S);
      label_lengths_[r] = static_cast<int64_t>(ids.size());
      feasible[r] = ctc_feasible(lengths_[r], label_lengths_[r], repeats_[rows_[shard.begin + r]]);
      if (feasible[r]) chars += label_lengths_[r];
      else ++batch_skipped_;
    }
    // The loss is per character: the sum over rows of -log p(text | audio) over the characters.
    for (int64_t r = 0; r < Bs; ++r)
      if (feasible[r]) scales_[r] = 1.0f / static_cast<float>(std::max<int64_t>(chars, 1));
    positions_ += B * T;
    const int64_t V = engine.config().output_dim();
    const double loss = engine.forward_backward(
        ModelInput{nullptr, stacked_.data()}, Bs, T,
        [&](float* logits) {
          losses_.resize(Bs);
          kernels::ctc_loss_forward_backward<float>(losses_.data(), logits, logits, lengths_.data(), labels_.data(),
                                                    label_lengths_.data(), scales_.data(), Bs, T, V, S,
                                                    CharVocab::kBlank);
          double sum = 0;
          for (int64_t r = 0; r < Bs; ++r)
            if (feasible[r] && std::isfinite(losses_[r])) sum += static_cast<double>(scales_[r]) * losses_[r];
          return sum;
        },
        fopt);
    ++steps_;
    return loss;
  }

  int64_t positions_per_step() const override { return steps_ ? positions_ / steps_ : o_.batch * 100; }
  const char* position_unit() const override { return "positions"; }

  EvalResult evaluate(Engine& engine, const ForwardOptions& fopt) override {
    const UtteranceSet& split = val_.waves.empty() ? train_ : val_;
    const CtcMetrics m = evaluate_ctc(engine, features_, split, o_.batch, fopt, static_cast<size_t>(o_.eval_utterances));
    nlohmann::json j = m.to_json("val_");
    j["train_skipped_in_batches"] = batch_skipped_;
    char text[64];
    std::snprintf(text, sizeof text, "CER %.2f%% WER %.2f%%", 100 * m.cer(), 100 * m.wer());
    return {j, "val_cer", false, text};
  }

 private:
  std::string vocab_symbols() const {
    std::string s;
    for (int64_t i = 1; i < vocab_->size(); ++i) s += vocab_->labels()[static_cast<size_t>(i)];
    return s;
  }

  void load_audio() {
    if (!train_.waves.empty()) return;
    const double rate = frontend_.sample_rate();
    std::printf("loading the utterances of %s\n", o_.data.c_str());
    std::fflush(stdout);
    train_ = load_utterances(o_.data, rate, "train");
    if (!o_.validation_manifest.empty()) val_ = load_utterances(o_.validation_manifest, rate, "validation");
    else std::printf("note: no --validation-manifest: evaluating on training utterances\n");
    noises_ = load_noises(noise_files_, rate);
    // Label ids, and the utterances too short for their transcript (skipped and counted).
    const int64_t min_len = features_.geometry().length;
    for (size_t u = 0; u < train_.waves.size(); ++u) {
      ids_.push_back(vocab_->encode(train_.texts[u]));
      repeats_.push_back(adjacent_repeats(ids_.back()));
      const int64_t frames = features_.geometry().num_frames(
          std::max<int64_t>(static_cast<int64_t>(train_.waves[u].size()), min_len));
      if (ctc_feasible(stacked_positions(frames, stack_), static_cast<int64_t>(ids_.back().size()), repeats_.back()))
        usable_.push_back(u);
      else
        ++skipped_;
    }
    if (usable_.empty())
      fail("manifest '", o_.data, "': every utterance is too short for its transcript (", skipped_, " skipped)");
    std::stable_sort(usable_.begin(), usable_.end(),
                     [&](size_t a, size_t b) { return train_.waves[a].size() < train_.waves[b].size(); });
    if (skipped_ > 0)
      std::printf("note: %lld training utterances are too short for their transcript and are skipped\n",
                  static_cast<long long>(skipped_));
  }

  CtcTrainOptions o_;
  std::vector<std::string> noise_files_;
  std::unique_ptr<CharVocab> vocab_;
  FrontendConfig frontend_;
  FeaturePipeline features_;
  int stack_ = 1;
  UtteranceSet train_, val_;
  std::vector<std::vector<float>> noises_;
  std::vector<std::vector<int32_t>> ids_;
  std::vector<int64_t> repeats_;
  std::vector<size_t> usable_;  // training utterances CTC can align, shortest first
  int64_t skipped_ = 0, batch_skipped_ = 0;
  const Model* model_ = nullptr;
  std::vector<std::vector<float>> augmented_;
  std::vector<size_t> rows_;
  std::vector<uint64_t> spec_seeds_;
  FrameBatch frames_;
  std::vector<float> stacked_, scales_, losses_;
  std::vector<int64_t> lengths_, label_lengths_;
  std::vector<int32_t> labels_;
  int64_t positions_ = 0, steps_ = 0;
};

}  // namespace

TrainResult train_ctc(const CtcTrainOptions& o) {
  validate_train_options(o);
  CtcTask task(o);
  return run_training(task, o);
}

}  // namespace rwkvs
