#include "src/plot/color.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace rwkvs {

Rgb rgb_hex(unsigned hex) {
  return {((hex >> 16) & 0xff) / 255.0, ((hex >> 8) & 0xff) / 255.0, (hex & 0xff) / 255.0};
}

Rgb viridis(double t) {
  // Viridis sampled at t = 0, 0.1, ..., 1; linear interpolation between the samples stays within
  // a few units of 255 of the full map.
  static const std::array<unsigned, 11> stops = {0x440154, 0x482475, 0x414487, 0x355f8d, 0x2a788e, 0x21918c,
                                                 0x22a884, 0x44bf70, 0x7ad151, 0xbddf26, 0xfde725};
  if (!(t > 0)) t = 0;  // NaN too
  t = std::min(t, 1.0) * 10;
  const int i = std::min(static_cast<int>(t), 9);
  const double f = t - i;
  const Rgb a = rgb_hex(stops[static_cast<size_t>(i)]), b = rgb_hex(stops[static_cast<size_t>(i) + 1]);
  return {a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)};
}

Rgb series_color(int i) {
  static const std::array<unsigned, 10> palette = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                                   0x8c564b, 0xe377c2, 0x17becf, 0xbcbd22, 0x393b79};
  return rgb_hex(palette[static_cast<size_t>(std::max(i, 0)) % palette.size()]);
}

std::vector<Rgb> label_colors(const std::vector<std::string>& labels) {
  static const std::array<unsigned, 3> grays = {0x8c8c8c, 0xb4b4b4, 0x5a5a5a};
  std::vector<Rgb> colors;
  int keyword = 0;
  size_t gray = 0;
  for (const std::string& label : labels)
    colors.push_back(!label.empty() && label[0] == '_' ? rgb_hex(grays[gray++ % grays.size()])
                                                       : series_color(keyword++));
  return colors;
}

Rgb blend(Rgb under, Rgb c, double alpha) {
  return {under.r + alpha * (c.r - under.r), under.g + alpha * (c.g - under.g),
          under.b + alpha * (c.b - under.b)};
}

}  // namespace rwkvs
