// rwkvs bench train / bench generate: whole-model throughput on random weights, each after a check
// of the parallel form against the recurrent form, beside machine baselines measured in the same
// run (OpenBLAS sgemm or the GPU's cuBLAS GEMM for training, streaming read bandwidth for
// token-by-token generation). Training runs through the Engine the trainer uses (--device).
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "apps/rwkvs/bench_util.h"
#include "apps/rwkvs/commands.h"
#include "base/error.h"
#include "base/rng.h"
#include "src/core/threads.h"
#include "src/core/timer.h"
#include "src/model/engine.h"
#include "src/model/rwkv4.h"
#include "src/model/rwkv7.h"
#include "src/train/optimizer.h"

namespace rwkvs::app {
namespace {

struct ModelBenchArgs {
  std::string arch = "rwkv4";  // bench train: rwkv4 | rwkv7 | both (one after the other, same run)
  int layers = 6, embd = 256, vocab = 256;
  int64_t batch = 16, ctx = 256;
  int steps = 5;
  int threads = 0;
  bool json = false;
  std::string device = "cpu", precision = "fp32";
};

Model random_model(const ModelBenchArgs& a, const std::string& arch = "rwkv4") {
  if (a.layers < 1 || a.embd < 1 || a.vocab < 2) fail_usage("--layers, --embd must be >= 1 and --vocab >= 2");
  if (arch == "rwkv7" && a.embd % std::min(64, a.embd) != 0)
    fail_usage("--arch rwkv7: --embd must be a multiple of the head size 64 (or below 64)");
  Model m(arch == "rwkv7" ? ModelConfig::rwkv7(a.layers, a.embd, a.vocab)
                          : ModelConfig::rwkv4(a.layers, a.embd, a.vocab));
  init_random(m, 1);
  return m;
}

// Max |parallel - recurrent| logits over a short random sequence, relative to the largest logit.
double parallel_vs_recurrent(const Model& m, int64_t T) {
  const int64_t V = m.config().vocab_size;
  Rng rng(2);
  std::vector<int32_t> tokens(T);
  for (auto& t : tokens) t = static_cast<int32_t>(rng.below(V));
  std::vector<float> parallel(T * V), lg(V);
  RecurrentState st(m.config(), 1);
  if (m.config().rwkv7()) {
    Activations7 acts;
    rwkv7_forward(m, acts, ModelInput{tokens.data(), nullptr}, 1, T);
    std::copy(acts.logits.data(), acts.logits.data() + T * V, parallel.begin());
  } else {
    Activations acts;
    rwkv4_forward(m, acts, tokens.data(), 1, T, nullptr, nullptr);
    std::copy(acts.logits.data(), acts.logits.data() + T * V, parallel.begin());
  }
  Activations7 acts7;
  StepWorkspace ws;
  double worst = 0, scale = 1e-30;
  for (int64_t t = 0; t < T; ++t) {
    if (m.config().rwkv7()) {  // the recurrent step: one position from the carried state
      rwkv7_forward(m, acts7, ModelInput{&tokens[t], nullptr}, 1, 1, &st, &st);
      std::copy(acts7.logits.data(), acts7.logits.data() + V, lg.begin());
    } else {
      rwkv4_step(m, st, &tokens[t], lg.data(), ws);
    }
    for (int64_t v = 0; v < V; ++v) {
      worst = std::max(worst, double(std::fabs(lg[v] - parallel[t * V + v])));
      scale = std::max(scale, double(std::fabs(lg[v])));
    }
  }
  return worst / scale;
}

void run_bench_train_arch(const ModelBenchArgs& a, const std::string& arch) {
  Model model = random_model(a, arch);
  const double check = parallel_vs_recurrent(model, 64);
  if (!(check < 1e-4)) fail("bench train: parallel and recurrent logits disagree (relative diff ", check, ")");
  const int64_t C = a.embd, N = a.batch * a.ctx;
  const bool gpu = a.device == "cuda";
  const auto engine = make_engine(a.device, model, a.precision);
  // The ceiling in the same run: the largest matmul of the step (N x C) @ (C x 4C) on this device.
  const double gemm_gflops =
      gpu ? 1e3 * measure_gpu_gemm_tflops(a.precision, N, C, 4 * C)
          : std::max(measure_sgemm_gflops(static_cast<int>(N), static_cast<int>(C), static_cast<int>(C)),
                     measure_sgemm_gflops(static_cast<int>(N), static_cast<int>(4 * C), static_cast<int>(C)));
  Rng rng(3);
  std::vector<int32_t> inputs(N), targets(N);
  for (auto& t : inputs) t = static_cast<int32_t>(rng.below(a.vocab));
  for (auto& t : targets) t = static_cast<int32_t>(rng.below(a.vocab));
  const OptimizerConfig opt_config;
  int64_t step = 0;
  double loss = 0;
  auto train_step = [&] {  // what the trainer runs per step: zero, forward, loss, backward, clip, AdamW
    engine->zero_grads();
    loss = engine->lm_forward_backward(inputs.data(), targets.data(), a.batch, a.ctx);
    engine->adamw_step(opt_config, 1e-4, ++step);
    engine->synchronize();
  };
  const double t = best_time(a.steps, train_step);
  if (!std::isfinite(loss)) fail("bench train: the loss is not finite (", loss, ")");
  const double params = static_cast<double>(model.num_parameters());
  const double gflops = 6.0 * params * N / t / 1e9;
  print_result({{"bench", "train"},
                {"arch", arch},
                {"device", gpu ? engine->device_name() : cpu_description()},
                {"precision", a.precision},
                {"layers", a.layers},
                {"embd", a.embd},
                {"vocab", a.vocab},
                {"batch", a.batch},
                {"ctx", a.ctx},
                {"parameters", model.num_parameters()},
                {"step_s", t},
                {"tokens_per_s", N / t},
                {"gflops_6PN", gflops},
                {gpu ? "gemm_gflops" : "sgemm_gflops", gemm_gflops},
                {gpu ? "fraction_of_gemm" : "fraction_of_sgemm", gflops / gemm_gflops},
                {"parallel_vs_recurrent_rel_diff", check}},
               a.json);
}

void run_bench_train(const ModelBenchArgs& a) {
  if (a.batch < 1 || a.ctx < 1 || a.steps < 1) fail_usage("--batch, --ctx and --steps must be >= 1");
  validate_device_flags(a.device, a.precision);
  set_num_threads(a.threads);
  if (a.arch == "both") {
    run_bench_train_arch(a, "rwkv4");
    run_bench_train_arch(a, "rwkv7");
  } else {
    run_bench_train_arch(a, a.arch);
  }
}

void run_bench_generate(const ModelBenchArgs& a) {
  if (a.steps < 1) fail_usage("--steps (tokens to time) must be >= 1");
  set_num_threads(a.threads);
  const Model model = random_model(a);
  const double check = parallel_vs_recurrent(model, 8);
  if (!(check < 1e-4)) fail("bench generate: parallel and recurrent logits disagree (relative diff ", check, ")");
  const double bw = measure_read_bandwidth_gbs();
  RecurrentState st(model.config(), 1);
  StepWorkspace ws;
  std::vector<float> logits(a.vocab);
  int32_t token = 1;
  for (int i = 0; i < 2; ++i) rwkv4_step(model, st, &token, logits.data(), ws);  // warm-up
  Timer timer;
  for (int i = 0; i < a.steps; ++i) {
    rwkv4_step(model, st, &token, logits.data(), ws);
    token = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }
  const double per_token = timer.seconds() / a.steps;
  // every weight is read once per token, except the embedding (one row)
  const double weight_bytes = 4.0 * (static_cast<double>(model.num_parameters()) -
                                     static_cast<double>(a.vocab - 1) * a.embd);
  const double bound_tps = bw * 1e9 / weight_bytes;
  print_result({{"bench", "generate"},
                {"device", cpu_description()},
                {"layers", a.layers},
                {"embd", a.embd},
                {"vocab", a.vocab},
                {"tokens_per_s", 1.0 / per_token},
                {"weight_mb_per_token", weight_bytes / 1e6},
                {"read_bandwidth_gbs", bw},
                {"bandwidth_bound_tokens_per_s", bound_tps},
                {"fraction_of_bound", (1.0 / per_token) / bound_tps},
                {"parallel_vs_recurrent_rel_diff", check}},
               a.json);
}

void add_shape_options(CLI::App* cmd, ModelBenchArgs& a) {
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--layers", a.layers, "blocks");
  cmd->add_option("--embd", a.embd, "width C");
  cmd->add_option("--vocab", a.vocab, "vocabulary V");
  cmd->add_option("--threads", a.threads, "threads (0 = all cores)");
  cmd->add_flag("--json", a.json, "print one JSON object");
}

}  // namespace

void add_bench_train(CLI::App& bench) {
  auto a = std::make_shared<ModelBenchArgs>();
  CLI::App* cmd = bench.add_subcommand("train", "Training step throughput (forward, backward, AdamW) vs sgemm");
  add_shape_options(cmd, *a);
  cmd->add_option("--arch", a->arch, "rwkv4, rwkv7, or both (one after the other in the same run)")
      ->check(CLI::IsMember({"rwkv4", "rwkv7", "both"}))
      ->capture_default_str();
  cmd->add_option("--batch", a->batch, "sequences per step");
  cmd->add_option("--ctx", a->ctx, "tokens per sequence");
  cmd->add_option("--steps", a->steps, "timed steps (best is reported)");
  cmd->add_option("--device", a->device, "cpu, or cuda (an NVIDIA GPU)")->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--precision", a->precision, "GPU matmuls: fp32, tf32 or bf16")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16"}));
  cmd->callback([a] { run_bench_train(*a); });
}

void add_bench_generate(CLI::App& bench) {
  auto a = std::make_shared<ModelBenchArgs>();
  a->layers = 12;
  a->embd = 768;
  a->vocab = 50277;
  a->steps = 32;
  CLI::App* cmd = bench.add_subcommand("generate", "Recurrent (token-by-token) speed vs the memory-bandwidth bound");
  add_shape_options(cmd, *a);
  cmd->add_option("--tokens", a->steps, "tokens to time");
  cmd->callback([a] { run_bench_generate(*a); });
}

}  // namespace rwkvs::app
