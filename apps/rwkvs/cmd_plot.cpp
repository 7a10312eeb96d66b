// rwkvs plot: pictures where people would rather look than read. `plot train` draws the curves of
// a training log; `plot stream` draws a log-mel spectrogram of an audio file with what a streaming
// run said underneath (a keyword spotter's per-frame class posteriors and detections, or a CTC
// recogniser's transcript); `plot det` draws keyword recall against false alarms per hour from
// `rwkvs eval --json` outputs. PNG or SVG by --out's extension.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "apps/rwkvs/commands.h"
#include "base/error.h"
#include "frontends/audio/audio_file.h"
#include "src/plot/det_figure.h"
#include "src/plot/det_input.h"
#include "src/plot/stream_figure.h"
#include "src/plot/training_curves.h"
#include "src/plot/transcript_track.h"

namespace rwkvs::app {
namespace {

struct PlotTrainArgs {
  std::string log, out;
  int width = 1200, height = 800;
};

struct PlotStreamArgs {
  std::string audio, posteriors, out;
  int width = 1400, height = 800;
};

struct PlotDetArgs {
  std::vector<std::string> evals;
  std::string out, labels, which = "auto";
  int width = 1000, height = 750;
};

void require_picture_name(const std::string& out) {
  try {
    image_format_of(out);
  } catch (const Error&) {
    fail_usage("--out '", out, "': the picture format follows the extension, expected .png or .svg");
  }
}

void run_plot_train(const PlotTrainArgs& a) {
  require_picture_name(a.out);
  const TrainingHistory history = read_training_history(a.log);
  const std::vector<PanelPlacement> panels =
      plot_training_curves(history, a.out, {.width = a.width, .height = a.height, .title = a.log});
  std::string names;
  for (const PanelPlacement& p : panels) names += (names.empty() ? "" : ", ") + p.title;
  std::printf("wrote %s (%dx%d): %s\n", a.out.c_str(), a.width, a.height, names.c_str());
}

// --posteriors takes either kind of `rwkvs stream` output; its header says which.
void run_plot_stream(const PlotStreamArgs& a) {
  require_picture_name(a.out);
  StreamFigureOptions o;
  o.width = a.width;
  o.height = a.height;
  o.title = a.audio;
  if (stream_output_kind(a.posteriors) == StreamOutputKind::ctc) {
    const TranscriptTrack track = read_transcript(a.posteriors);
    const Audio audio = read_audio_file(a.audio);
    plot_stream_figure(audio, track, a.out, o);
    std::printf("wrote %s (%dx%d): %.2f s of audio, %zu segment%s, %lld word%s\n", a.out.c_str(), a.width,
                a.height, static_cast<double>(audio.samples.size()) / audio.sample_rate,
                track.segments.size(), track.segments.size() == 1 ? "" : "s",
                static_cast<long long>(track.words()), track.words() == 1 ? "" : "s");
    return;
  }
  const PosteriorTrack track = read_posteriors(a.posteriors);
  const Audio audio = read_audio_file(a.audio);
  plot_stream_figure(audio, track, a.out, o);
  std::printf("wrote %s (%dx%d): %.2f s of audio, %lld posterior frames, %zu detection(s)\n", a.out.c_str(),
              a.width, a.height, static_cast<double>(audio.samples.size()) / audio.sample_rate,
              static_cast<long long>(track.frames()), track.events.size());
}

// "a,b" -> {"a", "b"} (empty items kept, so a count mismatch is reported rather than hidden).
std::vector<std::string> split_labels(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t comma; (comma = s.find(',', start)) != std::string::npos; start = comma + 1)
    out.push_back(s.substr(start, comma - start));
  out.push_back(s.substr(start));
  return out;
}

void run_plot_det(const PlotDetArgs& a) {
  require_picture_name(a.out);
  std::vector<std::string> labels;
  if (!a.labels.empty()) {
    labels = split_labels(a.labels);
    if (labels.size() != a.evals.size())
      fail_usage("--labels '", a.labels, "' names ", labels.size(), " curve(s), but ", a.evals.size(),
                 " eval file(s) were given");
    for (const std::string& l : labels)
      if (l.empty()) fail_usage("--labels '", a.labels, "' has an empty label");
  }
  const DetSweepKind which = a.which == "stream"       ? DetSweepKind::stream
                             : a.which == "recordings" ? DetSweepKind::recordings
                                                       : DetSweepKind::automatic;
  std::vector<DetCurve> curves;
  std::vector<std::string> prefixes;          // [curves] the keys drawn
  std::vector<std::string> chose_recordings;  // the files where recordings_* won over stream_*
  for (size_t i = 0; i < a.evals.size(); ++i) {
    DetInput in = read_det_input(a.evals[i], which);
    if (!labels.empty()) in.curve.label = labels[i];
    if (which == DetSweepKind::automatic && in.has_other) chose_recordings.push_back(in.curve.label);
    prefixes.push_back(in.prefix);
    curves.push_back(std::move(in.curve));
  }
  DetFigureOptions o;
  o.width = a.width;
  o.height = a.height;
  if (!chose_recordings.empty()) {
    std::string who;
    if (chose_recordings.size() < curves.size())
      for (const std::string& l : chose_recordings) who.append(who.empty() ? " for " : ", ").append(l);
    o.title_note = "recordings_sweep drawn" + who;
  }
  const DetFigureLayout layout = plot_det_figure(curves, a.out, o);
  std::printf("wrote %s (%dx%d): %zu curve(s); no false alarm drawn at %g per hour\n", a.out.c_str(), a.width,
              a.height, curves.size(), layout.zero_floor);
  for (size_t i = 0; i < curves.size(); ++i) {
    const DetCurve& c = curves[i];
    std::printf("  %s (%ssweep): %zu points, ", c.label.c_str(), prefixes[i].c_str(), c.sweep.size());
    if (c.operating)
      std::printf("%.2f%% found at %g false alarms/h (threshold %g)\n", 100 * c.operating->recall,
                  c.operating->false_alarms_per_hour, c.operating->threshold);
    else
      std::printf("no operating point\n");
  }
  if (!chose_recordings.empty())
    std::printf(
        "  (a file with both sweeps draws recordings_sweep; --which stream draws its stream_sweep)\n");
}

}  // namespace

