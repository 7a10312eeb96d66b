#pragma once
// Decoded mono audio and the sample check every reader applies.
#include <cstddef>
#include <string>
#include <vector>

namespace rwkvs {

struct Audio {
  std::vector<float> samples;  // [n] mono, nominally in [-1, 1)
  double sample_rate = 0;
};

// NaN or infinite samples are an Error naming the source and the first bad sample.
void require_finite(const float* samples /*[n]*/, size_t n, const std::string& source,
                    size_t first_index = 0);

// Averages interleaved channels: out[i] = mean_c in[i*channels + c]. out may alias in.
void mix_to_mono(const float* in /*[frames, channels]*/, size_t frames, int channels,
                 float* out /*[frames]*/);

}  // namespace rwkvs
