#pragma once
// Transcribed speech for CTC: a JSON-lines manifest whose every line has "text", decoded into
// memory at the model's sample rate, with the transcripts normalised (frontends/text/transcript.h).
// The audio is held as 16-bit samples (src/audio/pcm16_clip.h: half the memory of float32, exact
// for 16-bit sources) and turned into floats only while a batch is built.
#include <cstdint>
#include <string>
#include <vector>

#include "src/audio/pcm16_clip.h"

namespace rwkvs {

struct UtteranceSet {
  std::string source;                     // the manifest
  std::vector<Pcm16Clip> waves;           // mono samples, 16-bit
  std::vector<std::string> texts;         // normalised transcripts
  std::vector<std::string> paths;
  std::vector<size_t> lines;              // manifest line of each utterance
  std::vector<std::string> speakers;      // the manifest's "speaker" of each ("" when absent)
  double seconds = 0;                     // audio in all
};

// Reads the manifest and decodes every utterance (progress on stdout for large sets). Errors name
// the manifest and line: a line without "text", a transcript that cannot be normalised (digits,
// symbols), unreadable audio; an empty manifest. An empty transcript is allowed (silence).
// 'what' names the split in messages ("train", "validation", "test").
UtteranceSet load_utterances(const std::string& manifest, double sample_rate, const std::string& what);

// The normalised transcripts of the manifest's lines, without decoding any audio (the same errors
// as load_utterances for the text).
std::vector<std::string> read_transcripts(const std::string& manifest);

// Frames, positions and labels: can CTC align 'label_length' symbols with 'repeats' adjacent equal
// pairs to 'positions' outputs? (Each repeat needs a blank between the two.)
inline bool ctc_feasible(int64_t positions, int64_t label_length, int64_t repeats) {
  return positions >= label_length + repeats;
}

// Adjacent equal pairs in ids.
int64_t adjacent_repeats(const std::vector<int32_t>& ids);

}  // namespace rwkvs
