// scripts/make_running_speech.sh and the voices it shares with scripts/make_keywords.sh: one speaker
// split for both scripts, flite and festival voices beside espeak-ng, keywords at the times the
// manifest says, filler free of keywords, and output that is a pure function of the seed.
#include <sndfile.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/io/audio_folder_dataset.h"
#include "tests/script_support.h"
#include "tests/support.h"

namespace fs = std::filesystem;
using nlohmann::json;

using rwkvs::test::on_path;
using rwkvs::test::parse_voices;
using rwkvs::test::read_jsonl;
using rwkvs::test::read_pcm16_wav;
using rwkvs::test::skip_unless_speech_tools_are_installed;
using rwkvs::test::Voice;

namespace {

const std::vector<std::string> kKeywords = {"yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"};

int running_speech(const std::string& args, std::string* output) {
  return rwkvs::test::run_script("make_running_speech.sh", args, output);
}

// Lower-case words, cut at every non-letter (as the script's filter cuts them).
std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> words;
  std::string w;
  for (char c : text + " ") {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!w.empty()) {
      words.push_back(w);
      w.clear();
    }
  }
  return words;
}

// RMS and peak of samples [from, to) (clamped to the file).
struct Level {
  double rms = 0;
  int peak = 0;
};
Level level(const std::vector<short>& x, long from, long to) {
  from = std::max(0L, from);
  to = std::min(static_cast<long>(x.size()), to);
  Level l;
  double sum = 0;
  for (long i = from; i < to; ++i) {
    sum += static_cast<double>(x[static_cast<size_t>(i)]) * x[static_cast<size_t>(i)];
    l.peak = std::max(l.peak, std::abs(static_cast<int>(x[static_cast<size_t>(i)])));
  }
  if (to > from) l.rms = std::sqrt(sum / static_cast<double>(to - from));
  return l;
}

}  // namespace

