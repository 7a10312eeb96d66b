// JSON-lines manifests: valid forms, every malformed case naming its line, and manifest datasets.
#include <filesystem>
#include <string>

#include "base/error.h"
#include "src/io/audio_dataset.h"
#include "src/io/manifest.h"
#include "tests/support.h"

namespace fs = std::filesystem;
using rwkvs::test::error_of;
using rwkvs::ManifestEntry;
using rwkvs::parse_manifest;

namespace {

std::string parse_error(const std::string& text) {
  return error_of([&] { parse_manifest(text, "m.jsonl", "/data", false); });
}

// A line with a problem at line 3, after two good lines and a blank one.
std::string at_line_3(const std::string& bad) {
  return "{\"audio_filepath\": \"a.wav\", \"label\": \"yes\"}\n\n" + bad + "\n";
}

}  // namespace

TEST_CASE("manifest: fields, relative paths, offsets and durations") {
  const std::string text =
      "{\"audio_filepath\": \"clips/a.wav\", \"label\": \"yes\", \"duration\": 1.5}\n"
      "\n"
      "   \r\n"
      "{\"audio_filepath\": \"/abs/b.flac\", \"text\": \"go left\", \"offset\": 2, \"duration\": 0, "
      "\"speaker\": 7, \"lang\": \"en\"}\r\n"
      "{\"audio_filepath\": \"../c.wav\", \"label\": \"no\", \"text\": \"no\", \"offset\": 0.25}";
  const std::vector<ManifestEntry> m = parse_manifest(text, "m.jsonl", "/data/set", false);
  REQUIRE(m.size() == 3);
  CHECK(m[0].audio_path == "/data/set/clips/a.wav");
  CHECK(m[0].label == "yes");
  CHECK(!m[0].text);
  CHECK(m[0].speaker.empty());
  CHECK(m[1].speaker == "7");  // a number is kept as its text
  CHECK(m[0].offset == 0);
  CHECK(m[0].duration == 1.5);
  CHECK(m[0].line == 1);

  CHECK(m[1].audio_path == "/abs/b.flac");  // absolute paths are kept
  CHECK(!m[1].label);
  CHECK(m[1].text == "go left");
  CHECK(m[1].offset == 2);
  CHECK(m[1].duration == 0.0);
  CHECK(m[1].line == 4);

  CHECK(m[2].audio_path == "/data/set/../c.wav");
  CHECK(m[2].label == "no");
  CHECK(m[2].text == "no");
  CHECK(m[2].offset == 0.25);
  CHECK(!m[2].duration);
  CHECK(m[2].line == 5);

  // No base directory: relative paths stay relative (to the cwd).
  CHECK(parse_manifest("{\"audio_filepath\": \"x.wav\", \"text\": \"\"}", "m", "", false)[0].audio_path ==
        "x.wav");
}

