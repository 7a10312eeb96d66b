#include "src/train/classify_trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/error.h"
#include "src/io/audio_dataset.h"
#include "src/model/classify.h"
#include "src/train/audio_clips.h"
#include "src/train/classify_eval.h"
#include "src/train/input_norm.h"
#include "src/audio/clip_loader.h"
#include "src/dist/communicator.h"
#include "src/infer/stream_eval.h"
#include "src/infer/stream_model.h"
#include "src/io/manifest.h"
#include "src/model/checkpoint.h"
#include "src/model/frame_targets.h"
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
    if (!o.train_streams.empty()) {
      validate_stream_crop_options(o.stream_crops);
      const auto it = std::find(data_.classes.begin(), data_.classes.end(), "_unknown_");
      if (it == data_.classes.end())
        fail("--train-streams: the dataset '", o.data, "' has no _unknown_ class for speech without a keyword");
      background_ = static_cast<int32_t>(it - data_.classes.begin());
      stream_entries_ = read_stream_manifest(o.train_streams, "--train-streams");
    }
  }

  ModelConfig new_model_config(const TrainOptions& o) const override {
    ModelConfig c = new_trunk_config(o, 0);
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
  void prepare_new_model(Model& model) override { set_input_norm(model, features_, train_.waves, o_.data); }

  std::string describe(const Model& model) const override {
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "training %d x %d %s keyword classifier on %s: %zu classes, %zu train / %zu validation clips, "
                  "%zu noise files, %s features (%d), B=%lld",
                  model.config().n_layer, model.config().n_embd, model.config().arch_title(), o_.data.c_str(), data_.classes.size(),
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
    crop_.resize(B);
    for (int64_t b = 0; b < B; ++b) {
      const size_t i = rng.below(train_.waves.size());
      augmented_[b].clear();
      if (o_.augment && rng.uniform() < o_.augmentation.context_prob) {
        const Pcm16Clip& prev = train_.waves[rng.below(train_.waves.size())];
        const auto max_len = static_cast<size_t>(o_.augmentation.context_s * frontend_.sample_rate());
        const size_t len = std::min(prev.size(), static_cast<size_t>(rng.below(max_len + 1)));
        prev.append_float(augmented_[b], prev.size() - len, len);
      }
      if (!streams_.empty() && rng.uniform() < o_.stream_crops.prob) {
        draw_stream_row(b, rng);
        continue;
      }
      crop_[b] = Crop{};
      train_.waves[i].to_float(clip_);
      const size_t keep = o_.augment && rng.uniform() < o_.augmentation.tail_prob
                              ? tail_cut_length(clip_, frontend_.sample_rate(), o_.augmentation.tail_min_s,
                                                o_.augmentation.tail_max_s, rng)
                              : clip_.size();
      augmented_[b].insert(augmented_[b].end(), clip_.begin(), clip_.begin() + static_cast<std::ptrdiff_t>(keep));
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
    // Crops of running speech get a target per frame; a batch without any keeps the clip loss.
    bool any_crop = false;
    frame_targets_.assign(static_cast<size_t>(batch_.B * batch_.T), kIgnoreFrame);
    for (int64_t r = 0; r < batch_.B; ++r) {
      const Crop& k = crop_[shard.begin + r];
      if (k.stream < 0) continue;
      any_crop = true;
      stream_crop_targets(streams_[static_cast<size_t>(k.stream)].keywords, k.begin_s, k.length_s, k.speed,
                          features_.geometry(), frontend_.sample_rate(), batch_.lengths[r], background_,
                          o_.stream_crops, frame_targets_.data() + r * batch_.T);
    }
    const double loss = engine.forward_backward(
        ModelInput{nullptr, batch_.frames.data()}, batch_.B, batch_.T,
        [&](float* logits) {
          if (!any_crop)
            return classification_loss_backward(logits, batch_.B, batch_.T, batch_.lengths.data(),
                                                labels_.data() + shard.begin, c.pool, c.output_dim());
          MixedBatchTargets t;
          t.lengths = batch_.lengths.data();
          t.labels = labels_.data() + shard.begin;
          t.frame_targets = frame_targets_.data();
          t.background = background_;
          t.pool = c.pool;
          return mixed_classification_loss_backward(logits, batch_.B, batch_.T, c.output_dim(), t);
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
  // A running-speech manifest: every line must name its keywords, each a class of the dataset.
  std::vector<ManifestEntry> read_stream_manifest(const std::string& path, const char* flag) const {
    std::vector<ManifestEntry> entries = read_manifest(path);
    for (const ManifestEntry& e : entries) {
      if (!e.keywords)
        fail(flag, ": manifest '", path, "' line ", e.line, " has no 'keywords' (an empty list for speech without any)");
      for (const KeywordSpan& k : *e.keywords)
        if (std::find(data_.classes.begin(), data_.classes.end(), k.label) == data_.classes.end() || k.label[0] == '_')
          fail(flag, ": manifest '", path, "' line ", e.line, ": keyword '", k.label, "' is not a keyword class of '",
               o_.data, "'");
    }
    return entries;
  }

  // Row b of the batch becomes a crop of running speech, augmented like a clip but never shifted
  // (its keyword times must hold), with the speed change remembered for the targets.
  void draw_stream_row(int64_t b, Rng& rng) {
    const double rate = frontend_.sample_rate();
    const StreamCrop c = draw_stream_crop(streams_, stream_samples_, o_.stream_crops, rate, rng);
    const std::vector<float>& s = streams_[c.stream].samples;
    augmented_[b].assign(s.begin() + static_cast<std::ptrdiff_t>(c.begin),
                         s.begin() + static_cast<std::ptrdiff_t>(c.begin + c.length));
    AugmentRecord rec;
    if (o_.augment) {
      AugmentOptions a = o_.augmentation;
      a.shift_s = 0;
      augment_clip(augmented_[b], noises_, a, rate, rng, &rec);
    }
    labels_[b] = kIgnoreFrame;
    crop_[b] = Crop{static_cast<int64_t>(c.stream), static_cast<double>(c.begin) / rate,
                    static_cast<double>(c.length) / rate, rec.speed};
  }

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
    if (stream_entries_.empty()) return;
    double seconds = 0;
    for (const ManifestEntry& e : stream_entries_) {
      AudioExample ex;
      ex.path = e.audio_path;
      ex.duration = e.duration;
      TrainStream s;
      s.path = e.audio_path;
      s.samples = load_clip(ex, rate);
      for (const KeywordSpan& k : *e.keywords) {
        const auto label = std::find(data_.classes.begin(), data_.classes.end(), k.label) - data_.classes.begin();
        s.keywords.push_back({static_cast<int32_t>(label), k.start_s, k.end_s});
      }
      stream_samples_ += s.samples.size();
      seconds += static_cast<double>(s.samples.size()) / rate;
      streams_.push_back(std::move(s));
    }
    std::printf("running speech: %zu recordings, %.1f minutes from %s (%.0f%% of the rows)\n", streams_.size(),
                seconds / 60, o_.train_streams.c_str(), 100 * o_.stream_crops.prob);
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
  std::vector<float> clip_;  // the drawn clip as floats
  std::vector<std::vector<float>> augmented_;
  std::vector<int32_t> labels_;
  // Running speech for training, and which rows of the batch are crops of it.
  struct Crop {
    int64_t stream = -1;  // -1: the row is a clip
    double begin_s = 0, length_s = 0, speed = 1;
  };
  std::vector<ManifestEntry> stream_entries_;
  std::vector<TrainStream> streams_;
  size_t stream_samples_ = 0;
  int32_t background_ = 0;
  std::vector<Crop> crop_;
  std::vector<int32_t> frame_targets_;
  FrameBatch batch_;
  int64_t positions_ = 0, steps_ = 0;
};

}  // namespace

// The detector's threshold for o.target_fa_per_hour on the validation recordings, stored in the
// saved models (best and last) so that stream and eval use it by default.
void calibrate_saved_models(const ClassifyTrainOptions& o, const TrainResult& r) {
  const std::vector<ManifestEntry> recordings = read_manifest(o.validation_streams);
  for (const ManifestEntry& e : recordings)
    if (!e.keywords)
      fail("--validation-streams: manifest '", o.validation_streams, "' line ", e.line, " has no 'keywords'");
  for (const std::string& path : {r.best_path, r.model_path}) {
    Model model = load_model(path);
    const auto stream_model = std::make_shared<const StreamModel>(model, path);
    StreamEvalOptions so;
    so.target_fa_per_hour = o.target_fa_per_hour;
    const StreamEvalResult e = evaluate_recordings(stream_model, recordings.size(), [&](size_t i) {
      AudioExample ex;
      ex.path = recordings[i].audio_path;
      ex.duration = recordings[i].duration;
      return KeywordRecording{ex.path, load_clip(ex, stream_model->sample_rate()), *recordings[i].keywords};
    }, so);
    model.config().detector = {{"threshold", e.at.threshold},
                               {"smooth_ms", so.detector.smooth_s * 1000},
                               {"refractory_ms", so.detector.refractory_s * 1000},
                               {"target_fa_per_hour", o.target_fa_per_hour},
                               {"calibrated_on", o.validation_streams},
                               {"target_met", e.target_met},
                               {"recall_there", e.recall()},
                               {"false_alarms_per_hour_there", e.false_alarms_per_hour()}};
    save_model(path, model);
    std::printf("calibrated %s on %.1f minutes of validation speech: threshold %g, %.2f%% of %lld keywords found, "
                "%.2f false alarms per hour%s\n",
                path.c_str(), e.at.audio_s / 60, e.at.threshold, 100 * e.recall(),
                static_cast<long long>(e.at.keywords_said()), e.false_alarms_per_hour(),
                e.target_met ? "" : " (the target rate was not reached: the highest threshold is kept)");
    std::fflush(stdout);
  }
}

TrainResult train_classify(const ClassifyTrainOptions& o) {
  validate_train_options(o);
  if (o.pool != "last" && o.pool != "mean") fail_usage("--pool must be last or mean, got '", o.pool, "'");
  if (!(o.target_fa_per_hour > 0)) fail_usage("--target-fa-per-hour must be positive, got ", o.target_fa_per_hour);
  if (!o.validation_streams.empty()) read_manifest(o.validation_streams, true);  // fail before training
  ClassifyTask task(o);
  TrainResult r = run_training(task, o);
  if (!o.validation_streams.empty() && dist::Communicator::world().is_root()) calibrate_saved_models(o, r);
  return r;
}

}  // namespace rwkvs
