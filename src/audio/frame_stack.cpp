#include "src/audio/frame_stack.h"

#include <algorithm>

#include "base/error.h"

namespace rwkvs {

void pad_last_group(const float* frames, int64_t r, int64_t F, int s, float* out) {
  RWKVS_CHECK(r >= 1 && r <= s, "pad_last_group: ", r, " frames for a group of ", s);
  std::copy(frames, frames + r * F, out);
  for (int64_t k = r; k < s; ++k) std::copy(frames + (r - 1) * F, frames + r * F, out + k * F);
}

void stack_frame_batch(const std::vector<float>& frames, const std::vector<int64_t>& lengths, int64_t B, int64_t T,
                       int64_t F, int s, std::vector<float>& out, std::vector<int64_t>& out_lengths, int64_t& out_T) {
  RWKVS_CHECK(s >= 1, "stack_frame_batch: stack ", s);
  out_T = stacked_positions(T, s);
  const int64_t D = s * F;
  out.assign(static_cast<size_t>(B * out_T * D), 0.0f);
  out_lengths.resize(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = lengths[b];
    const float* src = frames.data() + b * T * F;
    float* dst = out.data() + b * out_T * D;
    const int64_t full = len / s, r = len % s;
    std::copy(src, src + full * s * F, dst);  // whole groups: the same bytes, reshaped
    if (r > 0) pad_last_group(src + full * s * F, r, F, s, dst + full * D);
    out_lengths[b] = stacked_positions(len, s);
  }
}

}  // namespace rwkvs
