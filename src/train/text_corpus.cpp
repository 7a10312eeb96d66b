#include "src/train/text_corpus.h"

#include "base/error.h"
#include "frontends/text/byte_tokenizer.h"
#include "src/io/read_file.h"

namespace rwkvs {

TextCorpus::TextCorpus(const std::string& path, double val_fraction, int64_t window_len) : path_(path) {
  if (!(val_fraction > 0.0 && val_fraction < 1.0))
    fail("--val-fraction must be between 0 and 1 (exclusive), got ", val_fraction);
  const std::string bytes = read_file_bytes(path, "data file");
  if (bytes.empty()) fail("data file '", path, "' is empty");
  const std::vector<int32_t> all = bytes_to_tokens(bytes);
  const auto n_val = static_cast<int64_t>(static_cast<double>(all.size()) * val_fraction);
  const int64_t n_train = static_cast<int64_t>(all.size()) - n_val;
  if (n_train < window_len || n_val < 2)
    fail("data file '", path, "' has ", all.size(), " bytes: too short for training windows of ", window_len,
         " bytes plus a ", val_fraction * 100, "% validation tail (use a larger file or a smaller --ctx)");
  train_.assign(all.begin(), all.begin() + n_train);
  val_.assign(all.begin() + n_train, all.end());
}

void TextCorpus::sample_windows(Rng& rng, int64_t B, int64_t len, std::vector<int32_t>& out) const {
  out.resize(static_cast<size_t>(B * len));
  const uint64_t starts = static_cast<uint64_t>(train_size() - len + 1);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t s = static_cast<int64_t>(rng.below(starts));
    std::copy(train_.begin() + s, train_.begin() + s + len, out.begin() + b * len);
  }
}

}  // namespace rwkvs
