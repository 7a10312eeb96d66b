#include "frontends/audio/raw_pcm.h"

#include <bit>
#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace rwkvs {

PcmFormat parse_pcm_format(std::string_view name) {
  if (name == "s16le") return PcmFormat::s16le;
  if (name == "f32le") return PcmFormat::f32le;
  fail("unknown raw PCM format '", name, "' (expected s16le|f32le)");
}

std::string pcm_format_name(PcmFormat format) { return format == PcmFormat::s16le ? "s16le" : "f32le"; }

void validate_pcm_spec(const RawPcmSpec& spec, const std::string& source) {
  if (spec.channels < 1) fail(source, ": raw PCM needs at least 1 channel, got ", spec.channels);
  if (!(spec.sample_rate > 0)) fail(source, ": raw PCM needs a positive sample rate, got ", spec.sample_rate);
}

std::vector<float> decode_raw_pcm(const uint8_t* bytes, size_t n, const RawPcmSpec& spec,
                                  const std::string& source, size_t first_frame) {
  validate_pcm_spec(spec, source);
  const size_t bps = spec.bytes_per_sample(), bpf = spec.bytes_per_frame();
  if (n % bps != 0)
    fail(source, ": raw ", pcm_format_name(spec.format), " stream ends mid-sample (", n % bps,
         " trailing bytes of a ", bps, "-byte sample)");
  if (n % bpf != 0)
    fail(source, ": raw PCM stream ends mid-frame (", (n % bpf) / bps, " of ", spec.channels,
         " channel samples in the last frame)");
  const size_t frames = n / bpf, count = frames * static_cast<size_t>(spec.channels);
  std::vector<float> samples(count);
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* b = bytes + i * bps;
    if (spec.format == PcmFormat::s16le) {
      const auto v = static_cast<int16_t>(static_cast<uint16_t>(b[0] | (b[1] << 8)));
      samples[i] = static_cast<float>(v) / 32768.0f;
    } else {
      const uint32_t u = static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
                         (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
      samples[i] = std::bit_cast<float>(u);
    }
  }
  mix_to_mono(samples.data(), frames, spec.channels, samples.data());
  samples.resize(frames);
  require_finite(samples.data(), frames, source, first_frame);
  return samples;
}

RawPcmReader::RawPcmReader(const std::string& path, const RawPcmSpec& spec)
    : spec_(spec), source_(path == "-" ? "stdin" : path) {
  validate_pcm_spec(spec, source_);
  if (path == "-") {
    file_ = stdin;
  } else {
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_) fail(path, ": cannot open (", std::strerror(errno), ")");
    owned_ = true;
  }
}

RawPcmReader::~RawPcmReader() {
  if (owned_) std::fclose(file_);
}

size_t RawPcmReader::read(size_t max_frames, std::vector<float>* out) {
  if (max_frames == 0) return 0;
  const size_t want = max_frames * spec_.bytes_per_frame();
  bytes_.resize(want);
  size_t got = 0;
  while (got < want) {  // pipes deliver short reads; keep reading until full or end of stream
    const size_t r = std::fread(bytes_.data() + got, 1, want - got, file_);
    if (r == 0) break;
    got += r;
  }
  if (std::ferror(file_)) fail(source_, ": read error (", std::strerror(errno), ")");
  // Short only at the end of the stream: a partial last frame is reported by decode_raw_pcm.
  std::vector<float> mono = decode_raw_pcm(bytes_.data(), got, spec_, source_, frames_read_);
  out->insert(out->end(), mono.begin(), mono.end());
  frames_read_ += mono.size();
  return mono.size();
}

Audio read_raw_pcm(const std::string& path, const RawPcmSpec& spec) {
  RawPcmReader reader(path, spec);
  Audio audio;
  audio.sample_rate = spec.sample_rate;
  while (reader.read(1 << 16, &audio.samples) > 0) {
  }
  if (audio.samples.empty()) fail(reader.source(), ": contains no audio samples (zero length)");
  return audio;
}

}  // namespace rwkvs
