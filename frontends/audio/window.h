#pragma once
// Analysis windows for framed features: Kaldi's (povey, hanning, hamming, rectangular, blackman,
// all symmetric over L-1) and the periodic Hann (2 pi n / L) that torch.hann_window and knf "hann"
// use.
#include <string>
#include <string_view>
#include <vector>

namespace rwkvs {

enum class WindowType { povey, hann, hanning, hamming, rectangular, blackman };

// "povey" -> WindowType::povey, ...; an unknown name is an Error listing the valid ones.
WindowType parse_window_type(std::string_view name);
std::string window_type_name(WindowType type);
const std::vector<std::string>& window_type_names();

// w[n] for n = 0..length-1, computed in double and rounded to float once. blackman_coeff is
// Kaldi's generalised Blackman constant (0.42 gives the classic Blackman window).
std::vector<float> make_window(WindowType type, int length, double blackman_coeff = 0.42);

// torch.hann_window(length) (periodic) as torch computes it in float32: the angle n * float(2 pi / L)
// is rounded to float before the cosine, which moves most entries an ulp away from the exact window.
// MelSpectrogram uses it so that quiet bins (where the log amplifies an ulp) agree with torchaudio.
std::vector<float> torch_hann_window(int length);

}  // namespace rwkvs