TEST_CASE("manifest: every malformed line is an error naming the manifest and the line") {
  struct Case {
    const char* line;
    const char* reason;
  };
  const Case cases[] = {
      {"{\"audio_filepath\": \"a.wav\", \"label\": \"yes\"", "malformed JSON"},
      {"not json", "malformed JSON"},
      {"{\"audio_filepath\": \"a.wav\"} trailing", "malformed JSON"},
      {"[\"a.wav\", \"yes\"]", "expected a JSON object, got array"},
      {"\"a.wav\"", "expected a JSON object, got string"},
      {"{\"label\": \"yes\"}", "missing 'audio_filepath'"},
      {"{\"audio_filepath\": \"\", \"label\": \"yes\"}", "'audio_filepath' is empty"},
      {"{\"audio_filepath\": 3, \"label\": \"yes\"}", "'audio_filepath' must be a string, got number"},
      {"{\"audio_filepath\": \"a\\u0000b.wav\", \"label\": \"yes\"}", "NUL"},
      {"{\"audio_filepath\": \"a.wav\"}", "needs a 'label', a 'text' or 'keywords'"},
      {"{\"audio_filepath\": \"a.wav\", \"label\": \"yes\", \"speaker\": [1]}",
       "'speaker' must be a string or a number, got array"},
      {"{\"audio_filepath\": \"a.wav\", \"duration\": 1}", "needs a 'label', a 'text' or 'keywords'"},
      {"{\"audio_filepath\": \"a.wav\", \"label\": 5}", "'label' must be a string, got number"},
      {"{\"audio_filepath\": \"a.wav\", \"label\": \"\"}", "'label' is empty"},
      {"{\"audio_filepath\": \"a.wav\", \"text\": null}", "'text' must be a string, got null"},
      {"{\"audio_filepath\": \"a.wav\", \"label\": \"y\", \"offset\": \"1\"}", "'offset' must be a number"},
      {"{\"audio_filepath\": \"a.wav\", \"label\": \"y\", \"duration\": true}",
       "'duration' must be a number"},
      {"{\"audio_filepath\": \"a.wav\", \"label\": \"y\", \"offset\": -0.5}",
       "'offset' must be a non-negative"},
      {"{\"audio_filepath\": \"a.wav\", \"label\": \"y\", \"duration\": -1}",
       "'duration' must be a non-negative"},
      {"{\"audio_filepath\": \"a.wav\", \"label\": \"y\", \"duration\": 1e400}",
       "malformed JSON (number overflow"},
      {"{\"audio_filepath\": \"a.wav\", \"keywords\": {}}", "'keywords' must be an array, got object"},
      {"{\"audio_filepath\": \"a.wav\", \"keywords\": [3]}", "keywords[0]: expected an object"},
      {"{\"audio_filepath\": \"a.wav\", \"keywords\": [{\"start\": 1, \"end\": 2}]}",
       "keywords[0]: needs a non-empty 'label'"},
      {"{\"audio_filepath\": \"a.wav\", \"keywords\": [{\"label\": \"go\", \"start\": 1}]}",
       "keywords[0]: missing 'end'"},
      {"{\"audio_filepath\": \"a.wav\", \"keywords\": [{\"label\": \"go\", \"start\": 1, \"end\": 2}, "
       "{\"label\": \"up\", \"start\": 3, \"end\": 2.5}]}",
       "keywords[1]: ends (2.5 s) before it starts (3 s)"},
      {"{\"audio_filepath\": \"a.wav\", \"keywords\": [{\"label\": \"go\", \"start\": -1, \"end\": 2}]}",
       "keywords[0]: 'start' must be a non-negative"},
      {"{\"audio_filepath\": \"a.wav\", \"keywords\": [{\"label\": \"go\", \"start\": \"1\", \"end\": 2}]}",
       "keywords[0]: 'start' must be a number"},
  };
  for (const Case& c : cases) {
    const std::string message = parse_error(at_line_3(c.line));
    INFO("line: " << c.line << "\nmessage: " << message);
    CHECK(message.find("manifest 'm.jsonl' line 3: ") == 0);
    CHECK(message.find(c.reason) != std::string::npos);
  }
  // The parser's own position is kept, without its per-line "line 1" that would mislead.
  const std::string bad_json = parse_error(at_line_3("{\"audio_filepath\": x}"));
  CHECK(bad_json.find("column") != std::string::npos);
  CHECK(bad_json.find("line 1") == std::string::npos);
}

TEST_CASE("manifest: recordings of running speech with their keywords, sorted by start") {
  const std::string text =
      "{\"audio_filepath\": \"s0.wav\", \"duration\": 30, \"voice\": \"v1\", \"keywords\": "
      "[{\"label\": \"up\", \"start\": 9.5, \"end\": 9.9}, {\"label\": \"yes\", \"start\": 1.25, \"end\": 1.5}]}\n"
      "{\"audio_filepath\": \"quiet.wav\", \"keywords\": []}\n";
  const std::vector<ManifestEntry> m = parse_manifest(text, "streams.jsonl", "/d", false);
  REQUIRE(m.size() == 2);
  REQUIRE(m[0].keywords);
  REQUIRE(m[0].keywords->size() == 2);
  CHECK((*m[0].keywords)[0].label == "yes");
  CHECK((*m[0].keywords)[0].start_s == 1.25);
  CHECK((*m[0].keywords)[0].end_s == 1.5);
  CHECK((*m[0].keywords)[1].label == "up");
  CHECK(m[0].duration == 30.0);
  REQUIRE(m[1].keywords);
  CHECK(m[1].keywords->empty());  // a hard negative: speech with no keyword
  CHECK(!m[1].label);
}

TEST_CASE("manifest: an empty manifest is an error") {
  CHECK(parse_error("") == "manifest 'm.jsonl' has no entries");
  CHECK(parse_error("\n  \n\r\n") == "manifest 'm.jsonl' has no entries");
}

