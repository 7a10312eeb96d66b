#include "src/train/mulaw_corpus.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "base/error.h"
#include "frontends/audio/mulaw.h"
#include "src/audio/clip_loader.h"
#include "src/io/audio_folder_dataset.h"
#include "src/io/manifest.h"

namespace rwkvs {
namespace {

namespace fs = std::filesystem;

// Hidden entries, and the background noise a Speech Commands folder keeps for augmentation: it is
// not part of the dataset (and white noise, which no model can predict, would swamp the metric).
bool is_skipped(const fs::path& p, bool is_dir) {
  const std::string name = p.filename().string();
  return (!name.empty() && name[0] == '.') || (is_dir && name == "_background_noise_");
}

// Every audio file under root (recursively), sorted so that the stream order is stable.
std::vector<AudioExample> folder_examples(const std::string& root) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) fail("cannot read data folder '", root, "': ", ec.message());
  std::vector<std::string> paths;
  size_t entries = 0;
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) fail("cannot read data folder '", root, "': ", ec.message());
    const fs::path& p = it->path();
    const bool is_dir = it->is_directory(ec);
    if (is_skipped(p, is_dir)) {
      if (is_dir) it.disable_recursion_pending();
      continue;
    }
    ++entries;
    if (it->is_regular_file(ec) && is_audio_file_name(p.filename().string())) paths.push_back(p.string());
  }
  if (entries == 0) fail("data folder '", root, "' is empty");
  if (paths.empty())
    fail("data folder '", root,
         "' holds no audio files (looked for .wav, .flac, .ogg, ... in it and its subfolders)");
  std::sort(paths.begin(), paths.end());
  std::vector<AudioExample> out(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) out[i].path = paths[i];
  return out;
}

std::vector<AudioExample> manifest_examples(const std::string& path) {
  std::vector<AudioExample> out;
  for (const ManifestEntry& e : read_manifest(path, /*check_files=*/true)) {
    AudioExample x;
    x.path = e.audio_path;
    x.offset = e.offset;
    x.duration = e.duration;
    out.push_back(std::move(x));
  }
  return out;
}

// Appends the mu-law classes of samples to q.
void append_mulaw(const std::vector<float>& samples, std::vector<uint8_t>& q) {
  q.reserve(q.size() + samples.size());
  for (float x : samples) q.push_back(static_cast<uint8_t>(mulaw_encode(x)));
}

// Loads examples at 'rate' into one stream; says once on stderr when audio is resampled.
std::vector<uint8_t> load_stream(const std::vector<AudioExample>& examples, double rate, bool& noted) {
  std::vector<uint8_t> q;
  for (size_t i = 0; i < examples.size(); ++i) {
    const std::vector<float> clip = load_clip_noting_resampling(examples[i], rate, "", &noted);
    append_mulaw(clip, q);
    if (examples.size() >= 2000 && (i + 1) % 1000 == 0) {
      std::printf("  loaded %zu/%zu files\n", i + 1, examples.size());
      std::fflush(stdout);
    }
  }
  return q;
}

}  // namespace

MulawSources list_mulaw_sources(const std::string& data, double val_fraction) {
  if (!(val_fraction > 0 && val_fraction < 1))
    fail_usage("--val-fraction must be between 0 and 1 (exclusive), got ", val_fraction);
  std::error_code ec;
  if (!fs::exists(data, ec)) fail("audio data '", data, "' does not exist");
  std::vector<AudioExample> all;
  const std::string ext = fs::path(data).extension().string();
  if (fs::is_directory(data, ec)) {
    all = folder_examples(data);
  } else if (ext == ".jsonl" || ext == ".json") {
    all = manifest_examples(data);
  } else {
    all.push_back(AudioExample{});
    all.back().path = data;
  }
  MulawSources s;
  if (all.size() == 1) {
    s.single_file = true;
    s.train = s.val = all;
    return s;
  }
  FolderSplitOptions split;
  split.validation_percent = 100 * val_fraction;
  split.test_percent = 0;
  for (AudioExample& ex : all) {
    const std::string name = fs::path(ex.path).filename().string();
    (split_of_speaker(speaker_of(name), split) == Split::validation ? s.val : s.train)
        .push_back(std::move(ex));
  }
  // Few speakers can hash all to one side: keep at least one file on each.
  if (s.val.empty()) {
    s.val.push_back(s.train.back());
    s.train.pop_back();
  } else if (s.train.empty()) {
    s.train.push_back(s.val.front());
    s.val.erase(s.val.begin());
  }
  return s;
}

double unigram_entropy_bits(const uint8_t* q, size_t n) {
  if (n == 0) return 0;
  int64_t counts[kMuLawClasses] = {};
  for (size_t i = 0; i < n; ++i) ++counts[q[i]];
  double h = 0;
  for (int64_t c : counts)
    if (c > 0) {
      const double p = static_cast<double>(c) / static_cast<double>(n);
      h -= p * std::log2(p);
    }
  return h;
}

MulawCorpus::MulawCorpus(const std::string& data, double sample_rate, double val_fraction, int64_t window_len)
    : sample_rate_(sample_rate) {
  const MulawSources src = list_mulaw_sources(data, val_fraction);
  bool noted = false;
  if (src.single_file) {
    std::vector<uint8_t> all = load_stream(src.train, sample_rate, noted);
    const auto n = static_cast<int64_t>(all.size());
    const int64_t held = std::max<int64_t>(2, std::llround(static_cast<double>(n) * val_fraction));
    const int64_t cut = std::max<int64_t>(0, n - held);
    val_.assign(all.begin() + cut, all.end());
    all.resize(cut);
    train_ = std::move(all);
    train_files_ = val_files_ = 1;
  } else {
    std::printf("loading %zu audio files (%zu held out) from %s\n", src.train.size() + src.val.size(),
                src.val.size(), data.c_str());
    std::fflush(stdout);
    train_ = load_stream(src.train, sample_rate, noted);
    val_ = load_stream(src.val, sample_rate, noted);
    train_files_ = src.train.size();
    val_files_ = src.val.size();
  }
  if (train_size() < window_len)
    fail("audio data '", data, "': the training audio holds ", train_size(), " samples (",
         static_cast<double>(train_size()) / sample_rate, " s at ", sample_rate,
         " Hz), fewer than one window of ", window_len, "; lower --ctx or add audio");
  if (val_size() < 2) fail("audio data '", data, "': the held-out audio holds fewer than 2 samples");
  unigram_bits_ = unigram_entropy_bits(train_.data(), train_.size());
}

void MulawCorpus::sample_windows(Rng& rng, int64_t B, int64_t len, std::vector<int32_t>& out) const {
  RWKVS_CHECK(len >= 1 && len <= train_size(), "sample_windows: window of ", len, " samples, corpus has ",
              train_size());
  out.resize(static_cast<size_t>(B * len));
  const auto starts = static_cast<uint64_t>(train_size() - len + 1);
  for (int64_t b = 0; b < B; ++b) {
    const uint8_t* w = train_.data() + rng.below(starts);
    std::copy(w, w + len, out.begin() + b * len);
  }
}

}  // namespace rwkvs
