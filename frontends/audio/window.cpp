#include "frontends/audio/window.h"

#include <cmath>
#include <numbers>

#include "base/error.h"

namespace rwkvs {

const std::vector<std::string>& window_type_names() {
  static const std::vector<std::string> names = {"povey",   "hann",        "hanning",
                                                 "hamming", "rectangular", "blackman"};
  return names;
}

WindowType parse_window_type(std::string_view name) {
  const auto& names = window_type_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<WindowType>(i);
  std::string valid;
  for (const auto& n : names) valid += (valid.empty() ? "" : "|") + n;
  fail("unknown window type '", name, "' (expected ", valid, ")");
}

std::string window_type_name(WindowType type) { return window_type_names().at(static_cast<size_t>(type)); }

std::vector<float> make_window(WindowType type, int length, double blackman_coeff) {
  RWKVS_CHECK(length >= 2, "window: length must be at least 2 samples, got ", length);
  std::vector<float> w(static_cast<size_t>(length));
  const double pi = std::numbers::pi;
  const double a = 2 * pi / (length - 1);  // symmetric windows: zero (or minimal) at both ends
  for (int n = 0; n < length; ++n) {
    double v = 1.0;
    switch (type) {
      case WindowType::povey:
        v = std::pow(0.5 - 0.5 * std::cos(a * n), 0.85);
        break;
      case WindowType::hanning:
        v = 0.5 - 0.5 * std::cos(a * n);
        break;
      case WindowType::hann:
        v = 0.5 - 0.5 * std::cos(2 * pi * n / length);
        break;
      case WindowType::hamming:
        v = 0.54 - 0.46 * std::cos(a * n);
        break;
      case WindowType::rectangular:
        v = 1.0;
        break;
      case WindowType::blackman:
        v = blackman_coeff - 0.5 * std::cos(a * n) + (0.5 - blackman_coeff) * std::cos(2 * a * n);
        break;
    }
    w[static_cast<size_t>(n)] = static_cast<float>(v);
  }
  return w;
}

std::vector<float> torch_hann_window(int length) {
  RWKVS_CHECK(length >= 2, "window: length must be at least 2 samples, got ", length);
  std::vector<float> w(static_cast<size_t>(length));
  const float step = static_cast<float>(2 * std::numbers::pi / length);
  for (int n = 0; n < length; ++n) {
    const float angle = static_cast<float>(n) * step;  // rounded to float, as torch's arange * scalar
    const float c = static_cast<float>(std::cos(static_cast<double>(angle)));
    w[static_cast<size_t>(n)] = 0.5f + (-0.5f * c);  // cos_().mul_(-0.5).add_(0.5), each step in float
  }
  return w;
}

}  // namespace rwkvs
