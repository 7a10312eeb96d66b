#pragma once
// Where frames sit on the signal and what they read past its edges. Frame f reads `length`
// samples starting at f*shift - left_pad; indices outside [0, n) are filled by the edge mode:
//  - snip:           Kaldi snip_edges=true / torch center=False: only frames that fit are made;
//  - kaldi_reflect:  Kaldi snip_edges=false: mirror with the edge sample repeated (-1 -> 0, n -> n-1);
//  - reflect:        torch center=True, pad_mode "reflect": mirror without repeat (-1 -> 1, n -> n-2);
//  - replicate:      the edge sample;   constant: zeros.
// The same extract() serves the offline and the streaming path, so both see identical frames.
#include <cstdint>
#include <string>
#include <string_view>

namespace rwkvs {

enum class EdgeMode { snip, kaldi_reflect, reflect, replicate, constant };

// torch pad_mode names for centred frames: "reflect", "replicate", "constant".
EdgeMode parse_pad_mode(std::string_view name);
std::string pad_mode_name(EdgeMode mode);

struct FrameGeometry {
  int64_t length = 400;  // samples read per frame
  int64_t shift = 160;
  int64_t left_pad = 0;  // frame f starts at f*shift - left_pad
  EdgeMode edges = EdgeMode::snip;

  int64_t start(int64_t f) const { return f * shift - left_pad; }
  // Frames in a signal of n samples (the offline count). Throws when the signal is too short for
  // reflect padding (torch requires more samples than the padding).
  int64_t num_frames(int64_t n) const;
  // Samples [0, samples_needed(f)) must have arrived to compute frame f without knowing the end.
  int64_t samples_needed(int64_t f) const;
  // How many leading frames are final once n samples have arrived and more may follow.
  int64_t frames_final_before_end(int64_t n) const;
  // Fills frame f (out[length]) from buf, which holds samples [buf_start, buf_start + buf_len) of
  // the signal. n_total is the signal length, or -1 while the end is unknown (then the frame must
  // not reach past the samples received).
  void extract(int64_t f, const float* buf /*[buf_len]*/, int64_t buf_start, int64_t buf_len, int64_t n_total,
               float* out /*[length]*/) const;
};

}  // namespace rwkvs
