#include "src/plot/training_curves.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "base/error.h"
#include "src/train/train_log.h"

namespace rwkvs {

namespace {

struct PanelSpec {
  std::string title, x_label, y_label;
  Range x, y;
  std::function<void(Axes&)> draw;  // data and legend, between the grid and the frame
};

// Wall-clock seconds shown in the unit that keeps tick labels short.
struct TimeUnit {
  double seconds;
  const char* name;
};
TimeUnit time_unit_for(double max_seconds) {
  if (max_seconds > 3 * 3600) return {3600, "h"};
  if (max_seconds > 3 * 60) return {60, "min"};
  return {1, "s"};
}

std::vector<double> scaled(const std::vector<double>& v, double divisor) {
  std::vector<double> out(v);
  for (double& x : out) x /= divisor;
  return out;
}

double quantile(std::vector<double> v, double q) {
  std::erase_if(v, [](double x) { return !std::isfinite(x); });
  if (v.empty()) return NAN;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size() - 1)));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

// The y range of a noisy loss: from its minimum to its 98th percentile, unless the maximum is
// close anyway. Early spikes (the first steps of training) would otherwise squash the part of
// the curve people read; they run off the top of the panel instead.
Range loss_range(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> all(a);
  all.insert(all.end(), b.begin(), b.end());
  Range r = finite_range(all);
  const double top = quantile(all, 0.98);
  if (std::isfinite(top) && r.hi > top + 0.5 * (top - r.lo)) r.hi = top + 0.1 * (top - r.lo);
  return padded(r, 0.06);
}

double smoothing_span(size_t points) { return std::clamp(static_cast<double>(points) / 25.0, 1.0, 500.0); }

Range step_range(const TrainingHistory& h) {
  std::vector<double> steps;
  for (const Series* s : {&h.loss, &h.lr}) steps.insert(steps.end(), s->step.begin(), s->step.end());
  for (const Series& s : h.validation) steps.insert(steps.end(), s.step.begin(), s.step.end());
  Range r = finite_range(steps);
  if (r.lo >= 0 && r.lo <= 0.05 * r.hi) r.lo = 0;
  return r.hi > r.lo ? r : padded(r, 0);
}

std::string pretty_metric(const std::string& key) {
  if (key == "val_bpb") return "Validation bits per byte";
  if (key == "val_loss") return "Validation loss";
  if (key == "val_accuracy") return "Validation accuracy";
  std::string s = key.substr(4);
  std::replace(s.begin(), s.end(), '_', ' ');
  return "Validation " + s;
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::vector<std::string> summary_items(const TrainingHistory& h, const std::vector<double>& loss_smooth) {
  std::vector<std::string> items = {std::to_string(h.lines) + " records"};
  std::vector<double> all_steps(h.loss.step);
  all_steps.insert(all_steps.end(), h.lr.step.begin(), h.lr.step.end());
  for (const Series& v : h.validation) all_steps.insert(all_steps.end(), v.step.begin(), v.step.end());
  const Range steps = finite_range(all_steps);
  items.push_back("steps " + fmt("%.0f", steps.lo) + "–" + fmt("%.0f", steps.hi));
  std::vector<double> times(h.loss.time);
  for (const Series& v : h.validation) times.insert(times.end(), v.time.begin(), v.time.end());
  const Range t = finite_range(times);
  if (!times.empty() && t.hi > 0) items.push_back(format_duration(t.hi));
  if (!loss_smooth.empty()) items.push_back("loss " + fmt("%.4g", loss_smooth.back()) + " (smoothed)");
  for (const Series& v : h.validation)
    if (!v.empty()) items.push_back(v.name + " " + fmt("%.4g", v.value.back()));
  return items;
}

}  // namespace

std::vector<double> smoothed(const std::vector<double>& values, double span) {
  const double alpha = 2.0 / (std::max(span, 1.0) + 1.0);
  std::vector<double> out(values.size());
  double avg = 0, weight = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    avg = (1 - alpha) * avg + alpha * values[i];
    weight = (1 - alpha) * weight + alpha;
    out[i] = avg / weight;
  }
  return out;
}

