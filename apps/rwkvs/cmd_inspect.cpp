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
#include "src/model/rwkv4_forward_cuda.h"

namespace rwkvs::app {
namespace {

struct InspectArgs {
  std::string model, tokens, out, mode = "parallel", device = "cpu";
  int threads = 0;
  int chunk = 64;
};

void run_logits(const InspectArgs& a) {
  set_num_threads(a.threads);
  const Model model = load_model(a.model);
  const int64_t V = model.config().vocab_size;
  const std::vector<int32_t> ids = read_token_file(a.tokens, V);
  const int64_t T = static_cast<int64_t>(ids.size());
  std::vector<float> logits;
  if (a.device == "cuda") {
    if (a.mode != "parallel") fail_usage("--device cuda runs the parallel form only (--mode parallel)");
    kernels::Wkv4Options wkv;
    wkv.chunk_len = a.chunk;
    logits = CudaForward(model).logits(ids.data(), 1, T, wkv);
  } else if (a.mode == "parallel") {
    Activations acts;
    ForwardOptions opt;
    opt.wkv.chunk_len = a.chunk;
    rwkv4_forward(model, acts, ids.data(), 1, T, nullptr, nullptr, opt);
    logits.assign(acts.logits.data(), acts.logits.data() + T * V);
  } else {
    RecurrentState state(model.config(), 1);
    StepWorkspace ws;
    logits.resize(T * V);
    for (int64_t t = 0; t < T; ++t) rwkv4_step(model, state, &ids[t], logits.data() + t * V, ws);
  }
  write_f32_file(a.out, logits.data(), logits.size());
  std::printf("wrote %s: logits [%lld, %lld] float32 (%s, %s)\n", a.out.c_str(), static_cast<long long>(T),
              static_cast<long long>(V), a.mode.c_str(), a.device.c_str());
}

void run_grads(const InspectArgs& a) {
  set_num_threads(a.threads);
  const Model model = load_model(a.model);
  const int64_t V = model.config().vocab_size;
  const std::vector<int32_t> ids = read_token_file(a.tokens, V);
  if (ids.size() < 2) fail("token file '", a.tokens, "' needs at least 2 tokens (inputs and a target)");
  const int64_t T = static_cast<int64_t>(ids.size()) - 1;
  Activations acts;
  ForwardOptions opt;
  opt.wkv.chunk_len = a.chunk;
  rwkv4_forward(model, acts, ids.data(), 1, T, nullptr, nullptr, opt);
  const double loss = lm_loss_backward(acts, ids.data() + 1, V);
  std::vector<float> grads(model.params_size(), 0.0f);
  rwkv4_backward(model, acts, grads.data(), opt);
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
  return cmd;
}

}  // namespace

void add_logits_command(CLI::App& app) {
  auto a = std::make_shared<InspectArgs>();
  CLI::App* cmd = add_common(app, "logits", "Write the logits of a token sequence as raw float32 [T, V]", a);
  cmd->add_option("--out", a->out, "output file (raw little-endian float32, row-major [T, V])")->required();
  cmd->add_option("--mode", a->mode, "parallel (training form) or recurrent (one token at a time)")
      ->check(CLI::IsMember({"parallel", "recurrent"}));
  cmd->add_option("--device", a->device, "cpu, or cuda (an NVIDIA GPU; parallel mode, token-input models)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
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
