// rwkvs generate: continue a prompt with a trained model in recurrent mode, printing tokens as they
// come. Byte-level models take and print text; id models take and print whitespace-separated ids.
#include <cstdio>
#include <memory>
#include <sstream>

#include "apps/rwkvs/commands.h"
#include "base/error.h"
#include "base/rng.h"
#include "frontends/text/byte_tokenizer.h"
#include "src/core/threads.h"
#include "src/core/timer.h"
#include "src/infer/sampler.h"
#include "src/model/checkpoint.h"
#include "src/model/rwkv4.h"

namespace rwkvs::app {
namespace {

struct GenerateArgs {
  std::string model, prompt = "\n";
  int64_t tokens = 200;
  uint64_t seed = 0;
  int threads = 0;
  SamplerOptions sampler;
};

std::vector<int32_t> prompt_ids(const std::string& prompt, const ModelConfig& c) {
  if (c.tokenizer == "bytes") return bytes_to_tokens(prompt);
  std::vector<int32_t> ids;
  std::istringstream in(prompt);
  long long v;
  while (in >> v) {
    if (v < 0 || v >= c.vocab_size) fail_usage("--prompt: id ", v, " is outside the vocabulary [0, ", c.vocab_size, ")");
    ids.push_back(static_cast<int32_t>(v));
  }
  if (!in.eof()) fail_usage("--prompt: this model takes whitespace-separated token ids");
  return ids;
}

void emit(int32_t id, const ModelConfig& c) {
  if (c.tokenizer == "bytes")
    std::fputc(id, stdout);
  else
    std::printf("%d ", id);
  std::fflush(stdout);
}

void run_generate(const GenerateArgs& a) {
  validate_sampler(a.sampler);
  if (a.tokens < 0) fail_usage("--tokens must not be negative");
  set_num_threads(a.threads);
  const Model model = load_model(a.model);
  const ModelConfig& c = model.config();
  std::vector<int32_t> prompt = prompt_ids(a.prompt, c);
  if (prompt.empty()) prompt.push_back(c.tokenizer == "bytes" ? '\n' : 0);
  RecurrentState state(c, 1);
  StepWorkspace ws;
  std::vector<float> logits(c.vocab_size);
  Rng rng(a.seed);
  if (c.tokenizer == "bytes") std::fwrite(a.prompt.data(), 1, a.prompt.size(), stdout);
  for (int32_t id : prompt) rwkv4_step(model, state, &id, logits.data(), ws);
  Timer timer;
  for (int64_t i = 0; i < a.tokens; ++i) {
    const int32_t id = sample_token(logits.data(), c.vocab_size, a.sampler, rng);
    emit(id, c);
    rwkv4_step(model, state, &id, logits.data(), ws);
  }
  std::fprintf(stderr, "\n[%lld tokens in %.2f s: %.1f tokens/s]\n", static_cast<long long>(a.tokens), timer.seconds(),
               a.tokens / std::max(timer.seconds(), 1e-9));
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Continue a prompt with a trained model (recurrent mode)");
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--model", a->model, "model .safetensors")->required();
  cmd->add_option("--prompt", a->prompt, "text to continue (token ids for non-byte models)");
  cmd->add_option("--tokens", a->tokens, "tokens to generate");
  cmd->add_option("--temperature", a->sampler.temperature, "softmax temperature (0 = greedy)");
  cmd->add_option("--top-k", a->sampler.top_k, "keep the k most likely tokens (0 = off)");
  cmd->add_option("--top-p", a->sampler.top_p, "nucleus sampling mass (1 = off)");
  cmd->add_option("--alpha", a->sampler.alpha, "RWKV rule: drop tokens with p < alpha * p_max^power (0 = off)");
  cmd->add_option("--power", a->sampler.power, "RWKV rule exponent");
  cmd->add_option("--seed", a->seed, "sampling seed (same seed, same text)");
  cmd->add_option("--threads", a->threads, "threads (0 = all cores)");
  cmd->callback([a] { run_generate(*a); });
}

}  // namespace rwkvs::app
