#include "src/plot/det_figure.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/error.h"

namespace rwkvs {

namespace {

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// A rate as people say it: "0", "0.05", "0.84", "12.3", "1234".
std::string rate_text(double per_hour) {
  if (per_hour == 0) return "0";
  return per_hour >= 100 ? fmt("%.0f", per_hour) : fmt("%.3g", per_hour);
}

std::string duration_text(double seconds) {
  const double hours = seconds / 3600;
  if (hours >= 1) return fmt("%.1f h", hours);
  if (hours >= 0.1) return fmt("%.2f h", hours);
  return fmt("%.1f min", seconds / 60);
}

std::string keyword_count_text(long long n) {
  return std::to_string(n) + (n == 1 ? " keyword" : " keywords");
}

bool same_measurement(const DetCurve& a, const DetCurve& b) {
  return a.audio_kind == b.audio_kind && a.keywords == b.keywords &&
         std::fabs(a.audio_s - b.audio_s) <= 1e-6 * std::max(std::fabs(a.audio_s), 1.0);
}

// "1.5 h of running speech, 412 keywords said", with whatever of it is known.
std::string measurement_text(const DetCurve& c) {
  std::string s;
  if (c.audio_s > 0)
    s = duration_text(c.audio_s) + " of " + (c.audio_kind.empty() ? "audio" : c.audio_kind);
  else if (!c.audio_kind.empty())
    s = c.audio_kind;
  if (c.keywords >= 0) s += (s.empty() ? "" : ", ") + keyword_count_text(c.keywords) + " said";
  return s;
}

std::string title_text(const std::vector<DetCurve>& curves) {
  const bool same = std::all_of(curves.begin(), curves.end(),
                                [&](const DetCurve& c) { return same_measurement(c, curves[0]); });
  if (!same) return "Keyword spotting: " + std::to_string(curves.size()) + " evaluations";
  const std::string m = measurement_text(curves[0]);
  if (m.empty()) return "Keyword spotting";
  return (curves[0].audio_s > 0 ? "Keyword spotting in " : "Keyword spotting: ") + m;
}

std::vector<std::string> summary_items(const std::vector<DetCurve>& curves, const DetFigureOptions& o) {
  std::vector<std::string> items;
  const bool same = std::all_of(curves.begin(), curves.end(),
                                [&](const DetCurve& c) { return same_measurement(c, curves[0]); });
  for (const DetCurve& c : curves) {
    std::string s = c.label + ":";
    if (!same && !measurement_text(c).empty()) s.append(" ").append(measurement_text(c)).append(";");
    if (c.operating)
      s.append(" ")
          .append(fmt("%.1f%%", 100 * c.operating->recall))
          .append(" found at ")
          .append(rate_text(c.operating->false_alarms_per_hour))
          .append(" false alarms/h (threshold ")
          .append(fmt("%g", c.operating->threshold))
          .append(")");
    else
      s += " no operating point";
    if (c.target_fa_per_hour > 0) s.append(", target ").append(rate_text(c.target_fa_per_hour)).append("/h");
    items.push_back(s);
  }
  items.insert(items.end(), o.notes.begin(), o.notes.end());
  std::vector<std::string> names;
  for (const DetCurve& c : curves)
    for (const std::string& n : c.keyword_names)
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  if (!names.empty()) {
    std::string s = "keywords: ";
    const size_t shown = std::min<size_t>(names.size(), 10);
    for (size_t i = 0; i < shown; ++i) s += (i ? ", " : "") + names[i];
    if (shown < names.size()) s += " and " + std::to_string(names.size() - shown) + " more";
    items.push_back(s);
  }
  return items;
}

void check_point(const DetPoint& p, const DetCurve& c, const char* what) {
  RWKVS_CHECK(std::isfinite(p.threshold) && std::isfinite(p.recall) && std::isfinite(p.false_alarms_per_hour),
              "det figure: '", c.label, "' has a non-finite ", what);
  RWKVS_CHECK(p.recall >= 0 && p.recall <= 1, "det figure: '", c.label, "' has a ", what, " with recall ",
              p.recall, ", expected [0, 1]");
  RWKVS_CHECK(p.false_alarms_per_hour >= 0, "det figure: '", c.label, "' has a ", what,
              " with a negative false-alarm rate (", p.false_alarms_per_hour, ")");
}

// Two short slanted strokes across an edge of the frame at x: the axis is broken there.
void break_mark(Canvas& canvas, double x, double y, double s) {
  const double h = 5 * s, w = 2.5 * s, gap = 2.5 * s;
  canvas.fill_rect({x - gap - w, y - h, 2 * (gap + w), 2 * h}, kWhite);
  for (double dx : {-gap, gap}) canvas.line({x + dx - w, y + h}, {x + dx + w, y - h}, kSubtleInk, s);
}

// The items joined by " · " into at most 'max_lines' lines of 'width' pixels, greedily; the last
// line takes the rest, cut to fit ("..." marks the cut). An item wider than a line gets one alone.
std::vector<std::string> wrap_items(Canvas& canvas, const std::vector<std::string>& items, double width,
                                    double font, size_t max_lines) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < items.size();) {
    if (lines.size() + 1 == max_lines) {
      const std::string rest =
          join_to_fit(canvas, {items.begin() + static_cast<long>(i), items.end()}, width, font);
      lines.push_back(rest.empty() ? items[i] : rest);
      break;
    }
    std::string line = items[i++];
    while (i < items.size() && canvas.text_width(line + " · " + items[i], font) <= width)
      line += " · " + items[i++];
    lines.push_back(line);
  }
  return lines;
}

