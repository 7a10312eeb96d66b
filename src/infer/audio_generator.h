#pragma once
// Audio generation with a mu-law language model (rwkvs generate --seconds S --out out.wav): the
// recurrent form one sample at a time, the same samplers as text, an optional prompt fed through the
// model first, and a WAV file that grows while it is written.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/rng.h"
#include "src/infer/sampler.h"
#include "src/infer/token_stepper.h"
#include "src/model/model.h"
#include "src/model/rwkv4.h"
#include "src/model/state.h"

namespace rwkvs {

// Throws Error naming 'source' unless the model is a 256-class mu-law language model; returns its
// sample rate.
double mulaw_model_rate(const Model& model, const std::string& source);

// Samples audio from a mu-law model, one sample per recurrent step. Not thread-safe; the model must
// outlive it.
class MulawGenerator {
 public:
  // device / precision: where the model runs (TokenStepper).
  MulawGenerator(const Model& model, const SamplerOptions& sampler, uint64_t seed, const std::string& device = "cpu",
                 const std::string& precision = "fp32");

  double sample_rate() const { return rate_; }

  // Feeds audio at the model's rate (mu-law encoded) through the model, so that what is generated
  // next continues it. May be called several times; n = 0 does nothing.
  void prime(const float* samples /*[n]*/, size_t n);

  // Appends n generated samples, decoded to [-1, 1], to *out. Without a prompt the model starts
  // from one sample of silence.
  void generate(int64_t n, std::vector<float>* out);

 private:
  void step(int32_t q);

  SamplerOptions sampler_;
  Rng rng_;
  double rate_;
  RecurrentState state_;
  TokenStepper stepper_;
  std::vector<float> logits_;  // (V) prediction of the next sample
  bool started_ = false;
};

struct AudioGenerateOptions {
  double seconds = 5;  // audio to generate, after the prompt
  SamplerOptions sampler;
  uint64_t seed = 0;
  double flush_seconds = 0.25;  // the file grows by this much audio at a time
  std::string device = "cpu", precision = "fp32";  // where the model runs
};

struct AudioGenerateProgress {
  int64_t samples = 0, total = 0;  // generated so far, and in all
  double wall_seconds = 0;
};

struct AudioGenerateResult {
  int64_t samples = 0;       // samples in the file
  double wall_seconds = 0;   // time spent generating (the prompt not included)
  bool interrupted = false;  // stopped early by *stop; the file holds what was generated
};

// Writes round(seconds * rate) generated samples to out_path as mono 16-bit PCM WAV at the model's
// rate, continuing 'prompt' (samples at the model's rate; may be empty). The samples go to a temp
// file in out_path's folder, flushed every flush_seconds of audio, and it is renamed over out_path
// at the end -- also when *stop becomes true (checked between samples), so an interrupted run
// leaves a complete, shorter file. 'progress' is called after each flush. The output is the same
// for the same model, prompt, options and seed.
AudioGenerateResult generate_audio_file(
    const Model& model, const std::vector<float>& prompt, const std::string& out_path,
    const AudioGenerateOptions& options, const std::atomic<bool>* stop = nullptr,
    const std::function<void(const AudioGenerateProgress&)>& progress = {});

}  // namespace rwkvs
