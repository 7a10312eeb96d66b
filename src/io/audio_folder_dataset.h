#pragma once
// A folder per label, as Google Speech Commands lays it out:
//   root/<label>/<speaker>_nohash_<n>.wav, root/_background_noise_/*.wav,
//   root/validation_list.txt, root/testing_list.txt  (lines like "yes/0a7c2a8d_nohash_0.wav")
#include <cstdint>
#include <string>
#include <string_view>

#include "src/io/audio_example.h"

namespace rwkvs {

struct FolderSplitOptions {
  // Used only when the root has neither validation_list.txt nor testing_list.txt: the share of
  // speakers (in percent) sent to validation and test, chosen by a hash of the speaker id.
  double validation_percent = 10;
  double test_percent = 10;
};

// Reads the dataset under 'root'. Every non-hidden subfolder except _background_noise_ is a class
// (class ids follow the sorted names); its audio files (by extension) are the examples. Hidden
// entries, non-audio files and nested folders are ignored. When a list file exists it defines that
// split and everything unlisted is train; otherwise the split is by speaker hash. Examples in each
// split are sorted by path. Throws rwkvs::Error naming the path for: a missing root or one that is
// not a directory, no class folders, a class folder without audio, a list entry that names no audio
// file of a class folder, and a file listed in both lists.
AudioDataset load_audio_folder(const std::string& root, const FolderSplitOptions& options = {});

// The speaker id Speech Commands encodes in a file name: the part before "_nohash_", or the whole
// name without its extension when there is none.
std::string speaker_of(std::string_view file_name);

enum class Split { train, validation, test };

// The split a speaker belongs to under hash splitting: a fixed 64-bit FNV-1a hash of the speaker id
// mapped to [0, 100); below validation_percent is validation, below validation + test is test.
// Stable across runs and platforms, so one speaker never lands in two splits.
Split split_of_speaker(std::string_view speaker, const FolderSplitOptions& options);

}  // namespace rwkvs
