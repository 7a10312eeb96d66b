#include "src/train/classify_eval.h"

#include <cmath>
#include <cstdio>

#include "src/model/classify.h"

namespace rwkvs {

double ClassifyMetrics::accuracy() const {
  int64_t right = 0;
  for (size_t k = 0; k < confusion.size(); ++k) right += confusion[k][k];
  return count ? static_cast<double>(right) / static_cast<double>(count) : 0.0;
}

std::vector<double> ClassifyMetrics::per_class_accuracy() const {
  std::vector<double> out;
  for (size_t k = 0; k < confusion.size(); ++k) {
    int64_t n = 0;
    for (int64_t v : confusion[k]) n += v;
    out.push_back(n ? static_cast<double>(confusion[k][k]) / static_cast<double>(n) : std::nan(""));
  }
  return out;
}

nlohmann::json ClassifyMetrics::to_json(const std::string& prefix) const {
  nlohmann::json per = nlohmann::json::object();
  const std::vector<double> acc = per_class_accuracy();
  for (size_t k = 0; k < labels.size(); ++k) per[labels[k]] = std::isnan(acc[k]) ? nlohmann::json() : nlohmann::json(acc[k]);
  return {{prefix + "accuracy", accuracy()},
          {prefix + "loss", loss},
          {prefix + "count", count},
          {prefix + "per_class_accuracy", per},
          {prefix + "confusion", confusion}};
}

std::string ClassifyMetrics::table() const {
  std::string s;
  char buf[64];
  std::snprintf(buf, sizeof buf, "accuracy %.2f%% on %lld clips, loss %.4f\n", 100 * accuracy(),
                static_cast<long long>(count), loss);
  s += buf;
  const std::vector<double> acc = per_class_accuracy();
  s += "true \\ predicted";
  for (size_t k = 0; k < labels.size(); ++k) {
    std::snprintf(buf, sizeof buf, " %8.8s", labels[k].c_str());
    s += buf;
  }
  s += "   accuracy\n";
  for (size_t k = 0; k < labels.size(); ++k) {
    std::snprintf(buf, sizeof buf, "%-16.16s", labels[k].c_str());
    s += buf;
    for (int64_t v : confusion[k]) {
      std::snprintf(buf, sizeof buf, " %8lld", static_cast<long long>(v));
      s += buf;
    }
    std::snprintf(buf, sizeof buf, "   %6.2f%%\n", 100 * acc[k]);
    s += std::isnan(acc[k]) ? "        -\n" : buf;
  }
  return s;
}

ClassifyMetrics evaluate_classifier(Engine& engine, const FeaturePipeline& features, const ClipSet& clips,
                                    int64_t batch, const ForwardOptions& fopt) {
  const ModelConfig& c = engine.config();
  const int64_t K = c.output_dim();
  ClassifyMetrics m;
  m.labels = c.labels;
  m.confusion.assign(K, std::vector<int64_t>(K, 0));
  FrameBatch fb;
  double loss_sum = 0;
  for (size_t i = 0; i < clips.waves.size(); i += batch) {
    const size_t n = std::min<size_t>(batch, clips.waves.size() - i);
    std::vector<const Pcm16Clip*> waves;
    for (size_t j = 0; j < n; ++j) waves.push_back(&clips.waves[i + j]);
    featurize_batch(features, waves, fb);
    const std::vector<float> logits = engine.logits(ModelInput{nullptr, fb.frames.data()}, fb.B, fb.T, fopt);
    std::vector<int32_t> predicted(n);
    loss_sum += classification_loss(logits.data(), fb.B, fb.T, fb.lengths.data(), clips.labels.data() + i, c.pool,
                                    K, predicted.data()) *
                static_cast<double>(n);
    for (size_t j = 0; j < n; ++j) ++m.confusion[clips.labels[i + j]][predicted[j]];
  }
  m.count = static_cast<int64_t>(clips.waves.size());
  m.loss = m.count ? loss_sum / static_cast<double>(m.count) : 0.0;
  return m;
}

}  // namespace rwkvs
