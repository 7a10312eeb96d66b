// rwkvs plot: pictures where people would rather look than read. `plot train` draws the curves of
// a training log; `plot stream` draws a log-mel spectrogram of an audio file with the per-frame
// class posteriors and detections of a streaming run underneath. PNG or SVG by --out's extension.
#include <cstdio>
#include <memory>
#include <string>

#include "apps/rwkvs/commands.h"
#include "base/error.h"
#include "frontends/audio/audio_file.h"
#include "src/plot/stream_figure.h"
#include "src/plot/training_curves.h"

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

void run_plot_stream(const PlotStreamArgs& a) {
  require_picture_name(a.out);
  const PosteriorTrack track = read_posteriors(a.posteriors);
  const Audio audio = read_audio_file(a.audio);
  StreamFigureOptions o;
  o.width = a.width;
  o.height = a.height;
  o.title = a.audio;
  plot_stream_figure(audio, track, a.out, o);
  std::printf("wrote %s (%dx%d): %.2f s of audio, %lld posterior frames, %zu detection(s)\n", a.out.c_str(),
              a.width, a.height, static_cast<double>(audio.samples.size()) / audio.sample_rate,
              static_cast<long long>(track.frames()), track.events.size());
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
      "Log-mel spectrogram of an audio file with per-frame class posteriors and detection events "
      "(the posteriors file format is in README.md, 'Pictures')");
  stream->option_defaults()->always_capture_default();
  stream->add_option("AUDIO", s->audio, "audio file (anything libsndfile reads)")->required();
  stream
      ->add_option("--posteriors", s->posteriors,
                   "posteriors file (JSON lines: header, frame, event records)")
      ->required();
  stream->add_option("--out,-o", s->out, "output picture: .png or .svg")->required();
  stream->add_option("--width", s->width, "picture width in pixels")->check(CLI::Range(200, 16384));
  stream->add_option("--height", s->height, "picture height in pixels")->check(CLI::Range(200, 16384));
  stream->callback([s] { run_plot_stream(*s); });
}

}  // namespace rwkvs::app