struct Box {
  double x0, y0, x1, y1;
  bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

}  // namespace

Point DetFigureLayout::at(double false_alarms_per_hour, double recall) const {
  const double lx = std::log10(std::max(false_alarms_per_hour, zero_floor));
  return {area.x + (lx - x.lo) / x.span() * area.w,
          area.bottom() - (100 * recall - y.lo) / y.span() * area.h};
}

double det_zero_floor(const std::vector<DetCurve>& curves) {
  double finest = INFINITY;
  for (const DetCurve& c : curves) {
    if (c.audio_s > 0) finest = std::min(finest, 3600 / c.audio_s);
    if (c.target_fa_per_hour > 0) finest = std::min(finest, c.target_fa_per_hour);
    for (const DetPoint& p : c.sweep)
      if (p.false_alarms_per_hour > 0) finest = std::min(finest, p.false_alarms_per_hour);
    if (c.operating && c.operating->false_alarms_per_hour > 0)
      finest = std::min(finest, c.operating->false_alarms_per_hour);
  }
  if (!std::isfinite(finest)) finest = 1;
  return std::pow(10.0, std::floor(std::log10(finest) + 1e-9) - 1);
}

DetFigureLayout plot_det_figure(const std::vector<DetCurve>& curves, const std::string& out_path,
                                const DetFigureOptions& o) {
  RWKVS_CHECK(!curves.empty(), "det figure: no curves to draw");
  for (const DetCurve& c : curves) {
    RWKVS_CHECK(!c.sweep.empty(), "det figure: '", c.label, "' has no sweep points");
    for (const DetPoint& p : c.sweep) check_point(p, c, "sweep point");
    if (c.operating) check_point(*c.operating, c, "operating point");
    RWKVS_CHECK(std::isfinite(c.target_fa_per_hour) && c.target_fa_per_hour >= 0, "det figure: '", c.label,
                "' has a bad target false-alarm rate (", c.target_fa_per_hour, ")");
  }
  Canvas canvas(out_path, o.width, o.height);
  const PlotStyle style{.scale = std::clamp(std::min(o.width / 1000.0, o.height / 750.0), 0.6, 4.0)};
  const double s = style.scale, lw = style.line_width();

  DetFigureLayout L;
  L.zero_floor = det_zero_floor(curves);
  const double k0 = std::round(std::log10(L.zero_floor));
  double max_rate = 0, min_recall = 1;
  for (const DetCurve& c : curves) {
    for (const DetPoint& p : c.sweep) {
      max_rate = std::max(max_rate, p.false_alarms_per_hour);
      min_recall = std::min(min_recall, p.recall);
    }
    if (c.operating) {
      max_rate = std::max(max_rate, c.operating->false_alarms_per_hour);
      min_recall = std::min(min_recall, c.operating->recall);
    }
    max_rate = std::max(max_rate, c.target_fa_per_hour);
  }
  const double top_decade = std::max(max_rate > 0 ? std::ceil(std::log10(max_rate) - 1e-9) : k0, k0 + 2);
  L.x = {k0 - 0.3, top_decade + 0.08};
  const double y_lo = std::min(90.0, std::floor(100 * min_recall / 10) * 10);
  L.y = {y_lo - 0.04 * (100 - y_lo), 100 + 0.04 * (100 - y_lo)};
  for (int i = 0; i < static_cast<int>(curves.size()); ++i) L.colors.push_back(series_color(i));

  // Header: what was measured, then each evaluation's operating point and the notes, on up to
  // three lines.
  const double pad = 14 * s, row = style.tick_font() * 1.35, title_font = 17 * s;
  std::string title = title_text(curves);
  std::vector<std::string> items = summary_items(curves, o);
  if (!o.title_note.empty()) {
    if (canvas.text_width(title + " · " + o.title_note, title_font, true) <= o.width - 2 * pad)
      title += " · " + o.title_note;
    else
      items.insert(items.begin(), o.title_note);
  }
  canvas.text({pad, pad}, title, {.size = title_font, .bold = true, .v = Align::start});
  const std::vector<std::string> summary = wrap_items(canvas, items, o.width - 2 * pad, style.tick_font(), 3);
  for (size_t i = 0; i < summary.size(); ++i)
    canvas.text({pad, pad + 24 * s + static_cast<double>(i) * row}, summary[i],
                {.size = style.tick_font(), .color = kSubtleInk, .v = Align::start});
  const double header = pad + 24 * s + static_cast<double>(summary.size()) * row + 18 * s;
  L.area = inset({0, 0, static_cast<double>(o.width), static_cast<double>(o.height)},
                 {pad + 64 * s, header, pad + 10 * s, 58 * s});

  Axes ax(canvas, L.area, L.x, L.y, style);
  std::vector<Tick> x_ticks = {{k0, "0"}};
  for (double k = k0 + 1; k <= top_decade + 1e-9; ++k) {
    const double v = std::pow(10.0, k);
    x_ticks.push_back({k, format_tick(v, v)});
  }
  ax.set_x_ticks(x_ticks);
  std::vector<Tick> y_ticks = nice_ticks(L.y, std::max(3, static_cast<int>(L.area.h / (40 * s))));
  std::erase_if(y_ticks, [](const Tick& t) { return t.value < -1e-9 || t.value > 100 + 1e-9; });
  ax.set_y_ticks(y_ticks);
  ax.draw_grid();

  canvas.clipped(L.area, [&] {
    // The "no false alarm" column, off the log scale, lightly shaded; faint lines at 2..9 x 10^k.
    ax.x_span(L.x.lo, k0 + 0.5, kGrid, 0.35);
    const Rgb minor = blend(kWhite, kGrid, 0.55);
    for (double k = k0 + 1; k <= top_decade; ++k)
      for (int m = 2; m <= 9; ++m) {
        const double x = ax.px(k + std::log10(m));
        canvas.line({x, L.area.y}, {x, L.area.bottom()}, minor, s);
      }
  });

  // Target rates: dashed verticals in the curve's color, each value drawn and labelled once (in
  // neutral ink when several curves share it, so that no curve's color hides another's).
  std::vector<double> targets;
  for (const DetCurve& c : curves)
    if (c.target_fa_per_hour > 0 &&
        std::find(targets.begin(), targets.end(), c.target_fa_per_hour) == targets.end())
      targets.push_back(c.target_fa_per_hour);
  std::vector<Box> placed;
  for (const double t : targets) {
    std::vector<size_t> owners;
    for (size_t i = 0; i < curves.size(); ++i)
      if (curves[i].target_fa_per_hour == t) owners.push_back(i);
    const Rgb color = owners.size() == 1 ? L.colors[owners[0]] : kSubtleInk;
    const double x = ax.px(std::log10(t));
    canvas.clipped(L.area, [&] { canvas.line({x, L.area.y}, {x, L.area.bottom()}, color, lw, true); });
    const std::string text = "target " + rate_text(t) + "/h";
    const double font = style.tick_font(), w = canvas.text_width(text, font);
    const bool left = x + 4 * s + w > L.area.right();
    const double tx = left ? x - 4 * s - w : x + 4 * s, ty = L.area.y + 4 * s;
    canvas.text({tx, ty}, text, {.size = font, .color = blend(color, kInk, 0.35), .v = Align::start});
    placed.push_back({tx, ty, tx + w, ty + font * 1.3});
    placed.push_back({x - 2 * s, L.area.y, x + 2 * s, L.area.bottom()});  // threshold labels keep off it
  }

  // The curves, in ascending threshold, each sweep point a small dot.
  std::vector<std::vector<Point>> drawn;  // [curves] the polylines in pixels, for placing labels
  for (size_t i = 0; i < curves.size(); ++i) {
    std::vector<DetPoint> pts = curves[i].sweep;
    std::stable_sort(pts.begin(), pts.end(),
                     [](const DetPoint& a, const DetPoint& b) { return a.threshold < b.threshold; });
    std::vector<double> xs, ys;
    drawn.emplace_back();
    for (const DetPoint& p : pts) {
      xs.push_back(std::log10(std::max(p.false_alarms_per_hour, L.zero_floor)));
      ys.push_back(100 * p.recall);
      drawn.back().push_back(L.at(p.false_alarms_per_hour, p.recall));
    }
    ax.line(xs, ys, L.colors[i], lw * 1.3);
    ax.markers(xs, ys, L.colors[i], 3.2 * s);
  }

  // The legend goes in the lower right, where DET curves seldom go (few false alarms with high
  // recall is the upper left; many false alarms with low recall does not happen). It is drawn
  // last, over everything, so labels keep off its box.
  std::vector<LegendEntry> legend;
  for (size_t i = 0; i < curves.size(); ++i) legend.push_back({curves[i].label, L.colors[i], lw * 1.3});
  const Point legend_box = legend_size(canvas, legend, style);
  const Point legend_at{L.area.right() - legend_box.x - 8 * s, L.area.bottom() - legend_box.y - 8 * s};
  placed.push_back({legend_at.x, legend_at.y, legend_at.x + legend_box.x, legend_at.y + legend_box.y});

  // How badly a label box would cover things: other labels, the legend and target lines count
  // most, then the curves (by how much of them it hides); outside the panel is ruled out.
  const auto cost = [&](const Box& b) {
    if (b.x0 < L.area.x || b.x1 > L.area.right() || b.y0 < L.area.y || b.y1 > L.area.bottom()) return 1e12;
    double c = 0;
    for (const Box& p : placed) c += p.overlaps(b) ? 1e6 : 0;
    for (const std::vector<Point>& line : drawn)
      for (size_t k = 0; k + 1 < line.size(); ++k) {
        const Point p = line[k], q = line[k + 1];
        const int n = 1 + static_cast<int>(std::hypot(q.x - p.x, q.y - p.y) / s);
        for (int j = 0; j <= n; ++j) {
          const double t = static_cast<double>(j) / n, x = p.x + t * (q.x - p.x), y = p.y + t * (q.y - p.y);
          c += x > b.x0 - 2 * s && x < b.x1 + 2 * s && y > b.y0 - 2 * s && y < b.y1 + 2 * s;
        }
      }
    return c;
  };

  // Operating points: a larger dot, labelled with its threshold at whichever of the places around
  // it covers least.
  for (size_t i = 0; i < curves.size(); ++i) {
    if (!curves[i].operating) continue;
    const DetPoint& op = *curves[i].operating;
    const Point c = L.at(op.false_alarms_per_hour, op.recall);
    canvas.clipped(L.area, [&] { canvas.circle(c, 6 * s, L.colors[i], kWhite, 1.8 * s); });
    const std::string text = "threshold " + fmt("%g", op.threshold);
    const double font = style.tick_font(), w = canvas.text_width(text, font, true), h = font * 1.3;
    const double off = 9 * s;
    const Box candidates[] = {{c.x + off, c.y + off * 0.3, c.x + off + w, c.y + off * 0.3 + h},
                              {c.x + off, c.y - off * 0.3 - h, c.x + off + w, c.y - off * 0.3},
                              {c.x - off - w, c.y + off * 0.3, c.x - off, c.y + off * 0.3 + h},
                              {c.x - off - w, c.y - off * 0.3 - h, c.x - off, c.y - off * 0.3},
                              {c.x - w / 2, c.y + off, c.x + w / 2, c.y + off + h},
                              {c.x - w / 2, c.y - off - h, c.x + w / 2, c.y - off},
                              {c.x + off, c.y + off + h, c.x + off + w, c.y + off + 2 * h},
                              {c.x - off - w, c.y - off - 2 * h, c.x - off, c.y - off - h}};
    const Box* chosen = &candidates[0];
    double best = cost(*chosen);
    for (const Box& b : candidates) {
      const double k = cost(b);
      if (k < best) best = k, chosen = &b;
    }
    placed.push_back(*chosen);
    canvas.clipped(L.area, [&] {
      canvas.text({chosen->x0, chosen->y0}, text,
                  {.size = font, .color = blend(L.colors[i], kInk, 0.4), .bold = true, .v = Align::start});
    });
  }

  ax.draw_frame("false alarms per hour (log scale; 0 = no false alarm)", "recall (keywords found, %)", "");
  for (double y : {L.area.y, L.area.bottom()}) break_mark(canvas, ax.px(k0 + 0.5), y, s);

  draw_legend(canvas, legend_at, legend, style);

  canvas.save();
  return L;
}

}  // namespace rwkvs
