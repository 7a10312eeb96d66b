#pragma once
// The stream figure: what a streaming model heard and what it said, on one time axis.
//   top:    log-mel spectrogram of the audio (80 mels, 25 ms window, 10 ms hop, dB relative to the
//           loudest bin, viridis), frequency axis in Hz at mel positions, with a dB color bar;
//   bottom, for a keyword spotter: each class's posterior per frame as a line (one color per
//           class, legend on the right), detection events as shaded spans in the class's color,
//           labelled "<class> <score>", and marked by a bar along the spectrogram's top edge;
//   bottom, for a CTC speech recogniser: the transcript. Each final segment a light span over its
//           [start, end] (two tints, alternating) labelled "segment <n>" (or "<n>" where that is
//           too wide) along the panel's top; each word a thin bar over its [start, end] with the
//           word written under it, in the first of up to three rows where the text clears the
//           previous text of that row (a word with no free row keeps its bar, unlabelled); and,
//           where the panel has room, each segment's text along the panel's foot, cut to the
//           span's width with "...".
// The spectrogram panel is drawn by the same code, at the same place, for both kinds.
//
// Posteriors file contract (JSON lines, what `rwkvs stream` writes for a keyword spotter; read by
// read_posteriors()):
//   line 1:   {"type":"header","labels":["yes","no",...],"hop_s":0.01,"sample_rate":16000}
//             labels: K non-empty class names; hop_s > 0: seconds between frames; sample_rate:
//             optional, the rate the model heard.
//   then any number, in any mix, of
//             {"type":"frame","t":<seconds at the frame's end>,"p":[<K posteriors, one per label>]}
//             {"type":"event","label":"yes","start":<s>,"end":<s>,"score":<0..1>}
//   Frame times strictly increase. Every posterior is a finite number. An event's label is one of
//   the header's, end >= start. Lines of any other "type" (e.g. "summary") are ignored, as are
//   blank lines. Errors name the file and the line.
//
// CTC stream contract (JSON lines, what `rwkvs stream` writes for a CTC recogniser, see
// apps/rwkvs/stream_ctc.h; read by read_transcript(); stream_output_kind() tells the two apart):
//   line 1:   {"type":"header","task":"ctc","labels":[...],"position_s":0.03,"sample_rate":16000,
//              "decoder":"greedy",...}   task must be "ctc"; the other fields are optional.
//   then      {"type":"final","segment":<n>,"start":<s>,"end":<s>,"text":"the cat",
//              "words":[{"word":"the","start":<s>,"end":<s>},...]}
//   Segment numbers are non-negative integers, end >= start, text is a string (possibly empty),
//   each word's [start, end] lies inside its segment's (1e-6 s of slack). "partial" lines (the
//   open segment's growing text), "summary" and other types, and blank lines are ignored. Errors
//   name the file and the line.
#include <string>
#include <vector>

#include "frontends/audio/audio.h"
#include "src/plot/axes.h"
#include "src/plot/posteriors_file.h"
#include "src/plot/transcript_track.h"

namespace rwkvs {

struct StreamFigureOptions {
  int width = 1400;  // pixels
  int height = 800;
  std::string title;  // the header's name for the audio (e.g. its path)
  int n_mels = 80;
  double window_s = 0.025;
  double hop_s = 0.010;
  double dynamic_range_db = 80;  // the color map spans [loudest - this, loudest]
};

// Where one final segment of a CTC stream went in the transcript panel.
struct TranscriptSegmentBox {
  Rect span;            // its [start, end] over the panel's height (clamped to the panel)
  std::string label;    // as drawn: "segment <n>", "<n>", or "" when an earlier label was in the way
  std::string caption;  // its text as drawn along the panel's foot ("" when there was no room)
  Rect caption_box;     // where the caption went (advance width x row height)
};

// Where one word went: its bar, and its text in one of the rows under the bars.
struct TranscriptWordBox {
  int segment = 0;        // into StreamFigureLayout::segments
  Rect bar;               // over the word's [start, end], at least one line wide
  int row = 0;            // text row (0 the top one); the bar sits at the top of its row
  bool labelled = false;  // false: every row was taken at its place, so only the bar is drawn
  Rect text;              // where the text went (advance width x row height); empty if unlabelled
};

// Where things ended up, for callers and tests that look at the pixels. A keyword figure fills
// the posterior fields, a transcript figure the transcript ones; both fill spectrogram, time and
// mel_bins.
struct StreamFigureLayout {
  Rect spectrogram;               // data rectangle of the spectrogram panel
  Rect posteriors;                // data rectangle of the posterior panel
  Range time;                     // seconds across both panels' width
  Range mel_bins;                 // spectrogram y range in mel-bin units (bin b centred at b)
  Range posterior_y;              // posterior panel y range
  std::vector<Rgb> class_colors;  // [K]
  double event_alpha = 0;         // opacity of the event spans over the white panel

  Rect transcript;                             // data rectangle of the transcript panel
  int word_rows = 0;                           // text rows the panel had room for (1 to 3)
  bool captions = false;                       // whether it had room for the segments' texts too
  std::vector<TranscriptSegmentBox> segments;  // [segments] in the track's order
  std::vector<TranscriptWordBox> words;        // [words] segment by segment, in order
  std::vector<Rgb> segment_colors;             // [segments] the tint of each span
  double segment_alpha = 0;                    // opacity of the spans over the white panel
  Rgb word_color;                              // the word bars
};

// Draws the figure to 'out_path' (.png or .svg). Error naming the path when it cannot be written.
StreamFigureLayout plot_stream_figure(const Audio& audio, const PosteriorTrack& track,
                                      const std::string& out_path, const StreamFigureOptions& options);
// The same with the transcript of a CTC stream underneath (an empty track draws an empty panel).
StreamFigureLayout plot_stream_figure(const Audio& audio, const TranscriptTrack& track,
                                      const std::string& out_path, const StreamFigureOptions& options);

}  // namespace rwkvs
