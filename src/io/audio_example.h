#pragma once
// The unit every audio dataset hands to training: one clip (or a span of one) with its label.
// Manifests and folder-per-label datasets both produce these.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rwkvs {

struct AudioExample {
  std::string path;                // the audio file, resolved (absolute, or relative to the cwd)
  int label = -1;                  // index into AudioDataset::classes; -1 for an unlabelled example
  std::string label_name;          // classes[label], or "" when unlabelled
  std::string text;                // transcript (manifests with "text"), else ""
  double offset = 0;               // seconds into the file where the example starts
  std::optional<double> duration;  // seconds; empty means "to the end of the file"
};

struct AudioDataset {
  std::vector<std::string> classes;  // sorted class names; class id = position
  std::vector<AudioExample> train, validation, test;
  std::vector<std::string> noise_files;  // background noise for mixing (Speech Commands layout)
};

// True when a file name has an audio extension libsndfile reads (wav, flac, ogg, ...), any case.
bool is_audio_file_name(std::string_view name);

}  // namespace rwkvs
