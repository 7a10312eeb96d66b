#include "src/io/audio_dataset.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "base/error.h"
#include "src/io/manifest.h"

namespace rwkvs {
namespace {

namespace fs = std::filesystem;

bool is_manifest_name(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".jsonl" || ext == ".json";
}

// Labels must be all-or-nothing within a manifest, so a forgotten label is never silently -1.
void check_label_consistency(const std::vector<ManifestEntry>& entries, const std::string& source) {
  const ManifestEntry& first = entries.front();
  for (const ManifestEntry& e : entries)
    if (e.label.has_value() != first.label.has_value())
      fail("manifest '", source, "' line ", e.line, ": ", e.label ? "has" : "lacks", " a 'label' but line ",
           first.line, e.label ? " does not" : " has one", "; label every line or none");
}

std::vector<AudioExample> to_examples(const std::vector<ManifestEntry>& entries, const std::string& source,
                                      const std::map<std::string, int>& class_ids) {
  std::vector<AudioExample> examples;
  examples.reserve(entries.size());
  for (const ManifestEntry& e : entries) {
    AudioExample x;
    x.path = e.audio_path;
    if (e.label) {
      const auto it = class_ids.find(*e.label);
      if (it == class_ids.end())
        fail("manifest '", source, "' line ", e.line, ": label '", *e.label,
             "' does not occur in the train manifest");
      x.label = it->second;
      x.label_name = *e.label;
    }
    x.text = e.text.value_or("");
    x.offset = e.offset;
    x.duration = e.duration;
    examples.push_back(std::move(x));
  }
  return examples;
}

AudioDataset load_manifests(const std::string& train_path, const AudioDatasetOptions& options) {
  const std::vector<ManifestEntry> train = read_manifest(train_path, options.check_files);
  check_label_consistency(train, train_path);
  AudioDataset data;
  for (const ManifestEntry& e : train)
    if (e.label) data.classes.push_back(*e.label);
  std::sort(data.classes.begin(), data.classes.end());
  data.classes.erase(std::unique(data.classes.begin(), data.classes.end()), data.classes.end());
  std::map<std::string, int> class_ids;
  for (size_t i = 0; i < data.classes.size(); ++i) class_ids[data.classes[i]] = static_cast<int>(i);

  data.train = to_examples(train, train_path, class_ids);
  auto other_split = [&](const std::string& path) {
    if (path.empty()) return std::vector<AudioExample>{};
    const std::vector<ManifestEntry> entries = read_manifest(path, options.check_files);
    check_label_consistency(entries, path);
    if (entries.front().label.has_value() != train.front().label.has_value())
      fail("manifest '", path, "' ", entries.front().label ? "has" : "lacks",
           " labels but the train manifest '", train_path, "' ",
           train.front().label ? "has them" : "does not");
    return to_examples(entries, path, class_ids);
  };
  data.validation = other_split(options.validation_manifest);
  data.test = other_split(options.test_manifest);
  return data;
}

}  // namespace

AudioDataset load_audio_dataset(const std::string& path, const AudioDatasetOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail("audio dataset '", path, "' does not exist");
  if (fs::is_directory(path, ec)) {
    if (!options.validation_manifest.empty() || !options.test_manifest.empty())
      fail("audio dataset '", path,
           "' is a folder; validation/test manifests apply only to a manifest dataset");
    return load_audio_folder(path, options.folder_split);
  }
  if (!is_manifest_name(path))
    fail("audio dataset '", path, "' is neither a folder nor a manifest (*.jsonl or *.json)");
  return load_manifests(path, options);
}

}  // namespace rwkvs
