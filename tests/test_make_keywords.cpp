// scripts/make_keywords.sh: a tiny synthetic Speech Commands set has the right layout and format,
// keeps held-out voices out of training, and is a pure function of its seed.
#include <sndfile.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "src/io/audio_folder_dataset.h"
#include "tests/script_support.h"
#include "tests/support.h"

namespace fs = std::filesystem;
using rwkvs::AudioDataset;
using rwkvs::AudioExample;

using rwkvs::test::on_path;

namespace {

// Runs the script with the given arguments; returns its exit status and output.
int make_keywords(const std::string& args, std::string* output) {
  const std::string script = std::string(RWKVS_SOURCE_DIR) + "/scripts/make_keywords.sh";
  return rwkvs::test::run("bash " + script + " " + args, output);
}

std::string tiny_args(const std::string& out, int seed) {
  return "--out " + out + " --per-word 6 --unknown-count 5 --noise-seconds 1 --jobs 2 --seed " +
         std::to_string(seed);
}

std::set<std::string> voices_of(const std::vector<AudioExample>& xs) {
  std::set<std::string> voices;
  for (const AudioExample& x : xs) voices.insert(rwkvs::speaker_of(x.path));
  return voices;
}

bool disjoint(const std::set<std::string>& a, const std::set<std::string>& b) {
  for (const std::string& x : a)
    if (b.count(x)) return false;
  return true;
}

void check_clip_format(const std::string& path, sf_count_t frames) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  REQUIRE_MESSAGE(f, "cannot open " << path << ": " << sf_strerror(nullptr));
  std::vector<short> samples(static_cast<size_t>(info.frames * info.channels));
  const sf_count_t got = sf_read_short(f, samples.data(), static_cast<sf_count_t>(samples.size()));
  sf_close(f);
  INFO(path);
  CHECK(info.samplerate == 16000);
  CHECK(info.channels == 1);
  CHECK(info.format == (SF_FORMAT_WAV | SF_FORMAT_PCM_16));
  CHECK(info.frames == frames);
  CHECK(got == info.frames);
  int peak = 0;
  for (short s : samples) peak = std::max(peak, std::abs(static_cast<int>(s)));
  CHECK(peak > 1000);   // there is sound in it ...
  CHECK(peak < 32767);  // ... and it is not clipped
}

}  // namespace

TEST_CASE("make_keywords: layout, format, voice split and determinism") {
  if (!on_path("espeak-ng") || !on_path("sox")) {
    std::printf("skipped: espeak-ng and sox are needed to synthesise keywords\n");
    std::fflush(stdout);
    std::_Exit(77);
  }
  const std::string dir = rwkvs::test::temp_dir("make_keywords");
  const std::string a = dir + "/a", b = dir + "/b", c = dir + "/c";
  std::string output;
  REQUIRE_MESSAGE(make_keywords(tiny_args(a, 7), &output) == 0, output);
  CHECK(output.find("65 clips") != std::string::npos);

  // Layout: Speech Commands, read back by our own folder reader (list files included).
  const AudioDataset data = rwkvs::load_audio_folder(a);
  CHECK(data.classes == std::vector<std::string>{"_unknown_", "down", "go", "left", "no", "off", "on",
                                                 "right", "stop", "up", "yes"});
  std::vector<size_t> per_class(data.classes.size(), 0);
  for (const auto* split : {&data.train, &data.validation, &data.test})
    for (const AudioExample& x : *split) per_class[static_cast<size_t>(x.label)]++;
  CHECK(per_class[0] == 5);
  for (size_t k = 1; k < per_class.size(); ++k) CHECK(per_class[k] == 6);
  CHECK(fs::is_regular_file(a + "/validation_list.txt"));
  CHECK(fs::is_regular_file(a + "/testing_list.txt"));
  REQUIRE(data.noise_files.size() == 5);
  for (const std::string& noise : data.noise_files) check_clip_format(noise, 16000);
  for (const auto* split : {&data.train, &data.validation, &data.test})
    for (const AudioExample& x : *split) check_clip_format(x.path, 16000);

  // Voices: held-out splits are non-empty and share no voice with training or each other.
  const std::set<std::string> train = voices_of(data.train), validation = voices_of(data.validation),
                              test = voices_of(data.test);
  CHECK(!validation.empty());
  CHECK(!test.empty());
  CHECK(disjoint(train, validation));
  CHECK(disjoint(train, test));
  CHECK(disjoint(validation, test));
  // About a tenth of the clips each is test and validation, whatever few recorded speakers are
  // held out: training keeps most of the data.
  CHECK(data.train.size() >= 65 * 7 / 10);

  // Determinism: the same seed gives the same bytes; another seed gives other clips.
  REQUIRE_MESSAGE(make_keywords(tiny_args(b, 7), &output) == 0, output);
  REQUIRE_MESSAGE(make_keywords(tiny_args(c, 8), &output) == 0, output);
  const std::vector<std::string> files = rwkvs::test::files_under(a);
  REQUIRE(files == rwkvs::test::files_under(b));
  CHECK(files.size() == 65 + 5 + 4);  // clips, noises, two lists, two stamp files
  for (const std::string& f : files) {
    INFO(f);
    CHECK(rwkvs::test::read_text(a + "/" + f) == rwkvs::test::read_text(b + "/" + f));
  }
  CHECK(rwkvs::test::read_text(a + "/testing_list.txt") != rwkvs::test::read_text(c + "/testing_list.txt"));
  CHECK(rwkvs::test::read_text(a + "/_background_noise_/white_noise.wav") !=
        rwkvs::test::read_text(c + "/_background_noise_/white_noise.wav"));
  size_t new_clips = 0;  // clips of seed 8 that seed 7 did not make byte for byte
  for (const std::string& f : rwkvs::test::files_under(c))
    if (f.ends_with(".wav") && !f.starts_with("_background_noise_/") &&
        (!fs::exists(a + "/" + f) ||
         rwkvs::test::read_text(a + "/" + f) != rwkvs::test::read_text(c + "/" + f)))
      ++new_clips;
  CHECK(new_clips > 55);

  // A finished output is left alone; a folder the script did not make is refused.
  REQUIRE(make_keywords(tiny_args(a, 7), &output) == 0);
  CHECK(output.find("up to date") != std::string::npos);
  fs::create_directories(dir + "/foreign");
  rwkvs::test::write_text(dir + "/foreign/notes.txt", "mine");
  CHECK(make_keywords(tiny_args(dir + "/foreign", 7), &output) != 0);
  CHECK(output.find("was not made by this script") != std::string::npos);
  CHECK(rwkvs::test::read_text(dir + "/foreign/notes.txt") == "mine");
}

