// scripts/make_real_speech.sh on a tiny fake package tree (REAL_SPEECH_ROOT): hedgewars phrases split
// by voice pack, asterisk digits, pocketsphinx sentences with normalised transcripts; relative paths
// that resolve, manifests our loader reads, byte-identical reruns and clear errors.
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "src/io/audio_dataset.h"
#include "tests/script_support.h"
#include "tests/support.h"
#include "tests/wav_writer.h"

namespace fs = std::filesystem;
using nlohmann::json;
using rwkvs::AudioDataset;
using rwkvs::AudioExample;

using rwkvs::test::on_path;

namespace {

// Runs the script on the package tree 'root'; returns its exit status and output.
int make_real_speech(const std::string& root, const std::string& args, std::string* output) {
  const std::string script = std::string(RWKVS_SOURCE_DIR) + "/scripts/make_real_speech.sh";
  return rwkvs::test::run("REAL_SPEECH_ROOT='" + root + "' bash " + script + " " + args, output);
}

// A short tone whose pitch and length make every file's content distinct.
std::vector<float> tone(int n, int rate, int channels, double hz) {
  std::vector<float> x;
  const int frames = rate / 10 + 37 * n;
  for (int i = 0; i < frames; ++i)
    for (int c = 0; c < channels; ++c) x.push_back(0.3f * static_cast<float>(std::sin(2 * M_PI * hz * i / rate)));
  return x;
}

int file_counter = 0;

void wav(const fs::path& path, int rate, int channels = 1) {
  fs::create_directories(path.parent_path());
  rwkvs::test::WavSpec spec;
  spec.sample_rate = rate;
  spec.channels = channels;
  ++file_counter;
  rwkvs::test::write_wav(path.string(), spec, tone(file_counter, rate, channels, 200.0 + 13 * file_counter));
}

// Hedgewars ships ogg vorbis: a WAV converted by sox.
void ogg(const fs::path& path, int rate = 44100, int channels = 2) {
  const fs::path tmp = path.string() + ".wav";
  wav(tmp, rate, channels);
  REQUIRE(rwkvs::test::run("sox '" + tmp.string() + "' '" + path.string() + "'") == 0);
  fs::remove(tmp);
}

void raw_pcm(const fs::path& path, int samples) {
  fs::create_directories(path.parent_path());
  std::vector<uint8_t> bytes;
  for (int i = 0; i < samples; ++i)
    rwkvs::test::put_le(bytes, static_cast<uint16_t>(static_cast<int16_t>(8000 * std::sin(0.05 * i))), 2);
  rwkvs::test::write_bytes(path.string(), bytes);
}

const std::vector<std::string> kTrainPacks = {"Classic", "Default", "HillBilly", "Mobster", "Robot", "Singer"};
const std::vector<std::string> kValidationPacks = {"British", "Russian"};
const std::vector<std::string> kTestPacks = {"Pirate", "Surfer"};

// The layouts of hedgewars-data, asterisk-core-sounds-en-wav and pocketsphinx-testdata, in miniature.
void make_fake_tree(const fs::path& root) {
  const fs::path hw = root / "usr/share/games/hedgewars/Data/Sounds/voices";
  for (const auto* packs : {&kTrainPacks, &kValidationPacks, &kTestPacks})
    for (const std::string& p : *packs)
      for (const char* phrase : {"Hello", "Uh-oh", "Victory"}) ogg(hw / p / (std::string(phrase) + ".ogg"));
  // The same recording under two names in one pack: ambiguous, both copies go.
  ogg(hw / "Classic/Melon.ogg");
  fs::copy_file(hw / "Classic/Melon.ogg", hw / "Classic/Watchthis.ogg");
  for (const char* p : {"Mobster", "British", "Pirate"}) ogg(hw / p / "Melon.ogg", 48000, 1);
  for (const char* p : {"Default", "British", "Pirate"}) ogg(hw / p / "Watchthis.ogg");
  // The same recording under one name in two packs (Classic and Default share an actor): kept once.
  fs::remove(hw / "Default/Hello.ogg");
  fs::copy_file(hw / "Classic/Hello.ogg", hw / "Default/Hello.ogg");
  // A phrase without a test pack, non-verbal sounds, a foreign-language pack and an unknown pack.
  for (const char* p : {"Default", "British"}) ogg(hw / p / "Rare.ogg");
  for (const char* p : {"Default", "Pirate"}) {
    ogg(hw / p / "Ow1.ogg");
    ogg(hw / p / "Laugh.ogg");
  }
  ogg(hw / "Default_es/Hello.ogg");
  ogg(hw / "Zombie/Hello.ogg");

  const fs::path ast = root / "usr/share/asterisk/sounds/en_US_f_Allison";
  for (int d = 0; d <= 9; ++d) wav(ast / "digits" / (std::to_string(d) + ".wav"), 8000);
  wav(ast / "digits/oh.wav", 8000);
  wav(ast / "vm-no.wav", 8000);

  const fs::path ps = root / "usr/share/pocketsphinx/test/data";
  wav(ps / "librivox/book-0010.wav", 16000);
  wav(ps / "librivox/book-0020.wav", 16000);
  rwkvs::test::write_text((ps / "librivox/transcription").string(),
                          "<s> He said: \"Don't-STOP\",   now! </s> (book-0020)\n"
                          "<s> go  left, then right </s> (book-0010)\r\n"
                          "<s> this audio is missing </s> (book-0030)\n");
  wav(ps / "cards/001.wav", 16000);
  rwkvs::test::write_text((ps / "cards/cards.transcription").string(), "<s> ten of clubs  </s> (001)\n");
  raw_pcm(ps / "goforward.raw", 8000);
  rwkvs::test::write_text((ps / "goforward.gram").string(),
                          "#JSGF V1.0;\ngrammar goforward;\npublic <move> = go forward ten meters;\n"
                          "public <move2> = go <direction> <distance> [meter | meters];\n");
  raw_pcm(ps / "tidigits/dhd.2934z.raw", 4000);
  raw_pcm(ps / "numbers.raw", 1000);  // no transcript anywhere: left out
}

std::vector<json> read_jsonl(const std::string& path) {
  std::vector<json> lines;
  std::istringstream in(rwkvs::test::read_text(path));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) lines.push_back(json::parse(line));
  return lines;
}

