#include "src/io/audio_folder_dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "base/error.h"
#include "base/hash.h"

namespace rwkvs {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNoiseFolder = "_background_noise_";
constexpr const char* kValidationList = "validation_list.txt";
constexpr const char* kTestingList = "testing_list.txt";

bool is_hidden(const fs::path& p) { return p.filename().string().starts_with("."); }

// The audio files directly inside 'dir', as names relative to the dataset root ("yes/a.wav").
std::vector<std::string> audio_files_in(const fs::path& dir, const std::string& folder_name) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::error_code entry_ec;  // a broken link is skipped, not a reason to stop listing
    if (is_hidden(p) || !is_audio_file_name(p.filename().string()) || !it->is_regular_file(entry_ec))
      continue;
    files.push_back(folder_name + "/" + p.filename().string());
  }
  if (ec) fail("audio dataset: cannot list folder '", dir.string(), "': ", ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

// Reads a Speech Commands list file into relative paths; each must name one of 'known' files.
std::set<std::string> read_list(const fs::path& list_path, const std::set<std::string>& known) {
  std::ifstream f(list_path);
  if (!f) fail("audio dataset: cannot read '", list_path.string(), "'");
  std::set<std::string> listed;
  std::string line;
  size_t line_no = 0;
  while (std::getline(f, line)) {
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.pop_back();
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    const std::string rel = fs::path(line.substr(first)).lexically_normal().generic_string();
    if (!known.count(rel)) {
      const fs::path full = list_path.parent_path() / rel;
      std::error_code ec;
      fail("audio dataset: '", list_path.string(), "' line ", line_no, " names '", rel, "', ",
           fs::exists(full, ec) ? "which is not an audio file of a class folder" : "which does not exist");
    }
    listed.insert(rel);
  }
  return listed;
}

std::vector<AudioExample>& examples_of(AudioDataset& data, Split split) {
  switch (split) {
    case Split::validation:
      return data.validation;
    case Split::test:
      return data.test;
    case Split::train:
      break;
  }
  return data.train;
}

}  // namespace

std::string speaker_of(std::string_view file_name) {
  const size_t slash = file_name.rfind('/');
  if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
  const size_t nohash = file_name.find("_nohash_");
  if (nohash != std::string_view::npos) return std::string(file_name.substr(0, nohash));
  const size_t dot = file_name.rfind('.');
  return std::string(dot == std::string_view::npos || dot == 0 ? file_name : file_name.substr(0, dot));
}

Split split_of_speaker(std::string_view speaker, const FolderSplitOptions& options) {
  const uint64_t h = fnv1a64(speaker);  // fixed, so splits never move between builds
  const double percent = static_cast<double>(h % 1000000) / 10000.0;  // [0, 100)
  if (percent < options.validation_percent) return Split::validation;
  if (percent < options.validation_percent + options.test_percent) return Split::test;
  return Split::train;
}

AudioDataset load_audio_folder(const std::string& root_name, const FolderSplitOptions& options) {
  const fs::path root(root_name);
  std::error_code ec;
  if (!fs::exists(root, ec)) fail("audio dataset '", root_name, "' does not exist");
  if (!fs::is_directory(root, ec)) fail("audio dataset '", root_name, "' is not a directory");
  const bool ok_percent = options.validation_percent >= 0 && options.test_percent >= 0 &&
                          options.validation_percent + options.test_percent <= 100;
  if (!ok_percent)
    fail("audio dataset: validation and test percentages must be >= 0 and sum to <= 100, got ",
         options.validation_percent, " and ", options.test_percent);

  AudioDataset data;
  std::vector<fs::path> class_dirs;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::error_code entry_ec;
    if (is_hidden(p) || !it->is_directory(entry_ec)) continue;
    if (p.filename() == kNoiseFolder) {
      for (const std::string& rel : audio_files_in(p, kNoiseFolder))
        data.noise_files.push_back((root / rel).string());
      continue;
    }
    class_dirs.push_back(p);
  }
  if (ec) fail("audio dataset: cannot list '", root_name, "': ", ec.message());
  if (class_dirs.empty()) fail("audio dataset '", root_name, "' has no class folders");
  std::sort(class_dirs.begin(), class_dirs.end());

  // Every example by its root-relative path ("yes/a.wav"), which is how the list files name them.
  std::map<std::string, int> label_of;
  for (const fs::path& dir : class_dirs) {
    const std::string name = dir.filename().string();
    const std::vector<std::string> files = audio_files_in(dir, name);
    if (files.empty()) fail("audio dataset: class folder '", dir.string(), "' has no audio files");
    for (const std::string& rel : files) label_of.emplace(rel, static_cast<int>(data.classes.size()));
    data.classes.push_back(name);
  }

  std::set<std::string> known;
  for (const auto& [rel, label] : label_of) known.insert(rel);
  const fs::path validation_list = root / kValidationList, testing_list = root / kTestingList;
  const bool use_lists = fs::exists(validation_list, ec) || fs::exists(testing_list, ec);
  std::set<std::string> validation, test;
  if (fs::exists(validation_list, ec)) validation = read_list(validation_list, known);
  if (fs::exists(testing_list, ec)) test = read_list(testing_list, known);
  for (const std::string& rel : validation)
    if (test.count(rel))
      fail("audio dataset: '", rel, "' is listed in both ", validation_list.string(), " and ",
           testing_list.string());

  for (const auto& [rel, label] : label_of) {  // std::map: sorted by path
    AudioExample example;
    example.path = (root / rel).string();
    example.label = label;
    example.label_name = data.classes[static_cast<size_t>(label)];
    Split split = Split::train;
    if (use_lists) {
      split = validation.count(rel) ? Split::validation : test.count(rel) ? Split::test : Split::train;
    } else {
      split = split_of_speaker(speaker_of(rel), options);
    }
    examples_of(data, split).push_back(std::move(example));
  }
  std::sort(data.noise_files.begin(), data.noise_files.end());
  return data;
}

}  // namespace rwkvs
