// rwkvs features: audio in, a .npy of features out. Offline by default; --chunk-samples N feeds
// the same audio through the streaming path (streaming resampler + OnlineFeatures) N samples at a
// time, which gives the same result bit for bit.
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include "apps/rwkvs/commands.h"
#include "apps/rwkvs/features_options.h"
#include "base/error.h"
#include "frontends/audio/audio_file.h"
#include "frontends/audio/feature_computer.h"
#include "frontends/audio/mulaw.h"
#include "frontends/audio/online_features.h"
#include "frontends/audio/raw_pcm.h"
#include "frontends/audio/resampler.h"
#include "src/io/npy.h"

namespace rwkvs::app {
namespace {

std::string source_name(const FeaturesArgs& a) { return a.input == "-" ? "stdin" : a.input; }
bool raw_input(const FeaturesArgs& a) { return a.input == "-" || a.format != "auto"; }

// What the pipeline produces: float features, or mu-law classes of the samples.
struct Output {
  FeatureMatrix features;
  std::vector<int64_t> classes;
};

// Receives audio in pieces (at the input rate), resamples it and turns it into frames or classes.
class Pipeline {
 public:
  Pipeline(const FeaturesArgs& a, double input_rate) : args_(a), rate_(input_rate) {
    if (a.resample_to > 0 && a.resample_to != input_rate) {
      resampler_ = std::make_unique<Resampler>(input_rate, a.resample_to);
      rate_ = a.resample_to;
    }
    if (a.type != "mulaw") {
      features_ = make_feature_pipeline(a, rate_);
      online_ = std::make_unique<OnlineFeatures>(features_);
      out_.features.cols = features_.dim();
    }
  }

  double rate() const { return rate_; }

  // Streaming: any number of calls, then finish().
  void accept(const float* samples, size_t n) {
    if (!resampler_) return consume(samples, n);
    resampled_.clear();
    resampler_->accept(samples, n, &resampled_);
    consume(resampled_.data(), resampled_.size());
  }

  Output finish() {
    if (resampler_) {
      resampled_.clear();
      resampler_->finish(&resampled_);
      consume(resampled_.data(), resampled_.size());
    }
    if (online_) {
      online_->input_finished();
      drain();
    }
    return std::move(out_);
  }

  // Offline: the whole signal at once, through the offline functions.
  Output run_offline(const std::vector<float>& input) {
    std::vector<float> resampled;
    if (resampler_) {
      resampler_->accept(input.data(), input.size(), &resampled);
      resampler_->finish(&resampled);
    }
    const std::vector<float>& samples = resampler_ ? resampled : input;
    if (args_.type == "mulaw") {
      out_.classes.resize(samples.size());
      mulaw_encode(samples.data(), samples.size(), out_.classes.data());
    } else {
      out_.features = compute_features(features_, samples.data(), static_cast<int64_t>(samples.size()));
    }
    return std::move(out_);
  }

 private:
  void consume(const float* samples, size_t n) {
    if (!online_) {
      const size_t old = out_.classes.size();
      out_.classes.resize(old + n);
      mulaw_encode(samples, n, out_.classes.data() + old);
      return;
    }
    online_->accept_waveform(rate_, samples, n);
    drain();
  }

  void drain() {
    const int64_t first = online_->frames_popped(), ready = online_->frames_ready(), dim = features_.dim();
    for (int64_t i = first; i < ready; ++i) {
      const float* row = online_->get_frame(i);
      out_.features.data.insert(out_.features.data.end(), row, row + dim);
    }
    out_.features.rows = ready;
    online_->pop(ready - first);
  }

  const FeaturesArgs& args_;
  double rate_;
  std::unique_ptr<Resampler> resampler_;
  FeaturePipeline features_;
  std::unique_ptr<OnlineFeatures> online_;
  std::vector<float> resampled_;
  Output out_;
};

Output run_streaming_from_stdin(const FeaturesArgs& a) {
  RawPcmReader reader(a.input, raw_pcm_spec(a));
  Pipeline p(a, a.rate);
  std::vector<float> chunk;
  for (;;) {
    chunk.clear();
    if (reader.read(static_cast<size_t>(a.chunk_samples), &chunk) == 0) break;
    p.accept(chunk.data(), chunk.size());
  }
  if (reader.frames_read() == 0) fail(reader.source(), ": contains no audio samples (zero length)");
  return p.finish();
}

Output run_features(const FeaturesArgs& a) {
  if (a.chunk_samples > 0 && a.input == "-") return run_streaming_from_stdin(a);
  const Audio audio = raw_input(a) ? read_raw_pcm(a.input, raw_pcm_spec(a)) : read_audio_file(a.input);
  Pipeline p(a, audio.sample_rate);
  if (a.chunk_samples <= 0) return p.run_offline(audio.samples);
  const size_t step = static_cast<size_t>(a.chunk_samples);
  for (size_t i = 0; i < audio.samples.size(); i += step)
    p.accept(audio.samples.data() + i, std::min(step, audio.samples.size() - i));
  return p.finish();
}

void run_features_command(const FeaturesArgs& a) {
  check_flag_combinations(a);
  const Output out = run_features(a);
  if (a.type == "mulaw") {
    write_npy(a.output, NpyDtype::i64, out.classes.data(), {static_cast<int64_t>(out.classes.size())});
    std::printf("%s: %zu mu-law classes (int64) -> %s\n", source_name(a).c_str(), out.classes.size(),
                a.output.c_str());
    return;
  }
  if (out.features.rows == 0)
    fail(source_name(a), ": too short for a single ", a.type, " frame; nothing written to ", a.output);
  write_npy_f32(a.output, out.features.data.data(), out.features.rows, out.features.cols);
  std::printf("%s: %lld x %lld %s features (float32) -> %s\n", source_name(a).c_str(),
              static_cast<long long>(out.features.rows), static_cast<long long>(out.features.cols),
              a.type.c_str(), a.output.c_str());
}

}  // namespace

void add_features_command(CLI::App& app) {
  auto args = std::make_shared<FeaturesArgs>();
  CLI::App* sub = app.add_subcommand(
      "features", "Compute fbank / log-mel / MFCC features or mu-law classes of an audio file into a .npy");
  add_features_options(*sub, *args);
  sub->callback([args] { run_features_command(*args); });
}

}  // namespace rwkvs::app