std::string pack_of(const AudioExample& x) { return fs::path(x.path).parent_path().filename().string(); }

std::set<std::string> packs_of(const std::vector<AudioExample>& xs) {
  std::set<std::string> packs;
  for (const AudioExample& x : xs) packs.insert(pack_of(x));
  return packs;
}

std::map<std::string, int> label_counts(const std::vector<AudioExample>& xs) {
  std::map<std::string, int> counts;
  for (const AudioExample& x : xs) counts[x.label_name]++;
  return counts;
}

// Every manifest line: a relative path that resolves to a file under 'root', a positive duration.
void check_paths(const std::string& manifest, const fs::path& root) {
  const fs::path dir = fs::path(manifest).parent_path();
  for (const json& j : read_jsonl(manifest)) {
    const std::string p = j.at("audio_filepath").get<std::string>();
    INFO(manifest << ": " << p);
    CHECK(!fs::path(p).is_absolute());
    REQUIRE(fs::is_regular_file(dir / p));
    CHECK(fs::weakly_canonical(dir / p).string().rfind(fs::canonical(root).string(), 0) == 0);
    CHECK(j.at("duration").get<double>() > 0);
  }
}

SF_INFO decode(const std::string& path) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  REQUIRE_MESSAGE(f, "cannot open " << path << ": " << sf_strerror(nullptr));
  std::vector<float> samples(static_cast<size_t>(info.frames * info.channels));
  CHECK(sf_readf_float(f, samples.data(), info.frames) == info.frames);
  sf_close(f);
  return info;
}

}  // namespace

