#pragma once
// A byte-level text corpus: the file's bytes are the tokens (vocab 256). The last val_fraction of
// the file is held out for evaluation; training windows are drawn at random from the rest.
#include <cstdint>
#include <string>
#include <vector>

#include "base/rng.h"

namespace rwkvs {

class TextCorpus {
 public:
  // Reads 'path'. Errors name the file: missing, a directory, unreadable, empty, or too short to hold
  // one training window of window_len tokens and a validation window.
  TextCorpus(const std::string& path, double val_fraction, int64_t window_len);

  const std::string& path() const { return path_; }
  int64_t train_size() const { return static_cast<int64_t>(train_.size()); }
  int64_t val_size() const { return static_cast<int64_t>(val_.size()); }

  // B random windows of 'len' consecutive training tokens, row-major (B, len).
  void sample_windows(Rng& rng, int64_t B, int64_t len, std::vector<int32_t>& out) const;

  // The held-out tail.
  const std::vector<int32_t>& val_tokens() const { return val_; }

 private:
  std::string path_;
  std::vector<int32_t> train_, val_;
};

}  // namespace rwkvs
