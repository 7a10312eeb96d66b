#include "src/train/text_trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "base/error.h"
#include "src/train/text_corpus.h"

namespace rwkvs {
namespace {

class TextTask : public TrainTask {
 public:
  explicit TextTask(const TextTrainOptions& o) : o_(o), corpus_(o.data, o.val_fraction, o.ctx + 1) {}

  ModelConfig new_model_config(const TrainOptions& o) const override {
    return new_trunk_config(o, 256);
  }

  void attach_model(const Model& model, const std::string& path) override {
    const ModelConfig& c = model.config();
    if (c.frames_input() || c.labels_head() || c.tokenizer != "bytes" || c.vocab_size != 256)
      fail("'", path, "' is not a byte-level text model (input ", c.input_kind, ", head ", c.head_kind,
           ", tokenizer ", c.tokenizer, ")");
  }

  std::string describe(const Model& model) const override {
    char buf[256];
    std::snprintf(buf, sizeof buf, "training %d x %d byte-level %s on %s: %lld train / %lld val bytes, B=%lld T=%lld",
                  model.config().n_layer, model.config().n_embd, model.config().arch_title(), o_.data.c_str(),
                  static_cast<long long>(corpus_.train_size()), static_cast<long long>(corpus_.val_size()),
                  static_cast<long long>(o_.batch), static_cast<long long>(o_.ctx));
    return buf;
  }

  double forward_backward(Engine& engine, Rng& rng, const BatchShard& shard, const ForwardOptions& fopt) override {
    const int64_t B = shard.count, T = o_.ctx;
    corpus_.sample_windows(rng, o_.batch, T + 1, windows_);
    inputs_.resize(B * T);
    targets_.resize(B * T);
    for (int64_t b = 0; b < B; ++b) {
      const int32_t* w = windows_.data() + (shard.begin + b) * (T + 1);
      for (int64_t t = 0; t < T; ++t) {
        inputs_[b * T + t] = w[t];
        targets_[b * T + t] = w[t + 1];
      }
    }
    return engine.lm_forward_backward(inputs_.data(), targets_.data(), B, T, 1.0f, fopt);
  }

  int64_t positions_per_step() const override { return o_.batch * o_.ctx; }

  // Mean bits per byte over windows of the held-out tail (at most eval_tokens predictions).
  EvalResult evaluate(Engine& engine, const ForwardOptions& fopt) override {
    const std::vector<int32_t>& val = corpus_.val_tokens();
    const int64_t len = std::min<int64_t>(o_.ctx, static_cast<int64_t>(val.size()) - 1);
    std::vector<int64_t> starts;
    for (int64_t s = 0; s + len + 1 <= static_cast<int64_t>(val.size()) && (s / len + 1) * len <= o_.eval_tokens;
         s += len)
      starts.push_back(s);
    if (starts.empty()) starts.push_back(0);
    double sum = 0;
    int64_t count = 0;
    for (size_t i = 0; i < starts.size(); i += o_.batch) {
      const int64_t B = std::min<int64_t>(o_.batch, static_cast<int64_t>(starts.size() - i));
      inputs_.resize(B * len);
      targets_.resize(B * len);
      for (int64_t b = 0; b < B; ++b) {
        const int32_t* w = val.data() + starts[i + b];
        std::copy(w, w + len, inputs_.begin() + b * len);
        std::copy(w + 1, w + len + 1, targets_.begin() + b * len);
      }
      sum += engine.lm_loss(inputs_.data(), targets_.data(), B, len, fopt) * B * len;
      count += B * len;
    }
    const double bpb = sum / count / std::log(2.0);
    char text[32];
    std::snprintf(text, sizeof text, "%.3f bpb", bpb);
    return {{{"val_bpb", bpb}}, "val_bpb", false, text};
  }

 private:
  TextTrainOptions o_;
  TextCorpus corpus_;
  std::vector<int32_t> windows_, inputs_, targets_;
};

}  // namespace

TrainResult train_text(const TextTrainOptions& o) {
  validate_train_options(o);
  TextTask task(o);
  return run_training(task, o);
}

}  // namespace rwkvs
