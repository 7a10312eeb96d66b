#pragma once
// Frame stacking for models with frame_stack s > 1 (CTC): position p of the model's input is the
// concatenation of feature frames p*s .. p*s+s-1, so the trunk runs at 1/s of the frame rate and a
// row-major [T, F] block of frames already is [T/s, s*F]. A last, partial group is completed with
// copies of the last frame (edge padding), the same offline and in a stream.
#include <cstdint>
#include <vector>

namespace rwkvs {

// Positions made from T frames: ceil(T / s).
inline int64_t stacked_positions(int64_t T, int s) { return (T + s - 1) / s; }

// The last position's frames when T is not a multiple of s: r = T % s real frames [r, F] followed
// by s - r copies of the last one, into out [s * F].
void pad_last_group(const float* frames /*[r, F]*/, int64_t r, int64_t F, int s, float* out /*[s * F]*/);

// A right-padded batch (B, T, F) with lengths (B) becomes (B, ceil(T / s), s * F) with lengths
// ceil(len / s), each row's partial group edge-padded with its own last frame (never the padding).
void stack_frame_batch(const std::vector<float>& frames, const std::vector<int64_t>& lengths, int64_t B, int64_t T,
                       int64_t F, int s, std::vector<float>& out, std::vector<int64_t>& out_lengths, int64_t& out_T);

}  // namespace rwkvs
