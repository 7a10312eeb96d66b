// Pictures: ticks and smoothing, the two JSON-lines readers and their errors, and both figures
// drawn to PNG and SVG from synthetic inputs and read back: PNG signature and size, well-formed
// SVG carrying the labels drawn, a spectrogram that shows a rising tone sweep, the loss curve
// falling, and the event span's color where the event is. Then `rwkvs plot` end to end. The DET
// figure: its reader (one object, JSON lines, stream_ against recordings_ keys, bad inputs), where
// "no false alarm" is drawn, the curves' colors where their points are, and `rwkvs plot det`.
#include <cmath>
#include <fstream>

#include "frontends/audio/audio_file.h"
#include "src/plot/axes.h"
#include "src/plot/det_figure.h"
#include "src/plot/det_input.h"
#include "src/plot/posteriors_file.h"
#include "src/plot/stream_figure.h"
#include "src/plot/training_curves.h"
#include "tests/picture_check.h"
#include "tests/wav_writer.h"

using namespace rwkvs;

namespace {

// 2 s at 16 kHz: a tone sweeping linearly from 300 Hz to 5 kHz.
std::string write_sweep(const std::string& dir) {
  const double sr = 16000, seconds = 2, f0 = 300, f1 = 5000;
  std::vector<float> s(static_cast<size_t>(sr * seconds));
  for (size_t i = 0; i < s.size(); ++i) {
    const double t = static_cast<double>(i) / sr;
    s[i] = static_cast<float>(0.5 * std::sin(2 * M_PI * (f0 * t + (f1 - f0) * t * t / (2 * seconds))));
  }
  const std::string path = dir + "/sweep.wav";
  test::write_wav(path, {}, s);
  return path;
}

// 200 frames: "yes" high over 0.8-1.2 s (an event there), "_silence_" high elsewhere.
std::string write_posteriors(const std::string& dir) {
  std::string s =
      "{\"type\":\"header\",\"labels\":[\"yes\",\"no\",\"_silence_\"],\"hop_s\":0.01,\"sample_rate\":16000}"
      "\n\n";
  for (int i = 0; i < 200; ++i) {
    const double t = (i + 1) * 0.01;
    const bool yes = t >= 0.8 && t <= 1.2;
    char line[160];
    std::snprintf(line, sizeof line, "{\"type\":\"frame\",\"t\":%.2f,\"p\":[%.2f,0.05,%.2f]}\n", t,
                  yes ? 0.9 : 0.05, yes ? 0.05 : 0.9);
    s += line;
  }
  s += "{\"type\":\"event\",\"label\":\"yes\",\"start\":0.8,\"end\":1.2,\"score\":0.91}\n";
  s += "{\"type\":\"summary\",\"rtf\":0.003}\n";
  const std::string path = dir + "/post.jsonl";
  test::write_text(path, s);
  return path;
}

// 300 steps of a falling loss with noise, warm-up + cosine lr, evaluations every 50 steps and the
// final line the trainer writes.
std::string write_train_log(const std::string& dir) {
  std::string s;
  for (int step = 1; step <= 300; ++step) {
    const double loss = 1 + 3 * std::exp(-step / 60.0) + 0.1 * std::sin(step * 1.7);
    const double lr =
        step <= 20 ? 6e-4 * step / 20 : 6e-4 * (0.55 + 0.45 * std::cos(M_PI * (step - 20) / 280));
    char line[256];
    std::snprintf(
        line, sizeof line,
        "{\"step\":%d,\"time\":%.3f,\"loss\":%.5f,\"lr\":%.3e,\"grad_norm\":1.5,\"tokens_per_s\":900", step,
        step * 0.25, loss, lr);
    s += line;
    if (step % 50 == 0) {
      std::snprintf(line, sizeof line,
                    ",\"val_loss\":%.4f,\"val_accuracy\":%.3f,\"val_count\":168,"
                    "\"val_per_class_accuracy\":{\"yes\":1.0,\"no\":null},\"val_confusion\":[[1,0],[0,1]]",
                    loss + 0.1, 1 - 0.5 * std::exp(-step / 80.0));
      s += line;
    }
    s += "}\n";
  }
  s += "{\"step\":300,\"time\":75.5,\"val_loss\":1.2,\"final\":true}\n";
  const std::string path = dir + "/train_log.jsonl";
  test::write_text(path, s);
  return path;
}

StreamFigureOptions figure_size(int width, int height, const std::string& title = "") {
  StreamFigureOptions o;
  o.width = width;
  o.height = height;
  o.title = title;
  return o;
}

// Mean y of the pixels within 'tol' of 'color' in columns [x0, x1) of 'r'; NaN if none.
double mean_y_of_color(const test::PngImage& img, const Rect& r, double x0, double x1, Rgb color,
                       double tol) {
  double sum = 0;
  int n = 0;
  for (int x = static_cast<int>(x0); x < static_cast<int>(x1); ++x)
    for (int y = static_cast<int>(r.y) + 2; y < static_cast<int>(r.bottom()) - 2; ++y)
      if (test::color_distance(img.at(x, y), color) < tol) {
        sum += y;
        ++n;
      }
  return n ? sum / n : NAN;
}

// The row (pixel y) whose pixels are brightest on average over columns [x0, x1) of 'r'.
double brightest_row(const test::PngImage& img, const Rect& r, double x0, double x1) {
  double best = -1, best_y = NAN;
  for (int y = static_cast<int>(r.y) + 2; y < static_cast<int>(r.bottom()) - 2; ++y) {
    double sum = 0;
    for (int x = static_cast<int>(x0); x < static_cast<int>(x1); ++x) sum += test::luminance(img.at(x, y));
    if (sum > best) {
      best = sum;
      best_y = y;
    }
  }
  return best_y;
}

}  // namespace

