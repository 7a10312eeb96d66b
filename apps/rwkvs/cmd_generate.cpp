// rwkvs generate: continue a prompt with a trained model in recurrent mode (--device cpu | cuda).
//   text:  byte-level models take and print text; id models take and print whitespace-separated ids.
//   audio: mu-law models write --seconds of audio to --out (16-bit PCM WAV, growing as it is made),
//          continuing an optional --prompt audio file; Ctrl-C finishes the file and exits 130.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>

#include "apps/rwkvs/commands.h"
#include "base/error.h"
#include "base/rng.h"
#include "frontends/text/byte_tokenizer.h"
#include "src/io/world_tokenizer.h"
#include "src/audio/clip_loader.h"
#include "src/core/stop_signals.h"
#include "src/core/threads.h"
#include "src/core/timer.h"
#include "src/infer/audio_generator.h"
#include "src/infer/sampler.h"
#include "src/infer/token_stepper.h"
#include "src/model/checkpoint.h"
#include "src/model/rwkv4.h"

namespace rwkvs::app {
namespace {

struct GenerateArgs {
  std::string model, prompt = "\n";
  std::string tokenizer;  // a World vocabulary file: text in and out for id models
  int64_t tokens = 200;
  double seconds = 5;
  std::string out;
  uint64_t seed = 0;
  int threads = 0;
  std::string device = "cpu", precision = "fp32";
  SamplerOptions sampler;
  CLI::Option *prompt_opt = nullptr, *tokens_opt = nullptr, *seconds_opt = nullptr, *out_opt = nullptr;
  CLI::Option* alpha_opt = nullptr;
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

// Text through the RWKV World tokenizer: the prompt encoded, tokens printed as their bytes, and id 0
// (end of text) ends the continuation; ids past the vocabulary (the embedding's padding) are never
// sampled.
void generate_world_text(const GenerateArgs& a, const Model& model) {
  const ModelConfig& c = model.config();
  const WorldTokenizer tok = WorldTokenizer::load(a.tokenizer);
  if (static_cast<int64_t>(tok.vocab_size()) > c.vocab_size)
    fail_usage("--tokenizer '", a.tokenizer, "' has ", tok.vocab_size(), " ids, more than the model's vocabulary of ",
               c.vocab_size);
  std::vector<int32_t> prompt = tok.encode(a.prompt);
  if (prompt.empty()) prompt.push_back(0);  // the document separator starts a text
  RecurrentState state(c, 1);
  TokenStepper stepper(model, a.device, a.precision);
  std::vector<float> logits(c.vocab_size);
  Rng rng(a.seed);
  std::fwrite(a.prompt.data(), 1, a.prompt.size(), stdout);
  stepper.prefill(state, prompt.data(), static_cast<int64_t>(prompt.size()), logits.data());
  Timer timer;
  int64_t n = 0;
  for (; n < a.tokens; ++n) {
    std::fill(logits.begin() + static_cast<int64_t>(tok.vocab_size()), logits.end(), -INFINITY);
    const int32_t id = sample_token(logits.data(), c.vocab_size, a.sampler, rng);
    if (id == 0) break;
    const std::string bytes = tok.decode({id});
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    std::fflush(stdout);
    stepper.step(state, id, logits.data());
  }
  std::fprintf(stderr, "\n[%lld tokens in %.2f s: %.1f tokens/s%s]\n", static_cast<long long>(n), timer.seconds(),
               n / std::max(timer.seconds(), 1e-9), n < a.tokens ? "; stopped at end of text" : "");
}

void generate_text(const GenerateArgs& a, const Model& model) {
  if (a.tokens < 0) fail_usage("--tokens must not be negative");
  const ModelConfig& c = model.config();
  if (!a.tokenizer.empty()) {
    if (c.tokenizer == "bytes") fail_usage("--tokenizer: '", a.model, "' is a byte-level model; it needs none");
    generate_world_text(a, model);
    return;
  }
  std::vector<int32_t> prompt = prompt_ids(a.prompt, c);
  if (prompt.empty()) prompt.push_back(c.tokenizer == "bytes" ? '\n' : 0);
  RecurrentState state(c, 1);
  TokenStepper stepper(model, a.device, a.precision);
  std::vector<float> logits(c.vocab_size);
  Rng rng(a.seed);
  if (c.tokenizer == "bytes") std::fwrite(a.prompt.data(), 1, a.prompt.size(), stdout);
  stepper.prefill(state, prompt.data(), static_cast<int64_t>(prompt.size()), logits.data());
  Timer timer;
  for (int64_t i = 0; i < a.tokens; ++i) {
    const int32_t id = sample_token(logits.data(), c.vocab_size, a.sampler, rng);
    emit(id, c);
    stepper.step(state, id, logits.data());
  }
  std::fprintf(stderr, "\n[%lld tokens in %.2f s: %.1f tokens/s]\n", static_cast<long long>(a.tokens), timer.seconds(),
               a.tokens / std::max(timer.seconds(), 1e-9));
}

void generate_audio(const GenerateArgs& a, const Model& model) {
  const double rate = mulaw_model_rate(model, a.model);
  std::vector<float> prompt;
  if (a.prompt_opt->count() > 0) {
    AudioExample ex;
    ex.path = a.prompt;
    double from = 0;
    prompt = load_clip(ex, rate, &from);
    if (from > 0)
      std::fprintf(stderr, "note: resampling the prompt from %g Hz to the model's %g Hz\n", from, rate);
  }
  AudioGenerateOptions o;
  o.seconds = a.seconds;
  o.sampler = a.sampler;
  // Audio samples plainly unless asked: cutting the distribution's tail (the RWKV rule) locks a
  // mu-law model into silence, its most likely state (a 5-minute model gave RMS 0.00006 with it,
  // 0.01 without).
  if (a.alpha_opt->count() == 0) o.sampler.alpha = 0;
  o.seed = a.seed;
  o.device = a.device;
  o.precision = a.precision;
  const bool tty = ::isatty(::fileno(stderr));
  int64_t next_line = 0;  // without a terminal: one progress line per second of audio
  auto progress = [&](const AudioGenerateProgress& p) {
    const double speed = static_cast<double>(p.samples) / std::max(p.wall_seconds, 1e-9);
    if (tty) {
      std::fprintf(stderr, "\r%.2f / %.2f s generated | %.0f samples/s (%.2fx real time)   ",
                   static_cast<double>(p.samples) / rate, static_cast<double>(p.total) / rate, speed, speed / rate);
    } else if (p.samples >= next_line || p.samples == p.total) {
      std::fprintf(stderr, "%.2f / %.2f s generated | %.0f samples/s (%.2fx real time)\n",
                   static_cast<double>(p.samples) / rate, static_cast<double>(p.total) / rate, speed, speed / rate);
      next_line = p.samples + static_cast<int64_t>(rate);
    }
    std::fflush(stderr);
  };
  if (!prompt.empty())
    std::fprintf(stderr, "feeding a %.2f s prompt (%zu samples)\n", static_cast<double>(prompt.size()) / rate,
                 prompt.size());
  AudioGenerateResult r;
  {
    StopSignals stop;  // Ctrl-C / SIGTERM finish the file rather than lose it
    r = generate_audio_file(model, prompt, a.out, o, &StopSignals::flag(), progress);
  }
  if (tty) std::fputc('\n', stderr);
  std::fprintf(stderr, "%s %.2f s of audio (%lld samples at %g Hz) to %s in %.2f s: %.0f samples/s\n",
               r.interrupted ? "interrupted: wrote" : "wrote", static_cast<double>(r.samples) / rate,
               static_cast<long long>(r.samples), rate, a.out.c_str(), r.wall_seconds,
               static_cast<double>(r.samples) / std::max(r.wall_seconds, 1e-9));
  if (r.interrupted) throw Interrupted();
}

void run_generate(const GenerateArgs& a) {
  validate_sampler(a.sampler);
  validate_device_flags(a.device, a.precision);
  set_num_threads(a.threads);
  const Model model = load_model(a.model);
  const ModelConfig& c = model.config();
  if (c.frames_input() || c.labels_head())
    fail_usage("'", a.model, "' is a classifier (", c.input_kind, " input, ", c.head_kind,
               " head); generate needs a language model");
  if (c.tokenizer == "mulaw") {
    if (a.out_opt->count() == 0)
      fail_usage("'", a.model, "' is an audio (mu-law) model: give --out FILE.wav (and --seconds)");
    if (a.tokens_opt->count() > 0) fail_usage("--tokens does not apply to an audio model; use --seconds");
    generate_audio(a, model);
  } else {
    if (a.seconds_opt->count() > 0 || a.out_opt->count() > 0)
      fail_usage("--seconds and --out are for audio (mu-law) models; '", a.model, "' is a text model (tokenizer ",
                 c.tokenizer, ")");
    generate_text(a, model);
  }
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Continue a prompt with a trained model (recurrent mode)");
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--model", a->model, "model .safetensors")->required();
  a->prompt_opt = cmd->add_option(
      "--prompt", a->prompt, "text to continue (token ids for non-byte models; an audio file for mu-law models)");
  a->tokens_opt = cmd->add_option("--tokens", a->tokens, "text: tokens to generate");
  cmd->add_option("--tokenizer", a->tokenizer,
                  "id models: an RWKV World vocabulary (rwkv_vocab_v20230424.txt) to take and print text");
  a->seconds_opt = cmd->add_option("--seconds", a->seconds, "audio: seconds of audio to generate");
  a->out_opt = cmd->add_option("--out", a->out, "audio: output WAV file (16-bit PCM at the model's rate)");
  cmd->add_option("--temperature", a->sampler.temperature, "softmax temperature (0 = greedy)");
  cmd->add_option("--top-k", a->sampler.top_k, "keep the k most likely tokens (0 = off)");
  cmd->add_option("--top-p", a->sampler.top_p, "nucleus sampling mass (1 = off)");
  a->alpha_opt = cmd->add_option(
      "--alpha", a->sampler.alpha,
      "RWKV rule: drop tokens with p < alpha * p_max^power (0 = off; audio models default to 0)");
  cmd->add_option("--power", a->sampler.power, "RWKV rule exponent");
  cmd->add_option("--seed", a->seed, "sampling seed (same seed, same output)");
  cmd->add_option("--threads", a->threads, "threads (0 = all cores)");
  cmd->add_option("--device", a->device, "cpu, or cuda (an NVIDIA GPU)")->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--precision", a->precision, "GPU matmuls: fp32, tf32 or bf16")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16"}));
  cmd->callback([a] { run_generate(*a); });
}

}  // namespace rwkvs::app
