#include "src/plot/canvas.h"

#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "base/error.h"
#include "src/io/atomic_file.h"

namespace rwkvs {

namespace {

constexpr const char* kFontFamily = "DejaVu Sans";  // fonts-dejavu-core; fontconfig substitutes otherwise

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

void set_color(cairo_t* cr, Rgb c, double alpha = 1) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha); }

std::string xml_escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

Rect inset(const Rect& r, const Margins& m) {
  return {r.x + m.left, r.y + m.top, std::max(0.0, r.w - m.left - m.right),
          std::max(0.0, r.h - m.top - m.bottom)};
}

ImageFormat image_format_of(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".png") return ImageFormat::png;
  if (ext == ".svg") return ImageFormat::svg;
  fail("'", path, "': unknown picture format '", ext, "' (expected a .png or .svg file name)");
}

Canvas::Canvas(const std::string& path, int width, int height)
    : path_(path), format_(image_format_of(path)), width_(width), height_(height) {
  RWKVS_CHECK(width >= 16 && width <= 16384 && height >= 16 && height <= 16384, "'", path, "': picture size ",
              width, "x", height, " is outside 16..16384 pixels");
  if (format_ == ImageFormat::png) {
    surface_ = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
  } else {
    surface_ = cairo_svg_surface_create_for_stream(append_to_string, &svg_bytes_, width, height);
    cairo_svg_surface_set_document_unit(surface_, CAIRO_SVG_UNIT_PX);
  }
  cr_ = cairo_create(surface_);
  if (cairo_status(cr_) != CAIRO_STATUS_SUCCESS) {
    const std::string why = cairo_status_to_string(cairo_status(cr_));
    cairo_destroy(cr_);
    cairo_surface_destroy(surface_);
    fail("'", path, "': cannot create a ", width, "x", height, " picture: ", why);
  }
  fill_rect({0, 0, static_cast<double>(width), static_cast<double>(height)}, kWhite);
}

Canvas::~Canvas() {
  cairo_destroy(cr_);
  cairo_surface_destroy(surface_);
}

void Canvas::fill_rect(const Rect& r, Rgb color, double alpha) {
  set_color(cr_, color, alpha);
  cairo_rectangle(cr_, r.x, r.y, r.w, r.h);
  cairo_fill(cr_);
}

void Canvas::stroke_rect(const Rect& r, Rgb color, double line_width) {
  set_color(cr_, color);
  cairo_set_line_width(cr_, line_width);
  cairo_rectangle(cr_, r.x, r.y, r.w, r.h);
  cairo_stroke(cr_);
}

void Canvas::line(Point a, Point b, Rgb color, double line_width, bool dashed) {
  set_color(cr_, color);
  cairo_set_line_width(cr_, line_width);
  if (dashed) {
    const double dash[] = {4 * line_width, 3 * line_width};
    cairo_set_dash(cr_, dash, 2, 0);
  }
  cairo_move_to(cr_, a.x, a.y);
  cairo_line_to(cr_, b.x, b.y);
  cairo_stroke(cr_);
  cairo_set_dash(cr_, nullptr, 0, 0);
}

void Canvas::polyline(const std::vector<Point>& points, Rgb color, double line_width, double alpha) {
  set_color(cr_, color, alpha);
  cairo_set_line_width(cr_, line_width);
  cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr_, CAIRO_LINE_CAP_ROUND);
  bool pen_down = false;
  for (const Point& p : points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      pen_down = false;
      continue;
    }
    if (pen_down) {
      cairo_line_to(cr_, p.x, p.y);
    } else {
      cairo_move_to(cr_, p.x, p.y);
      pen_down = true;
    }
  }
  cairo_stroke(cr_);
  cairo_set_line_cap(cr_, CAIRO_LINE_CAP_BUTT);
}

void Canvas::circle(Point center, double radius, Rgb fill, Rgb edge, double edge_width) {
  cairo_new_sub_path(cr_);
  cairo_arc(cr_, center.x, center.y, radius, 0, 2 * M_PI);
  set_color(cr_, fill);
  cairo_fill_preserve(cr_);
  set_color(cr_, edge);
  cairo_set_line_width(cr_, edge_width);
  cairo_stroke(cr_);
}

void Canvas::select_font(double size, bool bold) {
  cairo_select_font_face(cr_, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr_, size);
}

double Canvas::text_width(const std::string& utf8, double size, bool bold) {
  select_font(size, bold);
  cairo_text_extents_t e;
  cairo_text_extents(cr_, utf8.c_str(), &e);
  return e.x_advance;
}