TEST_CASE("ticks are round numbers labelled with just the precision they need") {
  std::vector<std::string> labels;
  for (const Tick& t : nice_ticks({0, 557}, 6)) labels.push_back(t.label);
  CHECK(labels == std::vector<std::string>{"0", "100", "200", "300", "400", "500"});
  labels.clear();
  for (const Tick& t : nice_ticks({0, 2.1e-3}, 4)) labels.push_back(t.label);
  CHECK(labels == std::vector<std::string>{"0", "0.5e-3", "1.0e-3", "1.5e-3", "2.0e-3"});
  labels.clear();
  for (const Tick& t : nice_ticks({0.93, 2.41}, 7)) labels.push_back(t.label);
  CHECK(labels == std::vector<std::string>{"1.0", "1.2", "1.4", "1.6", "1.8", "2.0", "2.2", "2.4"});
  CHECK(format_tick(20000, 5000) == "20k");
  CHECK(format_tick(1.5e6, 5e5) == "1.5M");
  CHECK(format_tick(-0.25, 0.25) == "-0.25");
  CHECK(nice_ticks({1, 1}, 5).empty());
}

TEST_CASE("smoothing: bias-corrected moving average") {
  const std::vector<double> flat(50, 3.0);
  for (double v : smoothed(flat, 10)) CHECK(v == doctest::Approx(3.0));
  std::vector<double> step(200, 1.0);
  std::fill(step.begin() + 100, step.end(), 2.0);
  const std::vector<double> s = smoothed(step, 10);
  CHECK(s[0] == 1.0);  // not pulled toward zero
  CHECK(s[100] > 1.0);
  CHECK(s[100] < 1.5);                                  // lags behind a jump...
  CHECK(s[199] == doctest::Approx(2.0).epsilon(1e-6));  // ...and catches up
}

TEST_CASE("training history: series, validation metrics, resumed runs") {
  const std::string dir = test::temp_dir("plot_history");
  const std::string path = dir + "/log.jsonl";
  // A run to step 4, resumed from step 3 (its clock restarts); NaN loss written as null.
  test::write_text(path,
                   "{\"step\":1,\"time\":1.0,\"loss\":3.0,\"lr\":1e-4}\n"
                   "{\"step\":2,\"time\":2.0,\"loss\":null,\"lr\":2e-4,\"val_bpb\":2.5,\"val_acc\":[1,2]}\n"
                   "{\"step\":3,\"time\":3.0,\"loss\":2.0,\"lr\":3e-4}\n"
                   "{\"step\":4,\"time\":4.0,\"loss\":1.9,\"lr\":3e-4,\"val_bpb\":2.2}\n"
                   "\n"
                   "{\"step\":4,\"time\":0.5,\"loss\":1.8,\"lr\":3e-4}\n"
                   "{\"step\":5,\"time\":1.5,\"loss\":1.7,\"lr\":3e-4,\"val_bpb\":2.0}\n");
  const TrainingHistory h = read_training_history(path);
  CHECK(h.lines == 6);
  CHECK(h.loss.step == std::vector<double>{1, 3, 4, 5});
  CHECK(h.loss.value == std::vector<double>{3.0, 2.0, 1.8, 1.7});
  CHECK(h.loss.time == std::vector<double>{1.0, 3.0, 4.5, 5.5});  // resumed clock offset by 4 s
  REQUIRE(h.validation.size() == 1);                              // val_acc holds an array: not a metric
  CHECK(h.validation[0].name == "val_bpb");
  CHECK(h.validation[0].step == std::vector<double>{2, 5});  // the replayed step 4 replaced
  CHECK(h.lr.step == std::vector<double>{1, 2, 3, 4, 5});
}

TEST_CASE("training log errors name the file and line") {
  const std::string dir = test::temp_dir("plot_history_errors");
  const std::string path = dir + "/bad.jsonl";
  const std::string ok = "{\"step\":1,\"time\":0.1,\"loss\":2.0,\"lr\":1e-3}\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {ok + ok + "{\"step\":3,\"loss\":2.0\n", path + ":3: not a JSON object"},
      {ok + "{\"step\":2,\"loss\":\"high\"}\n", path + ":2: 'loss' is not a number"},
      {"{\"loss\":2.0}\n", path + ":1: no numeric 'step'"},
      {"[1,2]\n", path + ":1: not a JSON object"},
      {"{\"step\":1,\"grad_norm\":2.0}\n", "'" + path + "' has no records to plot"},
      {"", "'" + path + "' has no records to plot"},
  };
  for (const auto& [text, want] : cases) {
    CAPTURE(text);
    test::write_text(path, text);
    const std::string err = test::error_of([&] { read_training_history(path); });
    CHECK_MESSAGE(err.find(want) != std::string::npos, err);
  }
  CHECK(test::error_of([&] { read_training_history(dir + "/missing.jsonl"); }).find("missing.jsonl") !=
        std::string::npos);
}

TEST_CASE("posteriors file: frames, events, ignored records") {
  const std::string dir = test::temp_dir("plot_posteriors");
  const PosteriorTrack t = read_posteriors(write_posteriors(dir));
  CHECK(t.labels == std::vector<std::string>{"yes", "no", "_silence_"});
  CHECK(t.hop_s == 0.01);
  CHECK(t.sample_rate == 16000);
  CHECK(t.frames() == 200);
  REQUIRE(t.p.size() == 600);
  CHECK(t.p[3 * 99 + 0] == doctest::Approx(0.9));  // frame at t = 1.00 s: "yes"
  REQUIRE(t.events.size() == 1);
  CHECK(t.events[0].label_index == 0);
  CHECK(t.events[0].score == doctest::Approx(0.91));
}

