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

// A bar along the spectrogram's top edge (a detection event).
struct SpectrogramMark {
  double start = 0, end = 0;
  Rgb color;
};

// The panel under the spectrogram: its data rectangle, the time ticks it labels, and the left
// edge of the right-hand column (color bar, legend).
struct LowerPanel {
  Rect area;
  std::vector<Tick> time_ticks;
  double right_x = 0;
};

// What both stream figures share: the title and summary lines, and the spectrogram panel with its
// color bar, laid out for a right-hand column 'legend_width' wide (0: none) over layout.time.
// Fills layout.spectrogram and layout.mel_bins; returns where the panel below goes.
LowerPanel draw_spectrogram_page(Canvas& canvas, const PlotStyle& style, const Audio& audio,
                                 const StreamFigureOptions& o, double legend_width,
                                 const std::vector<std::string>& summary,
                                 const std::vector<SpectrogramMark>& marks, StreamFigureLayout& layout) {
  const double s = style.scale;
  // Layout: header, then the two panels stacked on the left, color bar and legend on the right.
  const double pad = 14 * s, header = 58 * s;
  const double right_col = std::max(legend_width, 70 * s) + 24 * s;
  const double left = 78 * s, x0 = pad + left, x1 = o.width - pad - right_col;
  const double top = header + 24 * s, bottom = o.height - 52 * s, gap = 44 * s;
  const double spec_h = (bottom - top - gap) * 0.56;
  layout.spectrogram = {x0, top, x1 - x0, spec_h};
  LowerPanel lower;
  lower.area = {x0, top + spec_h + gap, x1 - x0, bottom - (top + spec_h + gap)};
  lower.right_x = x1 + 14 * s;

  canvas.text({pad, pad}, o.title.empty() ? "Stream" : o.title,
              {.size = 17 * s, .bold = true, .v = Align::start});
  canvas.text({pad, pad + 24 * s}, join_to_fit(canvas, summary, o.width - 2 * pad, style.tick_font()),
              {.size = style.tick_font(), .color = kSubtleInk, .v = Align::start});

  const DisplaySpectrogram spec = display_log_mel(audio, o, layout.spectrogram.w);
  layout.mel_bins = {-0.5, spec.mels - 0.5};
  Axes sa(canvas, layout.spectrogram, layout.time, layout.mel_bins, style);
  sa.set_y_ticks(frequency_ticks(spec, layout.spectrogram.h, style.tick_font()));
  lower.time_ticks = nice_ticks(layout.time, std::max(2, static_cast<int>(layout.spectrogram.w / (90 * s))));
  std::vector<Tick> unlabelled = lower.time_ticks;
  for (Tick& t : unlabelled) t.label.clear();  // the panel below carries the time labels
  sa.set_x_ticks(unlabelled);
  double top_db = 0;
  const std::vector<uint32_t> pixels = colorize(spec, o.dynamic_range_db, &top_db);
  const double span = static_cast<double>(spec.frames_per_col) * spec.hop_s;
  const double img_x0 = sa.px(-0.5 * spec.hop_s), img_x1 = sa.px(spec.cols * span - 0.5 * spec.hop_s);
  canvas.clipped(sa.area(), [&] {
    canvas.image(pixels, spec.cols, spec.mels, {img_x0, sa.area().y, img_x1 - img_x0, sa.area().h});
    for (const SpectrogramMark& m : marks) {
      const double a = sa.px(m.start), b = sa.px(m.end);
      canvas.fill_rect({a, sa.area().y, std::max(b - a, s), 5 * s}, m.color);
    }
  });
  sa.draw_frame("", "frequency (Hz, mel scale)", "Log-mel spectrogram");
  draw_colorbar(canvas, {x1 + 14 * s, top, 14 * s, spec_h}, o.dynamic_range_db, style);
  return lower;
}