void Canvas::text(Point anchor, const std::string& utf8, const TextStyle& style) {
  if (utf8.empty()) return;
  const double width = text_width(utf8, style.size, style.bold);  // also selects the font
  cairo_font_extents_t fe;
  cairo_font_extents(cr_, &fe);
  // The baseline start relative to the anchor, in the text's own (possibly rotated) frame.
  const double dx = style.h == Align::start ? 0 : style.h == Align::center ? -width / 2 : -width;
  const double dy = style.v == Align::start    ? fe.ascent
                    : style.v == Align::center ? (fe.ascent - fe.descent) / 2
                                               : -fe.descent;
  cairo_save(cr_);
  cairo_translate(cr_, anchor.x, anchor.y);
  if (style.vertical) cairo_rotate(cr_, -M_PI / 2);
  set_color(cr_, style.color);
  cairo_move_to(cr_, dx, dy);
  cairo_show_text(cr_, utf8.c_str());
  cairo_new_path(cr_);
  cairo_restore(cr_);
  if (format_ == ImageFormat::svg)
    texts_.push_back({{dx, dy}, anchor, style.size, width, style.bold, style.vertical, utf8});
}

void Canvas::image(const std::vector<uint32_t>& rgb, int cols, int rows, const Rect& dest) {
  RWKVS_CHECK(cols > 0 && rows > 0 && rgb.size() == static_cast<size_t>(cols) * static_cast<size_t>(rows),
              "'", path_, "': image of ", cols, "x", rows, " pixels given ", rgb.size(), " values");
  cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, cols, rows);
  if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(img);
    fail("'", path_, "': cannot create a ", cols, "x", rows, " raster image");
  }
  cairo_surface_flush(img);
  unsigned char* data = cairo_image_surface_get_data(img);
  const int stride = cairo_image_surface_get_stride(img);
  for (int r = 0; r < rows; ++r)
    std::copy_n(rgb.data() + static_cast<size_t>(r) * cols, cols,
                reinterpret_cast<uint32_t*>(data + r * stride));
  cairo_surface_mark_dirty(img);
  cairo_save(cr_);
  cairo_rectangle(cr_, dest.x, dest.y, dest.w, dest.h);
  cairo_clip(cr_);
  cairo_translate(cr_, dest.x, dest.y);
  cairo_scale(cr_, dest.w / cols, dest.h / rows);
  cairo_set_source_surface(cr_, img, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr_), CAIRO_FILTER_BILINEAR);
  cairo_pattern_set_extend(cairo_get_source(cr_), CAIRO_EXTEND_PAD);  // no fade to transparent at the edges
  cairo_paint(cr_);
  cairo_restore(cr_);
  cairo_surface_destroy(img);
}

void Canvas::clipped(const Rect& r, const std::function<void()>& draw) {
  cairo_save(cr_);
  cairo_rectangle(cr_, r.x, r.y, r.w, r.h);
  cairo_clip(cr_);
  try {
    draw();
  } catch (...) {
    cairo_restore(cr_);
    throw;
  }
  cairo_restore(cr_);
}

std::string Canvas::svg_text_layer() const {
  std::string s =
      "<g id=\"text-layer\" fill-opacity=\"0\" font-family=\"" + std::string(kFontFamily) + "\">\n";
  for (const TextRecord& t : texts_) {
    s += "<text transform=\"translate(" + num(t.pivot.x) + " " + num(t.pivot.y) + ")" +
         (t.vertical ? " rotate(-90)" : "") + "\" x=\"" + num(t.origin.x) + "\" y=\"" + num(t.origin.y) +
         "\" font-size=\"" + num(t.size) + "\"" + (t.bold ? " font-weight=\"bold\"" : "") + " textLength=\"" +
         num(t.width) + "\" lengthAdjust=\"spacingAndGlyphs\">" + xml_escaped(t.text) + "</text>\n";
  }
  return s + "</g>\n";
}

void Canvas::save() {
  std::string bytes;
  if (format_ == ImageFormat::png) {
    cairo_surface_flush(surface_);
    const cairo_status_t st = cairo_surface_write_to_png_stream(surface_, append_to_string, &bytes);
    RWKVS_CHECK(st == CAIRO_STATUS_SUCCESS, "'", path_,
                "': cannot encode the PNG: ", cairo_status_to_string(st));
  } else {
    cairo_surface_finish(surface_);  // flushes the whole document into svg_bytes_
    const cairo_status_t st = cairo_surface_status(surface_);
    RWKVS_CHECK(st == CAIRO_STATUS_SUCCESS, "'", path_,
                "': cannot write the SVG: ", cairo_status_to_string(st));
    const size_t end = svg_bytes_.rfind("</svg>");
    RWKVS_CHECK(end != std::string::npos, "'", path_, "': cairo produced an SVG without </svg>");
    bytes = svg_bytes_.substr(0, end) + svg_text_layer() + svg_bytes_.substr(end);
  }
  AtomicFile out(path_);
  out.write(bytes.data(), bytes.size());
  out.commit();
}

}  // namespace rwkvs
