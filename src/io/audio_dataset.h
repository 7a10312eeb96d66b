#pragma once
// One entry point for audio datasets: a folder per label (Speech Commands layout) or a JSON-lines
// manifest, chosen by what the path is.
#include <string>

#include "src/io/audio_example.h"
#include "src/io/audio_folder_dataset.h"

namespace rwkvs {

struct AudioDatasetOptions {
  FolderSplitOptions folder_split;  // folder datasets without list files
  // Manifests hold one split each: the main path is train, these (optional) the others.
  std::string validation_manifest;
  std::string test_manifest;
  bool check_files = true;  // manifests: every audio file must exist and be readable
};

// A directory is read by load_audio_folder(); a *.jsonl / *.json file is a manifest. For manifests
// the classes are the sorted distinct labels of the train manifest; a labelled manifest must label
// every line, and a validation/test label unknown to train is an error naming its line. Manifests
// without labels give label -1 and no classes (transcripts are in AudioExample::text).
AudioDataset load_audio_dataset(const std::string& path, const AudioDatasetOptions& options = {});

}  // namespace rwkvs
