// Folder-per-label datasets (Speech Commands layout): classes, noise, list files, hash splits, errors.
#include <sndfile.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "src/io/audio_dataset.h"
#include "src/io/audio_folder_dataset.h"
#include "tests/support.h"

namespace fs = std::filesystem;
using rwkvs::test::error_of;
using rwkvs::AudioDataset;
using rwkvs::AudioExample;

namespace {

// A real (tiny) 16 kHz mono 16-bit wav, so the tree is what a decoder would accept.
void write_wav(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  SF_INFO info{};
  info.samplerate = 16000;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  REQUIRE_MESSAGE(f, "cannot write " << path << ": " << sf_strerror(nullptr));
  short samples[160] = {};
  for (int i = 0; i < 160; ++i) samples[i] = static_cast<short>((i % 20) * 100);
  sf_write_short(f, samples, 160);
  sf_close(f);
}

std::vector<std::string> relative_paths(const std::vector<AudioExample>& xs, const std::string& root) {
  std::vector<std::string> out;
  for (const AudioExample& x : xs) out.push_back(fs::path(x.path).lexically_relative(root).generic_string());
  return out;
}

// yes/no/_unknown_ classes, noise, and things the loader must ignore.
std::string make_small_tree(const std::string& name) {
  const std::string root = rwkvs::test::temp_dir(name);
  for (const char* f :
       {"yes/aa_nohash_0.wav", "yes/aa_nohash_1.wav", "yes/bb_nohash_0.wav", "yes/cc_nohash_0.flac",
        "no/aa_nohash_0.wav", "no/bb_nohash_0.WAV", "no/dd_nohash_0.wav", "_unknown_/ee_nohash_0.wav",
        "_background_noise_/white.wav", "_background_noise_/pink.wav", ".hidden/zz_nohash_0.wav",
        "yes/.partial.wav", "yes/nested/ff_nohash_0.wav"})
    write_wav(root + "/" + f);
  rwkvs::test::write_text(root + "/yes/README.txt", "not audio");
  rwkvs::test::write_text(root + "/_background_noise_/README.md", "not audio");
  rwkvs::test::write_text(root + "/LICENSE", "top-level files are not classes");
  return root;
}

}  // namespace

TEST_CASE("folder dataset: sorted classes, noise kept apart, hidden and non-audio entries ignored") {
  const std::string root = make_small_tree("folder_basic");
  rwkvs::FolderSplitOptions all_train;
  all_train.validation_percent = 0;
  all_train.test_percent = 0;
  const AudioDataset data = rwkvs::load_audio_folder(root, all_train);
  CHECK(data.classes == std::vector<std::string>{"_unknown_", "no", "yes"});
  CHECK(relative_paths(data.train, root) ==
        std::vector<std::string>{"_unknown_/ee_nohash_0.wav", "no/aa_nohash_0.wav", "no/bb_nohash_0.WAV",
                                 "no/dd_nohash_0.wav", "yes/aa_nohash_0.wav", "yes/aa_nohash_1.wav",
                                 "yes/bb_nohash_0.wav", "yes/cc_nohash_0.flac"});
  for (const AudioExample& x : data.train) {
    REQUIRE(x.label >= 0);
    CHECK(data.classes[static_cast<size_t>(x.label)] == x.label_name);
    CHECK(fs::path(x.path).parent_path().filename() == x.label_name);
    CHECK(x.offset == 0);
    CHECK(!x.duration);
  }
  CHECK(data.validation.empty());
  CHECK(data.test.empty());
  REQUIRE(data.noise_files.size() == 2);
  CHECK(fs::path(data.noise_files[0]).filename() == "pink.wav");
  CHECK(fs::path(data.noise_files[1]).filename() == "white.wav");
  CHECK(fs::is_regular_file(data.noise_files[0]));

  // The generic loader dispatches a directory to the folder reader.
  rwkvs::AudioDatasetOptions options;
  options.folder_split = all_train;
  CHECK(rwkvs::load_audio_dataset(root, options).train.size() == data.train.size());
}

TEST_CASE("folder dataset: validation_list.txt and testing_list.txt define the splits") {
  const std::string root = make_small_tree("folder_lists");
  rwkvs::test::write_text(root + "/validation_list.txt", "yes/bb_nohash_0.wav\r\n\nno/bb_nohash_0.WAV\n");
  rwkvs::test::write_text(root + "/testing_list.txt", "  _unknown_/ee_nohash_0.wav  \n./no/dd_nohash_0.wav");
  const AudioDataset data = rwkvs::load_audio_folder(root);
  CHECK(relative_paths(data.validation, root) ==
        std::vector<std::string>{"no/bb_nohash_0.WAV", "yes/bb_nohash_0.wav"});
  CHECK(relative_paths(data.test, root) ==
        std::vector<std::string>{"_unknown_/ee_nohash_0.wav", "no/dd_nohash_0.wav"});
  CHECK(relative_paths(data.train, root) ==
        std::vector<std::string>{"no/aa_nohash_0.wav", "yes/aa_nohash_0.wav", "yes/aa_nohash_1.wav",
                                 "yes/cc_nohash_0.flac"});
  CHECK(data.test[0].label_name == "_unknown_");
  CHECK(data.test[0].label == 0);

  // One list alone still switches to list mode: the other split is empty, not hashed.
  fs::remove(root + "/testing_list.txt");
  const AudioDataset only_validation = rwkvs::load_audio_folder(root);
  CHECK(only_validation.validation.size() == 2);
  CHECK(only_validation.test.empty());
  CHECK(only_validation.train.size() == 6);
}

