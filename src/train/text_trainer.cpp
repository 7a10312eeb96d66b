#include "src/train/text_trainer.h"

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <vector>

#include "base/error.h"
#include "base/rng.h"
#include "src/core/threads.h"
#include "src/core/timer.h"
#include "src/model/checkpoint.h"
#include "src/model/rwkv4.h"
#include "src/train/schedule.h"
#include "src/train/text_corpus.h"
#include "src/train/train_log.h"

namespace rwkvs {
namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted = true; }

// Installs the Ctrl-C handler for the lifetime of a training run.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted = false;
    previous_ = std::signal(SIGINT, on_sigint);
  }
  ~InterruptGuard() { std::signal(SIGINT, previous_); }

 private:
  void (*previous_)(int) = SIG_DFL;
};

void validate(const TextTrainOptions& o) {
  if (o.data.empty()) fail_usage("--data is required for --task text");
  if (o.ctx < 1) fail_usage("--ctx must be at least 1, got ", o.ctx);
  if (o.batch < 1) fail_usage("--batch must be at least 1, got ", o.batch);
  if (o.layers < 1) fail_usage("--layers must be at least 1, got ", o.layers);
  if (o.embd < 1) fail_usage("--embd must be at least 1, got ", o.embd);
  if (!(o.lr > 0) || !std::isfinite(o.lr)) fail_usage("--lr must be a positive number, got ", o.lr);
  if (o.steps < 0 || o.minutes < 0) fail_usage("--steps and --minutes must not be negative");
  if (o.steps == 0 && o.minutes == 0) fail_usage("give --steps or --minutes");
  if (o.eval_every < 1 || o.save_every < 1 || o.log_every < 1)
    fail_usage("--eval-every, --save-every and --log-every must be at least 1");
  if (o.chunk < 1) fail_usage("--chunk must be at least 1, got ", o.chunk);
  if (o.warmup < 0) fail_usage("--warmup must not be negative");
}

// Mean bits per byte over windows of the held-out tail (at most max_tokens predictions).
double evaluate_bpb(const Model& model, const std::vector<int32_t>& val, int64_t ctx, int64_t batch,
                    int64_t max_tokens, const ForwardOptions& fopt) {
  const int64_t len = std::min<int64_t>(ctx, static_cast<int64_t>(val.size()) - 1);
  std::vector<int64_t> starts;
  for (int64_t s = 0; s + len + 1 <= static_cast<int64_t>(val.size()) && (s / len + 1) * len <= max_tokens; s += len)
    starts.push_back(s);
  if (starts.empty()) starts.push_back(0);
  Activations acts;
  double sum = 0;
  int64_t count = 0;
  std::vector<int32_t> in, tgt;
  for (size_t i = 0; i < starts.size(); i += batch) {
    const int64_t B = std::min<int64_t>(batch, static_cast<int64_t>(starts.size() - i));
    in.resize(B * len);
    tgt.resize(B * len);
    for (int64_t b = 0; b < B; ++b) {
      const int32_t* w = val.data() + starts[i + b];
      std::copy(w, w + len, in.begin() + b * len);
      std::copy(w + 1, w + len + 1, tgt.begin() + b * len);
    }
    rwkv4_forward(model, acts, in.data(), B, len, nullptr, nullptr, fopt);
    sum += lm_loss(acts, tgt.data(), model.config().vocab_size) * B * len;
    count += B * len;
  }
  return sum / count / std::log(2.0);
}

}  // namespace

