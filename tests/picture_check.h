#pragma once
// Reading back the pictures the plot tests draw: PNG pixels through cairo (plus the signature and
// IHDR size straight from the bytes), SVG through expat (well-formedness, root size, every
// <text> element's content).
#include <cairo.h>
#include <expat.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "src/plot/color.h"
#include "tests/support.h"

namespace rwkvs::test {

struct PngImage {
  int width = 0, height = 0;
  std::vector<uint32_t> pixels;  // 0x00RRGGBB, row-major
  Rgb at(double x, double y) const {
    const int xi = std::clamp(static_cast<int>(x), 0, width - 1),
              yi = std::clamp(static_cast<int>(y), 0, height - 1);
    const uint32_t p = pixels[static_cast<size_t>(yi) * static_cast<size_t>(width) + static_cast<size_t>(xi)];
    return rgb_hex(p & 0xffffff);
  }
};

inline double luminance(Rgb c) { return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b; }
inline double color_distance(Rgb a, Rgb b) {
  return std::max({std::fabs(a.r - b.r), std::fabs(a.g - b.g), std::fabs(a.b - b.b)});
}

// Width and height from the IHDR chunk, after checking the 8-byte PNG signature; {-1, -1} if the
// bytes are not a PNG.
inline std::pair<int, int> png_header_size(const std::string& bytes) {
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() < 24 || bytes.compare(0, 8, std::string(reinterpret_cast<const char*>(sig), 8)) != 0 ||
      bytes.compare(12, 4, "IHDR") != 0)
    return {-1, -1};
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
    return static_cast<int>(v);
  };
  return {be32(16), be32(20)};
}

inline PngImage read_png(const std::string& path) {
  PngImage img;
  cairo_surface_t* s = cairo_image_surface_create_from_png(path.c_str());
  REQUIRE_MESSAGE(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS, "cairo cannot read " << path);
  cairo_surface_flush(s);
  img.width = cairo_image_surface_get_width(s);
  img.height = cairo_image_surface_get_height(s);
  const int stride = cairo_image_surface_get_stride(s);
  const unsigned char* data = cairo_image_surface_get_data(s);
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      img.pixels.push_back(reinterpret_cast<const uint32_t*>(data + y * stride)[x] & 0xffffff);
  cairo_surface_destroy(s);
  return img;
}

struct SvgDocument {
  bool well_formed = false;
  std::string error;  // expat's message and line when not well formed
  std::string root, width, height;
  std::vector<std::string> texts;  // content of every <text> element, in document order
  bool has_text(const std::string& t) const {
    return std::find(texts.begin(), texts.end(), t) != texts.end();
  }
};

inline SvgDocument read_svg(const std::string& path) {
  struct State {
    SvgDocument doc;
    int text_depth = 0;
  } st;
  XML_Parser p = XML_ParserCreate("UTF-8");
  XML_SetUserData(p, &st);
  XML_SetElementHandler(
      p,
      [](void* u, const XML_Char* name, const XML_Char** attrs) {
        auto* s = static_cast<State*>(u);
        const std::string n = name;
        if (s->doc.root.empty()) {
          s->doc.root = n;
          for (int i = 0; attrs[i]; i += 2) {
            if (std::string(attrs[i]) == "width") s->doc.width = attrs[i + 1];
            if (std::string(attrs[i]) == "height") s->doc.height = attrs[i + 1];
          }
        }
        if (n == "text") {
          ++s->text_depth;
          s->doc.texts.emplace_back();
        }
      },
      [](void* u, const XML_Char* name) {
        auto* s = static_cast<State*>(u);
        if (std::string(name) == "text") --s->text_depth;
      });
  XML_SetCharacterDataHandler(p, [](void* u, const XML_Char* chars, int len) {
    auto* s = static_cast<State*>(u);
    if (s->text_depth > 0) s->doc.texts.back().append(chars, static_cast<size_t>(len));
  });
  const std::string bytes = read_text(path);
  st.doc.well_formed = XML_Parse(p, bytes.data(), static_cast<int>(bytes.size()), 1) == XML_STATUS_OK;
  if (!st.doc.well_formed)
    st.doc.error = std::string(XML_ErrorString(XML_GetErrorCode(p))) + " at line " +
                   std::to_string(XML_GetCurrentLineNumber(p));
  XML_ParserFree(p);
  return st.doc;
}

}  // namespace rwkvs::test
