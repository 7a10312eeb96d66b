#pragma once
// The stream figure: what a streaming model heard and what it said, on one time axis.
//   top:    log-mel spectrogram of the audio (80 mels, 25 ms window, 10 ms hop, dB relative to the
//           loudest bin, viridis), frequency axis in Hz at mel positions, with a dB color bar;
//   bottom: each class's posterior per frame as a line (one color per class, legend on the
//           right), detection events as shaded spans in the class's color, labelled
//           "<class> <score>", and marked by a bar along the spectrogram's top edge.
//
// Posteriors file contract (JSON lines, what `rwkvs stream` writes; read by read_posteriors()):
//   line 1:   {"type":"header","labels":["yes","no",...],"hop_s":0.01,"sample_rate":16000}
//             labels: K non-empty class names; hop_s > 0: seconds between frames; sample_rate:
//             optional, the rate the model heard.
//   then any number, in any mix, of
//             {"type":"frame","t":<seconds at the frame's end>,"p":[<K posteriors, one per label>]}
//             {"type":"event","label":"yes","start":<s>,"end":<s>,"score":<0..1>}
//   Frame times strictly increase. Every posterior is a finite number. An event's label is one of
//   the header's, end >= start. Lines of any other "type" (e.g. "summary") are ignored, as are
//   blank lines. Errors name the file and the line.
#include <string>
#include <vector>

#include "frontends/audio/audio.h"
#include "src/plot/axes.h"
#include "src/plot/posteriors_file.h"

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

// Where things ended up, for callers and tests that look at the pixels.
struct StreamFigureLayout {
  Rect spectrogram;               // data rectangle of the spectrogram panel
  Rect posteriors;                // data rectangle of the posterior panel
  Range time;                     // seconds across both panels' width
  Range mel_bins;                 // spectrogram y range in mel-bin units (bin b centred at b)
  Range posterior_y;              // posterior panel y range
  std::vector<Rgb> class_colors;  // [K]
  double event_alpha = 0;         // opacity of the event spans over the white panel
};

// Draws the figure to 'out_path' (.png or .svg). Error naming the path when it cannot be written.
StreamFigureLayout plot_stream_figure(const Audio& audio, const PosteriorTrack& track,
                                      const std::string& out_path, const StreamFigureOptions& options);

}  // namespace rwkvs
