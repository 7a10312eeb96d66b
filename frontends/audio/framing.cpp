#include "frontends/audio/framing.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/error.h"

namespace rwkvs {

EdgeMode parse_pad_mode(std::string_view name) {
  if (name == "reflect") return EdgeMode::reflect;
  if (name == "replicate") return EdgeMode::replicate;
  if (name == "constant") return EdgeMode::constant;
  fail("unknown pad mode '", name, "' (expected reflect|replicate|constant)");
}

std::string pad_mode_name(EdgeMode mode) {
  switch (mode) {
    case EdgeMode::reflect:
      return "reflect";
    case EdgeMode::replicate:
      return "replicate";
    case EdgeMode::constant:
      return "constant";
    case EdgeMode::kaldi_reflect:
      return "kaldi_reflect";
    case EdgeMode::snip:
      return "snip";
  }
  return "?";
}

int64_t FrameGeometry::num_frames(int64_t n) const {
  if (n <= 0) return 0;
  switch (edges) {
    case EdgeMode::snip:
      return n < length ? 0 : 1 + (n - length) / shift;
    case EdgeMode::kaldi_reflect:
      return (n + shift / 2) / shift;
    case EdgeMode::reflect:
      if (n <= left_pad)
        fail("signal of ", n, " samples is too short for reflect padding of ", left_pad,
             " samples (it needs more samples than the padding); use pad mode constant or a longer signal");
      return 1 + n / shift;
    case EdgeMode::replicate:
    case EdgeMode::constant:
      return 1 + n / shift;
  }
  return 0;
}

int64_t FrameGeometry::samples_needed(int64_t f) const {
  const int64_t s = start(f), end = s + length;
  if (s >= 0) return end;
  switch (edges) {
    case EdgeMode::kaldi_reflect:
      return std::max(end, -s);  // index -k reads k-1
    case EdgeMode::reflect:
      return std::max(end, -s + 1);  // index -k reads k
    case EdgeMode::replicate:
      return std::max<int64_t>(end, 1);  // reads sample 0
    default:
      return end;
  }
}

int64_t FrameGeometry::frames_final_before_end(int64_t n) const {
  // Frames that end inside the received samples never read past the end, whatever it turns out to
  // be. samples_needed() grows with f (the leading reflection shrinks faster than the end grows).
  if (n + left_pad - length < 0) return 0;
  int64_t count = (n + left_pad - length) / shift + 1;
  while (count > 0 && samples_needed(count - 1) > n) --count;
  return count;
}

namespace {

[[noreturn]] void framing_bug(int64_t index, int64_t buf_start, int64_t buf_len) {
  std::fprintf(stderr, "%s:%d: internal error: frame reads sample %lld outside the buffer [%lld, %lld)\n",
               __FILE__, __LINE__, static_cast<long long>(index), static_cast<long long>(buf_start),
               static_cast<long long>(buf_start + buf_len));
  std::abort();
}

// Maps an index outside [0, n) into it; returns -1 for a zero (constant padding).
int64_t fold_index(int64_t i, int64_t n, EdgeMode edges) {
  switch (edges) {
    case EdgeMode::kaldi_reflect:
      while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - 1 - i;
      return i;
    case EdgeMode::reflect:
      if (n == 1) return 0;
      while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
      return i;
    case EdgeMode::replicate:
      return i < 0 ? 0 : n - 1;
    case EdgeMode::constant:
      return -1;
    case EdgeMode::snip:
      break;
  }
  return i;  // snip frames never leave the signal; the caller's bounds check reports it
}

}  // namespace

void FrameGeometry::extract(int64_t f, const float* buf, int64_t buf_start, int64_t buf_len, int64_t n_total,
                            float* out) const {
  const int64_t s = start(f);
  const int64_t known_end = buf_start + buf_len;
  if (s >= buf_start && s + length <= known_end && (n_total < 0 || s + length <= n_total)) {
    std::memcpy(out, buf + (s - buf_start), static_cast<size_t>(length) * sizeof(float));
    return;
  }
  for (int64_t j = 0; j < length; ++j) {
    int64_t i = s + j;
    if (i < 0 || (n_total >= 0 && i >= n_total)) {
      i = n_total >= 0 ? fold_index(i, n_total, edges) : (i < 0 ? fold_index(i, INT64_MAX / 4, edges) : i);
      if (i < 0) {
        out[j] = 0.0f;
        continue;
      }
    }
    if (i < buf_start || i >= known_end) framing_bug(i, buf_start, buf_len);
    out[j] = buf[i - buf_start];
  }
}

}  // namespace rwkvs
