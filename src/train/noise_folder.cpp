#include "src/train/noise_folder.h"

#include <algorithm>
#include <filesystem>

#include "base/error.h"
#include "src/io/audio_example.h"

namespace rwkvs {

namespace fs = std::filesystem;

std::vector<std::string> find_noise_files(const std::vector<std::string>& dirs) {
  std::vector<std::string> all;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) fail_usage("--noise-dir '", dir, "' is not a folder");
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    if (ec) fail_usage("--noise-dir '", dir, "' cannot be read: ", ec.message());
    std::vector<std::string> found;
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) fail_usage("--noise-dir '", dir, "' cannot be read: ", ec.message());
      const std::string name = it->path().filename().string();
      if (!name.empty() && name[0] == '.') {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec) && is_audio_file_name(name)) found.push_back(it->path().string());
    }
    if (found.empty())
      fail_usage("--noise-dir '", dir, "' holds no audio files (looked for .wav, .flac, .ogg, ... in it and its subfolders)");
    std::sort(found.begin(), found.end());
    all.insert(all.end(), found.begin(), found.end());
  }
  return all;
}

}  // namespace rwkvs