TEST_CASE("posteriors file errors name the file and line") {
  const std::string dir = test::temp_dir("plot_posteriors_errors");
  const std::string path = dir + "/bad.jsonl";
  const std::string header = "{\"type\":\"header\",\"labels\":[\"yes\",\"no\",\"up\"],\"hop_s\":0.01}\n";
  const std::string frame = "{\"type\":\"frame\",\"t\":0.01,\"p\":[0.1,0.2,0.7]}\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {frame, ":1: the first record must be the header"},
      {header + frame + "{\"type\":\"frame\",\"t\":0.02,\"p\":[0.5,0.5]}\n",
       ":3: frame has 2 posteriors, the header has 3 labels"},
      {header + "{\"type\":\"frame\",\"t\":0.01,\"p\":[0.1,\"x\",0.7]}\n",
       ":2: posterior 1 ('no') is not a finite number"},
      {header + frame + frame, ":3: frame time 0.01 s does not come after"},
      {header + "{\"type\":\"frame\",\"t\":\"soon\",\"p\":[0.1,0.2,0.7]}\n", ":2: 't' is not a number"},
      {header + "{\"type\":\"frame\",\"p\":[0.1,0.2,0.7]}\n", ":2: missing 't'"},
      {header + "not json\n", ":2: not a JSON object"},
      {header + "{\"t\":0.01}\n", ":2: no string \"type\""},
      {header + header, ":2: a second header"},
      {"{\"type\":\"header\",\"labels\":[],\"hop_s\":0.01}\n", ":1: the header needs \"labels\""},
      {"{\"type\":\"header\",\"labels\":[\"a\"],\"hop_s\":0}\n", ":1: hop_s must be positive"},
      {header + "{\"type\":\"event\",\"label\":\"maybe\",\"start\":0,\"end\":1,\"score\":0.5}\n",
       ":2: event label 'maybe' is not one of the header's labels"},
      {header + "{\"type\":\"event\",\"label\":\"yes\",\"start\":1,\"end\":0.5,\"score\":0.5}\n",
       ":2: event ends"},
      {header + "{\"type\":\"event\",\"label\":\"yes\",\"start\":0,\"end\":0.5,\"score\":1.5}\n",
       ":2: event score 1.5"},
      {"\n\n", "is empty"},
  };
  for (const auto& [text, want] : cases) {
    CAPTURE(text);
    test::write_text(path, text);
    const std::string err = test::error_of([&] { read_posteriors(path); });
    CHECK_MESSAGE(err.find(want) != std::string::npos, err);
    CHECK_MESSAGE(err.find(path) != std::string::npos, err);
  }
}

TEST_CASE("training curves: PNG of the requested size with a falling loss, SVG with the labels") {
  const std::string dir = test::temp_dir("plot_train");
  const TrainingHistory h = read_training_history(write_train_log(dir));
  const std::vector<PanelPlacement> panels =
      plot_training_curves(h, dir + "/c.png", {.width = 1000, .height = 700, .title = ""});
  std::vector<std::string> titles;
  for (const PanelPlacement& p : panels) titles.push_back(p.title);
  CHECK(titles == std::vector<std::string>{"Loss", "Validation accuracy", "Learning rate",
                                           "Loss against wall-clock time"});  // val_loss joins the loss
                                                                              // panel; val_count is no metric

  CHECK(test::png_header_size(test::read_text(dir + "/c.png")) == std::pair{1000, 700});
  const test::PngImage img = test::read_png(dir + "/c.png");
  REQUIRE(img.width == 1000);
  REQUIRE(img.height == 700);
  // The smoothed loss (dark blue) sits high on the left of the time panel and low on the right.
  const Rect& area = panels[3].area;
  const Rgb smooth = rgb_hex(0x0b4f8a);
  const double left =
      mean_y_of_color(img, area, area.x + 0.05 * area.w, area.x + 0.25 * area.w, smooth, 0.12);
  const double right = mean_y_of_color(img, area, area.x + 0.75 * area.w, area.right() - 2, smooth, 0.12);
  REQUIRE(std::isfinite(left));
  REQUIRE(std::isfinite(right));
  CHECK(left < right - 0.3 * area.h);
  // The learning-rate line (green) rises during warm-up: higher (smaller y) at 40% than at 2%.
  const Rect& lr = panels[2].area;
  const Rgb green = rgb_hex(0x2ca02c);
  CHECK(mean_y_of_color(img, lr, lr.x + 0.38 * lr.w, lr.x + 0.42 * lr.w, green, 0.12) <
        mean_y_of_color(img, lr, lr.x + 1, lr.x + 0.02 * lr.w, green, 0.12));

  plot_training_curves(h, dir + "/c.svg", {.width = 1000, .height = 700, .title = "synthetic"});
  const test::SvgDocument svg = test::read_svg(dir + "/c.svg");
  INFO(svg.error);
  REQUIRE(svg.well_formed);
  CHECK(svg.root == "svg");
  CHECK(svg.width == "1000px");
  CHECK(svg.height == "700px");
  for (const char* label :
       {"Training curves — synthetic", "Loss", "step", "loss", "train (raw)", "train (smoothed)",
        "validation", "val_accuracy", "learning rate", "wall-clock time (s)"}) {
    CAPTURE(label);
    CHECK(svg.has_text(label));
  }
}

