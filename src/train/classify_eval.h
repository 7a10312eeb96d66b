#pragma once
// Evaluation of an utterance classifier: accuracy, per-class accuracy, confusion matrix, loss.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "frontends/audio/feature_pipeline.h"
#include "src/model/engine.h"
#include "src/train/audio_clips.h"

namespace rwkvs {

struct ClassifyMetrics {
  std::vector<std::string> labels;
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
  double loss = 0;                              // mean cross-entropy
  int64_t count = 0;

  double accuracy() const;
  std::vector<double> per_class_accuracy() const;  // NaN for classes with no examples
  // {"<prefix>accuracy", "<prefix>loss", "<prefix>per_class_accuracy": {label: acc}, "<prefix>confusion": [[...]]}
  nlohmann::json to_json(const std::string& prefix) const;
  // A readable table: accuracy per class and the confusion matrix.
  std::string table() const;
};

// Runs the model (on the engine's device) over every clip (batches of 'batch'), pooling as the model's config says.
ClassifyMetrics evaluate_classifier(Engine& engine, const FeaturePipeline& features, const ClipSet& clips,
                                    int64_t batch, const ForwardOptions& fopt);

}  // namespace rwkvs
