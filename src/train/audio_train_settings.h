#pragma once
// What every audio trainer (classify, ctc) takes besides the shared loop's options: the frontend
// of a new model, the augmentation, and held-out manifests.
#include <string>

#include "src/audio/frontend_config.h"
#include "src/train/augment.h"

namespace rwkvs {

struct AudioTrainSettings {
  FrontendConfig frontend;  // feature settings for new models
  bool augment = true;
  AugmentOptions augmentation;
  std::string validation_manifest;  // manifests: optional held-out splits
  std::string test_manifest;
};

}  // namespace rwkvs
