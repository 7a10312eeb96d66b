#pragma once
// One decoded clip held as 16-bit samples, for the datasets kept in memory while training and
// evaluating (ClipSet, UtteranceSet). A sample s stands for the float s / 32768 (full scale
// 32768 <-> 1.0f), the scaling libsndfile and the raw PCM reader use when they decode 16-bit PCM.
//
// Why: half the memory of float32 (a Speech Commands sized set of 105,829 one-second clips needs
// 3.4 GB instead of 6.8 GB). For 16-bit sources (Speech Commands, our synthesised sets, most
// recordings) the decoded floats are exactly s / 32768, so storing and reading back gives the
// identical floats and the identical features. Other sources (24-bit or float files, stereo
// averaged to mono, resampled audio) are rounded to 16 bits: about 96 dB SNR, below the noise
// floor of any feature we compute.
//
// Users convert to float when they build a batch or augment (to_float into their own buffer), so
// no float copy of a whole set lives for long.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace rwkvs {

// The nearest 16-bit sample to x * 32768 (ties to even), saturated to [-32768, 32767]: 1.0f and
// above give 32767, -1.0f and below give -32768. NaN gives 0.
inline int16_t pcm16_from_float(float x) {
  const float v = x * 32768.0f;
  if (v >= 32767.0f) return 32767;
  if (v <= -32768.0f) return -32768;
  if (std::isnan(v)) return 0;
  return static_cast<int16_t>(std::nearbyint(v));
}

// s / 32768, exactly (a power-of-two scale).
inline float pcm16_to_float(int16_t s) { return static_cast<float>(s) * (1.0f / 32768.0f); }

class Pcm16Clip {
 public:
  Pcm16Clip() = default;
  // Rounds each sample (pcm16_from_float). The storage is exactly n samples.
  Pcm16Clip(const float* samples /*[n]*/, size_t n);
  explicit Pcm16Clip(const std::vector<float>& samples) : Pcm16Clip(samples.data(), samples.size()) {}

  size_t size() const { return samples_.size(); }
  bool empty() const { return samples_.empty(); }
  const int16_t* data() const { return samples_.data(); }  // [size()]
  float sample(size_t i) const { return pcm16_to_float(samples_[i]); }

  // Writes samples [begin, begin + count) as floats to out[0, count). Error when the range is
  // past the end.
  void to_float(size_t begin, size_t count, float* out /*[count]*/) const;
  // The whole clip: out becomes size() floats (its capacity is reused).
  void to_float(std::vector<float>& out) const;
  // Appends samples [begin, begin + count) to out (unchanged on a bad range).
  void append_float(std::vector<float>& out, size_t begin, size_t count) const;

  // Heap bytes the samples occupy: 2 a sample.
  size_t bytes() const { return samples_.capacity() * sizeof(int16_t); }

 private:
  std::vector<int16_t> samples_;
};

// Heap bytes of the samples of a set of clips (the clip objects themselves not counted).
size_t sample_bytes(const std::vector<Pcm16Clip>& clips);

}  // namespace rwkvs
