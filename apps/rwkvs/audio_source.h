#pragma once
// Audio that arrives piece by piece, for the streaming commands: any file libsndfile reads
// (decoded incrementally, mixed to mono) or raw PCM from a file or stdin ("-"). Memory is one
// piece, whatever the length of the input.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "frontends/audio/audio_file.h"
#include "frontends/audio/raw_pcm.h"

namespace rwkvs::app {

struct AudioSourceSpec {
  std::string path;             // a file, or "-" for stdin
  std::string format = "auto";  // auto (libsndfile, by content) | s16le | f32le (raw PCM)
  double rate = 0;              // raw PCM sample rate
  int channels = 1;             // raw PCM channels
  bool raw() const { return path == "-" || format != "auto"; }
};

class AudioSource {
 public:
  // Opens the input; bad flags are UsageErrors, unreadable files Errors naming the file.
  explicit AudioSource(const AudioSourceSpec& spec);

  double sample_rate() const { return rate_; }
  const std::string& name() const { return name_; }  // "stdin" or the path
  // Appends up to max_samples mono samples to *out and returns how many; 0 at the end. A raw
  // stream that ends inside a sample is an Error (naming the source) at that point.
  size_t read(size_t max_samples, std::vector<float>* out);
  int64_t samples_read() const { return samples_read_; }

 private:
  std::unique_ptr<AudioFileReader> file_;
  std::unique_ptr<RawPcmReader> raw_;
  double rate_ = 0;
  std::string name_;
  int64_t samples_read_ = 0;
};

// Hands 'source' to on_hop a hop (hop_ms of audio; the last one may be shorter) at a time until it
// ends. With 'realtime' a hop is handed over when the wall clock since the first read reaches its
// last sample, as a microphone would deliver it.
void for_each_hop(AudioSource& source, double hop_ms, bool realtime,
                  const std::function<void(const std::vector<float>& samples)>& on_hop);

}  // namespace rwkvs::app
