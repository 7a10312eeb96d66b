#include "src/train/utterances.h"

#include <cstdio>

#include "base/error.h"
#include "frontends/text/transcript.h"
#include "src/audio/clip_loader.h"
#include "src/io/audio_example.h"
#include "src/io/manifest.h"

namespace rwkvs {

namespace {

std::string transcript_of(const ManifestEntry& e, const std::string& manifest) {
  if (!e.text) fail("manifest '", manifest, "' line ", e.line, " has no \"text\" (a transcript is needed for ctc)");
  try {
    return normalize_transcript(*e.text);
  } catch (const Error& err) {
    fail("manifest '", manifest, "' line ", e.line, ": transcript ", err.what());
  }
}

}  // namespace

std::vector<std::string> read_transcripts(const std::string& manifest) {
  std::vector<std::string> texts;
  for (const ManifestEntry& e : read_manifest(manifest, false)) texts.push_back(transcript_of(e, manifest));
  return texts;
}

UtteranceSet load_utterances(const std::string& manifest, double sample_rate, const std::string& what) {
  const std::vector<ManifestEntry> entries = read_manifest(manifest);
  UtteranceSet set;
  set.source = manifest;
  bool noted = false;
  for (size_t i = 0; i < entries.size(); ++i) {
    const ManifestEntry& e = entries[i];
    std::string text = transcript_of(e, manifest);
    AudioExample ex;
    ex.path = e.audio_path;
    ex.offset = e.offset;
    ex.duration = e.duration;
    set.waves.emplace_back(load_clip_noting_resampling(ex, sample_rate, what, &noted));
    set.seconds += static_cast<double>(set.waves.back().size()) / sample_rate;
    set.texts.push_back(std::move(text));
    set.paths.push_back(e.audio_path);
    set.lines.push_back(e.line);
    set.speakers.push_back(e.speaker);
    if (entries.size() >= 2000 && (i + 1) % 1000 == 0) {
      std::printf("  %s: loaded %zu/%zu utterances\n", what.c_str(), i + 1, entries.size());
      std::fflush(stdout);
    }
  }
  return set;
}

int64_t adjacent_repeats(const std::vector<int32_t>& ids) {
  int64_t n = 0;
  for (size_t i = 1; i < ids.size(); ++i) n += ids[i] == ids[i - 1];
  return n;
}

}  // namespace rwkvs
