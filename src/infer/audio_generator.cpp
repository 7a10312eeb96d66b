#include "src/infer/audio_generator.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "frontends/audio/mulaw.h"
#include "src/audio/frontend_config.h"
#include "src/core/timer.h"
#include "src/io/pcm_wav_writer.h"

namespace rwkvs {

double mulaw_model_rate(const Model& model, const std::string& source) {
  const ModelConfig& c = model.config();
  if (c.frames_input() || c.labels_head() || c.tokenizer != "mulaw" || c.vocab_size != kMuLawClasses)
    fail("'", source, "' is not a mu-law audio language model (input ", c.input_kind, ", head ", c.head_kind,
         ", tokenizer ", c.tokenizer, ", vocab ", c.vocab_size, ")");
  return FrontendConfig::from_json(c.frontend, source).sample_rate();
}

MulawGenerator::MulawGenerator(const Model& model, const SamplerOptions& sampler, uint64_t seed,
                               const std::string& device, const std::string& precision)
    : sampler_(sampler),
      rng_(seed),
      rate_(mulaw_model_rate(model, "generate")),
      state_(model.config(), 1),
      stepper_(model, device, precision),
      logits_(kMuLawClasses) {
  validate_sampler(sampler);
}

void MulawGenerator::step(int32_t q) {
  stepper_.step(state_, q, logits_.data());
  started_ = true;
}

void MulawGenerator::prime(const float* samples, size_t n) {
  if (n == 0) return;
  std::vector<int32_t> q(n);
  for (size_t i = 0; i < n; ++i) q[i] = mulaw_encode(samples[i]);
  stepper_.prefill(state_, q.data(), static_cast<int64_t>(n), logits_.data());
  started_ = true;
}

void MulawGenerator::generate(int64_t n, std::vector<float>* out) {
  if (!started_) step(mulaw_encode(0.0f));
  for (int64_t i = 0; i < n; ++i) {
    const int32_t q = sample_token(logits_.data(), kMuLawClasses, sampler_, rng_);
    out->push_back(mulaw_decode(q));
    step(q);
  }
}

AudioGenerateResult generate_audio_file(const Model& model, const std::vector<float>& prompt,
                                        const std::string& out_path, const AudioGenerateOptions& o,
                                        const std::atomic<bool>* stop,
                                        const std::function<void(const AudioGenerateProgress&)>& progress) {
  if (!(o.seconds >= 0) || !std::isfinite(o.seconds)) fail_usage("--seconds must be a non-negative number");
  if (!(o.flush_seconds > 0)) fail("generate: flush interval must be positive, got ", o.flush_seconds);
  MulawGenerator gen(model, o.sampler, o.seed, o.device, o.precision);
  const double rate = gen.sample_rate();
  if (rate != std::round(rate) || rate > 1e6)
    fail("generate: the model's sample rate ", rate, " Hz cannot be written");
  PcmWavWriter wav(out_path, static_cast<int>(rate));
  gen.prime(prompt.data(), prompt.size());
  const auto total = static_cast<int64_t>(std::llround(o.seconds * rate));
  const int64_t piece = std::max<int64_t>(1, std::llround(o.flush_seconds * rate));
  AudioGenerateResult r;
  Timer timer;
  std::vector<float> buf;
  buf.reserve(static_cast<size_t>(piece));
  while (r.samples < total) {
    const int64_t n = std::min(piece, total - r.samples);
    buf.clear();
    // One sample at a time so that a stop request ends the piece early.
    for (int64_t i = 0; i < n && !(stop && stop->load()); ++i) gen.generate(1, &buf);
    if (!buf.empty()) {
      wav.write(buf.data(), buf.size());
      wav.flush();
      r.samples += static_cast<int64_t>(buf.size());
      if (progress) progress({r.samples, total, timer.seconds()});
    }
    if (static_cast<int64_t>(buf.size()) < n) {
      r.interrupted = true;
      break;
    }
  }
  wav.commit();
  r.wall_seconds = timer.seconds();
  return r;
}

}  // namespace rwkvs
