#pragma once
// Colors for figures: a perceptually ordered map for spectrograms and a palette of distinct colors
// for line series.
#include <string>
#include <vector>

namespace rwkvs {

struct Rgb {
  double r = 0, g = 0, b = 0;  // each in [0, 1]
};

Rgb rgb_hex(unsigned hex);  // 0xRRGGBB

// The viridis color map: dark blue-violet at 0 through teal to yellow at 1; brightness rises
// monotonically with t, so it reads correctly in grayscale too. t is clamped to [0, 1].
Rgb viridis(double t);

// A distinct color for series i of a figure (10 colors, then repeating).
Rgb series_color(int i);

// One color per class label: the series colors in order, except that labels starting with '_'
// (Speech Commands' _unknown_, _silence_, _background_noise_) get grays: they are the
// non-keyword classes and should not compete with the keywords for attention.
std::vector<Rgb> label_colors(const std::vector<std::string>& labels);

// 'c' drawn with opacity 'alpha' over 'under'.
Rgb blend(Rgb under, Rgb c, double alpha);

// Shared ink colors.
inline constexpr Rgb kInk{0.13, 0.13, 0.15};        // text, frames
inline constexpr Rgb kSubtleInk{0.38, 0.38, 0.42};  // tick labels, secondary text
inline constexpr Rgb kGrid{0.88, 0.88, 0.90};
inline constexpr Rgb kWhite{1, 1, 1};

}  // namespace rwkvs
