#pragma once
// Classification with per-frame targets, for running speech beside isolated clips in one batch.
// A clip row has an utterance label and is scored on its pooled logits (classify.h). A frame row
// has a target class per frame, or kIgnoreFrame: its loss is the mean cross-entropy over its
// background frames (target == background) plus the mean over its other targeted frames (the
// frames just after a keyword), so the few keyword frames are not drowned by the many background
// ones. The batch loss is the mean of the row losses over all rows.
#include <cstdint>
#include <string>

namespace rwkvs {

constexpr int32_t kIgnoreFrame = -1;

struct MixedBatchTargets {
  const int64_t* lengths = nullptr;        // (B) valid frames per row, in [1, T]
  const int32_t* labels = nullptr;         // (B) clip rows: the label; frame rows: kIgnoreFrame
  const int32_t* frame_targets = nullptr;  // (B, T) frame rows: a class or kIgnoreFrame; clip rows unused
  int32_t background = 0;                  // the class of frames where no keyword was just said
  std::string pool = "last";               // clip rows' pooling
};

// Overwrites logits (B, T, K) with d(loss)/d(logits) (zero where nothing is scored) and returns
// the loss. Errors on lengths, labels or targets outside their ranges.
double mixed_classification_loss_backward(float* logits, int64_t B, int64_t T, int64_t K, const MixedBatchTargets& t);

}  // namespace rwkvs