TEST_CASE("stream figure: a rising sweep in the spectrogram, posteriors and the event span") {
  const std::string dir = test::temp_dir("plot_stream");
  const Audio audio = read_audio_file(write_sweep(dir));
  const PosteriorTrack track = read_posteriors(write_posteriors(dir));
  const StreamFigureLayout L = plot_stream_figure(audio, track, dir + "/s.png", figure_size(1100, 640));

  CHECK(test::png_header_size(test::read_text(dir + "/s.png")) == std::pair{1100, 640});
  const test::PngImage img = test::read_png(dir + "/s.png");
  REQUIRE(img.width == 1100);
  const Rect& sp = L.spectrogram;
  auto x_at = [&](const Rect& r, double t) { return r.x + (t - L.time.lo) / L.time.span() * r.w; };

  // Not uniform: the luminance varies across the spectrogram.
  double sum = 0, sum2 = 0, n = 0;
  for (int y = static_cast<int>(sp.y) + 8; y < static_cast<int>(sp.bottom()) - 2; ++y)
    for (int x = static_cast<int>(sp.x) + 2; x < static_cast<int>(sp.right()) - 2; ++x) {
      const double l = test::luminance(img.at(x, y));
      sum += l;
      sum2 += l * l;
      ++n;
    }
  CHECK(sum2 / n - (sum / n) * (sum / n) > 0.002);

  // The sweep rises: the brightest row moves up (smaller y) from 0.3 s (~1 kHz) to 1.7 s (~4.3 kHz).
  const double early = brightest_row(img, sp, x_at(sp, 0.28), x_at(sp, 0.32));
  const double late = brightest_row(img, sp, x_at(sp, 1.68), x_at(sp, 1.72));
  CHECK(late < early - 0.25 * sp.h);
  const double mid = brightest_row(img, sp, x_at(sp, 0.98), x_at(sp, 1.02));
  CHECK(mid < early);
  CHECK(mid > late);

  // The event span: "yes"'s color over the white panel, at the event's time, between the curves.
  const Rect& pp = L.posteriors;
  const double y06 = pp.bottom() - (0.6 - L.posterior_y.lo) / L.posterior_y.span() * pp.h;
  const Rgb span = blend(kWhite, L.class_colors[0], L.event_alpha);
  CHECK(test::color_distance(img.at(x_at(pp, 1.07), y06), span) < 3.0 / 255);
  CHECK(test::color_distance(img.at(x_at(pp, 0.43), y06), kWhite) < 3.0 / 255);  // no event there
  // The "yes" curve is drawn at 0.9 inside the event.
  const double y09 = pp.bottom() - (0.9 - L.posterior_y.lo) / L.posterior_y.span() * pp.h;
  double nearest = 1;
  for (double dy = -3; dy <= 3; ++dy)
    nearest = std::min(nearest, test::color_distance(img.at(x_at(pp, 1.07), y09 + dy), L.class_colors[0]));
  CHECK(nearest < 0.5 * test::color_distance(span, L.class_colors[0]));

  // Audio shorter than half a window still draws (zero padding instead of reflection).
  Audio blip;
  blip.sample_rate = 16000;
  blip.samples.assign(50, 0.25f);
  CHECK_NOTHROW(plot_stream_figure(blip, track, dir + "/short.png", figure_size(400, 300)));

  plot_stream_figure(audio, track, dir + "/s.svg", figure_size(1100, 640, "sweep"));
  const test::SvgDocument svg = test::read_svg(dir + "/s.svg");
  INFO(svg.error);
  REQUIRE(svg.well_formed);
  CHECK(svg.width == "1100px");
  for (const char* label : {"sweep", "time (s)", "posterior", "frequency (Hz, mel scale)",
                            "Log-mel spectrogram", "yes", "no", "_silence_", "yes 0.91", "1k", "0 dB"}) {
    CAPTURE(label);
    CHECK(svg.has_text(label));
  }
}

TEST_CASE("rwkvs plot: both figures through the CLI, --help defaults, errors and exit codes") {
  const std::string dir = test::temp_dir("plot_cli");
  const std::string log = write_train_log(dir), wav = write_sweep(dir), post = write_posteriors(dir);
  std::string out;
  REQUIRE(
      test::run(test::cli() + " plot train '" + log + "' --out '" + dir + "/c.png' --width 640 --height 480",
                &out) == 0);
  CHECK(out.find("wrote") != std::string::npos);
  CHECK(test::png_header_size(test::read_text(dir + "/c.png")) == std::pair{640, 480});
  REQUIRE(test::run(test::cli() + " plot stream '" + wav + "' --posteriors '" + post + "' --out '" + dir +
                        "/s.SVG'",
                    &out) == 0);
  CHECK(test::read_svg(dir + "/s.SVG").well_formed);

  REQUIRE(test::run(test::cli() + " plot train --help", &out) == 0);
  CHECK(out.find("1200") != std::string::npos);
  REQUIRE(test::run(test::cli() + " plot stream --help", &out) == 0);
  CHECK(out.find("1400") != std::string::npos);

  // Usage errors exit 2, bad files 1; each a one-line "error:" naming the flag or file.
  CHECK(test::run(test::cli() + " plot train '" + log + "' --out '" + dir + "/c.jpg'", &out) == 2);
  CHECK(out.find("error: --out") != std::string::npos);
  CHECK(test::run(test::cli() + " plot train '" + log + "' --out '" + dir + "/c.png' --width 5", &out) == 2);
  CHECK(test::run(test::cli() + " plot", &out) == 2);
  CHECK(test::run(test::cli() + " plot stream '" + dir + "/none.wav' --posteriors '" + post + "' --out '" +
                      dir + "/x.png'",
                  &out) == 1);
  CHECK(out.find("none.wav") != std::string::npos);
  test::write_text(dir + "/bad.jsonl",
                   "{\"type\":\"header\",\"labels\":[\"a\"],\"hop_s\":0.01}\n{\"type\":\"frame\"}\n");
  CHECK(test::run(test::cli() + " plot stream '" + wav + "' --posteriors '" + dir + "/bad.jsonl' --out '" +
                      dir + "/x.png'",
                  &out) == 1);
  CHECK(out.find("bad.jsonl:2:") != std::string::npos);
  CHECK(out.rfind("error:", 0) == 0);
  CHECK(!std::ifstream(dir + "/x.png").good());  // nothing written on error
}