TEST_CASE("voices: one speaker split for both scripts, by speaker, flite and festival included") {
  skip_unless_speech_tools_are_installed();
  std::string keywords_listing, speech_listing, output;
  REQUIRE(rwkvs::test::run_script("make_keywords.sh", "--list-voices --split-seed 7 --seed 3", &keywords_listing) == 0);
  REQUIRE(running_speech("--list-voices --split-seed 7 --seed 11", &speech_listing) == 0);
  CHECK(keywords_listing == speech_listing);  // the split depends on the split seed alone
  REQUIRE(running_speech("--list-voices --seed 7", &output) == 0);
  CHECK(output == speech_listing);  // the split seed defaults to the seed

  const std::map<std::string, Voice> voices = parse_voices(speech_listing);
  std::map<std::string, int> per_engine;
  std::map<std::string, std::set<std::string>> splits_of_speaker;
  std::map<std::string, std::set<std::string>> splits_of_engine;
  for (const auto& [id, v] : voices) {
    per_engine[v.engine]++;
    splits_of_speaker[v.speaker].insert(v.split);
    splits_of_engine[v.engine].insert(v.split);
    CHECK(id.starts_with(v.engine + "-"));
  }
  CHECK(per_engine["espeak"] == 216);
  CHECK(per_engine["flite"] == 40);     // kal, kal16, awb, rms, slt x 8 personas
  CHECK(per_engine["festival"] == 24);  // kal, ked, slt x 8 personas
  for (const auto& [speaker, splits] : splits_of_speaker) {
    INFO(speaker);
    CHECK(splits.size() == 1);  // all voices and personas of a speaker on one side
  }
  // The same recorded person is one speaker in both engines.
  CHECK(voices.at("flite-slt.p0").speaker == voices.at("festival-slt.p5").speaker);
  CHECK(voices.at("flite-kal16.p2").speaker == voices.at("festival-kal.p0").speaker);
  CHECK(voices.at("flite-kal.p0").speaker == "kal");
  for (const std::string engine : {"flite", "festival"}) {
    INFO(engine);
    CHECK(splits_of_engine[engine].count("train"));
    CHECK(splits_of_engine[engine].count("test"));
  }
  // Every sex among the recorded speakers is trained on: slt, the only woman, for any split seed.
  for (const std::string seed : {"1", "2", "3", "7", "42"}) {
    std::string listing;
    REQUIRE(running_speech("--list-voices --split-seed " + seed, &listing) == 0);
    const std::map<std::string, Voice> seeded = parse_voices(listing);
    INFO("split seed " << seed);
    CHECK(seeded.at("flite-slt.p0").split == "train");
    CHECK(seeded.at("festival-slt.p3").split == "train");
    CHECK(seeded.at("flite-kal.p0").split == "test");  // the other speaker both engines have
  }
  std::set<std::string> all_splits;
  for (const auto& [speaker, splits] : splits_of_speaker) all_splits.insert(*splits.begin());
  CHECK(all_splits == std::set<std::string>{"test", "train", "validation"});

  // make_keywords writes its lists by that split, and flite and festival clips are in the set.
  const std::string dir = rwkvs::test::temp_dir("voices_split") + "/kw";
  REQUIRE_MESSAGE(rwkvs::test::run_script("make_keywords.sh",
                         "--out " + dir + " --per-word 4 --unknown-count 0 --noise-seconds 1 --jobs 2 --seed 3 "
                         "--split-seed 7",
                         &output) == 0,
                  output);
  std::map<std::string, std::string> split_of_speaker;
  for (const auto& [id, v] : voices) split_of_speaker[v.speaker] = v.split;
  const rwkvs::AudioDataset data = rwkvs::load_audio_folder(dir);
  std::map<std::string, int> clips_per_engine;
  const std::vector<std::pair<const std::vector<rwkvs::AudioExample>*, std::string>> sides = {
      {&data.train, "train"}, {&data.validation, "validation"}, {&data.test, "test"}};
  for (const auto& [examples, side] : sides) {
    for (const rwkvs::AudioExample& x : *examples) {
      const std::string speaker = rwkvs::speaker_of(x.path);
      INFO(x.path);
      REQUIRE(split_of_speaker.count(speaker));
      CHECK(split_of_speaker[speaker] == side);
      const std::string name = fs::path(x.path).filename().string();
      clips_per_engine[name.find("_nohash_flite-") != std::string::npos      ? "flite"
                       : name.find("_nohash_festival-") != std::string::npos ? "festival"
                                                                              : "espeak"]++;
    }
  }
  CHECK(clips_per_engine["espeak"] > 0);
  CHECK(clips_per_engine["flite"] > 0);
  CHECK(clips_per_engine["festival"] > 0);
}

