#pragma once
// One plot panel on a Canvas: a data rectangle with linear x and y ranges, light grid lines at
// "nice" ticks (1, 2 or 5 x 10^k), tick labels, axis labels, a title, data lines clipped to the
// rectangle, shaded x spans and a legend.
#include <string>
#include <vector>

#include "src/plot/canvas.h"

namespace rwkvs {

struct Range {
  double lo = 0, hi = 1;
  double span() const { return hi - lo; }
};

// Finite min and max of 'values' ({0, 1} when there are none).
Range finite_range(const std::vector<double>& values);
// 'r' widened by 'fraction' of its span on each side; a flat range (lo == hi) is widened around
// its value so that it can still be drawn.
Range padded(Range r, double fraction);

struct Tick {
  double value;
  std::string label;
};

// About 'target' evenly spaced round values inside [r.lo, r.hi], labelled with format_tick().
std::vector<Tick> nice_ticks(Range r, int target);
// A tick label with just the precision the spacing 'step' needs: "0.5", "1200", "20k", "6e-4".
// Small values share the exponent of 'largest' (the axis's largest |tick|) so an axis reads
// 0.5e-3, 1.0e-3, 1.5e-3 rather than mixing exponents.
std::string format_tick(double value, double step, double largest = 0);

// The items joined by " · ", as many as fit in 'width' pixels at 'font' size ("..." marks a cut).
std::string join_to_fit(Canvas& canvas, const std::vector<std::string>& items, double width, double font);

struct LegendEntry {
  std::string label;
  Rgb color;
  double line_width = 2;  // the sample line; 0 draws a filled swatch instead
  double alpha = 1;
};

// Font sizes and spacing of a figure; every size scales with the picture so a larger picture
// stays readable rather than becoming small print.
struct PlotStyle {
  double scale = 1;
  double tick_font() const { return 12 * scale; }
  double label_font() const { return 13 * scale; }
  double title_font() const { return 14 * scale; }
  double tick_length() const { return 4 * scale; }
  double line_width() const { return 1.6 * scale; }
};

// Width and height a legend box of these entries takes.
Point legend_size(Canvas& canvas, const std::vector<LegendEntry>& entries, const PlotStyle& style);
// Draws a legend box with its top-left corner at 'at'.
void draw_legend(Canvas& canvas, Point at, const std::vector<LegendEntry>& entries, const PlotStyle& style);

class Axes {
 public:
  // 'area' is the data rectangle; labels and ticks are drawn outside it (leave margins).
  Axes(Canvas& canvas, const Rect& area, Range x, Range y, const PlotStyle& style);

  const Rect& area() const { return area_; }
  Range x_range() const { return x_; }
  Range y_range() const { return y_; }
  double px(double x) const { return area_.x + (x - x_.lo) / x_.span() * area_.w; }
  double py(double y) const { return area_.bottom() - (y - y_.lo) / y_.span() * area_.h; }

  // Replace the automatic ticks (e.g. frequencies at their mel positions).
  void set_x_ticks(std::vector<Tick> ticks) { x_ticks_ = std::move(ticks); }
  void set_y_ticks(std::vector<Tick> ticks) { y_ticks_ = std::move(ticks); }

  // Background and grid: call before drawing data.
  void draw_grid();
  // Data as a line through (xs[i], ys[i]); non-finite values leave gaps. Series far longer than
  // the panel is wide are thinned to each pixel column's first, lowest, highest and last point,
  // which keeps every spike visible.
  void line(const std::vector<double>& xs, const std::vector<double>& ys, Rgb color, double width,
            double alpha = 1);
  void markers(const std::vector<double>& xs, const std::vector<double>& ys, Rgb color, double radius);
  // A band over [x0, x1] across the full height.
  void x_span(double x0, double x1, Rgb color, double alpha);
  // Frame, ticks, tick labels, axis labels and the title above the frame's left corner.
  void draw_frame(const std::string& x_label, const std::string& y_label, const std::string& title);
  // A legend inside the data rectangle's top-right corner.
  void legend_top_right(const std::vector<LegendEntry>& entries);

 private:
  Canvas& canvas_;
  Rect area_;
  Range x_, y_;
  PlotStyle style_;
  std::vector<Tick> x_ticks_, y_ticks_;
};

}  // namespace rwkvs
