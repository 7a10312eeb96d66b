#include "src/plot/axes.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rwkvs {

Range finite_range(const std::vector<double>& values) {
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values)
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  return lo <= hi ? Range{lo, hi} : Range{0, 1};
}

Range padded(Range r, double fraction) {
  if (r.hi > r.lo) return {r.lo - fraction * r.span(), r.hi + fraction * r.span()};
  const double half = r.lo == 0 ? 1 : std::fabs(r.lo) * 0.1;
  return {r.lo - half, r.hi + half};
}

std::vector<Tick> nice_ticks(Range r, int target) {
  std::vector<Tick> ticks;
  if (!(r.hi > r.lo) || !std::isfinite(r.span())) return ticks;
  const double raw = r.span() / std::max(target, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const double first = std::ceil(r.lo / step - 1e-9);
  double largest = 0;
  for (double k = first;; ++k) {
    double v = k * step;
    if (v > r.hi + step * 1e-9) break;
    if (std::fabs(v) < step * 1e-9) v = 0;
    ticks.push_back({v, ""});
    largest = std::max(largest, std::fabs(v));
  }
  for (Tick& t : ticks) t.label = format_tick(t.value, step, largest);
  return ticks;
}

std::string format_tick(double value, double step, double largest) {
  if (std::fabs(value) < std::fabs(step) * 1e-6 || value == 0) return "0";
  int e = static_cast<int>(std::floor(std::log10(std::fabs(step)) + 1e-9));
  const double mantissa = std::fabs(step) / std::pow(10.0, e);
  if (std::fabs(mantissa - std::round(mantissa)) > 1e-6) --e;  // 0.25 needs two decimals, not one
  char buf[40];
  const double a = std::fabs(value);
  if (a >= 1e6 && e >= 5) {
    std::snprintf(buf, sizeof buf, "%.*fM", std::max(0, 6 - e), value / 1e6);
  } else if (a >= 1e4 && e >= 2) {
    std::snprintf(buf, sizeof buf, "%.*fk", std::max(0, 3 - e), value / 1e3);
  } else if (e <= -3) {
    // One exponent for the whole axis (that of its largest tick), so labels line up: 0.5e-3, 1.0e-3.
    const int ev = static_cast<int>(std::floor(std::log10(std::max(a, largest)) + 1e-9));
    std::snprintf(buf, sizeof buf, "%.*fe%d", std::max(0, ev - e), value / std::pow(10.0, ev), ev);
  } else {
    std::snprintf(buf, sizeof buf, "%.*f", std::max(0, -e), value);
  }
  return buf;
}

std::string join_to_fit(Canvas& canvas, const std::vector<std::string>& items, double width, double font) {
  std::string line;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string longer = line.empty() ? items[i] : line + " · " + items[i];
    const bool last = i + 1 == items.size();
    if (canvas.text_width(last ? longer : longer + " · ...", font) > width)
      return line.empty() ? line : line + " · ...";
    line = longer;
  }
  return line;
}

Point legend_size(Canvas& canvas, const std::vector<LegendEntry>& entries, const PlotStyle& style) {
  const double pad = 6 * style.scale, swatch = 22 * style.scale, row = style.tick_font() * 1.5;
  double text = 0;
  for (const LegendEntry& e : entries) text = std::max(text, canvas.text_width(e.label, style.tick_font()));
  return {2 * pad + swatch + pad + text, 2 * pad + row * static_cast<double>(entries.size())};
}

void draw_legend(Canvas& canvas, Point at, const std::vector<LegendEntry>& entries, const PlotStyle& style) {
  if (entries.empty()) return;
  const double pad = 6 * style.scale, swatch = 22 * style.scale, row = style.tick_font() * 1.5;
  const Point size = legend_size(canvas, entries, style);
  canvas.fill_rect({at.x, at.y, size.x, size.y}, kWhite, 0.88);
  canvas.stroke_rect({at.x, at.y, size.x, size.y}, kGrid, style.scale);
  for (size_t i = 0; i < entries.size(); ++i) {
    const LegendEntry& e = entries[i];
    const double y = at.y + pad + row * (static_cast<double>(i) + 0.5);
    if (e.line_width > 0) {
      canvas.polyline({{at.x + pad, y}, {at.x + pad + swatch, y}}, e.color, e.line_width, e.alpha);
    } else {
      canvas.fill_rect({at.x + pad, y - row * 0.3, swatch, row * 0.6}, e.color, e.alpha);
    }
    canvas.text({at.x + 2 * pad + swatch, y}, e.label, {.size = style.tick_font(), .color = kInk});
  }
}

Axes::Axes(Canvas& canvas, const Rect& area, Range x, Range y, const PlotStyle& style)
    : canvas_(canvas),
      area_(area),
      x_(padded(x, 0)),
      y_(padded(y, 0)),
      style_(style),
      x_ticks_(nice_ticks(x_, std::max(2, static_cast<int>(area.w / (90 * style.scale))))),
      y_ticks_(nice_ticks(y_, std::max(3, static_cast<int>(area.h / (36 * style.scale))))) {}

