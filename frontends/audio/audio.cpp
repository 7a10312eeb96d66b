#include "frontends/audio/audio.h"

#include <cmath>

#include "base/error.h"

namespace rwkvs {

void require_finite(const float* samples, size_t n, const std::string& source, size_t first_index) {
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(samples[i]))
      fail(source, ": sample ", first_index + i, " is ", samples[i], " (audio must be finite)");
}

void mix_to_mono(const float* in, size_t frames, int channels, float* out) {
  if (channels == 1) {
    if (out != in)
      for (size_t i = 0; i < frames; ++i) out[i] = in[i];
    return;
  }
  for (size_t i = 0; i < frames; ++i) {
    float sum = 0.0f;
    for (int c = 0; c < channels; ++c) sum += in[i * channels + c];
    out[i] = sum / static_cast<float>(channels);  // reads at i*channels >= i: aliasing is safe
  }
}

}  // namespace rwkvs
