#include "src/audio/pcm16_clip.h"

#include "base/error.h"

namespace rwkvs {

namespace {
void check_range(size_t begin, size_t count, size_t size) {
  RWKVS_CHECK(begin <= size && count <= size - begin, "Pcm16Clip: samples [", begin, ", ", begin + count,
              ") of a clip of ", size);
}
}  // namespace

Pcm16Clip::Pcm16Clip(const float* samples, size_t n) : samples_(n) {
  for (size_t i = 0; i < n; ++i) samples_[i] = pcm16_from_float(samples[i]);
}

void Pcm16Clip::to_float(size_t begin, size_t count, float* out) const {
  check_range(begin, count, samples_.size());
  const int16_t* s = samples_.data() + begin;
  for (size_t i = 0; i < count; ++i) out[i] = pcm16_to_float(s[i]);
}

void Pcm16Clip::to_float(std::vector<float>& out) const {
  out.resize(samples_.size());
  to_float(0, samples_.size(), out.data());
}

void Pcm16Clip::append_float(std::vector<float>& out, size_t begin, size_t count) const {
  check_range(begin, count, samples_.size());  // before out changes
  const size_t old = out.size();
  out.resize(old + count);
  to_float(begin, count, out.data() + old);
}

size_t sample_bytes(const std::vector<Pcm16Clip>& clips) {
  size_t n = 0;
  for (const Pcm16Clip& c : clips) n += c.bytes();
  return n;
}

}  // namespace rwkvs
