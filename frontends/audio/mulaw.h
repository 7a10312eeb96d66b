#pragma once
// mu-law companding with 256 classes (mu = 255), WaveNet style as torchaudio's
// mu_law_encoding/decoding -- not the segmented, bit-inverted ITU G.711 byte format.
//   encode: y = sign(x) ln(1 + mu|x|) / ln(1 + mu), q = floor((y + 1) / 2 * mu + 0.5) in 0..255
//   decode: y = 2 q / mu - 1,  x = sign(y) ((1 + mu)^|y| - 1) / mu
// Input is clipped to [-1, 1] first; silence (0) maps to class 128.
#include <cstddef>
#include <cstdint>

namespace rwkvs {

constexpr int kMuLawClasses = 256;

int32_t mulaw_encode(float x);
float mulaw_decode(int32_t q);  // q outside 0..255 is clamped

void mulaw_encode(const float* x /*[n]*/, size_t n, int64_t* q /*[n]*/);
void mulaw_decode(const int64_t* q /*[n]*/, size_t n, float* x /*[n]*/);

}  // namespace rwkvs
