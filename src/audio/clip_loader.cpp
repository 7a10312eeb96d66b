#include "src/audio/clip_loader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/error.h"
#include "frontends/audio/audio_file.h"
#include "frontends/audio/resampler.h"

namespace rwkvs {

std::vector<float> load_clip(const AudioExample& ex, double target_rate, double* resampled_from) {
  Audio a = read_audio_file(ex.path);
  const auto total = static_cast<int64_t>(a.samples.size());
  const auto begin = static_cast<int64_t>(std::llround(ex.offset * a.sample_rate));
  if (begin >= total && total > 0)
    fail("'", ex.path, "': offset ", ex.offset, " s is past the end of the audio (", total / a.sample_rate, " s)");
  int64_t end = total;
  if (ex.duration) end = std::min(total, begin + static_cast<int64_t>(std::llround(*ex.duration * a.sample_rate)));
  if (end <= begin) fail("'", ex.path, "' holds no audio in the requested range");
  std::vector<float> clip(a.samples.begin() + begin, a.samples.begin() + end);
  if (a.sample_rate != target_rate) {
    if (resampled_from) *resampled_from = a.sample_rate;
    clip = resample(clip.data(), clip.size(), a.sample_rate, target_rate);
  }
  return clip;
}

std::vector<float> load_clip_noting_resampling(const AudioExample& ex, double target_rate, const std::string& what,
                                               bool* noted) {
  double from = 0;
  std::vector<float> clip = load_clip(ex, target_rate, &from);
  if (from > 0 && !*noted) {
    std::fprintf(stderr, "note: %s%sresampling audio from %g Hz to the model's %g Hz (e.g. '%s')\n", what.c_str(),
                 what.empty() ? "" : ": ", from, target_rate, ex.path.c_str());
    *noted = true;
  }
  return clip;
}

}  // namespace rwkvs