namespace {

// A hand-made sweep over 1.5 h of audio with 200 keywords said: 27, 9, 3, 1 and 0 false alarms
// (18, 6, 2, 0.667 and 0 per hour) as the threshold rises, recall falling from 98% to 70%.
std::string det_sweep_json() {
  return "[{\"threshold\":0.5,\"found\":196,\"recall\":0.98,\"false_alarms\":27,\"false_alarms_per_hour\":18},"
         "{\"threshold\":0.7,\"found\":190,\"recall\":0.95,\"false_alarms\":9,\"false_alarms_per_hour\":6},"
         "{\"threshold\":0.9,\"found\":180,\"recall\":0.9,\"false_alarms\":3,\"false_alarms_per_hour\":2},"
         "{\"threshold\":0.95,\"found\":170,\"recall\":0.85,\"false_alarms\":1,\"false_alarms_per_hour\":0.6666667},"
         "{\"threshold\":0.99,\"found\":140,\"recall\":0.7,\"false_alarms\":0,\"false_alarms_per_hour\":0}]";
}

// The keys `rwkvs eval --json` writes for one sweep, under 'prefix' (stream_ or recordings_).
std::string det_keys(const std::string& prefix, const std::string& sweep, bool target) {
  return "\"" + prefix + "audio_s\":5400,\"" + prefix + "keyword_clips\":200,\"" + prefix + "found\":180,\"" + prefix +
         "recall\":0.9,\"" + prefix + "false_alarms\":3,\"" + prefix + "false_alarms_per_hour\":2,\"" + prefix +
         "per_class_recall\":{\"yes\":0.92,\"no\":0.88},\"" + prefix + "threshold\":0.9," +
         (target ? "\"" + prefix + "target_fa_per_hour\":1,\"" + prefix + "target_met\":false," : std::string()) +
         "\"" + prefix + "sweep\":" + sweep;
}

// The second sweep of the two-file tests: fewer false alarms at every recall.
std::string det_better_sweep_json() {
  return "[{\"threshold\":0.5,\"recall\":0.99,\"false_alarms_per_hour\":4},"
         "{\"threshold\":0.8,\"recall\":0.97,\"false_alarms_per_hour\":0.6666667},"
         "{\"threshold\":0.95,\"recall\":0.93,\"false_alarms_per_hour\":0}]";
}

DetCurve det_curve(const std::string& label) {
  DetCurve c;
  c.label = label;
  c.sweep = {{0.5, 0.98, 18}, {0.7, 0.95, 6}, {0.9, 0.9, 2}, {0.95, 0.85, 2.0 / 3}, {0.99, 0.7, 0}};
  c.operating = DetPoint{0.9, 0.9, 2};
  c.target_fa_per_hour = 1;
  c.audio_s = 5400;
  c.keywords = 200;
  c.keyword_names = {"yes", "no"};
  c.audio_kind = "running speech";
  return c;
}

DetFigureOptions det_options(int width, int height, std::vector<std::string> notes = {}) {
  DetFigureOptions o;
  o.width = width;
  o.height = height;
  o.notes = std::move(notes);
  return o;
}

// Pixels within 'tol' of 'color' in the box of half-size 'r' around 'p'.
int color_pixels_near(const test::PngImage& img, Point p, int r, Rgb color, double tol) {
  int n = 0;
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx)
      if (test::color_distance(img.at(p.x + dx, p.y + dy), color) < tol) ++n;
  return n;
}

// Pixels within 'tol' of 'color' in pixel column x over the height of 'area'.
int color_pixels_in_column(const test::PngImage& img, const Rect& area, double x, Rgb color, double tol) {
  int n = 0;
  for (int y = static_cast<int>(area.y) + 2; y < static_cast<int>(area.bottom()) - 2; ++y)
    if (test::color_distance(img.at(x, y), color) < tol) ++n;
  return n;
}

}  // namespace

TEST_CASE("det input: one object or JSON lines, recordings_ over stream_, --which") {
  const std::string dir = test::temp_dir("plot_det_input");
  // Both a split's clips (stream_*) and recordings (recordings_*), pretty-printed over lines.
  const std::string both = dir + "/both.json";
  test::write_text(both, "{\n  \"split\": \"test\", \"model\": \"m.safetensors\",\n  " +
                             det_keys("stream_", det_better_sweep_json(), false) + ",\n  " +
                             det_keys("recordings_", det_sweep_json(), true) + "\n}\n");
  const DetInput r = read_det_input(both);
  CHECK(r.prefix == "recordings_");
  CHECK(r.has_other);
  CHECK(r.line == 0);
  CHECK(r.curve.label == both);
  REQUIRE(r.curve.sweep.size() == 5);
  CHECK(r.curve.sweep[3].threshold == 0.95);
  CHECK(r.curve.sweep[3].recall == 0.85);
  CHECK(r.curve.sweep[3].false_alarms_per_hour == doctest::Approx(2.0 / 3));
  REQUIRE(r.curve.operating.has_value());
  CHECK(r.curve.operating->threshold == 0.9);
  CHECK(r.curve.operating->recall == 0.9);
  CHECK(r.curve.operating->false_alarms_per_hour == 2);
  CHECK(r.curve.target_fa_per_hour == 1);
  CHECK(r.curve.audio_s == 5400);
  CHECK(r.curve.keywords == 200);
  CHECK(r.curve.keyword_names == std::vector<std::string>{"no", "yes"});
  CHECK(r.curve.audio_kind == "running speech");

  const DetInput s = read_det_input(both, DetSweepKind::stream);
  CHECK(s.prefix == "stream_");
  CHECK(s.curve.sweep.size() == 3);
  CHECK(s.curve.target_fa_per_hour == 0);
  CHECK(s.curve.audio_kind == "clips back to back");  // stream_ of a dataset split

  // JSON lines: the first object with a sweep is taken, blank lines and others skipped.
  const std::string lines = dir + "/runs.jsonl";
  test::write_text(lines, "{\"accuracy\":0.9}\n\n{\"streams\":\"r.jsonl\"," +
                              det_keys("stream_", det_sweep_json(), false) + "}\n{\"streams\":\"x\"," +
                              det_keys("stream_", det_better_sweep_json(), false) + "}\n");
  const DetInput l = read_det_input(lines);
  CHECK(l.prefix == "stream_");
  CHECK(!l.has_other);
  CHECK(l.line == 3);
  CHECK(l.curve.sweep.size() == 5);
  CHECK(l.curve.audio_kind == "running speech");  // stream_ of recordings alone

  // A sweep alone: no operating point, nothing known about the audio.
  const std::string bare = dir + "/bare.json";
  test::write_text(bare, "{\"stream_sweep\":" + det_better_sweep_json() + "}");
  const DetInput b = read_det_input(bare);
  CHECK(!b.curve.operating);
  CHECK(b.curve.audio_s == 0);
  CHECK(b.curve.keywords == -1);
  CHECK(b.curve.audio_kind.empty());
}

