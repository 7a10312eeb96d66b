#pragma once
// Byte-level language-model training on a text file (rwkvs train --task text).
#include <cstdint>
#include <string>

#include "src/train/train_loop.h"

namespace rwkvs {

struct TextTrainOptions : TrainOptions {
  int64_t eval_tokens = 65536;  // held-out predictions per evaluation (at most)
  double val_fraction = 0.1;    // the file's tail held out for evaluation
};

// Trains (or resumes) a byte-level model; see run_training for outputs. The primary metric is
// val_bpb, bits per byte on the held-out tail.
TrainResult train_text(const TextTrainOptions& options);

}  // namespace rwkvs
