#pragma once
// Byte-level language-model training on a text file (rwkvs train --task text).
#include <cstdint>
#include <string>

#include "src/train/optimizer.h"

namespace rwkvs {

struct TextTrainOptions {
  std::string data;          // UTF-8 (or any) text file; its bytes are the tokens
  std::string out_dir = "runs/text";
  int64_t ctx = 256;         // T: tokens per training window (windows hold T+1 bytes)
  int64_t batch = 16;        // B: windows per step
  int layers = 6;
  int embd = 256;
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
  int64_t eval_tokens = 65536;
  double val_fraction = 0.1;
  int64_t log_every = 10;
  int chunk = 64;            // WKV chunk length
  OptimizerConfig optimizer;
};

struct TrainResult {
  int64_t steps = 0;
  double last_loss = 0;
  double val_bpb = 0;       // bits per byte on the held-out tail at the end
  bool interrupted = false;  // stopped by Ctrl-C (checkpoint saved)
  std::string model_path;
};

// Trains (or resumes), printing progress to stdout, logging JSON lines to out_dir/train_log.jsonl
// and saving out_dir/model.safetensors (+ model.opt.safetensors) every save_every steps, at the end
// and on Ctrl-C. Throws Error on bad options or data.
TrainResult train_text(const TextTrainOptions& options);

}  // namespace rwkvs