void add_plot_command(CLI::App& app) {
  CLI::App* plot = app.add_subcommand("plot", "Draw pictures (PNG or SVG, by the --out extension)");
  plot->require_subcommand(1);

  auto t = std::make_shared<PlotTrainArgs>();
  CLI::App* train = plot->add_subcommand(
      "train",
      "Training curves from a train_log.jsonl: loss (raw and smoothed), validation metrics and "
      "learning rate against step, loss against wall-clock time");
  train->option_defaults()->always_capture_default();
  train->add_option("LOG", t->log, "training log (JSON lines, as written by rwkvs train)")->required();
  train->add_option("--out,-o", t->out, "output picture: .png or .svg")->required();
  train->add_option("--width", t->width, "picture width in pixels")->check(CLI::Range(200, 16384));
  train->add_option("--height", t->height, "picture height in pixels")->check(CLI::Range(200, 16384));
  train->callback([t] { run_plot_train(*t); });

  auto s = std::make_shared<PlotStreamArgs>();
  CLI::App* stream = plot->add_subcommand(
      "stream",
      "Log-mel spectrogram of an audio file with, underneath, what rwkvs stream said about it: a "
      "keyword spotter's per-frame class posteriors and detection events, or a CTC recogniser's "
      "final segments and word timings (the file formats are in README.md, 'Pictures')");
  stream->option_defaults()->always_capture_default();
  stream->add_option("AUDIO", s->audio, "audio file (anything libsndfile reads)")->required();
  stream
      ->add_option("--posteriors", s->posteriors,
                   "rwkvs stream output (JSON lines), either kind: a keyword spotter's (header, frame, "
                   "event records) or a CTC recogniser's (header with \"task\":\"ctc\", final records "
                   "with words); the header says which")
      ->required();
  stream->add_option("--out,-o", s->out, "output picture: .png or .svg")->required();
  stream->add_option("--width", s->width, "picture width in pixels")->check(CLI::Range(200, 16384));
  stream->add_option("--height", s->height, "picture height in pixels")->check(CLI::Range(200, 16384));
  stream->callback([s] { run_plot_stream(*s); });

  auto d = std::make_shared<PlotDetArgs>();
  CLI::App* det = plot->add_subcommand(
      "det",
      "Keyword spotting: recall against false alarms per hour (log axis) over the detector-threshold "
      "sweep of rwkvs eval --json outputs, one line per file, with each operating point and target");
  det->option_defaults()->always_capture_default();
  det->add_option("EVAL", d->evals,
                  "rwkvs eval --json output(s): one JSON object, or JSON lines (the first with a sweep)")
      ->required();
  det->add_option("--out,-o", d->out, "output picture: .png or .svg")->required();
  det->add_option("--labels", d->labels, "legend names, comma-separated, one per EVAL (default: the paths)");
  det->add_option("--which", d->which,
                  "the sweep to draw: recordings_* (running speech), stream_*, or auto (recordings_* "
                  "when the file has both)")
      ->check(CLI::IsMember({"auto", "stream", "recordings"}));
  det->add_option("--width", d->width, "picture width in pixels")->check(CLI::Range(200, 16384));
  det->add_option("--height", d->height, "picture height in pixels")->check(CLI::Range(200, 16384));
  det->callback([d] { run_plot_det(*d); });
}

}  // namespace rwkvs::app