TEST_CASE("make_real_speech: sets, splits, transcripts and determinism on a fake package tree") {
  if (!on_path("sox") || !on_path("soxi")) {
    std::printf("skipped: sox is needed to read and convert the package audio\n");
    std::fflush(stdout);
    std::_Exit(77);
  }
  const std::string dir = rwkvs::test::temp_dir("make_real_speech");
  const fs::path root = fs::path(dir) / "root";
  make_fake_tree(root);
  const std::string a = dir + "/a", b = dir + "/b";
  std::string output;
  REQUIRE_MESSAGE(make_real_speech(root.string(), "--out " + a + " --no-install", &output) == 0, output);
  CHECK(output.find("ignoring unknown voice packs: Zombie") != std::string::npos);

  // Hedgewars: phrases in every split, split by voice pack, read by our manifest loader.
  rwkvs::AudioDatasetOptions options;
  options.validation_manifest = a + "/hedgewars/validation.jsonl";
  options.test_manifest = a + "/hedgewars/test.jsonl";
  const AudioDataset hw = rwkvs::load_audio_dataset(a + "/hedgewars/train.jsonl", options);
  CHECK(hw.classes == std::vector<std::string>{"hello", "melon", "uh_oh", "victory", "watchthis"});
  CHECK(packs_of(hw.train) == std::set<std::string>(kTrainPacks.begin(), kTrainPacks.end()));
  CHECK(packs_of(hw.validation) == std::set<std::string>(kValidationPacks.begin(), kValidationPacks.end()));
  CHECK(packs_of(hw.test) == std::set<std::string>(kTestPacks.begin(), kTestPacks.end()));
  // hello: Default's copy of Classic's recording is dropped; Classic's Melon = Watchthis both go.
  CHECK(label_counts(hw.train) ==
        std::map<std::string, int>{{"hello", 5}, {"melon", 1}, {"uh_oh", 6}, {"victory", 6}, {"watchthis", 1}});
  const std::map<std::string, int> held_out{{"hello", 2}, {"melon", 1}, {"uh_oh", 2}, {"victory", 2}, {"watchthis", 1}};
  CHECK(label_counts(hw.validation) == held_out);
  CHECK(label_counts(hw.test) == held_out);
  for (const AudioExample& x : hw.train) {
    INFO(x.path);
    CHECK(!(pack_of(x) == "Default" && x.label_name == "hello"));
    CHECK(!(pack_of(x) == "Classic" && (x.label_name == "melon" || x.label_name == "watchthis")));
  }
  for (const char* split : {"train", "validation", "test"}) {
    const std::string m = a + "/hedgewars/" + split + ".jsonl";
    check_paths(m, root);
    for (const json& j : read_jsonl(m))
      CHECK(j.at("speaker").get<std::string>() ==
            fs::path(j.at("audio_filepath").get<std::string>()).parent_path().filename().string());
  }
  const SF_INFO clip = decode(hw.test.front().path);  // libsndfile reads the ogg where it lies
  CHECK(clip.samplerate == 44100);
  CHECK(clip.channels == 2);

  // Asterisk digits: zero..nine, each the file of its digit.
  const AudioDataset digits = rwkvs::load_audio_dataset(a + "/asterisk_digits/test.jsonl");
  CHECK(digits.classes == std::vector<std::string>{"eight", "five", "four", "nine", "one", "seven", "six",
                                                   "three", "two", "zero"});
  const std::vector<std::string> names = {"zero", "one", "two", "three", "four",
                                          "five", "six", "seven", "eight", "nine"};
  REQUIRE(digits.train.size() == 10);
  for (const AudioExample& x : digits.train) {
    const int d = std::stoi(fs::path(x.path).stem().string());
    CHECK(x.label_name == names[static_cast<size_t>(d)]);
    CHECK(fs::equivalent(x.path, root / "usr/share/asterisk/sounds/en_US_f_Allison/digits" /
                                     (std::to_string(d) + ".wav")));
  }
  check_paths(a + "/asterisk_digits/test.jsonl", root);
  CHECK(!fs::exists(a + "/asterisk_keywords"));

  // Sentences: normalised text, the original beside it, raw PCM converted to WAV inside OUT.
  const std::string sentences = a + "/sentences/pocketsphinx.jsonl";
  const AudioDataset ps = rwkvs::load_audio_dataset(sentences);
  CHECK(ps.classes.empty());
  std::map<std::string, json> by_name;
  for (const json& j : read_jsonl(sentences))
    by_name[fs::path(j.at("audio_filepath").get<std::string>()).filename().string()] = j;
  REQUIRE(by_name.size() == 5);  // book-0030 names a missing file; numbers.raw has no transcript
  CHECK(by_name.at("book-0020.wav").at("text") == "he said don't stop now");
  CHECK(by_name.at("book-0020.wav").at("text_original") == "He said: \"Don't-STOP\",   now!");
  CHECK(by_name.at("book-0020.wav").at("speaker") == "librivox-sense_and_sensibility_01");
  CHECK(by_name.at("book-0010.wav").at("text") == "go left then right");
  CHECK(by_name.at("001.wav").at("text") == "ten of clubs");
  CHECK(!by_name.at("001.wav").contains("speaker"));
  CHECK(by_name.at("goforward.wav").at("text") == "go forward ten meters");
  CHECK(by_name.at("goforward.wav").at("audio_filepath") == "audio/pocketsphinx/goforward.wav");
  CHECK(by_name.at("tidigits_dhd.2934z.wav").at("text") == "two nine three four zero");
  CHECK(by_name.at("tidigits_dhd.2934z.wav").at("speaker") == "tidigits-dhd");
  for (const auto& [name, j] : by_name) {
    INFO(name);
    CHECK(j.at("text").get<std::string>().find_first_not_of("abcdefghijklmnopqrstuvwxyz' ") == std::string::npos);
    CHECK(j.contains("transcript_source"));
  }
  for (const AudioExample& x : ps.train) CHECK(!x.text.empty());
  const SF_INFO converted = decode(a + "/sentences/audio/pocketsphinx/goforward.wav");
  CHECK(converted.samplerate == 16000);
  CHECK(converted.channels == 1);
  CHECK(converted.frames == 8000);
  CHECK(std::abs(by_name.at("goforward.wav").at("duration").get<double>() - 0.5) < 1e-9);
  CHECK(!fs::exists(a + "/sentences/codec2.jsonl"));

  const std::string readme = rwkvs::test::read_text(a + "/README.txt");
  CHECK(readme.find("train      19 clips, 6 speakers") != std::string::npos);
  CHECK(readme.find("validation 8 clips, 2 speakers") != std::string::npos);
  CHECK(readme.find("test       8 clips, 2 speakers") != std::string::npos);
  CHECK(readme.find("packs: Pirate Surfer") != std::string::npos);
  CHECK(readme.find("1 phrases missing from a") != std::string::npos);

  // Determinism: a rerun in place and a run into a folder at the same depth give the same bytes.
  const std::vector<std::string> files = rwkvs::test::files_under(a);
  std::map<std::string, std::string> first;
  for (const std::string& f : files) first[f] = rwkvs::test::read_text(a + "/" + f);
  REQUIRE(make_real_speech(root.string(), "--out " + a + " --no-install", &output) == 0);
  REQUIRE(make_real_speech(root.string(), "--out " + b + " --no-install", &output) == 0);
  CHECK(rwkvs::test::files_under(a) == files);
  REQUIRE(rwkvs::test::files_under(b) == files);
  for (const std::string& f : files) {
    INFO(f);
    CHECK(rwkvs::test::read_text(a + "/" + f) == first[f]);
    CHECK(rwkvs::test::read_text(b + "/" + f) == first[f]);
  }
}

