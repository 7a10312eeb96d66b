#include "frontends/audio/mulaw.h"

#include <algorithm>
#include <cmath>

namespace rwkvs {

namespace {
constexpr float kMu = kMuLawClasses - 1;
}

// Computed in float, as torchaudio does, so classes agree at the rounding boundaries.
int32_t mulaw_encode(float x) {
  x = std::clamp(x, -1.0f, 1.0f);
  const float y = std::copysign(std::log1p(kMu * std::fabs(x)) / std::log1p(kMu), x);
  return static_cast<int32_t>((y + 1.0f) / 2.0f * kMu + 0.5f);
}

float mulaw_decode(int32_t q) {
  q = std::clamp<int32_t>(q, 0, kMuLawClasses - 1);
  const float y = static_cast<float>(q) / kMu * 2.0f - 1.0f;
  return std::copysign((std::exp(std::fabs(y) * std::log1p(kMu)) - 1.0f) / kMu, y);
}

void mulaw_encode(const float* x, size_t n, int64_t* q) {
  for (size_t i = 0; i < n; ++i) q[i] = mulaw_encode(x[i]);
}

void mulaw_decode(const int64_t* q, size_t n, float* x) {
  for (size_t i = 0; i < n; ++i)
    x[i] = mulaw_decode(static_cast<int32_t>(std::clamp<int64_t>(q[i], 0, kMuLawClasses - 1)));
}

}  // namespace rwkvs