// 'text' if it fits in 'width' pixels, else its longest prefix (cut between characters, trailing
// spaces dropped) that fits with "..." after it; "" when not even "..." fits.
std::string fit_with_ellipsis(Canvas& canvas, const std::string& text, double width, double font) {
  if (canvas.text_width(text, font) <= width) return text;
  std::vector<size_t> cuts;  // byte offsets at UTF-8 character starts, 0 first
  for (size_t i = 0; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) cuts.push_back(i);
  const auto cut = [&](size_t k) {
    std::string prefix = text.substr(0, cuts[k]);
    while (!prefix.empty() && prefix.back() == ' ') prefix.pop_back();
    return prefix + "...";
  };
  if (cuts.empty() || canvas.text_width("...", font) > width) return "";
  size_t lo = 0, hi = cuts.size() - 1;  // cut(lo) fits ("..." alone); find the longest that does
  while (lo < hi) {
    const size_t mid = (lo + hi + 1) / 2;
    if (canvas.text_width(cut(mid), font) <= width)
      lo = mid;
    else
      hi = mid - 1;
  }
  return cut(lo);
}

std::vector<std::string> transcript_summary(const Audio& audio, const TranscriptTrack& track,
                                            double duration) {
  char buf[160];
  std::vector<std::string> items;
  std::snprintf(buf, sizeof buf, "%.2f s at %.0f Hz", duration, audio.sample_rate);
  items.push_back(buf);
  std::snprintf(buf, sizeof buf, "%zu segment%s, %lld word%s", track.segments.size(),
                track.segments.size() == 1 ? "" : "s", static_cast<long long>(track.words()),
                track.words() == 1 ? "" : "s");
  items.push_back(buf);
  if (!track.decoder.empty()) items.push_back(track.decoder + " decoder");
  return items;
}

// The transcript panel's rows, top to bottom: segment labels, up to three rows of words (a bar
// with the word under it), and the segments' texts when there is room for them and two rows.
void draw_transcript(Canvas& canvas, Axes& ax, const TranscriptTrack& track, const PlotStyle& style,
                     StreamFigureLayout& layout) {
  const double s = style.scale, font = style.tick_font(), pad = 3 * s;
  const double text_h = font * 1.35, bar_h = 4 * s, row_h = bar_h + s + text_h;
  const Rect& area = ax.area();
  const double label_h = pad + text_h, caption_h = text_h + pad;
  const auto rows_in = [&](double h) { return static_cast<int>(std::floor(h / row_h)); };
  layout.captions = rows_in(area.h - label_h - caption_h) >= 2;
  const double free_h = area.h - label_h - (layout.captions ? caption_h : 0);
  layout.word_rows = std::clamp(rows_in(free_h), 1, 3);
  const double rows_top = area.y + label_h + std::max(0.0, (free_h - layout.word_rows * row_h) / 2);

  const auto span_of = [&](double a, double b) {
    const double x0 = std::clamp(ax.px(a), area.x, area.right()),
                 x1 = std::clamp(ax.px(b), area.x, area.right());
    return Rect{x0, area.y, std::max(x1 - x0, s), area.h};
  };
  for (size_t i = 0; i < track.segments.size(); ++i) {
    const TranscriptSegment& seg = track.segments[i];
    layout.segment_colors.push_back(series_color(static_cast<int>(i % 2)));
    ax.x_span(seg.start, seg.end, layout.segment_colors.back(), layout.segment_alpha);
    TranscriptSegmentBox box;
    box.span = span_of(seg.start, seg.end);
    layout.segments.push_back(box);
  }

  canvas.clipped(area, [&] {
    double label_end = -INFINITY;
    std::vector<double> row_end(static_cast<size_t>(layout.word_rows), -INFINITY);
    for (size_t i = 0; i < track.segments.size(); ++i) {
      const TranscriptSegment& seg = track.segments[i];
      TranscriptSegmentBox& box = layout.segments[i];
      const Rgb ink = blend(layout.segment_colors[i], kInk, 0.45);
      const double x = box.span.x + pad;
      std::string label = "segment " + std::to_string(seg.index);
      if (canvas.text_width(label, font, true) > box.span.w - 2 * pad) label = std::to_string(seg.index);
      if (x >= label_end) {
        box.label = label;
        label_end = x + canvas.text_width(label, font, true) + 2 * pad;
        canvas.text({x, area.y + pad}, label, {.size = font, .color = ink, .bold = true, .v = Align::start});
      }

      for (const TranscriptWord& w : seg.words) {
        TranscriptWordBox wb;
        wb.segment = static_cast<int>(i);
        const double a = ax.px(w.start), b = std::max(ax.px(w.end), a + s);
        const double width = canvas.text_width(w.word, font);
        const double tx = std::max(area.x + pad, std::min((a + b - width) / 2, area.right() - pad - width));
        size_t row = 0;
        while (row < row_end.size() && row_end[row] > tx) ++row;
        wb.labelled = row < row_end.size() && !w.word.empty();
        if (!wb.labelled)  // the bar goes where the text would have crowded least
          row = static_cast<size_t>(std::min_element(row_end.begin(), row_end.end()) - row_end.begin());
        wb.row = static_cast<int>(row);
        const double y = rows_top + row_h * static_cast<double>(row);
        wb.bar = {a, y, b - a, bar_h};
        canvas.fill_rect(wb.bar, layout.word_color);
        if (wb.labelled) {
          wb.text = {tx, y + bar_h + s, width, text_h};
          row_end[row] = tx + width + 0.5 * font;
          canvas.text({tx, wb.text.y}, w.word, {.size = font, .color = kInk, .v = Align::start});
        }
        layout.words.push_back(wb);
      }

      if (!layout.captions) continue;
      box.caption = fit_with_ellipsis(canvas, seg.text, box.span.w - 2 * pad, font);
      if (box.caption.empty()) continue;
      box.caption_box = {x, area.bottom() - pad - text_h, canvas.text_width(box.caption, font), text_h};
      canvas.text({x, box.caption_box.y}, box.caption, {.size = font, .color = ink, .v = Align::start});
    }
  });
}

}  // namespace