TEST_CASE("make_real_speech: usage and clear errors") {
  if (!on_path("sox") || !on_path("soxi")) std::_Exit(77);
  const std::string dir = rwkvs::test::temp_dir("make_real_speech_errors");
  std::string output;
  REQUIRE(make_real_speech("/", "--help", &output) == 0);
  CHECK(output.find("--no-install") != std::string::npos);
  CHECK(make_real_speech("/", "--bogus", &output) == 2);
  CHECK(output.find("unknown option '--bogus'") != std::string::npos);

  // A package tree that is not there: one line naming the package.
  const fs::path root = fs::path(dir) / "root";
  wav(root / "usr/share/games/hedgewars/Data/Sounds/voices/Default/Hello.wav", 16000);
  fs::create_directories(root / "usr/share/pocketsphinx/test/data");
  CHECK(make_real_speech(root.string(), "--out " + dir + "/out --no-install", &output) == 1);
  CHECK(output.find("install the Debian package asterisk-core-sounds-en-wav") != std::string::npos);
  CHECK(std::count(output.begin(), output.end(), '\n') == 1);
  CHECK(make_real_speech(dir + "/nowhere", "--out " + dir + "/out --no-install", &output) == 1);
  CHECK(output.find("REAL_SPEECH_ROOT") != std::string::npos);

  // A folder the script did not make is refused and left alone.
  make_fake_tree(root);
  fs::create_directories(dir + "/foreign");
  rwkvs::test::write_text(dir + "/foreign/notes.txt", "mine");
  CHECK(make_real_speech(root.string(), "--out " + dir + "/foreign --no-install", &output) == 1);
  CHECK(output.find("was not made by this script") != std::string::npos);
  CHECK(rwkvs::test::read_text(dir + "/foreign/notes.txt") == "mine");
  CHECK(rwkvs::test::files_under(dir + "/foreign") == std::vector<std::string>{"notes.txt"});
}
