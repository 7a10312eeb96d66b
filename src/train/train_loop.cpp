#include "src/train/train_loop.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <algorithm>
#include <filesystem>
#include <limits>
#include <memory>
#include <vector>

#include "base/error.h"
#include "base/hash.h"
#include "src/core/stop_signals.h"
#include "src/core/threads.h"
#include "src/core/timer.h"
#include "src/dist/communicator.h"
#include "src/model/checkpoint.h"
#include "src/model/cuda_engine.h"
#include "src/train/schedule.h"
#include "src/train/train_log.h"

namespace rwkvs {
namespace {

constexpr int64_t kUnknownTotal = std::numeric_limits<int64_t>::max();

// A double as text that reads back to the same bits.
std::string format_exact(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

bool better(const EvalResult& e, double value, double best) {
  if (std::isnan(best)) return true;
  return e.higher_is_better ? value > best : value < best;
}

}  // namespace

void validate_train_options(const TrainOptions& o) {
  if (o.data.empty()) fail_usage("--data is required");
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
  validate_device_flags(o.device, o.precision);
}

namespace {

// Ranks must agree on everything that shapes the run; compared once at start (a hash per rank).
// 'shape' is hashed; 'summary' (short) is what the error shows.
void check_ranks_agree(dist::Communicator& comm, const std::string& shape, const std::string& summary) {
  const std::vector<uint64_t> all = comm.allgather(fnv1a64(shape));
  for (size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      fail("rank ", r, " differs from rank 0 in model, data or flags (every rank must run the same command on "
           "the same data); rank ", comm.rank(), " has ", summary);
}

}  // namespace

TrainResult run_training(TrainTask& task, const TrainOptions& o) {
  validate_train_options(o);
  dist::Communicator& comm = dist::Communicator::world();
  const bool root = comm.is_root();
  if (o.batch % comm.size() != 0)
    fail_usage("--batch ", o.batch, " is the global batch and must divide evenly over the ", comm.size(),
               " ranks");
  const BatchShard shard{comm.rank() * (o.batch / comm.size()), o.batch / comm.size()};
  int threads = o.threads;
  if (threads == 0 && comm.distributed()) {
    // All cores shared by the ranks on this machine.
    int local = comm.size();
    for (const char* v : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"})
      if (const char* e = std::getenv(v)) local = std::max(1, std::atoi(e));
    threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / local);
  }
  set_num_threads(threads);
  if (o.device == "cuda") require_cuda_device();  // before any folder or file is made
  namespace fs = std::filesystem;
  std::error_code ec;
  if (root) fs::create_directories(o.out_dir, ec);  // only rank 0 writes
  if (root && !fs::is_directory(o.out_dir)) fail("--out '", o.out_dir, "' is not a directory and cannot be created");
  const std::string model_path = (fs::path(o.out_dir) / "model.safetensors").string();
  const std::string best_path = (fs::path(o.out_dir) / "model_best.safetensors").string();
  const std::string opt_path = optimizer_state_path(model_path);
  const bool exists = fs::exists(model_path);
  if (exists && !o.resume && !o.overwrite)
    fail_usage("'", model_path, "' already exists: pass --resume to continue it or --overwrite to start over");
  if (o.resume && !exists) fail_usage("--resume: there is no checkpoint '", model_path, "'");

  Model model = o.resume ? load_model(model_path) : Model(task.new_model_config(o));
  task.attach_model(model, model_path);
  AdamW optimizer(model, o.optimizer);
  Rng rng(o.seed);
  int64_t step = 0, total = o.steps;
  int64_t resumed_anchor_step = -1;  // a time-budget schedule continues where it was
  double resumed_anchor_progress = 0;
  double best = std::nan("");
  if (o.resume) {
    const Metadata meta = optimizer.load(opt_path, model);
    step = model.config().train_step;
    if (!meta.count("rng") || !meta.count("total_steps"))
      fail("optimizer state '", opt_path, "' lacks its rng/total_steps metadata");
    rng.set_state(std::stoull(meta.at("rng")));
    if (o.steps == 0) total = std::stoll(meta.at("total_steps"));
    if (o.steps == 0 && meta.count("lr_anchor_step")) {
      resumed_anchor_step = std::stoll(meta.at("lr_anchor_step"));
      resumed_anchor_progress = std::stod(meta.at("lr_anchor_progress"));
    }
    if (meta.count("best")) best = std::stod(meta.at("best"));
    std::printf("resuming %s at step %lld\n", model_path.c_str(), static_cast<long long>(step));
  } else {
    init_official(model, o.seed);
    task.prepare_new_model(model);
  }
  LrSchedule sched{o.lr, o.warmup, total > 0 ? total : kUnknownTotal, o.lr_min_ratio, resumed_anchor_step,
                   resumed_anchor_progress};
  ForwardOptions fopt;
  fopt.wkv.chunk_len = o.chunk;
  if (comm.distributed()) {
    const std::string summary = task.describe(model) + ", batch " + std::to_string(o.batch) + ", step " +
                                std::to_string(step) + ", seed " + std::to_string(o.seed);
    check_ranks_agree(comm, model.config().to_json().dump() + "|" + summary, summary);
    // Identical weights everywhere (a fresh model is already identical by seed; a resumed one is
    // rank 0's file).
    comm.broadcast(model.params(), model.params_size());
  }
  // Weights, gradients and moments live on the engine's device from here on; the host model and
  // optimizer are refreshed from it only to save or report.
  const std::unique_ptr<Engine> engine = make_engine(o.device, model, o.precision);
  if (o.resume) engine->set_moments(optimizer);
  std::unique_ptr<TrainLog> log_file;
  if (root) log_file = std::make_unique<TrainLog>((fs::path(o.out_dir) / "train_log.jsonl").string());

  auto save = [&] {
    if (!root) return;
    engine->get_params(model);
    engine->get_moments(optimizer);
    model.config().train_step = step;
    save_model(model_path, model);
    optimizer.save(opt_path, model,
                   {{"step", std::to_string(step)},
                    {"rng", std::to_string(rng.state())},
                    {"total_steps", std::to_string(sched.total)},
                    {"lr_anchor_step", std::to_string(sched.anchor_step)},
                    {"lr_anchor_progress", format_exact(sched.anchor_progress)},
                    {"best", std::to_string(best)},
                    {"data", o.data}});
  };
  TrainResult result;
  result.model_path = model_path;
  result.best_path = best_path;
  // Only rank 0 evaluates (the others wait at the next step's broadcast).
  auto evaluate = [&] {
    if (!root) return EvalResult{{{"skipped", 0.0}}, "skipped", false, "-"};
    EvalResult e = task.evaluate(*engine, fopt);
    const double value = e.metrics.at(e.primary).get<double>();
    if (better(e, value, best)) {
      best = value;
      engine->get_params(model);
      model.config().train_step = step;
      save_model(best_path, model);
    }
    return e;
  };

  const std::string where = o.device == "cuda" ? engine->device_name() + " (" + o.precision + ")"
                                                : std::to_string(num_threads()) + " thread(s)";
  if (comm.distributed())
    std::printf("%s, %zu parameters, %d ranks x %s, %lld sequences per rank\n", task.describe(model).c_str(),
                model.num_parameters(), comm.size(), where.c_str(), static_cast<long long>(shard.count));
  else
    std::printf("%s, %zu parameters, %s\n", task.describe(model).c_str(), model.num_parameters(), where.c_str());
  std::fflush(stdout);

  StopSignals stop;  // Ctrl-C / SIGTERM: save, then stop
  // The job's ranks as the engine sees them: MPI moves host memory, and carries NCCL's id to GPUs.
  RankGroup ranks;
  ranks.rank = comm.rank();
  ranks.size = comm.size();
  ranks.timeout_s = comm.timeout();
  ranks.host_sum = [&comm](float* data, size_t n) { comm.allreduce_sum(data, n); };
  ranks.broadcast_i64 = [&comm](int64_t* data, size_t n) { comm.broadcast(data, n); };
  Timer clock;
  std::string val_text = "-";
  double loss_avg = 0;
  int64_t avg_n = 0;
  const int64_t start_step = step;
  double allreduce_s = 0;
  while (true) {
    const bool out_of_time = o.steps == 0 && o.minutes > 0 && clock.seconds() >= o.minutes * 60;
    int64_t control[2] = {
        step >= sched.total || out_of_time || stop.requested() || (o.stop_at_step > 0 && step >= o.stop_at_step),
        sched.total};
    comm.broadcast(control, 2);  // rank 0 decides when to stop and how long the schedule is
    // The other ranks follow rank 0's re-estimates with the same retarget, so the rates agree.
    if (control[1] != sched.total) sched.retarget(step, control[1]);
    if (control[0]) break;
    ++step;
    engine->zero_grads();
    double loss = task.forward_backward(*engine, rng, shard, fopt);
    if (comm.distributed()) {
      // Each rank's gradient is that of its shard's mean loss; equal shards make the global mean
      // gradient their average.
      Timer reduce_clock;
      loss = engine->average_across(ranks, loss);
      allreduce_s += reduce_clock.seconds();
    }
    const double lr = sched.at(step);
    const double gnorm = engine->adamw_step(o.optimizer, lr, step);
    loss_avg += loss;
    ++avg_n;
    nlohmann::json rec = {{"step", step}, {"loss", loss}, {"lr", lr}, {"grad_norm", gnorm}};
    const bool eval_now = step % o.eval_every == 0;
    if (eval_now) {
      const EvalResult e = evaluate();
      rec.update(e.metrics);
      val_text = e.summary;
    }
    // A time budget sets the schedule's length from the measured time per step (evaluations
    // included), first after 5 steps, then again after each evaluation, so the cosine ends on time.
    // retarget keeps the progress made, so the rate never jumps back up. Rank 0 decides.
    if (root && o.steps == 0 && o.minutes > 0 && (step - start_step == 5 || eval_now)) {
      const double per_step = clock.seconds() / static_cast<double>(step - start_step);
      const double left = o.minutes * 60 - clock.seconds();
      sched.retarget(step, step + std::max<int64_t>(1, static_cast<int64_t>(left / per_step)));
    }
    const double elapsed = clock.seconds();
    const double pos_s = static_cast<double>((step - start_step) * task.positions_per_step()) / elapsed;  // the global batch
    rec["time"] = elapsed;
    rec["tokens_per_s"] = pos_s;
    if (comm.distributed()) rec["allreduce_s"] = allreduce_s / static_cast<double>(step - start_step);
    if (log_file) log_file->write(rec);
    if (step % o.log_every == 0 || eval_now || step == 1) {
      const double remaining =
          sched.total == kUnknownTotal ? std::nan("") : elapsed / (step - start_step) * (sched.total - step);
      // Before a time budget is turned into a step count the total is unknown: "?".
      const std::string total = sched.total == kUnknownTotal ? "?" : std::to_string(sched.total);
      if (root)
        std::printf("step %lld/%s | loss %.4f | val %s | lr %.2e | %.0f %s/s | ETA %s\n",
                    static_cast<long long>(step), total.c_str(), loss_avg / avg_n, val_text.c_str(), lr,
                    pos_s, task.position_unit(), format_duration(remaining).c_str());
      std::fflush(stdout);
      loss_avg = 0;
      avg_n = 0;
    }
    result.last_loss = loss;
    if (step % o.save_every == 0) save();
  }
  result.interrupted = stop.requested();
  if (step > start_step || !o.resume) {
    result.final_eval = evaluate();
    nlohmann::json rec = {{"step", step}, {"time", clock.seconds()}, {"final", true}};
    rec.update(result.final_eval.metrics);
    if (log_file) log_file->write(rec);
    save();
  } else {
    result.final_eval = evaluate();
  }
  if (root)
    std::printf("%s at step %lld: val %s; saved %s (best: %s)\n", result.interrupted ? "interrupted" : "done",
              static_cast<long long>(step), result.final_eval.summary.c_str(), model_path.c_str(),
              best_path.c_str());
  result.steps = step;
  return result;
}

ModelConfig new_trunk_config(const TrainOptions& o, int vocab_size) {
  if (o.arch == "rwkv4") return ModelConfig::rwkv4(o.layers, o.embd, vocab_size);
  if (o.arch != "rwkv7") fail_usage("--arch must be rwkv4 or rwkv7, got '", o.arch, "'");
  ModelConfig c = ModelConfig::rwkv7(o.layers, o.embd, vocab_size);
  if (o.head_size == 0) {  // released models use 64; narrower trunks take the widest head that fits
    c.head_size = std::min(64, o.embd);
    while (o.embd % c.head_size != 0) --c.head_size;
    return c;
  }
  c.head_size = o.head_size;
  if (c.head_size < 1 || o.embd % c.head_size != 0)
    fail_usage("--head-size ", o.head_size, " must divide --embd ", o.embd);
  return c;
}

}  // namespace rwkvs