TEST_CASE("make_running_speech: keywords where the manifest says, no keyword in filler, deterministic") {
  skip_unless_speech_tools_are_installed();
  const std::string dir = rwkvs::test::temp_dir("running_speech");
  const std::string a = dir + "/a", b = dir + "/b", c = dir + "/c";
  const std::string args = " --minutes 0.4 --keyword-free-minutes 0.2 --file-minutes 0.2 --keyword-share 80 --jobs 2";
  std::string output, listing;
  REQUIRE_MESSAGE(running_speech("--out " + a + args + " --seed 5", &output) == 0, output);
  REQUIRE(running_speech("--list-voices --seed 5", &listing) == 0);
  const std::map<std::string, Voice> voices = parse_voices(listing);

  const std::vector<json> streams = read_jsonl(a + "/streams.jsonl");
  REQUIRE(streams.size() == 3);  // two files with keywords, one without
  std::set<std::string> engines;
  size_t n_keywords = 0;
  double free_seconds = 0;
  for (const json& s : streams) {
    const std::string rel = s.at("audio_filepath");
    INFO(rel);
    const std::vector<short> x = read_pcm16_wav(a + "/" + rel);
    const double duration = s.at("duration");
    CHECK(std::abs(duration - static_cast<double>(x.size()) / 16000.0) < 1e-3);
    CHECK(duration >= 12.0);  // at least the 0.2 minutes asked for
    const std::string voice = s.at("voice");
    REQUIRE(voices.count(voice));
    CHECK(voices.at(voice).split == "test");
    CHECK(s.at("speaker") == voices.at(voice).speaker);
    engines.insert(voices.at(voice).engine);

    // Keywords: sorted, inside the file, loud inside, pauses of silence on both sides.
    std::vector<std::string> labels;
    double previous_end = 0;
    for (const json& k : s.at("keywords")) {
      const std::string label = k.at("label");
      const double start = k.at("start"), end = k.at("end");
      INFO(label << " at " << start << ".." << end);
      CHECK(std::find(kKeywords.begin(), kKeywords.end(), label) != kKeywords.end());
      CHECK(start >= previous_end);
      CHECK(start < end);
      CHECK(end <= duration);
      // > 40 ms: flite's kal16 says "up" in 48 ms once trimmed (persona 2, seed 5), the shortest seen.
      CHECK(end - start > 0.04);
      CHECK(end - start < 1.5);
      previous_end = end;
      const long from = std::lround(start * 16000), to = std::lround(end * 16000);
      const Level inside = level(x, from, to);
      const Level before = level(x, from - 400, from), after = level(x, to, to + 400);  // 25 ms
      CHECK(inside.rms > 300);
      CHECK(inside.peak > 3000);
      CHECK(before.peak <= 8);
      CHECK(after.peak <= 8);
      labels.push_back(label);
    }
    n_keywords += labels.size();
    if (rel.find("free_") != std::string::npos) {
      CHECK(labels.empty());
      free_seconds += duration;
    }

    // The transcript holds each labelled keyword, in order, and no other keyword or homophone.
    std::vector<std::string> spoken;
    for (const std::string& w : words_of(s.at("transcript"))) {
      CHECK(w != "know");
      CHECK(w != "write");
      if (std::find(kKeywords.begin(), kKeywords.end(), w) != kKeywords.end()) spoken.push_back(w);
    }
    CHECK(spoken == labels);
  }
  CHECK(n_keywords >= 4);
  CHECK(free_seconds >= 12.0);
  CHECK(engines == std::set<std::string>{"espeak", "flite", "festival"});  // the files take turns
  const std::string readme = rwkvs::test::read_text(a + "/README.txt");
  CHECK(readme.find("Keywords: " + std::to_string(n_keywords)) != std::string::npos);
  CHECK(readme.find("Voices (minutes):") != std::string::npos);

  // The same seed gives the same bytes; another seed other speech; a finished output is left alone.
  REQUIRE_MESSAGE(running_speech("--out " + b + args + " --seed 5 --jobs 1", &output) == 0, output);
  const std::vector<std::string> files = rwkvs::test::files_under(a);
  REQUIRE(files == rwkvs::test::files_under(b));
  CHECK(files.size() == 3 + 4);  // recordings, streams.jsonl, README.txt, two stamp files
  for (const std::string& f : files) {
    INFO(f);
    CHECK(rwkvs::test::read_text(a + "/" + f) == rwkvs::test::read_text(b + "/" + f));
  }
  REQUIRE_MESSAGE(running_speech("--out " + c + " --minutes 0.1 --file-minutes 0.1 --jobs 2 --seed 6", &output) == 0,
                  output);
  CHECK(rwkvs::test::read_text(c + "/streams.jsonl") != rwkvs::test::read_text(a + "/streams.jsonl"));
  REQUIRE(running_speech("--out " + a + args + " --seed 5", &output) == 0);
  CHECK(output.find("up to date") != std::string::npos);
}

