#pragma once
// The training loop every task shares: output folder and checkpoint policy, new model or exact
// resume, AdamW with warm-up + cosine, gradient clipping, periodic evaluation with best-checkpoint
// keeping, JSON-lines log, progress line with ETA, Ctrl-C handling. A task supplies the data, the
// loss and the evaluation.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "base/rng.h"
#include "src/model/engine.h"
#include "src/model/model.h"
#include "src/model/rwkv4.h"
#include "src/train/optimizer.h"

namespace rwkvs {

struct TrainOptions {
  std::string data;          // the task's data (text file, dataset folder, manifest)
  std::string out_dir = "runs/train";
  int64_t ctx = 256;         // T: positions per training window (tasks may ignore)
  int64_t batch = 16;        // B: sequences per step
  std::string arch = "rwkv4";  // a new model's architecture: rwkv4 | rwkv7
  int layers = 6;
  int embd = 256;
  int head_size = 0;            // rwkv7: head size of a new model; 0: the largest <= 64 dividing embd
  double lr = 6e-4;
  double lr_min_ratio = 0.1;
  int64_t warmup = 50;
  int64_t steps = 0;         // total optimizer steps (0: use minutes)
  double minutes = 0;        // wall-clock budget when steps == 0
  int64_t stop_at_step = 0;  // save and stop early at this step (resume later); 0 = off
  int threads = 0;           // 0: all cores
  uint64_t seed = 1;
  bool resume = false;       // continue from out_dir/model.safetensors and its optimizer state
  bool overwrite = false;    // allow starting fresh over an existing checkpoint in out_dir
  int64_t eval_every = 100;
  int64_t save_every = 500;
  int64_t log_every = 10;
  int chunk = 64;            // WKV chunk length
  std::string device = "cpu";       // cpu | cuda: where weights, activations and optimizer state live
  std::string precision = "fp32";   // GPU matmuls: fp32 | tf32 | bf16
  OptimizerConfig optimizer;
};

// The trunk of a new model as the options ask for it (--arch, --layers, --embd, --head-size), with
// token input and an lm head of vocab_size outputs; tasks then set their input and head.
// Errors name the flag (a head size that does not divide --embd).
ModelConfig new_trunk_config(const TrainOptions& o, int vocab_size);

// The rows [begin, begin + count) of a global batch that this process computes (data parallelism:
// rank r of N computes count = B / N rows starting at r * count).
struct BatchShard {
  int64_t begin = 0;
  int64_t count = 0;
  static BatchShard whole(int64_t batch) { return {0, batch}; }
};

// An evaluation: every metric goes to the log; 'primary' is printed and decides the best checkpoint.
struct EvalResult {
  nlohmann::json metrics;     // e.g. {"val_bpb": 1.9} or {"val_accuracy": 0.97, "val_loss": ...}
  std::string primary;        // key of the metric that ranks checkpoints
  bool higher_is_better = false;
  std::string summary;        // short text for the progress line, e.g. "1.872 bpb" or "97.1% acc"
};

class TrainTask {
 public:
  virtual ~TrainTask() = default;
  // The architecture of a fresh model (the loop initialises it with the official recipe).
  virtual ModelConfig new_model_config(const TrainOptions& o) const = 0;
  // Binds the task to the model it will train (fresh or resumed): throws when the model does not fit
  // the task (wrong input or head kind, vocabulary, classes), then prepares what the task needs.
  virtual void attach_model(const Model& model, const std::string& path) = 0;
  // A fresh model after initialisation: e.g. store input-normalisation statistics.
  virtual void prepare_new_model(Model& model) { (void)model; }
  // One line describing model and data for the start of the run.
  virtual std::string describe(const Model& model) const = 0;
  // Forward, loss and backward of one training batch drawn with rng, on 'engine' (CPU or GPU). The
  // whole global batch (TrainOptions::batch sequences) is drawn, so rng advances the same way in
  // every process, and only the rows of 'shard' are computed: the engine's gradients (zeroed by the
  // caller) receive the gradient of the mean loss over those rows, which is returned.
  virtual double forward_backward(Engine& engine, Rng& rng, const BatchShard& shard, const ForwardOptions& fopt) = 0;
  // Positions processed per step by the whole global batch (for tokens/s).
  virtual int64_t positions_per_step() const = 0;
  // What a position is, for the progress line: "tok" (text), "frames" (audio features), "samples".
  virtual const char* position_unit() const { return "tok"; }
  // Evaluation on held-out data, with the engine's current weights.
  virtual EvalResult evaluate(Engine& engine, const ForwardOptions& fopt) = 0;
};

struct TrainResult {
  int64_t steps = 0;
  double last_loss = 0;
  EvalResult final_eval;      // evaluation of the final model
  bool interrupted = false;   // stopped by Ctrl-C (checkpoint saved)
  std::string model_path;     // out_dir/model.safetensors (final)
  std::string best_path;      // out_dir/model_best.safetensors (best evaluation so far)
};

// Runs training; errors name the bad option or file. Progress to stdout, log to
// out_dir/train_log.jsonl, checkpoints to out_dir/model.safetensors (+ .opt) and model_best.safetensors.
TrainResult run_training(TrainTask& task, const TrainOptions& options);

// Validates the options every task shares (UsageError naming the flag).
void validate_train_options(const TrainOptions& o);

}  // namespace rwkvs