TrainResult train_text(const TextTrainOptions& o) {
  validate(o);
  set_num_threads(o.threads);
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (!fs::is_directory(o.out_dir)) fail("--out '", o.out_dir, "' is not a directory and cannot be created");
  const std::string model_path = (fs::path(o.out_dir) / "model.safetensors").string();
  const std::string opt_path = optimizer_state_path(model_path);
  const bool exists = fs::exists(model_path);
  if (exists && !o.resume && !o.overwrite)
    fail_usage("'", model_path, "' already exists: pass --resume to continue it or --overwrite to start over");
  if (o.resume && !exists) fail_usage("--resume: there is no checkpoint '", model_path, "'");

  const TextCorpus corpus(o.data, o.val_fraction, o.ctx + 1);
  Model model = o.resume ? load_model(model_path) : Model(ModelConfig::rwkv4(o.layers, o.embd, 256));
  if (model.config().vocab_size != 256 || model.config().tokenizer != "bytes")
    fail("'", model_path, "' is not a byte-level text model (vocab ", model.config().vocab_size, ")");
  AdamW optimizer(model, o.optimizer);
  Rng rng(o.seed);
  int64_t step = 0, total = o.steps;
  if (o.resume) {
    const Metadata meta = optimizer.load(opt_path, model);
    step = model.config().train_step;
    if (!meta.count("rng") || !meta.count("total_steps"))
      fail("optimizer state '", opt_path, "' lacks its rng/total_steps metadata");
    rng.set_state(std::stoull(meta.at("rng")));
    if (o.steps == 0) total = std::stoll(meta.at("total_steps"));
    std::printf("resuming %s at step %lld\n", model_path.c_str(), static_cast<long long>(step));
  } else {
    init_official(model, o.seed);
  }
  LrSchedule sched{o.lr, o.warmup, total > 0 ? total : std::numeric_limits<int64_t>::max(), o.lr_min_ratio};
  ForwardOptions fopt;
  fopt.wkv.chunk_len = o.chunk;
  TrainLog log((fs::path(o.out_dir) / "train_log.jsonl").string());

  auto save = [&] {
    model.config().train_step = step;
    save_model(model_path, model);
    optimizer.save(opt_path, model,
                   {{"step", std::to_string(step)}, {"rng", std::to_string(rng.state())},
                    {"total_steps", std::to_string(sched.total)}, {"data", o.data}});
  };

  std::printf("training %d x %d byte-level RWKV-4 (%zu parameters) on %s: %lld train / %lld val bytes, "
              "B=%lld T=%lld, %d thread(s)\n",
              model.config().n_layer, model.config().n_embd, model.num_parameters(), o.data.c_str(),
              static_cast<long long>(corpus.train_size()), static_cast<long long>(corpus.val_size()),
              static_cast<long long>(o.batch), static_cast<long long>(o.ctx), num_threads());
  std::fflush(stdout);

  InterruptGuard guard;
  Activations acts;
  std::vector<float> grads(model.params_size());
  std::vector<int32_t> windows, inputs(o.batch * o.ctx), targets(o.batch * o.ctx);
  TrainResult result;
  Timer clock;
  double val_bpb = std::nan(""), loss_avg = 0;
  int64_t avg_n = 0;
  const int64_t start_step = step;
  while (true) {
    const bool out_of_time = o.steps == 0 && o.minutes > 0 && clock.seconds() >= o.minutes * 60;
    if (step >= sched.total || out_of_time || g_interrupted || (o.stop_at_step > 0 && step >= o.stop_at_step)) break;
    ++step;
    corpus.sample_windows(rng, o.batch, o.ctx + 1, windows);
    for (int64_t b = 0; b < o.batch; ++b)
      for (int64_t t = 0; t < o.ctx; ++t) {
        inputs[b * o.ctx + t] = windows[b * (o.ctx + 1) + t];
        targets[b * o.ctx + t] = windows[b * (o.ctx + 1) + t + 1];
      }
    rwkv4_forward(model, acts, inputs.data(), o.batch, o.ctx, nullptr, nullptr, fopt);
    const double loss = lm_loss_backward(acts, targets.data(), 256);
    std::fill(grads.begin(), grads.end(), 0.0f);
    rwkv4_backward(model, acts, grads.data(), fopt);
    const double lr = sched.at(step);
    const double gnorm = optimizer.step(model, grads.data(), lr, step);
    loss_avg += loss;
    ++avg_n;
    const bool eval_now = step % o.eval_every == 0;
    if (eval_now) val_bpb = evaluate_bpb(model, corpus.val_tokens(), o.ctx, o.batch, o.eval_tokens, fopt);
    // A time budget sets the schedule's length from the measured time per step (evaluations
    // included), first after 5 steps, then again after each evaluation, so the cosine ends on time.
    if (o.steps == 0 && o.minutes > 0 && (step - start_step == 5 || eval_now)) {
      const double per_step = clock.seconds() / static_cast<double>(step - start_step);
      const double left = o.minutes * 60 - clock.seconds();
      sched.total = step + std::max<int64_t>(1, static_cast<int64_t>(left / per_step));
    }
    const double elapsed = clock.seconds();
    const double tok_s = static_cast<double>((step - start_step) * o.batch * o.ctx) / elapsed;
    nlohmann::json rec = {{"step", step}, {"time", elapsed}, {"loss", loss}, {"lr", lr}, {"grad_norm", gnorm},
                          {"tokens_per_s", tok_s}};
    if (eval_now) rec["val_bpb"] = val_bpb;
    log.write(rec);
    if (step % o.log_every == 0 || eval_now || step == 1) {
      const double remaining = sched.total == std::numeric_limits<int64_t>::max()
                                   ? std::nan("")
                                   : elapsed / (step - start_step) * (sched.total - step);
      std::printf("step %lld/%lld | loss %.4f | val %s bpb | lr %.2e | %.0f tok/s | ETA %s\n",
                  static_cast<long long>(step), static_cast<long long>(sched.total), loss_avg / avg_n,
                  std::isnan(val_bpb) ? "  -  " : (std::to_string(val_bpb).substr(0, 5)).c_str(), lr, tok_s,
                  format_duration(remaining).c_str());
      std::fflush(stdout);
      loss_avg = 0;
      avg_n = 0;
    }
    result.last_loss = loss;
    if (step % o.save_every == 0) save();
  }
  result.interrupted = g_interrupted;
  if (step > start_step || !o.resume) {
    val_bpb = evaluate_bpb(model, corpus.val_tokens(), o.ctx, o.batch, o.eval_tokens, fopt);
    log.write({{"step", step}, {"time", clock.seconds()}, {"val_bpb", val_bpb}, {"final", true}});
    save();
  }
  std::printf("%s at step %lld: val %.4f bits/byte; saved %s\n", result.interrupted ? "interrupted" : "done",
              static_cast<long long>(step), val_bpb, model_path.c_str());
  result.steps = step;
  result.val_bpb = val_bpb;
  result.model_path = model_path;
  return result;
}

}  // namespace rwkvs
