// rwkvs train: train a model. --task text trains a byte-level language model on a text file.
#include <memory>

#include "apps/rwkvs/commands.h"
#include "base/error.h"
#include "src/train/text_trainer.h"

namespace rwkvs::app {

void add_train_command(CLI::App& app) {
  auto o = std::make_shared<TextTrainOptions>();
  auto task = std::make_shared<std::string>("text");
  CLI::App* cmd = app.add_subcommand("train", "Train an RWKV-4 model (--task text: byte-level LM on a text file)");
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--task", *task, "what to train")->check(CLI::IsMember({"text"}));
  cmd->add_option("--data", o->data, "training data: a text file for --task text")->required();
  cmd->add_option("--out", o->out_dir, "output folder: model.safetensors, model.opt.safetensors, train_log.jsonl");
  cmd->add_option("--ctx", o->ctx, "tokens per training window (T)");
  cmd->add_option("--batch", o->batch, "windows per step (B)");
  cmd->add_option("--layers", o->layers, "number of RWKV-4 blocks (new models)");
  cmd->add_option("--embd", o->embd, "model width C (new models)");
  cmd->add_option("--lr", o->lr, "peak learning rate");
  cmd->add_option("--lr-min-ratio", o->lr_min_ratio, "final learning rate as a fraction of --lr (cosine decay)");
  cmd->add_option("--warmup", o->warmup, "linear warm-up steps");
  cmd->add_option("--weight-decay", o->optimizer.weight_decay, "AdamW weight decay (matrices only)");
  cmd->add_option("--clip", o->optimizer.clip_norm, "gradient clipping by global norm (0 = off)");
  cmd->add_option("--beta2", o->optimizer.beta2, "AdamW beta2");
  cmd->add_option("--steps", o->steps, "optimizer steps in all (0: use --minutes)");
  cmd->add_option("--minutes", o->minutes, "wall-clock budget when --steps is 0");
  cmd->add_option("--stop-at-step", o->stop_at_step, "save and stop at this step, to continue later with --resume");
  cmd->add_option("--threads", o->threads, "threads (0 = all cores)");
  cmd->add_option("--seed", o->seed, "seed for initialisation and window sampling");
  cmd->add_flag("--resume", o->resume, "continue the checkpoint in --out exactly where it stopped");
  cmd->add_flag("--overwrite", o->overwrite, "start a new model even if --out holds a checkpoint");
  cmd->add_option("--eval-every", o->eval_every, "evaluate on the held-out tail every N steps");
  cmd->add_option("--eval-tokens", o->eval_tokens, "held-out tokens per evaluation (at most)");
  cmd->add_option("--val-fraction", o->val_fraction, "fraction of the data file (its tail) held out");
  cmd->add_option("--save-every", o->save_every, "checkpoint every N steps (and at the end and on Ctrl-C)");
  cmd->add_option("--log-every", o->log_every, "print a progress line every N steps");
  cmd->add_option("--chunk", o->chunk, "WKV chunk length");
  cmd->callback([o, task] {
    const TrainResult r = train_text(*o);
    if (r.interrupted) throw Interrupted();
  });
}

}  // namespace rwkvs::app
