#pragma once
// Extra noise for augmentation from any folders (--noise-dir): every audio file under them.
#include <string>
#include <vector>

namespace rwkvs {

// Every audio file (an extension libsndfile reads, as is_audio_file_name) under each folder,
// recursively, hidden entries skipped, sorted within each folder. UsageError naming --noise-dir
// and the folder when it is missing, not a folder, or holds no audio file.
std::vector<std::string> find_noise_files(const std::vector<std::string>& dirs);

}  // namespace rwkvs
