#pragma once
// Headerless PCM (interleaved, little-endian s16 or f32) from memory, a file or stdin, mixed to
// mono float32 (s16 scaled by 1/32768). A stream that ends inside a sample or a frame, 0
// channels, NaN/Inf samples or an empty input are Errors naming the source.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "frontends/audio/audio.h"

namespace rwkvs {

enum class PcmFormat { s16le, f32le };
PcmFormat parse_pcm_format(std::string_view name);  // "s16le" | "f32le"
std::string pcm_format_name(PcmFormat format);

struct RawPcmSpec {
  PcmFormat format = PcmFormat::s16le;
  double sample_rate = 16000;
  int channels = 1;
  size_t bytes_per_sample() const { return format == PcmFormat::s16le ? 2 : 4; }
  size_t bytes_per_frame() const { return bytes_per_sample() * static_cast<size_t>(channels); }
};

// Throws unless channels >= 1 and sample_rate > 0 (source names where the spec came from).
void validate_pcm_spec(const RawPcmSpec& spec, const std::string& source);

// Decodes n bytes (a whole number of frames) to mono; first_frame numbers samples in messages.
std::vector<float> decode_raw_pcm(const uint8_t* bytes /*[n]*/, size_t n, const RawPcmSpec& spec,
                                  const std::string& source, size_t first_frame = 0);

// Reads a stream incrementally (for streaming features from stdin).
class RawPcmReader {
 public:
  // path "-" reads stdin (not closed at the end); other paths are opened and owned.
  RawPcmReader(const std::string& path, const RawPcmSpec& spec);
  ~RawPcmReader();
  RawPcmReader(const RawPcmReader&) = delete;
  RawPcmReader& operator=(const RawPcmReader&) = delete;

  // Appends up to max_frames mono samples to *out and returns how many; 0 means end of stream.
  size_t read(size_t max_frames, std::vector<float>* out);
  const std::string& source() const { return source_; }
  size_t frames_read() const { return frames_read_; }

 private:
  RawPcmSpec spec_;
  std::string source_;  // "stdin" or the path
  std::FILE* file_ = nullptr;
  bool owned_ = false;
  std::vector<uint8_t> bytes_;  // read buffer
  size_t frames_read_ = 0;
};

// The whole stream or file ("-" for stdin); an empty one is an Error.
Audio read_raw_pcm(const std::string& path, const RawPcmSpec& spec);

}  // namespace rwkvs