TEST_CASE("det input errors name the file") {
  const std::string dir = test::temp_dir("plot_det_errors");
  const std::string path = dir + "/bad.json";
  const std::string point = "{\"threshold\":0.5,\"recall\":0.9,\"false_alarms_per_hour\":3}";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "eval file '" + path + "' is empty"},
      {"{\"accuracy\":0.9}", "'" + path + "' has no 'stream_sweep' or 'recordings_sweep'"},
      {"{\"accuracy\":0.9}\n{\"loss\":1}\n", "'" + path + "': no line has 'stream_sweep' or 'recordings_sweep'"},
      {"{\"stream_sweep\":[" + point + "]\n", path + ":1: not a JSON object"},
      {"{\"a\":1}\nnot json\n", path + ":2: not a JSON object"},
      {"[1,2]", "'" + path + "' holds JSON that is not an object"},
      {"{\"stream_sweep\":3}", path + ": 'stream_sweep' is not a non-empty array"},
      {"{\"stream_sweep\":[]}", path + ": 'stream_sweep' is not a non-empty array"},
      {"{\"stream_sweep\":[" + point + ",7]}", path + ": stream_sweep[1]: not an object"},
      {"{\"stream_sweep\":[{\"threshold\":0.5,\"recall\":\"high\",\"false_alarms_per_hour\":3}]}",
       path + ": stream_sweep[0]: 'recall' is not a number (\"high\")"},
      {"{\"stream_sweep\":[{\"threshold\":0.5,\"recall\":null,\"false_alarms_per_hour\":3}]}",
       path + ": stream_sweep[0]: 'recall' is not a number (null)"},
      {"{\"stream_sweep\":[{\"threshold\":0.5,\"recall\":0.9}]}",
       path + ": stream_sweep[0]: missing 'false_alarms_per_hour'"},
      {"{\"stream_sweep\":[{\"threshold\":0.5,\"recall\":1.5,\"false_alarms_per_hour\":3}]}",
       path + ": stream_sweep[0]: recall 1.5 is outside [0, 1]"},
      {"{\"stream_sweep\":[{\"threshold\":0.5,\"recall\":0.5,\"false_alarms_per_hour\":-1}]}",
       path + ": stream_sweep[0]: false_alarms_per_hour -1 is negative"},
      {"{\"stream_sweep\":[{\"threshold\":0.5,\"recall\":0.5,\"false_alarms_per_hour\":1,\"found\":\"x\"}]}",
       path + ": stream_sweep[0]: 'found' is not a number"},
      {"{\"stream_threshold\":0.5,\"stream_sweep\":[" + point + "]}",
       path + ": the operating point needs 'stream_threshold', 'stream_recall' and 'stream_false_alarms_per_hour'"},
      {"{\"stream_recall\":\"0.9\",\"stream_sweep\":[" + point + "]}", path + ": 'stream_recall' is not a number"},
      {"{\"stream_audio_s\":[1],\"stream_sweep\":[" + point + "]}", path + ": 'stream_audio_s' is not a number"},
  };
  for (const auto& [text, want] : cases) {
    CAPTURE(text);
    test::write_text(path, text);
    const std::string err = test::error_of([&] { read_det_input(path); });
    CHECK_MESSAGE(err.find(want) != std::string::npos, err);
  }
  test::write_text(path, "{\"stream_sweep\":[" + point + "]}");
  CHECK(test::error_of([&] { read_det_input(path, DetSweepKind::recordings); })
            .find("'" + path + "' has no 'recordings_sweep'") != std::string::npos);
  CHECK(test::error_of([&] { read_det_input(dir + "/missing.json"); })
            .find("cannot open eval file '" + dir + "/missing.json'") != std::string::npos);
}

TEST_CASE("det figure: no false alarm sits a decade below the finest rate the audio resolves") {
  DetCurve c = det_curve("a");
  CHECK(det_zero_floor({c}) == doctest::Approx(0.01));  // 1.5 h: one false alarm is 0.667/h
  c.audio_s = 3600;
  c.sweep = {{0.5, 0.9, 3}, {0.9, 0.5, 0}};
  c.operating.reset();
  c.target_fa_per_hour = 0;
  CHECK(det_zero_floor({c}) == doctest::Approx(0.1));  // 1 h: one false alarm is 1/h
  DetCurve longer = c;
  longer.audio_s = 100 * 3600;
  CHECK(det_zero_floor({c, longer}) == doctest::Approx(0.001));  // the finer of the two
  c.audio_s = 0;  // unknown audio: the smallest rate in the sweep decides
  CHECK(det_zero_floor({c}) == doctest::Approx(0.1));
  c.sweep = {{0.5, 0.9, 0}};
  CHECK(det_zero_floor({c}) == doctest::Approx(0.1));  // nothing to go by: as if 1/h
}

