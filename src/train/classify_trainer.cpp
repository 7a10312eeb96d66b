#include "src/train/classify_trainer.h"

#include <cmath>
#include <cstdio>

#include "base/error.h"
#include "src/io/audio_dataset.h"
#include "src/model/classify.h"
#include "src/train/audio_clips.h"
#include "src/train/classify_eval.h"
#include "src/train/noise_folder.h"

namespace rwkvs {

ClassifyTrainOptions::ClassifyTrainOptions() {
  frontend.type = "fbank";
  frontend.fbank.num_mel_bins = 40;
  layers = 4;
  embd = 96;
  batch = 32;
  lr = 2e-3;
  eval_every = 100;
  out_dir = "runs/kws";
  minutes = 8;  // the default run: about 95% on the synthesised keywords on 2 cores
}

namespace {

class ClassifyTask : public TrainTask {
 public:
  explicit ClassifyTask(const ClassifyTrainOptions& o) : o_(o) {
    AudioDatasetOptions dopt;
    dopt.validation_manifest = o.validation_manifest;
    dopt.test_manifest = o.test_manifest;
    data_ = load_audio_dataset(o.data, dopt);
    validate_augment_options(o.augmentation);
    extra_noise_files_ = find_noise_files(o.augmentation.noise_dirs);
    if (data_.train.empty()) fail("dataset '", o.data, "' has no training examples");
  }

  ModelConfig new_model_config(const TrainOptions& o) const override {
    ModelConfig c = ModelConfig::rwkv4(o.layers, o.embd, 0);
    c.input_kind = "frames";
    c.frontend = o_.frontend.to_json();
    c.input_dim = o_.frontend.make_pipeline().dim();
    c.head_kind = "classes";
    c.labels = data_.classes;
    c.pool = o_.pool;
    return c;
  }

  void attach_model(const Model& model, const std::string& path) override {
    const ModelConfig& c = model.config();
    if (!c.frames_input() || !c.classes_head())
      fail("'", path, "' is not an audio classifier (input ", c.input_kind, ", head ", c.head_kind, ")");
    if (c.labels != data_.classes)
      fail("'", path, "' was trained on other classes than the dataset '", o_.data, "' has");
    frontend_ = FrontendConfig::from_json(c.frontend, path);
    features_ = frontend_.make_pipeline();
    if (features_.dim() != c.input_dim)
      fail("'", path, "': its frontend makes ", features_.dim(), " features, the model takes ", c.input_dim);
    model_ = &model;  // its input_norm.mean (never trained) fills SpecAugment's masks
    load_audio();
  }

  // Global feature statistics of the (unaugmented) training clips, stored in the model.
  void prepare_new_model(Model& model) override {
    const int64_t F = model.config().input_dim;
    std::vector<double> sum(F, 0.0), sum2(F, 0.0);
    int64_t frames = 0;
    for (const auto& w : train_.waves) {
      const FeatureMatrix m = compute_features(features_, w.data(), static_cast<int64_t>(w.size()));
      for (int64_t r = 0; r < m.rows; ++r)
        for (int64_t f = 0; f < F; ++f) {
          const double x = m.row(r)[f];
          sum[f] += x;
          sum2[f] += x * x;
        }
      frames += m.rows;
    }
    if (frames == 0) fail("dataset '", o_.data, "': the training clips are too short for a single feature frame");
    ModelView v = model.view();
    for (int64_t f = 0; f < F; ++f) {
      const double mean = sum[f] / frames;
      const double var = std::max(sum2[f] / frames - mean * mean, 1e-8);
      v.input_mean[f] = static_cast<float>(mean);
      v.input_scale[f] = static_cast<float>(1.0 / std::sqrt(var));
    }
  }

  std::string describe(const Model& model) const override {
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "training %d x %d RWKV-4 keyword classifier on %s: %zu classes, %zu train / %zu validation clips, "
                  "%zu noise files, %s features (%d), B=%lld",
                  model.config().n_layer, model.config().n_embd, o_.data.c_str(), data_.classes.size(),
                  train_.waves.size(), val_.waves.size(), noises_.size(), frontend_.type.c_str(),
                  model.config().input_dim, static_cast<long long>(o_.batch));
    return buf;
  }