std::vector<PanelPlacement> plot_training_curves(const TrainingHistory& h, const std::string& out_path,
                                                 const TrainingCurvesOptions& o) {
  Canvas canvas(out_path, o.width, o.height);
  const PlotStyle style{.scale = std::clamp(std::min(o.width / 1200.0, o.height / 800.0), 0.6, 4.0)};
  const double s = style.scale, lw = style.line_width();
  const Rgb raw_color = rgb_hex(0x1f77b4), smooth_color = rgb_hex(0x0b4f8a), val_color = rgb_hex(0xd62728);
  const Range steps = step_range(h);
  const std::vector<double> loss_smooth = smoothed(h.loss.value, smoothing_span(h.loss.value.size()));
  const Series* val_loss = nullptr;
  for (const Series& v : h.validation)
    if (v.name == "val_loss" && !v.empty()) val_loss = &v;

  std::vector<PanelSpec> panels;
  if (!h.loss.empty() || val_loss) {
    const std::vector<double> none;
    panels.push_back({"Loss", "step", "loss", steps,
                      loss_range(h.loss.value, val_loss ? val_loss->value : none), [&](Axes& ax) {
                        ax.line(h.loss.step, h.loss.value, raw_color, lw * 0.6, 0.3);
                        ax.line(h.loss.step, loss_smooth, smooth_color, lw * 1.2);
                        std::vector<LegendEntry> legend;
                        if (!h.loss.empty())
                          legend = {{"train (raw)", raw_color, lw * 0.6, 0.3},
                                    {"train (smoothed)", smooth_color, lw * 1.2}};
                        if (val_loss) {
                          ax.line(val_loss->step, val_loss->value, val_color, lw);
                          ax.markers(val_loss->step, val_loss->value, val_color, 3 * s);
                          legend.push_back({"validation", val_color, lw});
                        }
                        ax.legend_top_right(legend);
                      }});
  }
  for (const Series& v : h.validation) {
    if (&v == val_loss || v.empty()) continue;
    panels.push_back({pretty_metric(v.name), "step", v.name, steps, padded(finite_range(v.value), 0.08),
                      [&, series = &v](Axes& ax) {
                        ax.line(series->step, series->value, val_color, lw);
                        if (series->value.size() <= 80)
                          ax.markers(series->step, series->value, val_color, 3 * s);
                      }});
  }
  if (!h.lr.empty()) {
    const Range r = finite_range(h.lr.value);
    panels.push_back({"Learning rate", "step", "learning rate", steps,
                      r.lo >= 0 && r.hi > r.lo ? Range{0, r.hi * 1.08} : padded(r, 0.08),
                      [&](Axes& ax) { ax.line(h.lr.step, h.lr.value, rgb_hex(0x2ca02c), lw); }});
  }
  const Range times = finite_range(h.loss.time);
  const bool have_times =
      std::any_of(h.loss.time.begin(), h.loss.time.end(), [](double t) { return std::isfinite(t); });
  if (!h.loss.empty() && have_times && times.hi > 0) {
    const TimeUnit unit = time_unit_for(times.hi);
    panels.push_back({"Loss against wall-clock time", std::string("wall-clock time (") + unit.name + ")",
                      "loss", Range{0, times.hi / unit.seconds}, loss_range(h.loss.value, {}),
                      [&, unit](Axes& ax) {
                        const std::vector<double> t = scaled(h.loss.time, unit.seconds);
                        ax.line(t, h.loss.value, raw_color, lw * 0.6, 0.3);
                        ax.line(t, loss_smooth, smooth_color, lw * 1.2);
                      }});
  }

  // Header: the run's name and a one-line summary.
  const double pad = 14 * s, header = 58 * s;
  canvas.text({pad, pad}, o.title.empty() ? "Training curves" : "Training curves — " + o.title,
              {.size = 17 * s, .bold = true, .v = Align::start});
  canvas.text({pad, pad + 24 * s},
              join_to_fit(canvas, summary_items(h, loss_smooth), o.width - 2 * pad, style.tick_font()),
              {.size = style.tick_font(), .color = kSubtleInk, .v = Align::start});

  const int n = static_cast<int>(panels.size());
  const int cols = n == 1 ? 1 : 2, rows = (n + cols - 1) / cols;
  const Rect grid{pad, header, o.width - 2 * pad, o.height - header - pad * 0.5};
  const Margins margins{78 * s, 30 * s, 18 * s, 52 * s};
  std::vector<PanelPlacement> placed;
  for (int i = 0; i < n; ++i) {
    const PanelSpec& p = panels[static_cast<size_t>(i)];
    const Rect cell{grid.x + grid.w / cols * (i % cols), grid.y + grid.h / rows * (i / cols), grid.w / cols,
                    grid.h / rows};
    Axes ax(canvas, inset(cell, margins), p.x, p.y, style);
    ax.draw_grid();
    p.draw(ax);
    ax.draw_frame(p.x_label, p.y_label, p.title);
    placed.push_back({p.title, ax.area(), ax.x_range(), ax.y_range()});
  }
  canvas.save();
  return placed;
}

}  // namespace rwkvs