TEST_CASE("make_keywords: chosen keywords and unknown words") {
  if (!on_path("espeak-ng") || !on_path("sox")) std::_Exit(77);
  const std::string out = rwkvs::test::temp_dir("make_keywords_custom") + "/set";
  std::string output;
  REQUIRE_MESSAGE(make_keywords("--out " + out +
                                    " --keywords 'on off' --unknown-words 'on cat dog' --per-word 2 "
                                    "--noise-seconds 1 --seed 3",
                                &output) == 0,
                  output);
  const AudioDataset data = rwkvs::load_audio_folder(out);
  CHECK(data.classes == std::vector<std::string>{"_unknown_", "off", "on"});
  CHECK(data.train.size() + data.validation.size() + data.test.size() == 2 + 2 + 4);
  CHECK(make_keywords("--out " + out + "2 --keywords 'On'", &output) != 0);
  CHECK(output.find("keyword 'On' must be a lower-case word") != std::string::npos);
}

TEST_CASE("make_keywords: --engines picks the engines; unknown or missing ones are refused") {
  if (!on_path("espeak-ng") || !on_path("sox")) std::_Exit(77);
  const std::string dir = rwkvs::test::temp_dir("make_keywords_engines");
  std::string output;
  REQUIRE_MESSAGE(make_keywords("--out " + dir + "/espeak --engines espeak --per-word 2 --unknown-count 0 "
                                "--noise-seconds 1 --jobs 2",
                                &output) == 0,
                  output);
  CHECK(output.find("espeak 20)") != std::string::npos);
  for (const std::string& f : rwkvs::test::files_under(dir + "/espeak")) {
    INFO(f);
    CHECK(f.find("_nohash_flite-") == std::string::npos);
    CHECK(f.find("_nohash_festival-") == std::string::npos);
  }
  CHECK(rwkvs::test::read_text(dir + "/espeak/.make_keywords.params").find("\nengines=espeak\n") !=
        std::string::npos);

  // Every espeak voice is its own speaker, on one side of the split, the same for any --seed.
  std::string a, b;
  REQUIRE(make_keywords("--engines espeak --list-voices --split-seed 4 --seed 1", &a) == 0);
  REQUIRE(make_keywords("--engines espeak --list-voices --seed 4", &b) == 0);
  CHECK(a == b);
  CHECK(std::count(a.begin(), a.end(), '\n') == 216);
  CHECK(a.find("espeak-en-gb-scotland.m1 en-gb-scotland.m1 ") != std::string::npos);

  CHECK(make_keywords("--out " + dir + "/x --engines 'espeak nope'", &output) == 2);
  CHECK(output.find("unknown engine 'nope' in --engines (known: espeak flite festival)") != std::string::npos);
  CHECK(make_keywords("--out " + dir + "/x --engines ''", &output) == 2);
  CHECK(output.find("--engines is empty") != std::string::npos);
  CHECK(make_keywords("--out " + dir + "/x --engines 'espeak espeak'", &output) == 2);
  CHECK(output.find("--engines names 'espeak' twice") != std::string::npos);
  CHECK(make_keywords("--out " + dir + "/x --per-word", &output) == 2);
  CHECK(output.find("--per-word needs a value") != std::string::npos);
  CHECK(make_keywords("--out " + dir + "/x --split-seed x", &output) == 1);
  CHECK(output.find("--split-seed must be a non-negative integer") != std::string::npos);
  // A named engine that is not installed: a festival that knows none of the voices comes first.
  fs::create_directories(dir + "/bin");
  rwkvs::test::write_text(dir + "/bin/festival", "#!/bin/sh\necho '(kal_diphone)'\n");
  fs::permissions(dir + "/bin/festival", fs::perms::owner_all);
  CHECK(rwkvs::test::run("PATH=" + dir + "/bin:$PATH bash " + std::string(RWKVS_SOURCE_DIR) +
                             "/scripts/make_keywords.sh --out " + dir + "/x --engines festival",
                         &output) == 1);
  CHECK_MESSAGE(output.find("engine 'festival' is not installed: missing ked_diphone (apt-get install "
                            "festvox-kdlpc16k), cmu_us_slt_arctic_hts (apt-get install festvox-us-slt-hts)") !=
                    std::string::npos,
                output);
  CHECK(!fs::exists(dir + "/x"));
}
