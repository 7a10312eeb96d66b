#pragma once
// Hand-made WAV files for reader tests: any header field can be set, including wrong ones
// (0 channels, a data size larger than the data), so broken files are built byte by byte.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace rwkvs::test {

struct WavSpec {
  int channels = 1;
  int sample_rate = 16000;
  int bits = 16;  // 16 (PCM) or 32 (IEEE float)
  bool is_float = false;
  int64_t declared_data_bytes = -1;  // -1: the real size
};

inline void put_le(std::vector<uint8_t>& b, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

inline void put_tag(std::vector<uint8_t>& b, const char* tag) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(tag[i]));
}

// samples: interleaved, in [-1, 1) (converted to the spec's sample format).
inline std::vector<uint8_t> wav_bytes(const WavSpec& s, const std::vector<float>& samples) {
  std::vector<uint8_t> data;
  for (float v : samples) {
    if (s.is_float) {
      uint32_t u;
      std::memcpy(&u, &v, 4);
      put_le(data, u, 4);
    } else {
      const auto q = static_cast<int16_t>(std::lround(std::max(-32768.0f, std::min(32767.0f, v * 32768.0f))));
      put_le(data, static_cast<uint16_t>(q), 2);
    }
  }
  const uint64_t declared =
      s.declared_data_bytes >= 0 ? static_cast<uint64_t>(s.declared_data_bytes) : data.size();
  const int block = s.channels * s.bits / 8;
  std::vector<uint8_t> b;
  put_tag(b, "RIFF");
  put_le(b, 36 + declared, 4);
  put_tag(b, "WAVE");
  put_tag(b, "fmt ");
  put_le(b, 16, 4);
  put_le(b, s.is_float ? 3 : 1, 2);
  put_le(b, static_cast<uint64_t>(s.channels), 2);
  put_le(b, static_cast<uint64_t>(s.sample_rate), 4);
  put_le(b, static_cast<uint64_t>(s.sample_rate) * static_cast<uint64_t>(block), 4);
  put_le(b, static_cast<uint64_t>(block), 2);
  put_le(b, static_cast<uint64_t>(s.bits), 2);
  put_tag(b, "data");
  put_le(b, declared, 4);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline void write_wav(const std::string& path, const WavSpec& s, const std::vector<float>& samples) {
  write_bytes(path, wav_bytes(s, samples));
}

}  // namespace rwkvs::test
