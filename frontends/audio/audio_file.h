#pragma once
// Decodes any file libsndfile reads (wav, flac, ogg/vorbis, aiff, au, ...) to mono float32:
// integer formats are scaled to [-1, 1), float formats pass through, channels are averaged.
// Errors (all rwkvs::Error, naming the file): missing or unreadable file, unrecognised or
// corrupt data (a text file named .wav), a header declaring more audio than the file holds
// (truncated), zero channels, zero samples, NaN or infinite samples.
#include <string>

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

}  // namespace rwkvs
