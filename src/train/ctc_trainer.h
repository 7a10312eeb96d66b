#pragma once
// Speech recognition with a CTC head (rwkvs train --task ctc): a JSON-lines manifest of audio with
// "text", a character vocabulary built from the training transcripts and stored in the model,
// feature frames stacked frame_stack at a time before the trunk, the CTC loss (kernels/ctc_loss.h),
// the same augmentation as keyword spotting, and greedy-decoding CER/WER on held-out utterances.
#include <string>

#include "src/train/audio_train_settings.h"
#include "src/train/train_loop.h"

namespace rwkvs {

struct CtcTrainOptions : TrainOptions, AudioTrainSettings {
  // Feature frames per trunk position. 3 (30 ms at a 10 ms shift) keeps a position shorter than
  // most characters last when spoken, so CTC can align them, while the trunk runs 3x fewer steps.
  int frame_stack = 3;
  int64_t eval_utterances = 200;  // held-out utterances per evaluation during training (0: all)

  CtcTrainOptions();
};

// Trains (or resumes) a CTC recogniser; the primary metric is val_cer (lower is better).
TrainResult train_ctc(const CtcTrainOptions& options);

}  // namespace rwkvs
