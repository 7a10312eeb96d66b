#pragma once
// A thin drawing surface over cairo that writes a PNG or an SVG, chosen by the output file's
// extension, from the same drawing calls. Coordinates are pixels (SVG user units), origin top-left,
// y down. Only canvas.cpp sees cairo; figures draw through this class and plot/axes.h.
//
// Cairo's SVG backend draws text as glyph outlines, which no viewer can search or select, so the
// SVG also gets each text as an invisible <text> element at the same place (the way PDF
// renderers lay a text layer over scanned pages): "find in page" and copy work, and tools can
// read the labels.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/plot/color.h"

typedef struct _cairo cairo_t;
typedef struct _cairo_surface cairo_surface_t;

namespace rwkvs {

struct Point {
  double x = 0, y = 0;
};

struct Rect {
  double x = 0, y = 0, w = 0, h = 0;
  double right() const { return x + w; }
  double bottom() const { return y + h; }
};

// Space taken from each side of a rectangle.
struct Margins {
  double left = 0, top = 0, right = 0, bottom = 0;
};
Rect inset(const Rect& r, const Margins& m);

enum class ImageFormat { png, svg };
// The format named by the extension of 'path' (.png or .svg, any case); Error naming the path
// otherwise.
ImageFormat image_format_of(const std::string& path);

enum class Align { start, center, end };

struct TextStyle {
  double size = 12;  // pixels
  Rgb color = kInk;
  bool bold = false;
  Align h = Align::start;   // the anchor is the text's left edge, middle or right edge
  Align v = Align::center;  // the anchor is the text's top, middle or bottom (ascent to descent)
  bool vertical = false;    // rotated a quarter turn counter-clockwise, reading bottom to top
};

class Canvas {
 public:
  // A white canvas of width x height pixels (each in [16, 16384]) for 'path'; nothing is written
  // until save(). Error naming the path for an unknown extension or a surface cairo refuses.
  Canvas(const std::string& path, int width, int height);
  ~Canvas();
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  int width() const { return width_; }
  int height() const { return height_; }
  ImageFormat format() const { return format_; }

  void fill_rect(const Rect& r, Rgb color, double alpha = 1);
  void stroke_rect(const Rect& r, Rgb color, double line_width);
  void line(Point a, Point b, Rgb color, double line_width, bool dashed = false);
  // Connected segments; a non-finite point breaks the line there.
  void polyline(const std::vector<Point>& points, Rgb color, double line_width, double alpha = 1);
  void circle(Point center, double radius, Rgb fill, Rgb edge, double edge_width);
  void text(Point anchor, const std::string& utf8, const TextStyle& style);
  double text_width(const std::string& utf8, double size, bool bold = false);
  // A raster image stretched over 'dest' with smooth interpolation: pixels row-major, top row
  // first, 0xRRGGBB each.
  void image(const std::vector<uint32_t>& rgb /*[rows * cols]*/, int cols, int rows, const Rect& dest);
  // Runs 'draw' with everything outside 'r' masked.
  void clipped(const Rect& r, const std::function<void()>& draw);

  // Writes the file atomically (temp file + rename). Error naming the path on failure.
  void save();

 private:
  struct TextRecord {
    Point origin;  // baseline start in the rotated frame around 'pivot'
    Point pivot;
    double size, width;
    bool bold, vertical;
    std::string text;
  };
  void select_font(double size, bool bold);
  std::string svg_text_layer() const;

  std::string path_;
  ImageFormat format_;
  int width_, height_;
  cairo_surface_t* surface_ = nullptr;
  cairo_t* cr_ = nullptr;
  std::string svg_bytes_;  // the SVG stream collects here until save()
  std::vector<TextRecord> texts_;
};

}  // namespace rwkvs