TEST_CASE("det figure: curves where their points are, the operating dot, the target line; SVG labels") {
  const std::string dir = test::temp_dir("plot_det_figure");
  DetCurve better = det_curve("better");
  better.sweep = {{0.5, 0.99, 4}, {0.8, 0.97, 2.0 / 3}, {0.95, 0.93, 0}};
  better.operating = DetPoint{0.95, 0.93, 0};
  better.target_fa_per_hour = 0;
  const std::vector<DetCurve> curves = {det_curve("baseline"), better};
  const DetFigureLayout L = plot_det_figure(curves, dir + "/det.png", det_options(900, 650));
  CHECK(test::png_header_size(test::read_text(dir + "/det.png")) == std::pair{900, 650});
  const test::PngImage img = test::read_png(dir + "/det.png");
  REQUIRE(img.width == 900);
  REQUIRE(L.colors.size() == 2);
  CHECK(L.zero_floor == doctest::Approx(0.01));
  CHECK(L.x.lo < -2);                    // "0" (at log10 0.01) inside the axis...
  CHECK(L.x.hi > 2);                     // ...up to 100/h, the decade above 18/h
  CHECK(L.x.hi < 2.5);
  CHECK(L.y.lo < 70);                    // the lowest recall, 70%, is on the panel
  CHECK(L.y.hi > 100);

  const double tol = 0.1;
  // Operating points: a dot of the curve's color centred on the point (2/h at 90%; 0 at 93%).
  CHECK(test::color_distance(img.at(L.at(2, 0.9).x, L.at(2, 0.9).y), L.colors[0]) < tol);
  CHECK(test::color_distance(img.at(L.at(0, 0.93).x, L.at(0, 0.93).y), L.colors[1]) < tol);
  // Sweep points and the line between them: 0 false alarms at 70% sits at the floor's column;
  // the segment from 0.667/h at 85% to 2/h at 90% passes through its log-midpoint.
  CHECK(color_pixels_near(img, L.at(0, 0.7), 2, L.colors[0], tol) > 4);
  CHECK(color_pixels_near(img, L.at(std::sqrt(2.0 / 3 * 2), 0.875), 2, L.colors[0], tol) > 2);
  CHECK(color_pixels_near(img, L.at(std::sqrt(4 * 2.0 / 3), 0.98), 2, L.colors[1], tol) > 2);
  // Nothing at 50/h (beyond both curves) in the middle of the panel, nor the other curve's color
  // around the first curve's points.
  CHECK(color_pixels_near(img, L.at(50, 0.85), 4, L.colors[0], tol) == 0);
  CHECK(color_pixels_near(img, L.at(50, 0.85), 4, L.colors[1], tol) == 0);
  CHECK(color_pixels_near(img, L.at(6, 0.95), 2, L.colors[1], tol) == 0);
  // The target (1/h, the first curve's) is a dashed vertical of its color; 30/h has none.
  const double x_target = L.at(1, 0.5).x;
  const int dashed = color_pixels_in_column(img, L.area, x_target, L.colors[0], tol);
  CHECK(dashed > 0.3 * L.area.h);
  CHECK(dashed < 0.9 * L.area.h);  // dashes, not a solid line
  CHECK(color_pixels_in_column(img, L.area, L.at(30, 0.5).x, L.colors[0], tol) == 0);
  // The "no false alarm" column is shaded, the decades are not.
  const double y_mid = L.area.y + 0.75 * L.area.h;
  CHECK(test::color_distance(img.at(L.area.x + 3, y_mid), blend(kWhite, kGrid, 0.35)) < 3.0 / 255);
  CHECK(test::color_distance(img.at(L.at(0.05, 0.5).x, y_mid), kWhite) < 3.0 / 255);

  plot_det_figure(curves, dir + "/det.svg", det_options(900, 650, {"a note"}));
  const test::SvgDocument svg = test::read_svg(dir + "/det.svg");
  INFO(svg.error);
  REQUIRE(svg.well_formed);
  CHECK(svg.width == "900px");
  for (const char* label :
       {"Keyword spotting in 1.5 h of running speech, 200 keywords said", "baseline", "better", "threshold 0.9",
        "threshold 0.95", "target 1/h", "0", "0.1", "1", "10", "100", "false alarms per hour (log scale; 0 = no false alarm)",
        "recall (keywords found, %)", "70", "100"}) {
    CAPTURE(label);
    CHECK(svg.has_text(label));
  }
  // The lines under the title: each operating point, the notes, the keywords.
  std::string header;
  for (const std::string& t : svg.texts) header += t + "\n";
  for (const char* item : {"baseline: 90.0% found at 2 false alarms/h (threshold 0.9), target 1/h",
                           "better: 93.0% found at 0 false alarms/h (threshold 0.95)", "a note", "keywords: yes, no"}) {
    CAPTURE(item);
    CHECK(header.find(item) != std::string::npos);
  }

  // Long names wrap the summary onto more lines rather than cutting the second curve off, and
  // a target both curves share is one gray dashed line.
  DetCurve long_a = det_curve("runs/keyword_spotting_large_model_with_reverb/eval_test_recordings.json");
  DetCurve long_b = det_curve("runs/keyword_spotting_small_model_no_augment/eval_test_recordings.json");
  long_b.operating = DetPoint{0.7, 0.95, 6};
  const DetFigureLayout W = plot_det_figure({long_a, long_b}, dir + "/wrap.svg", det_options(700, 500, {"a note"}));
  std::string wrapped;
  int summary_lines = 0;
  for (const std::string& t : test::read_svg(dir + "/wrap.svg").texts) {
    wrapped += t + "\n";
    summary_lines += t.rfind("runs/keyword_spotting_", 0) == 0 || t.rfind("a note", 0) == 0 || t.rfind("keywords:", 0) == 0;
  }
  CHECK(summary_lines >= 2);
  CHECK(wrapped.find(long_b.label + ": 95.0% found at 6 false alarms/h (threshold 0.7)") != std::string::npos);
  CHECK(wrapped.find("a note") != std::string::npos);
  const DetFigureLayout one_line = plot_det_figure({det_curve("a")}, dir + "/one.svg", det_options(700, 500));
  CHECK(W.area.y > one_line.area.y);  // the panel starts lower to make room
  const DetFigureLayout S = plot_det_figure({long_a, long_b}, dir + "/shared.png", det_options(900, 650));
  const test::PngImage shared = test::read_png(dir + "/shared.png");
  int gray = 0, colored = 0;  // the line may fall between two pixel columns: look at both
  for (int dx = -1; dx <= 1; ++dx) {
    const double x = S.at(1, 0.5).x + dx;
    gray = std::max(gray, color_pixels_in_column(shared, S.area, x, kSubtleInk, 0.15));
    for (const Rgb& c : S.colors) colored = std::max(colored, color_pixels_in_column(shared, S.area, x, c, 0.15));
  }
  CHECK(gray > 0.3 * S.area.h);
  CHECK(colored < 0.05 * S.area.h);

  // Evaluations of different audio: the title says how many, the line under it what each measured.
  DetCurve other = det_curve("short");
  other.audio_s = 600;
  other.keywords = 20;
  plot_det_figure({curves[0], other}, dir + "/two.svg", DetFigureOptions{});
  const test::SvgDocument two = test::read_svg(dir + "/two.svg");
  CHECK(two.has_text("Keyword spotting: 2 evaluations"));

  CHECK(test::error_of([&] { plot_det_figure({}, dir + "/none.png", {}); }).find("no curves") != std::string::npos);
  DetCurve empty = det_curve("empty");
  empty.sweep.clear();
  CHECK(test::error_of([&] { plot_det_figure({empty}, dir + "/none.png", {}); }).find("'empty' has no sweep points") !=
        std::string::npos);
  CHECK(!std::ifstream(dir + "/none.png").good());
}

