#pragma once
// Decodes any file libsndfile reads (wav, flac, ogg/vorbis, aiff, au, ...) to mono float32:
// integer formats are scaled to [-1, 1), float formats pass through, channels are averaged.
// Errors (all rwkvs::Error, naming the file): missing or unreadable file, unrecognised or
// corrupt data (a text file named .wav), a header declaring more audio than the file holds
// (truncated), zero channels, zero samples, NaN or infinite samples.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "frontends/audio/audio.h"

namespace rwkvs {

struct AudioFileInfo {
  double sample_rate = 0;
  int channels = 0;
  int64_t frames = 0;  // samples per channel
  std::string format;  // libsndfile's name for the container, e.g. "WAV (Microsoft)"
};

Audio read_audio_file(const std::string& path);
AudioFileInfo probe_audio_file(const std::string& path);

// Decodes a file piece by piece, so a long file streams in constant memory. The same checks and
// errors as read_audio_file: the header is checked on opening; bad samples and a file that ends
// before the length its header declares are Errors when read() reaches them.
class AudioFileReader {
 public:
  explicit AudioFileReader(const std::string& path);
  ~AudioFileReader();
  AudioFileReader(const AudioFileReader&) = delete;
  AudioFileReader& operator=(const AudioFileReader&) = delete;

  const AudioFileInfo& info() const;
  // Appends up to max_frames mono samples to *out and returns how many; 0 means the end.
  size_t read(size_t max_frames, std::vector<float>* out);
  int64_t frames_read() const { return frames_read_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t frames_read_ = 0;
};

}  // namespace rwkvs
