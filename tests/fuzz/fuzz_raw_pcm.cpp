// libFuzzer target: decode_raw_pcm on arbitrary bytes and specs must either return one finite mono
// sample per whole frame or throw rwkvs::Error; never crash or read out of bounds.
// Input: byte 0 picks the format (bit 0) and the rate (bit 1: 16 kHz, else bytes 2..5 as a float,
// so NaN, 0 and negative rates are tried); byte 1 is the channel count as a signed byte; the rest
// is the PCM payload.
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "frontends/audio/raw_pcm.h"

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  rwkvs::RawPcmSpec spec;
  spec.format = (data[0] & 1) ? rwkvs::PcmFormat::f32le : rwkvs::PcmFormat::s16le;
  spec.channels = static_cast<int8_t>(data[1]);
  size_t header = 2;
  if ((data[0] & 2) && size >= 6) {
    uint32_t bits;
    std::memcpy(&bits, data + 2, 4);
    spec.sample_rate = std::bit_cast<float>(bits);
    header = 6;
  }
  const uint8_t* payload = data + header;
  const size_t n = size - header;
  // The payload lives in its own allocation, so ASan sees any read past its end.
  const std::vector<uint8_t> bytes(payload, payload + n);
  try {
    const std::vector<float> mono = rwkvs::decode_raw_pcm(bytes.data(), bytes.size(), spec, "fuzz.raw");
    require(spec.channels >= 1 && spec.sample_rate > 0);
    require(mono.size() * spec.bytes_per_frame() == n);
    for (const float x : mono) require(std::isfinite(x));
    if (spec.format == rwkvs::PcmFormat::s16le && spec.channels == 1)
      for (size_t i = 0; i < mono.size(); ++i) {
        const auto v = static_cast<int16_t>(static_cast<uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8)));
        require(mono[i] == static_cast<float>(v) / 32768.0f);
      }
  } catch (const rwkvs::Error& e) {
    require(std::string_view(e.what()).starts_with("fuzz.raw"));
  }
  return 0;
}
