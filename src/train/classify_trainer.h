#pragma once
// Keyword spotting / utterance classification on an audio dataset (rwkvs train --task classify):
// a Speech Commands style folder or a JSON-lines manifest, features from the frontend the model
// stores, global feature normalisation measured on the training split, augmentation.
#include <string>

#include "src/audio/frontend_config.h"
#include "src/train/audio_train_settings.h"
#include "src/train/augment.h"
#include "src/train/stream_crops.h"
#include "src/train/train_loop.h"

namespace rwkvs {

// frontend default: 40-bin Kaldi fbank, 16 kHz.
struct ClassifyTrainOptions : TrainOptions, AudioTrainSettings {
  std::string pool = "last";
  // Running speech (manifests whose lines name their "keywords"): crops of train_streams join the
  // batches with frame targets (stream_crops.h); validation_streams calibrate the detector at the
  // end for target_fa_per_hour, stored in the saved models.
  std::string train_streams;
  StreamCropOptions stream_crops;
  std::string validation_streams;
  double target_fa_per_hour = 2;

  ClassifyTrainOptions();
};

// Trains (or resumes) a classifier; the primary metric is val_accuracy (best checkpoint kept).
TrainResult train_classify(const ClassifyTrainOptions& options);

}  // namespace rwkvs
