#include "apps/rwkvs/audio_source.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "base/error.h"

namespace rwkvs::app {

AudioSource::AudioSource(const AudioSourceSpec& spec) : name_(spec.path == "-" ? "stdin" : spec.path) {
  if (spec.raw()) {
    if (spec.format == "auto")
      fail_usage("reading raw PCM from stdin needs --format s16le|f32le (and --rate, --channels)");
    if (!(spec.rate > 0)) fail_usage("--rate: raw PCM input needs a positive sample rate, got ", spec.rate);
    if (spec.channels < 1)
      fail_usage("--channels: raw PCM input needs at least 1 channel, got ", spec.channels);
    RawPcmSpec pcm;
    try {
      pcm.format = parse_pcm_format(spec.format);
    } catch (const Error& e) {
      fail_usage("--format: ", e.what());
    }
    pcm.sample_rate = spec.rate;
    pcm.channels = spec.channels;
    raw_ = std::make_unique<RawPcmReader>(spec.path, pcm);
    rate_ = spec.rate;
    return;
  }
  if (spec.rate != 0 || spec.channels != 1)
    fail_usage("--rate and --channels describe raw PCM; '", spec.path,
               "' is decoded by its header (give --format s16le|f32le to read it as raw PCM)");
  file_ = std::make_unique<AudioFileReader>(spec.path);
  rate_ = file_->info().sample_rate;
}

size_t AudioSource::read(size_t max_samples, std::vector<float>* out) {
  const size_t n = raw_ ? raw_->read(max_samples, out) : file_->read(max_samples, out);
  samples_read_ += static_cast<int64_t>(n);
  return n;
}

void for_each_hop(AudioSource& source, double hop_ms, bool realtime,
                  const std::function<void(const std::vector<float>& samples)>& on_hop) {
  const double rate = source.sample_rate();
  const size_t hop = std::max<size_t>(1, static_cast<size_t>(std::llround(hop_ms / 1000 * rate)));
  const auto start = std::chrono::steady_clock::now();
  std::vector<float> samples;
  for (;;) {
    samples.clear();
    if (source.read(hop, &samples) == 0) return;
    if (realtime)
      std::this_thread::sleep_until(start + std::chrono::duration<double>(source.samples_read() / rate));
    on_hop(samples);
  }
}

}  // namespace rwkvs::app
