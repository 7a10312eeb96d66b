#pragma once
// Reads the JSON-lines training log that `rwkvs train` writes (src/train/train_log.h) into the
// series the training-curve figure draws.
//
// Each non-blank line is one JSON object with a numeric "step". Read when present: "time"
// (seconds since the run started), "loss", "lr", and every "val_*" key holding a number
// (val_bpb, val_loss, val_accuracy, ...: each becomes its own series) except "*_count" (the size
// of the validation set, not a metric). Other keys (grad_norm, tokens_per_s, final, per-class
// objects, confusion matrices) are ignored; null values (NaN written by JSON) leave a
// gap. A resumed run appends to the same log: its clock restarts, so times are offset to keep
// wall-clock time running, and if it resumed from an earlier step than the log reached, the
// records it replays replace the older ones.
#include <string>
#include <vector>

namespace rwkvs {

struct Series {
  std::string name;
  std::vector<double> step;
  std::vector<double> time;  // seconds since the first run started (NaN where the line had none)
  std::vector<double> value;
  bool empty() const { return value.empty(); }
};

struct TrainingHistory {
  Series loss;                     // "loss"
  Series lr;                       // "lr"
  std::vector<Series> validation;  // "val_*", in order of first appearance
  long lines = 0;                  // records read
};

// Errors (rwkvs::Error) name the file, and the line for a malformed one: unreadable file, a line
// that is not a JSON object, a missing or non-numeric step, a non-numeric time/loss/lr, and a log
// with no record holding any of loss, lr or a val_* number.
TrainingHistory read_training_history(const std::string& path);

}  // namespace rwkvs