TEST_CASE("manifest: files are checked at load, relative to the manifest's folder") {
  const std::string dir = rwkvs::test::temp_dir("manifest_files");
  fs::create_directories(dir + "/clips/sub");
  rwkvs::test::write_text(dir + "/clips/a.wav", "RIFF");  // existence is checked here, not decoding
  rwkvs::test::write_text(dir + "/b.wav", "RIFF");

  const std::string good = dir + "/good.jsonl";
  rwkvs::test::write_text(
      good, "{\"audio_filepath\": \"clips/a.wav\", \"label\": \"yes\"}\n{\"audio_filepath\": \"" + dir +
                "/b.wav\", \"label\": \"no\"}\n");
  const std::vector<ManifestEntry> m = rwkvs::read_manifest(good);
  REQUIRE(m.size() == 2);
  CHECK(fs::equivalent(m[0].audio_path, dir + "/clips/a.wav"));
  CHECK(m[1].audio_path == dir + "/b.wav");

  const std::string missing = dir + "/missing.jsonl";
  rwkvs::test::write_text(missing,
                          "{\"audio_filepath\": \"clips/a.wav\", \"label\": \"yes\"}\n"
                          "{\"audio_filepath\": \"clips/nope.wav\", \"label\": \"yes\"}\n");
  std::string message = error_of([&] { rwkvs::read_manifest(missing); });
  CHECK(message.find("manifest '" + missing + "' line 2: ") == 0);
  CHECK(message.find("nope.wav' does not exist") != std::string::npos);
  CHECK_NOTHROW(rwkvs::read_manifest(missing, /*check_files=*/false));

  const std::string folder = dir + "/folder.jsonl";
  rwkvs::test::write_text(folder, "{\"audio_filepath\": \"clips/sub\", \"label\": \"yes\"}\n");
  message = error_of([&] { rwkvs::read_manifest(folder); });
  CHECK(message.find("line 1: ") != std::string::npos);
  CHECK(message.find("is not a regular file") != std::string::npos);

  message = error_of([&] { rwkvs::read_manifest(dir + "/none.jsonl"); });
  CHECK(message.find("none.jsonl' does not exist") != std::string::npos);
  message = error_of([&] { rwkvs::read_manifest(dir + "/clips"); });
  CHECK(message.find("is a directory") != std::string::npos);
}

TEST_CASE("manifest dataset: classes from train labels, splits from other manifests") {
  const std::string dir = rwkvs::test::temp_dir("manifest_dataset");
  for (const char* f : {"a.wav", "b.wav", "c.wav", "d.wav"}) rwkvs::test::write_text(dir + "/" + f, "RIFF");
  auto line = [](const char* file, const char* label) {
    return std::string("{\"audio_filepath\": \"") + file + "\", \"label\": \"" + label + "\"}\n";
  };
  rwkvs::test::write_text(dir + "/train.jsonl",
                          line("a.wav", "yes") + line("b.wav", "no") + line("c.wav", "yes"));
  rwkvs::test::write_text(dir + "/val.jsonl", line("d.wav", "no"));
  rwkvs::test::write_text(dir + "/test.jsonl", line("d.wav", "no") + line("a.wav", "maybe"));
  rwkvs::test::write_text(dir + "/mixed.jsonl",
                          line("a.wav", "yes") + "{\"audio_filepath\": \"b.wav\", \"text\": \"x\"}\n");
  rwkvs::test::write_text(dir + "/asr.jsonl",
                          "{\"audio_filepath\": \"b.wav\", \"text\": \"go\", \"offset\": 1}\n");

  rwkvs::AudioDatasetOptions options;
  options.validation_manifest = dir + "/val.jsonl";
  const rwkvs::AudioDataset data = rwkvs::load_audio_dataset(dir + "/train.jsonl", options);
  CHECK(data.classes == std::vector<std::string>{"no", "yes"});
  REQUIRE(data.train.size() == 3);
  CHECK(data.train[0].label == 1);
  CHECK(data.train[0].label_name == "yes");
  CHECK(data.train[1].label == 0);
  REQUIRE(data.validation.size() == 1);
  CHECK(data.validation[0].label == 0);
  CHECK(data.test.empty());
  CHECK(data.noise_files.empty());

  options.test_manifest = dir + "/test.jsonl";
  std::string message = error_of([&] { rwkvs::load_audio_dataset(dir + "/train.jsonl", options); });
  CHECK(message.find("test.jsonl' line 2: label 'maybe'") != std::string::npos);

  message = error_of([&] { rwkvs::load_audio_dataset(dir + "/mixed.jsonl"); });
  CHECK(message.find("mixed.jsonl' line 2: lacks a 'label'") != std::string::npos);

  const rwkvs::AudioDataset asr = rwkvs::load_audio_dataset(dir + "/asr.jsonl");
  CHECK(asr.classes.empty());
  REQUIRE(asr.train.size() == 1);
  CHECK(asr.train[0].label == -1);
  CHECK(asr.train[0].text == "go");
  CHECK(asr.train[0].offset == 1);

  rwkvs::test::write_text(dir + "/train.txt", line("a.wav", "yes"));
  message = error_of([&] { rwkvs::load_audio_dataset(dir + "/train.txt"); });
  CHECK(message.find("neither a folder nor a manifest") != std::string::npos);
}