void Axes::draw_grid() {
  canvas_.fill_rect(area_, kWhite);
  for (const Tick& t : x_ticks_)
    canvas_.line({px(t.value), area_.y}, {px(t.value), area_.bottom()}, kGrid, style_.scale);
  for (const Tick& t : y_ticks_)
    canvas_.line({area_.x, py(t.value)}, {area_.right(), py(t.value)}, kGrid, style_.scale);
}

void Axes::line(const std::vector<double>& xs, const std::vector<double>& ys, Rgb color, double width,
                double alpha) {
  const size_t n = std::min(xs.size(), ys.size());
  std::vector<Point> points;
  const bool thin = static_cast<double>(n) > 4 * area_.w;
  // The pending pixel column: indices of its first, lowest, highest and last point.
  long column = 0;
  size_t first = 0, low = 0, high = 0, last = 0;
  bool open = false;
  auto flush = [&] {
    if (!open) return;
    size_t idx[4] = {first, low, high, last};
    std::sort(idx, idx + 4);
    for (int k = 0; k < 4; ++k)
      if (k == 0 || idx[k] != idx[k - 1]) points.push_back({px(xs[idx[k]]), py(ys[idx[k]])});
    open = false;
  };
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) {
      flush();
      points.push_back({NAN, NAN});
      continue;
    }
    if (!thin) {
      points.push_back({px(xs[i]), py(ys[i])});
      continue;
    }
    const long c = std::lround(std::floor(px(xs[i])));
    if (open && c != column) flush();
    if (!open) {
      open = true;
      column = c;
      first = low = high = i;
    }
    if (ys[i] < ys[low]) low = i;
    if (ys[i] > ys[high]) high = i;
    last = i;
  }
  flush();
  canvas_.clipped(area_, [&] { canvas_.polyline(points, color, width, alpha); });
}

void Axes::markers(const std::vector<double>& xs, const std::vector<double>& ys, Rgb color, double radius) {
  canvas_.clipped(area_, [&] {
    for (size_t i = 0; i < std::min(xs.size(), ys.size()); ++i)
      if (std::isfinite(xs[i]) && std::isfinite(ys[i]))
        canvas_.circle({px(xs[i]), py(ys[i])}, radius, color, kWhite, radius * 0.4);
  });
}

void Axes::x_span(double x0, double x1, Rgb color, double alpha) {
  const double a = std::clamp(px(x0), area_.x, area_.right()), b = std::clamp(px(x1), area_.x, area_.right());
  canvas_.fill_rect({a, area_.y, std::max(b - a, style_.scale), area_.h}, color, alpha);
}

void Axes::draw_frame(const std::string& x_label, const std::string& y_label, const std::string& title) {
  const double tick = style_.tick_length(), font = style_.tick_font(), gap = 3 * style_.scale;
  canvas_.stroke_rect(area_, kSubtleInk, style_.scale);
  for (const Tick& t : x_ticks_) {
    const double x = px(t.value);
    if (x < area_.x - 0.5 || x > area_.right() + 0.5) continue;
    canvas_.line({x, area_.bottom()}, {x, area_.bottom() + tick}, kSubtleInk, style_.scale);
    canvas_.text({x, area_.bottom() + tick + gap}, t.label,
                 {.size = font, .color = kSubtleInk, .h = Align::center, .v = Align::start});
  }
  double widest = 0;
  for (const Tick& t : y_ticks_) {
    const double y = py(t.value);
    if (y < area_.y - 0.5 || y > area_.bottom() + 0.5) continue;
    canvas_.line({area_.x - tick, y}, {area_.x, y}, kSubtleInk, style_.scale);
    canvas_.text({area_.x - tick - gap, y}, t.label,
                 {.size = font, .color = kSubtleInk, .h = Align::end, .v = Align::center});
    widest = std::max(widest, canvas_.text_width(t.label, font));
  }
  if (!x_label.empty())
    canvas_.text({area_.x + area_.w / 2, area_.bottom() + tick + gap + font * 1.3 + gap}, x_label,
                 {.size = style_.label_font(), .h = Align::center, .v = Align::start});
  if (!y_label.empty())
    canvas_.text({area_.x - tick - 2 * gap - widest - gap, area_.y + area_.h / 2}, y_label,
                 {.size = style_.label_font(), .h = Align::center, .v = Align::end, .vertical = true});
  if (!title.empty())
    canvas_.text({area_.x, area_.y - 2 * gap}, title,
                 {.size = style_.title_font(), .bold = true, .v = Align::end});
}

void Axes::legend_top_right(const std::vector<LegendEntry>& entries) {
  const Point size = legend_size(canvas_, entries, style_);
  const double inset_px = 6 * style_.scale;
  draw_legend(canvas_, {area_.right() - size.x - inset_px, area_.y + inset_px}, entries, style_);
}

}  // namespace rwkvs
