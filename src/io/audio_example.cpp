#include "src/io/audio_example.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace rwkvs {

bool is_audio_file_name(std::string_view name) {
  // The containers libsndfile 1.2 (Debian 12) decodes; raw PCM is left out: it needs a rate.
  static constexpr std::array<std::string_view, 17> kExtensions = {
      "wav", "wave", "flac", "ogg", "oga",  "opus", "aif", "aiff", "aifc",
      "au",  "snd",  "caf",  "w64", "rf64", "mp3",  "voc", "sd2"};
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size()) return false;
  std::string ext(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(kExtensions.begin(), kExtensions.end(), ext) != kExtensions.end();
}

}  // namespace rwkvs
