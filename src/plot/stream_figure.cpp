#include "src/plot/stream_figure.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/error.h"
#include "frontends/audio/melspec.h"

namespace rwkvs {

namespace {

// The log-mel spectrogram as drawn: dB values [cols, n_mels], each column the maximum over
// 'frames_per_col' consecutive frames so long audio still fits the panel without aliasing.
struct DisplaySpectrogram {
  int cols = 0, mels = 0;
  int64_t frames_per_col = 1;
  double hop_s = 0;  // seconds between frames (the hop in whole samples)
  double f_min = 0, f_max = 0;
  std::vector<float> db;  // [cols, mels]
};

DisplaySpectrogram display_log_mel(const Audio& audio, const StreamFigureOptions& o, double panel_width) {
  const double sr = audio.sample_rate;
  MelSpectrogramOptions m;
  m.sample_rate = sr;
  m.win_length = std::max(2, static_cast<int>(std::lround(o.window_s * sr)));
  m.hop_length = std::max(1, static_cast<int>(std::lround(o.hop_s * sr)));
  m.n_fft = 1;
  while (m.n_fft < m.win_length) m.n_fft *= 2;  // the window zero-padded to a power of two
  m.n_mels = o.n_mels;
  m.log = LogKind::db;
  // Reflect padding (torchaudio's) keeps the first and last frames free of the broadband click a
  // cut to zeros would draw; audio shorter than half a window can only be zero-padded.
  m.pad_mode =
      static_cast<int64_t>(audio.samples.size()) > m.n_fft / 2 ? EdgeMode::reflect : EdgeMode::constant;
  const MelSpectrogram mel(m);
  const FeatureMatrix f =
      compute_features(mel, audio.samples.data(), static_cast<int64_t>(audio.samples.size()));
  RWKVS_CHECK(f.rows > 0, "no spectrogram frames in ", audio.samples.size(), " samples");

  DisplaySpectrogram d;
  d.mels = o.n_mels;
  d.hop_s = m.hop_length / sr;
  d.f_min = mel.options().f_min;
  d.f_max = mel.options().f_max;
  const int64_t max_cols = std::max<int64_t>(64, static_cast<int64_t>(2 * panel_width));
  d.frames_per_col = (f.rows + max_cols - 1) / max_cols;
  d.cols = static_cast<int>((f.rows + d.frames_per_col - 1) / d.frames_per_col);
  d.db.assign(static_cast<size_t>(d.cols) * d.mels, -INFINITY);
  for (int64_t r = 0; r < f.rows; ++r) {
    float* col = d.db.data() + static_cast<size_t>(r / d.frames_per_col) * d.mels;
    for (int b = 0; b < d.mels; ++b) col[b] = std::max(col[b], f.row(r)[b]);
  }
  return d;
}

// Viridis pixels, top row = highest mel bin; returns the dB value at the top of the color scale.
std::vector<uint32_t> colorize(const DisplaySpectrogram& d, double range_db, double* top_db) {
  const float top = *std::max_element(d.db.begin(), d.db.end());
  *top_db = top;
  std::vector<uint32_t> px(static_cast<size_t>(d.cols) * d.mels);
  for (int c = 0; c < d.cols; ++c)
    for (int b = 0; b < d.mels; ++b) {
      const Rgb v = viridis(1.0 + (d.db[static_cast<size_t>(c) * d.mels + b] - top) / range_db);
      const auto ch = [](double x) {
        return static_cast<uint32_t>(std::lround(std::clamp(x, 0.0, 1.0) * 255));
      };
      px[static_cast<size_t>(d.mels - 1 - b) * d.cols + c] = ch(v.r) << 16 | ch(v.g) << 8 | ch(v.b);
    }
  return px;
}

// Frequency ticks at their mel-bin positions: filter b peaks at the (b+1)-th of n_mels + 2 points
// spaced evenly in mel between f_min and f_max.
std::vector<Tick> frequency_ticks(const DisplaySpectrogram& d, double panel_height, double font) {
  const double m0 = hz_to_mel(d.f_min, MelScale::htk), m1 = hz_to_mel(d.f_max, MelScale::htk);
  const double per_bin = (m1 - m0) / (d.mels + 1);
  std::vector<Tick> ticks;
  double last_px = -INFINITY;
  for (double hz :
       {100.0, 200.0, 500.0, 1000.0, 2000.0, 3000.0, 4000.0, 6000.0, 8000.0, 12000.0, 16000.0, 20000.0}) {
    const double bin = (hz_to_mel(hz, MelScale::htk) - m0) / per_bin - 1;
    if (bin < -0.5 || bin > d.mels - 0.5) continue;
    const double y = bin / d.mels * panel_height;
    if (y - last_px < font * 1.6) continue;  // keep labels apart
    last_px = y;
    char label[16];
    if (hz >= 1000)
      std::snprintf(label, sizeof label, "%gk", hz / 1000);
    else
      std::snprintf(label, sizeof label, "%g", hz);
    ticks.push_back({bin, label});
  }
  return ticks;
}

void draw_colorbar(Canvas& canvas, const Rect& bar, double range_db, const PlotStyle& style) {
  std::vector<uint32_t> px(256);
  for (int i = 0; i < 256; ++i) {
    const Rgb v = viridis(1.0 - i / 255.0);
    px[static_cast<size_t>(i)] = static_cast<uint32_t>(std::lround(v.r * 255)) << 16 |
                                 static_cast<uint32_t>(std::lround(v.g * 255)) << 8 |
                                 static_cast<uint32_t>(std::lround(v.b * 255));
  }
  canvas.image(px, 1, 256, bar);
  canvas.stroke_rect(bar, kSubtleInk, style.scale * 0.8);
  const double step = range_db >= 60 ? 20 : range_db >= 30 ? 10 : 5;
  for (double db = 0; db <= range_db + 1e-9; db += step) {
    const double y = bar.y + db / range_db * bar.h;
    canvas.line({bar.right(), y}, {bar.right() + style.tick_length(), y}, kSubtleInk, style.scale);
    canvas.text({bar.right() + style.tick_length() + 3 * style.scale, y},
                db == 0 ? "0 dB" : "−" + format_tick(db, step),
                {.size = style.tick_font(), .color = kSubtleInk});
  }
}

// Event labels go in the headroom above posterior 1.0, in the first of three rows where they do
// not overlap an earlier label; where all three are taken the event keeps its span unlabelled.
void draw_events(Canvas& canvas, Axes& ax, const PosteriorTrack& track, const std::vector<Rgb>& colors,
                 double alpha, const PlotStyle& style) {
  for (const DetectionEvent& e : track.events)
    ax.x_span(e.start, e.end, colors[static_cast<size_t>(e.label_index)], alpha);
  const double font = style.tick_font(), row_h = font * 1.35, pad = 3 * style.scale;
  std::vector<double> row_end(3, -INFINITY);
  for (const DetectionEvent& e : track.events) {
    char score[16];
    std::snprintf(score, sizeof score, " %.2f", e.score);
    const std::string text = e.label + score;
    const double x = ax.px(e.start) + pad, w = canvas.text_width(text, font, true);
    size_t row = 0;
    while (row < row_end.size() && row_end[row] > x) ++row;
    if (row == row_end.size()) continue;  // too crowded to label: the span and its color remain
    row_end[row] = x + w + 2 * pad;
    canvas.clipped(ax.area(), [&] {
      canvas.text({x, ax.area().y + pad + row_h * static_cast<double>(row)}, text,
                  {.size = font,
                   .color = blend(colors[static_cast<size_t>(e.label_index)], kInk, 0.35),
                   .bold = true,
                   .v = Align::start});
    });
  }
}

std::vector<std::string> summary_items(const Audio& audio, const PosteriorTrack& track, double duration) {
  char buf[160];
  std::vector<std::string> items;
  std::snprintf(buf, sizeof buf, "%.2f s at %.0f Hz", duration, audio.sample_rate);
  items.push_back(buf);
  std::snprintf(buf, sizeof buf, "%lld posterior frames, %d classes", static_cast<long long>(track.frames()),
                track.classes());
  items.push_back(buf);
  std::snprintf(buf, sizeof buf, "%zu detection%s", track.events.size(), track.events.size() == 1 ? "" : "s");
  items.push_back(buf);
  for (const DetectionEvent& e : track.events) {
    std::snprintf(buf, sizeof buf, "%s at %.2f s", e.label.c_str(), e.start);
    items.push_back(buf);
  }
  return items;
}

}  // namespace

StreamFigureLayout plot_stream_figure(const Audio& audio, const PosteriorTrack& track,
                                      const std::string& out_path, const StreamFigureOptions& o) {
  RWKVS_CHECK(audio.sample_rate > 0 && !audio.samples.empty(), "stream figure: no audio");
  RWKVS_CHECK(!track.labels.empty(), "stream figure: the posteriors have no labels");
  Canvas canvas(out_path, o.width, o.height);
  const PlotStyle style{.scale = std::clamp(std::min(o.width / 1400.0, o.height / 800.0), 0.6, 4.0)};
  const double s = style.scale;

  StreamFigureLayout layout;
  layout.class_colors = label_colors(track.labels);
  layout.event_alpha = 0.22;
  std::vector<LegendEntry> legend;
  for (int k = 0; k < track.classes(); ++k)
    legend.push_back({track.labels[static_cast<size_t>(k)], layout.class_colors[static_cast<size_t>(k)],
                      style.line_width()});

  double duration = static_cast<double>(audio.samples.size()) / audio.sample_rate;
  if (!track.t.empty()) duration = std::max(duration, track.t.back());
  for (const DetectionEvent& e : track.events) duration = std::max(duration, e.end);
  layout.time = {0, duration};

  // Layout: header, then the two panels stacked on the left, color bar and legend on the right.
  const double pad = 14 * s, header = 58 * s;
  const double right_col = std::max(legend_size(canvas, legend, style).x, 70 * s) + 24 * s;
  const double left = 78 * s, x0 = pad + left, x1 = o.width - pad - right_col;
  const double top = header + 24 * s, bottom = o.height - 52 * s, gap = 44 * s;
  const double spec_h = (bottom - top - gap) * 0.56;
  layout.spectrogram = {x0, top, x1 - x0, spec_h};
  layout.posteriors = {x0, top + spec_h + gap, x1 - x0, bottom - (top + spec_h + gap)};

  canvas.text({pad, pad}, o.title.empty() ? "Stream" : o.title,
              {.size = 17 * s, .bold = true, .v = Align::start});
  canvas.text(
      {pad, pad + 24 * s},
      join_to_fit(canvas, summary_items(audio, track, duration), o.width - 2 * pad, style.tick_font()),
      {.size = style.tick_font(), .color = kSubtleInk, .v = Align::start});

  // Spectrogram panel.
  const DisplaySpectrogram spec = display_log_mel(audio, o, layout.spectrogram.w);
  layout.mel_bins = {-0.5, spec.mels - 0.5};
  Axes sa(canvas, layout.spectrogram, layout.time, layout.mel_bins, style);
  sa.set_y_ticks(frequency_ticks(spec, layout.spectrogram.h, style.tick_font()));
  std::vector<Tick> time_ticks =
      nice_ticks(layout.time, std::max(2, static_cast<int>(layout.spectrogram.w / (90 * s))));
  std::vector<Tick> unlabelled = time_ticks;
  for (Tick& t : unlabelled) t.label.clear();  // the panel below carries the time labels
  sa.set_x_ticks(unlabelled);
  double top_db = 0;
  const std::vector<uint32_t> pixels = colorize(spec, o.dynamic_range_db, &top_db);
  const double span = static_cast<double>(spec.frames_per_col) * spec.hop_s;
  const double img_x0 = sa.px(-0.5 * spec.hop_s), img_x1 = sa.px(spec.cols * span - 0.5 * spec.hop_s);
  canvas.clipped(sa.area(), [&] {
    canvas.image(pixels, spec.cols, spec.mels, {img_x0, sa.area().y, img_x1 - img_x0, sa.area().h});
    for (const DetectionEvent& e : track.events) {
      const double a = sa.px(e.start), b = sa.px(e.end);
      canvas.fill_rect({a, sa.area().y, std::max(b - a, s), 5 * s},
                       layout.class_colors[static_cast<size_t>(e.label_index)]);
    }
  });
  sa.draw_frame("", "frequency (Hz, mel scale)", "Log-mel spectrogram");
  draw_colorbar(canvas, {x1 + 14 * s, top, 14 * s, spec_h}, o.dynamic_range_db, style);

  // Posterior panel: headroom above 1.0 holds the event labels.
  layout.posterior_y = {-0.03, 1.24};
  Axes pa(canvas, layout.posteriors, layout.time, layout.posterior_y, style);
  pa.set_x_ticks(time_ticks);
  pa.set_y_ticks({{0, "0"}, {0.25, "0.25"}, {0.5, "0.5"}, {0.75, "0.75"}, {1, "1"}});
  pa.draw_grid();
  draw_events(canvas, pa, track, layout.class_colors, layout.event_alpha, style);
  std::vector<double> p(track.t.size());
  // Non-keyword classes ('_' labels, gray) first, so the keywords are drawn over them.
  for (int pass = 0; pass < 2; ++pass)
    for (int k = 0; k < track.classes(); ++k) {
      if ((track.labels[static_cast<size_t>(k)][0] == '_') != (pass == 0)) continue;
      for (size_t i = 0; i < p.size(); ++i)
        p[i] = track.p[i * static_cast<size_t>(track.classes()) + static_cast<size_t>(k)];
      pa.line(track.t, p, layout.class_colors[static_cast<size_t>(k)], style.line_width());
    }
  pa.draw_frame("time (s)", "posterior", "Class posteriors and detections");
  draw_legend(canvas, {x1 + 14 * s, layout.posteriors.y}, legend, style);

  canvas.save();
  return layout;
}

}  // namespace rwkvs
