#pragma once
// Reads what `rwkvs stream` writes for a CTC speech recogniser (JSON lines; the writer is
// apps/rwkvs/stream_ctc.cpp, the format is specified in src/plot/stream_figure.h next to the figure
// that draws it): the final segments with their text and word timings. Partial lines are the open
// segment's text as it grew and are not kept.
#include <cstdint>
#include <string>
#include <vector>

namespace rwkvs {

struct TranscriptWord {
  std::string word;
  double start = 0, end = 0;  // seconds from the start of the stream, inside the segment's span
};

struct TranscriptSegment {
  int64_t index = 0;          // the segment number the stream gave it
  double start = 0, end = 0;  // seconds: the audio the segment decoded
  std::string text;           // words joined by single spaces ("" when nothing was said)
  std::vector<TranscriptWord> words;
};

struct TranscriptTrack {
  std::vector<std::string> labels;  // the recogniser's vocabulary (empty when the header leaves it out)
  double position_s = 0;            // seconds per model position (0 when left out)
  double sample_rate = 0;           // of the audio the model heard (0 when left out)
  std::string decoder;              // e.g. "greedy" ("" when left out)
  std::vector<TranscriptSegment> segments;  // in file order
  int64_t words() const {
    int64_t n = 0;
    for (const TranscriptSegment& s : segments) n += static_cast<int64_t>(s.words.size());
    return n;
  }
};

// Which kind of `rwkvs stream` output a file holds, by its first record: ctc when that is a header
// with "task":"ctc", keywords otherwise (including a file whose first line is not a header, so
// that read_posteriors() reports what is wrong with it). Error naming the file when it cannot be
// read.
enum class StreamOutputKind { keywords, ctc };
StreamOutputKind stream_output_kind(const std::string& path);

// Errors (rwkvs::Error) name the file and line: unreadable file, a line that is not a JSON object
// or lacks a string "type", a first record that is not the header, a second header, a header
// whose "task" is not "ctc", optional header fields of the wrong kind (labels: strings;
// position_s, sample_rate: positive numbers; decoder: a string), a final whose segment is not a
// non-negative integer, a missing or non-numeric (or non-finite) start or end, end < start, a
// text that is not a string, words that are not an array of {"word": string, "start", "end"}
// objects, a word with end < start or outside its segment's [start, end] (1e-6 s of slack for
// the printed digits). Lines of other types (partial, summary, ...) and blank lines are skipped.
TranscriptTrack read_transcript(const std::string& path);

}  // namespace rwkvs
