#pragma once
// Shared by the tests of the data scripts (make_keywords.sh, make_running_speech.sh,
// make_real_speech.sh, make_sentences.sh): running a script, skipping when the speech tools are
// missing, the --list-voices listing, the 16 kHz PCM16 files and JSON-lines manifests they write.
#include <sndfile.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support.h"

namespace rwkvs::test {

inline bool on_path(const char* tool) { return run(std::string("command -v ") + tool + " >/dev/null") == 0; }

// The engines and texts the voice scripts need; CI installs them all through scripts/deps.sh.
// Exits 77 (ctest: Skipped) when one is missing.
inline void skip_unless_speech_tools_are_installed() {
  const bool engines = on_path("espeak-ng") && on_path("flite") && on_path("festival") && on_path("sox");
  const bool texts = on_path("bible") && std::filesystem::is_directory("/usr/share/games/fortunes");
  if (!engines || !texts) {
    std::printf("skipped: espeak-ng, flite, festival, sox, bible-kjv and fortunes are needed (scripts/deps.sh)\n");
    std::fflush(stdout);
    std::_Exit(77);
  }
}

// bash scripts/NAME ARGS from the source tree; its exit status, stdout+stderr into *output.
inline int run_script(const std::string& name, const std::string& args, std::string* output) {
  return run("bash " + std::string(RWKVS_SOURCE_DIR) + "/scripts/" + name + " " + args, output);
}

struct Voice {
  std::string speaker, split, engine;
};

// "voice speaker split engine" lines of --list-voices.
inline std::map<std::string, Voice> parse_voices(const std::string& listing) {
  std::map<std::string, Voice> voices;
  std::istringstream in(listing);
  std::string id;
  Voice v;
  while (in >> id >> v.speaker >> v.split >> v.engine) voices[id] = v;
  return voices;
}

// The samples of a file the scripts write, checked to be 16 kHz mono 16-bit PCM WAV.
inline std::vector<short> read_pcm16_wav(const std::string& path) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  REQUIRE_MESSAGE(f, "cannot open " << path << ": " << sf_strerror(nullptr));
  INFO(path);
  CHECK(info.samplerate == 16000);
  CHECK(info.channels == 1);
  CHECK(info.format == (SF_FORMAT_WAV | SF_FORMAT_PCM_16));
  std::vector<short> samples(static_cast<size_t>(info.frames));
  CHECK(sf_read_short(f, samples.data(), info.frames) == info.frames);
  sf_close(f);
  return samples;
}

inline std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

}  // namespace rwkvs::test
