// rwkvs logits / rwkvs grads: raw model outputs for checking us against other implementations
// (DESIGN.md, CLI contract). Token files hold whitespace-separated ids.
#include <cstdio>
#include <memory>

#include "apps/rwkvs/commands.h"
#include "base/error.h"
#include "src/core/threads.h"
#include "src/io/token_file.h"
#include "src/model/checkpoint.h"
#include "src/model/rwkv4.h"
#include "src/model/engine.h"

namespace rwkvs::app {
namespace {

struct InspectArgs {
  std::string model, tokens, out, mode = "parallel", device = "cpu", precision = "fp32";
  int threads = 0;
  int chunk = 64;
};

void run_logits(const InspectArgs& a) {
  set_num_threads(a.threads);
  validate_device_flags(a.device, a.precision);
  const Model model = load_model(a.model);
  const int64_t V = model.config().vocab_size;
  const std::vector<int32_t> ids = read_token_file(a.tokens, V);
  const int64_t T = static_cast<int64_t>(ids.size());
  std::vector<float> logits;
  ForwardOptions opt;
  opt.wkv.chunk_len = a.chunk;
  // the CPU's own one-token step (rwkv4_step); RWKV-7's step is the engine's T = 1 form below
  if (a.device == "cpu" && a.mode == "recurrent" && !model.config().rwkv7()) {
    RecurrentState state(model.config(), 1);
    StepWorkspace ws;
    logits.resize(T * V);
    for (int64_t t = 0; t < T; ++t) rwkv4_step(model, state, &ids[t], logits.data() + t * V, ws);
  } else if (a.mode == "parallel") {
    logits = make_engine(a.device, model, a.precision)->logits(ModelInput{ids.data(), nullptr}, 1, T, opt);
  } else {  // one token per call through the carried state, as generation on a GPU runs
    const auto engine = make_engine(a.device, model, a.precision);
    RecurrentState state(model.config(), 1);
    logits.resize(T * V);
    for (int64_t t = 0; t < T; ++t)
      engine->forward(ModelInput{&ids[t], nullptr}, 1, 1, &state, logits.data() + t * V, opt);
  }
  write_f32_file(a.out, logits.data(), logits.size());
  std::printf("wrote %s: logits [%lld, %lld] float32 (%s, %s)\n", a.out.c_str(), static_cast<long long>(T),
              static_cast<long long>(V), a.mode.c_str(), a.device.c_str());
}

void run_grads(const InspectArgs& a) {
  set_num_threads(a.threads);
  validate_device_flags(a.device, a.precision);
  const Model model = load_model(a.model);
  const int64_t V = model.config().vocab_size;
  const std::vector<int32_t> ids = read_token_file(a.tokens, V);
  if (ids.size() < 2) fail("token file '", a.tokens, "' needs at least 2 tokens (inputs and a target)");
  const int64_t T = static_cast<int64_t>(ids.size()) - 1;
  ForwardOptions opt;
  opt.wkv.chunk_len = a.chunk;
  const auto engine = make_engine(a.device, model, a.precision);
  engine->zero_grads();
  const double loss = engine->lm_forward_backward(ids.data(), ids.data() + 1, 1, T, 1.0f, opt);
  std::vector<float> grads(model.params_size());
  engine->get_grads(grads.data());
  save_tensors(a.out, layout_views(model.layout(), grads.data()), {{"format", "pt"}, {"loss", std::to_string(loss)}});
  std::printf("loss %.9g\nwrote %s\n", loss, a.out.c_str());
}

CLI::App* add_common(CLI::App& app, const char* name, const char* help, std::shared_ptr<InspectArgs> a) {
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--model", a->model, "model .safetensors (official RWKV-4 names)")->required();
  cmd->add_option("--tokens", a->tokens, "token file: whitespace-separated ids")->required();
  cmd->add_option("--threads", a->threads, "threads (0 = all cores)");
  cmd->add_option("--chunk", a->chunk, "WKV chunk length")->check(CLI::PositiveNumber);
  cmd->add_option("--device", a->device, "cpu, or cuda (an NVIDIA GPU)")->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--precision", a->precision, "GPU matmuls: fp32, tf32 or bf16 (fp32 storage and accumulation)")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16"}));
  return cmd;
}

}  // namespace

void add_logits_command(CLI::App& app) {
  auto a = std::make_shared<InspectArgs>();
  CLI::App* cmd = add_common(app, "logits", "Write the logits of a token sequence as raw float32 [T, V]", a);
  cmd->add_option("--out", a->out, "output file (raw little-endian float32, row-major [T, V])")->required();
  cmd->add_option("--mode", a->mode, "parallel (training form) or recurrent (one token at a time)")
      ->check(CLI::IsMember({"parallel", "recurrent"}));
  cmd->callback([a] { run_logits(*a); });
}

void add_grads_command(CLI::App& app) {
  auto a = std::make_shared<InspectArgs>();
  CLI::App* cmd = add_common(app, "grads",
                             "Mean cross-entropy of tokens[1:] given tokens[:-1], and its gradient for every "
                             "parameter",
                             a);
  cmd->add_option("--out", a->out, "output .safetensors: F32 gradients under the parameters' names")->required();
  cmd->callback([a] { run_grads(*a); });
}

}  // namespace rwkvs::app