TEST_CASE("folder dataset: the hash split keeps every speaker in one split") {
  CHECK(rwkvs::speaker_of("yes/0a7c2a8d_nohash_0.wav") == "0a7c2a8d");
  CHECK(rwkvs::speaker_of("en-us.m3_nohash_12.wav") == "en-us.m3");
  CHECK(rwkvs::speaker_of("dir/plain_name.flac") == "plain_name");
  CHECK(rwkvs::speaker_of("noext") == "noext");

  const std::string root = rwkvs::test::temp_dir("folder_hash");
  const int speakers = 60;
  for (int s = 0; s < speakers; ++s)
    for (const char* word : {"go", "stop"})
      for (int n = 0; n < 2; ++n)
        write_wav(root + "/" + word + "/spk" + std::to_string(s) + "_nohash_" + std::to_string(n) + ".wav");
  const AudioDataset data = rwkvs::load_audio_folder(root);  // 10% validation, 10% test
  std::map<std::string, std::set<int>> splits_of_speaker;
  const std::vector<AudioExample>* splits[] = {&data.train, &data.validation, &data.test};
  for (int i = 0; i < 3; ++i)
    for (const AudioExample& x : *splits[i]) splits_of_speaker[rwkvs::speaker_of(x.path)].insert(i);
  CHECK(splits_of_speaker.size() == static_cast<size_t>(speakers));
  size_t per_split[3] = {0, 0, 0};
  for (const auto& [speaker, in] : splits_of_speaker) {
    INFO("speaker " << speaker);
    CHECK(in.size() == 1);
    per_split[*in.begin()]++;
  }
  CHECK(data.train.size() + data.validation.size() + data.test.size() == static_cast<size_t>(speakers * 4));
  // 60 speakers at 10%/10%: each held-out split gets some, but far from half.
  CHECK(per_split[1] >= 1);
  CHECK(per_split[1] <= 15);
  CHECK(per_split[2] >= 1);
  CHECK(per_split[2] <= 15);
  CHECK(data.validation.size() == per_split[1] * 4);

  // Same answer every time, and the percentages are honoured at the extremes.
  CHECK(relative_paths(rwkvs::load_audio_folder(root).test, root) == relative_paths(data.test, root));
  rwkvs::FolderSplitOptions all_validation;
  all_validation.validation_percent = 100;
  all_validation.test_percent = 0;
  CHECK(rwkvs::load_audio_folder(root, all_validation).validation.size() ==
        static_cast<size_t>(speakers * 4));
  all_validation.test_percent = 1;
  CHECK(error_of([&] { rwkvs::load_audio_folder(root, all_validation); }).find("sum to <= 100") !=
        std::string::npos);
}

TEST_CASE("folder dataset: errors name the path") {
  const std::string base = rwkvs::test::temp_dir("folder_errors");
  std::string message = error_of([&] { rwkvs::load_audio_folder(base + "/missing"); });
  CHECK(message == "audio dataset '" + base + "/missing' does not exist");

  rwkvs::test::write_text(base + "/file.wav", "");
  message = error_of([&] { rwkvs::load_audio_folder(base + "/file.wav"); });
  CHECK(message == "audio dataset '" + base + "/file.wav' is not a directory");

  fs::create_directories(base + "/empty/_background_noise_");
  fs::create_directories(base + "/empty/.git");
  write_wav(base + "/empty/_background_noise_/n.wav");
  message = error_of([&] { rwkvs::load_audio_folder(base + "/empty"); });
  CHECK(message == "audio dataset '" + base + "/empty' has no class folders");

  const std::string no_audio = base + "/no_audio";
  write_wav(no_audio + "/yes/a_nohash_0.wav");
  fs::create_directories(no_audio + "/no");
  rwkvs::test::write_text(no_audio + "/no/notes.txt", "");
  message = error_of([&] { rwkvs::load_audio_folder(no_audio); });
  CHECK(message == "audio dataset: class folder '" + no_audio + "/no' has no audio files");

  const std::string listed = base + "/listed";
  write_wav(listed + "/yes/a_nohash_0.wav");
  write_wav(listed + "/yes/b_nohash_0.wav");
  rwkvs::test::write_text(listed + "/yes/notes.txt", "");
  rwkvs::test::write_text(listed + "/testing_list.txt", "yes/a_nohash_0.wav\n\nyes/gone_nohash_0.wav\n");
  message = error_of([&] { rwkvs::load_audio_folder(listed); });
  CHECK(message == "audio dataset: '" + listed +
                       "/testing_list.txt' line 3 names 'yes/gone_nohash_0.wav', which does not exist");
  rwkvs::test::write_text(listed + "/testing_list.txt", "yes/notes.txt\n");
  message = error_of([&] { rwkvs::load_audio_folder(listed); });
  CHECK(message.find("line 1 names 'yes/notes.txt', which is not an audio file of a class folder") !=
        std::string::npos);

  rwkvs::test::write_text(listed + "/testing_list.txt", "yes/a_nohash_0.wav\n");
  rwkvs::test::write_text(listed + "/validation_list.txt", "yes/a_nohash_0.wav\n");
  message = error_of([&] { rwkvs::load_audio_folder(listed); });
  CHECK(message.find("'yes/a_nohash_0.wav' is listed in both") != std::string::npos);

  message = error_of([&] { rwkvs::load_audio_dataset(base + "/nothing"); });
  CHECK(message == "audio dataset '" + base + "/nothing' does not exist");
}