  double forward_backward(Engine& engine, Rng& rng, const BatchShard& shard, const ForwardOptions& fopt) override {
    // Every clip of the global batch is drawn and augmented (the random stream must not depend on
    // the shard); only the shard's clips are featurised and run.
    const int64_t B = o_.batch;
    augmented_.resize(B);
    labels_.resize(B);
    for (int64_t b = 0; b < B; ++b) {
      const size_t i = rng.below(train_.waves.size());
      augmented_[b].clear();
      if (o_.augment && rng.uniform() < o_.augmentation.context_prob) {
        const std::vector<float>& prev = train_.waves[rng.below(train_.waves.size())];
        const auto max_len = static_cast<size_t>(o_.augmentation.context_s * frontend_.sample_rate());
        const size_t len = std::min(prev.size(), static_cast<size_t>(rng.below(max_len + 1)));
        augmented_[b].assign(prev.end() - static_cast<std::ptrdiff_t>(len), prev.end());
      }
      const std::vector<float>& clip = train_.waves[i];
      const size_t keep = o_.augment && rng.uniform() < o_.augmentation.tail_prob
                              ? tail_cut_length(clip, frontend_.sample_rate(), o_.augmentation.tail_min_s,
                                                o_.augmentation.tail_max_s, rng)
                              : clip.size();
      augmented_[b].insert(augmented_[b].end(), clip.begin(), clip.begin() + static_cast<std::ptrdiff_t>(keep));
      labels_[b] = train_.labels[i];
      if (o_.augment) augment_clip(augmented_[b], noises_, o_.augmentation, frontend_.sample_rate(), rng);
    }
    std::vector<const std::vector<float>*> waves;
    for (int64_t b = shard.begin; b < shard.begin + shard.count; ++b) waves.push_back(&augmented_[b]);
    featurize_batch(features_, waves, batch_);
    if (o_.augment && o_.augmentation.spec.enabled()) {
      // One seed per clip of the global batch, so the masks do not depend on the sharding.
      spec_seeds_.resize(B);
      for (uint64_t& seed : spec_seeds_) seed = rng.next_u64();
      spec_augment_batch(batch_, model_->view().input_mean, o_.augmentation.spec, spec_seeds_.data() + shard.begin);
    }
    positions_ += o_.batch * batch_.T;  // the global batch (this shard's padded length)
    const ModelConfig& c = engine.config();
    const double loss = engine.forward_backward(
        ModelInput{nullptr, batch_.frames.data()}, batch_.B, batch_.T,
        [&](float* logits) {
          return classification_loss_backward(logits, batch_.B, batch_.T, batch_.lengths.data(),
                                              labels_.data() + shard.begin, c.pool, c.output_dim());
        },
        fopt);
    ++steps_;
    return loss;
  }

  int64_t positions_per_step() const override { return steps_ ? positions_ / steps_ : o_.batch * 100; }
  const char* position_unit() const override { return "frames"; }

  EvalResult evaluate(Engine& engine, const ForwardOptions& fopt) override {
    const ClipSet& split = val_.waves.empty() ? train_ : val_;
    const ClassifyMetrics m = evaluate_classifier(engine, features_, split, o_.batch, fopt);
    char text[48];
    std::snprintf(text, sizeof text, "%.2f%% acc", 100 * m.accuracy());
    return {m.to_json("val_"), "val_accuracy", true, text};
  }

 private:
  void load_audio() {
    if (!train_.waves.empty()) return;
    const double rate = frontend_.sample_rate();
    std::printf("loading %zu train and %zu validation clips from %s\n", data_.train.size(), data_.validation.size(),
                o_.data.c_str());
    std::fflush(stdout);
    train_ = load_clips(data_.train, rate, "train");
    val_ = load_clips(data_.validation, rate, "validation");
    std::vector<std::string> noise_files = data_.noise_files;
    noise_files.insert(noise_files.end(), extra_noise_files_.begin(), extra_noise_files_.end());
    noises_ = load_noises(noise_files, rate);
  }

  ClassifyTrainOptions o_;
  AudioDataset data_;
  FrontendConfig frontend_;
  FeaturePipeline features_;  // the frontend's computer and frame stages (CMVN)
  ClipSet train_, val_;
  std::vector<std::string> extra_noise_files_;  // from --noise-dir
  std::vector<std::vector<float>> noises_;
  const Model* model_ = nullptr;  // the model being trained (attach_model)
  std::vector<uint64_t> spec_seeds_;
  std::vector<std::vector<float>> augmented_;
  std::vector<int32_t> labels_;
  FrameBatch batch_;
  int64_t positions_ = 0, steps_ = 0;
};

}  // namespace

TrainResult train_classify(const ClassifyTrainOptions& o) {
  validate_train_options(o);
  if (o.pool != "last" && o.pool != "mean") fail_usage("--pool must be last or mean, got '", o.pool, "'");
  ClassifyTask task(o);
  return run_training(task, o);
}

}  // namespace rwkvs