StreamFigureLayout plot_stream_figure(const Audio& audio, const PosteriorTrack& track,
                                      const std::string& out_path, const StreamFigureOptions& o) {
  RWKVS_CHECK(audio.sample_rate > 0 && !audio.samples.empty(), "stream figure: no audio");
  RWKVS_CHECK(!track.labels.empty(), "stream figure: the posteriors have no labels");
  Canvas canvas(out_path, o.width, o.height);
  const PlotStyle style{.scale = std::clamp(std::min(o.width / 1400.0, o.height / 800.0), 0.6, 4.0)};

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

  std::vector<SpectrogramMark> marks;
  for (const DetectionEvent& e : track.events)
    marks.push_back({e.start, e.end, layout.class_colors[static_cast<size_t>(e.label_index)]});
  const LowerPanel lower =
      draw_spectrogram_page(canvas, style, audio, o, legend_size(canvas, legend, style).x,
                            summary_items(audio, track, duration), marks, layout);
  layout.posteriors = lower.area;

  // Posterior panel: headroom above 1.0 holds the event labels.
  layout.posterior_y = {-0.03, 1.24};
  Axes pa(canvas, layout.posteriors, layout.time, layout.posterior_y, style);
  pa.set_x_ticks(lower.time_ticks);
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
  draw_legend(canvas, {lower.right_x, layout.posteriors.y}, legend, style);

  canvas.save();
  return layout;
}

StreamFigureLayout plot_stream_figure(const Audio& audio, const TranscriptTrack& track,
                                      const std::string& out_path, const StreamFigureOptions& o) {
  RWKVS_CHECK(audio.sample_rate > 0 && !audio.samples.empty(), "stream figure: no audio");
  Canvas canvas(out_path, o.width, o.height);
  const PlotStyle style{.scale = std::clamp(std::min(o.width / 1400.0, o.height / 800.0), 0.6, 4.0)};

  StreamFigureLayout layout;
  layout.segment_alpha = 0.13;
  layout.word_color = rgb_hex(0x2166ac);
  double duration = static_cast<double>(audio.samples.size()) / audio.sample_rate;
  for (const TranscriptSegment& seg : track.segments) duration = std::max(duration, seg.end);
  layout.time = {0, duration};

  const LowerPanel lower = draw_spectrogram_page(canvas, style, audio, o, 0,
                                                 transcript_summary(audio, track, duration), {}, layout);
  layout.transcript = lower.area;
  Axes ta(canvas, layout.transcript, layout.time, {0, 1}, style);
  ta.set_x_ticks(lower.time_ticks);
  ta.set_y_ticks({});
  ta.draw_grid();
  draw_transcript(canvas, ta, track, style, layout);
  ta.draw_frame("time (s)", "", "Transcript: final segments and word timings");

  canvas.save();
  return layout;
}

}  // namespace rwkvs