TEST_CASE("rwkvs plot det: hand-made eval outputs through the CLI, errors and exit codes") {
  const std::string dir = test::temp_dir("plot_det_cli");
  const std::string a = dir + "/a.json", b = dir + "/b.jsonl";
  test::write_text(a, "{\"split\":\"test\"," + det_keys("stream_", det_better_sweep_json(), false) + "," +
                          det_keys("recordings_", det_sweep_json(), true) + "}\n");
  test::write_text(b, "{\"note\":\"no sweep here\"}\n{\"streams\":\"rec.jsonl\"," +
                          det_keys("stream_", det_better_sweep_json(), false) + "}\n");
  std::string out;
  REQUIRE(test::run(test::cli() + " plot det '" + a + "' '" + b + "' --out '" + dir + "/det.png' --width 800 --height 600",
                    &out) == 0);
  CHECK(out.find("wrote") != std::string::npos);
  CHECK(out.find("2 curve(s)") != std::string::npos);
  CHECK(out.find("90.00% found at 2 false alarms/h (threshold 0.9)") != std::string::npos);  // a: recordings_
  CHECK(test::png_header_size(test::read_text(dir + "/det.png")) == std::pair{800, 600});

  REQUIRE(test::run(test::cli() + " plot det '" + a + "' '" + b + "' --labels 'rec,clips' --which stream --out '" + dir +
                        "/det.svg'",
                    &out) == 0);
  const test::SvgDocument svg = test::read_svg(dir + "/det.svg");
  INFO(svg.error);
  REQUIRE(svg.well_formed);
  CHECK(svg.has_text("rec"));
  CHECK(svg.has_text("clips"));
  CHECK(svg.has_text("Keyword spotting: 2 evaluations"));  // clips back to back vs running speech
  CHECK(!svg.has_text("target 1/h"));                      // --which stream: a's clips had no target

  REQUIRE(test::run(test::cli() + " plot det '" + a + "' --out '" + dir + "/a.svg'", &out) == 0);
  CHECK(out.find("(recordings_sweep): 5 points") != std::string::npos);
  bool note = false;  // the title says which of a's two sweeps is drawn
  for (const std::string& t : test::read_svg(dir + "/a.svg").texts)
    note = note || t == "Keyword spotting in 1.5 h of running speech, 200 keywords said · recordings_sweep drawn";
  CHECK(note);

  REQUIRE(test::run(test::cli() + " plot det --help", &out) == 0);
  CHECK(out.find("1000") != std::string::npos);

  // Usage errors exit 2, bad files 1; each a one-line "error:" naming the flag or the file, and
  // nothing written.
  const std::string x = " --out '" + dir + "/x.png'";
  CHECK(test::run(test::cli() + " plot det '" + a + "' --out '" + dir + "/x.jpg'", &out) == 2);
  CHECK(out.find("error: --out") != std::string::npos);
  CHECK(test::run(test::cli() + " plot det '" + a + "' '" + b + "' --labels one" + x, &out) == 2);
  CHECK(out.find("--labels 'one' names 1 curve(s), but 2 eval file(s)") != std::string::npos);
  CHECK(test::run(test::cli() + " plot det '" + a + "' --which clips" + x, &out) == 2);
  CHECK(test::run(test::cli() + " plot det" + x, &out) == 2);
  CHECK(test::run(test::cli() + " plot det '" + a + "' '" + dir + "/none.json'" + x, &out) == 1);
  CHECK(out.rfind("error: cannot open eval file '" + dir + "/none.json'", 0) == 0);
  CHECK(test::run(test::cli() + " plot det '" + b + "' --which recordings" + x, &out) == 1);
  CHECK(out.rfind("error: eval file '" + b + "': no line has 'recordings_sweep'", 0) == 0);
  test::write_text(dir + "/bad.json", "{\"stream_sweep\":[{\"threshold\":0.5,\"recall\":\"x\",\"false_alarms_per_hour\":1}]}");
  CHECK(test::run(test::cli() + " plot det '" + dir + "/bad.json'" + x, &out) == 1);
  CHECK(out.rfind("error: " + dir + "/bad.json: stream_sweep[0]: 'recall' is not a number", 0) == 0);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  test::write_text(dir + "/broken.json", "{\"stream_sweep\":[\n");
  CHECK(test::run(test::cli() + " plot det '" + dir + "/broken.json'" + x, &out) == 1);
  CHECK(out.find("broken.json:1: not a JSON object") != std::string::npos);
  CHECK(!std::ifstream(dir + "/x.png").good());
}
