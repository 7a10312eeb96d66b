#pragma once
// Audio as one long stream of mu-law samples (256 classes) for language modelling
// (rwkvs train --task audio-lm). The data is
//   - a folder, searched recursively for audio files (class folders, plain files, or both;
//     hidden entries and Speech Commands' _background_noise_ folder skipped),
//   - a JSON-lines manifest (audio_filepath, optional offset/duration), or
//   - a single audio file.
// Every file is decoded to mono, resampled to the model's rate and mu-law encoded. Files are held out
// for validation by a stable hash of their speaker (Speech Commands names "<speaker>_nohash_<n>.wav";
// otherwise the file name), so the split never changes between runs; a single file holds out its tail.
// The files of each split are concatenated in path order: training windows may span two files.
#include <cstdint>
#include <string>
#include <vector>

#include "base/rng.h"
#include "src/io/audio_example.h"

namespace rwkvs {

// The files (or spans of files) behind each split.
struct MulawSources {
  std::vector<AudioExample> train, val;
  bool single_file = false;  // one file: train and val are its head and tail
};

// Lists the audio under 'data' and splits it. val_fraction in (0, 1) is the share of speakers (or of
// a single file's samples) held out. Errors name the path: missing, an empty folder, a folder with no
// audio files, a manifest that is malformed or names missing files.
MulawSources list_mulaw_sources(const std::string& data, double val_fraction);

// Entropy in bits of the histogram of mu-law classes in q (0 for no samples).
double unigram_entropy_bits(const uint8_t* q /*[n]*/, size_t n);

class MulawCorpus {
 public:
  // Loads and encodes the audio under 'data' at sample_rate (said once on stderr when files are
  // resampled). Errors name the file that cannot be decoded, and say when the training audio is
  // shorter than one window of window_len samples or the held-out audio has fewer than 2 samples.
  MulawCorpus(const std::string& data, double sample_rate, double val_fraction, int64_t window_len);

  double sample_rate() const { return sample_rate_; }
  int64_t train_size() const { return static_cast<int64_t>(train_.size()); }
  int64_t val_size() const { return static_cast<int64_t>(val_.size()); }
  size_t train_files() const { return train_files_; }
  size_t val_files() const { return val_files_; }
  const std::vector<uint8_t>& train() const { return train_; }
  const std::vector<uint8_t>& val() const { return val_; }

  // Entropy of the training samples' class histogram: what a model that ignores context achieves.
  double unigram_bits() const { return unigram_bits_; }

  // B random windows of 'len' consecutive training samples as class ids, row-major (B, len).
  void sample_windows(Rng& rng, int64_t B, int64_t len, std::vector<int32_t>& out) const;

 private:
  double sample_rate_;
  std::vector<uint8_t> train_, val_;  // mu-law classes 0..255
  size_t train_files_ = 0, val_files_ = 0;
  double unigram_bits_ = 0;
};

}  // namespace rwkvs