TEST_CASE("make_running_speech: the filler filter drops keywords in any case and form") {
  skip_unless_speech_tools_are_installed();
  const std::string dir = rwkvs::test::temp_dir("running_speech_filter");
  rwkvs::test::write_text(dir + "/in.txt",
                          "Turn it On, and then come home with me.\n"
                          "GO! said he to all of them at once.\n"
                          "Then we all shouted STOP, and the cart came to rest.\n"
                          "He set-up the tent for all of us.\n"
                          "The dog's no-good owner came late again.\n"
                          "I know what you mean by all of that.\n"
                          "Keep the LORD in mind all the day long.\n"
                          "It cost 5 dollars and a bit more.\n"
                          "Wait for it all to end ...\n"
                          "He came home , and then he slept.\n"
                          "This is a fine and clean sentence. Upon the hill stood gone nobody.\n");
  std::string output;
  REQUIRE(rwkvs::test::run("awk -v banned='yes no up down left right on off stop go know write rite wright' "
                           "-v minw=4 -v maxw=24 -f " +
                               std::string(RWKVS_SOURCE_DIR) + "/scripts/lib/sentences.awk " + dir + "/in.txt",
                           &output) == 0);
  // "GO!" is a sentence of its own (cut after '!' and a space), dropped as too short and banned;
  // the rest of its line is a sentence without a keyword. "STOP," is caught in capitals. A word
  // without a letter (",") is never spoken alone: its sentence goes; " ..." joins the word before.
  CHECK(output ==
        "said he to all of them at once.\n"
        "Keep the Lord in mind all the day long.\n"
        "Wait for it all to end...\n"
        "This is a fine and clean sentence.\n"
        "Upon the hill stood gone nobody.\n");
}

TEST_CASE("make_running_speech: bad flags are refused with a message") {
  skip_unless_speech_tools_are_installed();
  const std::string dir = rwkvs::test::temp_dir("running_speech_flags");
  const std::string out = " --out " + dir + "/x";
  struct Case {
    std::string args, message;
    int status;
  };
  const std::vector<Case> cases = {
      {"--minutes 1", "--out is required", 2},
      {out + " --bogus", "unknown option '--bogus'", 2},
      {out + " --jobs", "--jobs needs a value", 2},
      {"--out --minutes 1", "--out needs a value", 2},
      {out + " --split dev", "--split must be train, validation or test, got 'dev'", 1},
      {out + " --minutes ten", "--minutes must be a number of minutes", 1},
      {out + " --minutes 0", "nothing to make", 1},
      {out + " --file-minutes 0.05", "--file-minutes must be at least 0.1", 1},
      {out + " --keywords 'On'", "keyword 'On' must be a lower-case word", 1},
      {out + " --keywords 'yes yes'", "keyword 'yes' is given twice", 1},
      {out + " --keyword-share 0", "--keyword-share must be a percentage", 1},
      {out + " --engines 'espeak nope'", "unknown engine 'nope'", 2},
      {out + " --engines ''", "--engines is empty", 2},
      {out + " --jobs 0", "--jobs must be a positive integer", 1},
      {out + " --seed -1", "--seed must be a non-negative integer", 1},
  };
  for (const Case& c : cases) {
    INFO(c.args);
    std::string output;
    CHECK(running_speech(c.args, &output) == c.status);
    CHECK_MESSAGE(output.find(c.message) != std::string::npos, output);
  }
  CHECK(!fs::exists(dir + "/x"));

  // A named engine that is not installed: a flite without its voices comes first on the PATH.
  fs::create_directories(dir + "/bin");
  rwkvs::test::write_text(dir + "/bin/flite", "#!/bin/sh\necho 'Voices available: kal'\n");
  fs::permissions(dir + "/bin/flite", fs::perms::owner_all);
  std::string output;
  CHECK(rwkvs::test::run("PATH=" + dir + "/bin:$PATH bash " + std::string(RWKVS_SOURCE_DIR) +
                             "/scripts/make_running_speech.sh" + out + " --engines flite",
                         &output) == 1);
  CHECK_MESSAGE(output.find("engine 'flite' is not installed: missing flite voice kal16") != std::string::npos,
                output);

  // A folder the script did not make is refused and left alone.
  fs::create_directories(dir + "/foreign");
  rwkvs::test::write_text(dir + "/foreign/notes.txt", "mine");
  CHECK(running_speech("--out " + dir + "/foreign --minutes 0.1", &output) == 1);
  CHECK(output.find("was not made by this script") != std::string::npos);
  CHECK(rwkvs::test::read_text(dir + "/foreign/notes.txt") == "mine");
}
