// scripts/make_sentences.sh: a speech corpus with transcripts from synthetic voices. Manifests the
// project reads, audio that is what they say, transcripts in the trainer's alphabet that follow the
// text rules, no speaker and no sentence on two sides, and output that is a pure function of the
// seed.
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

#include "src/io/manifest.h"
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

const std::vector<std::string> kSplits = {"train", "validation", "test"};

int make_sentences(const std::string& args, std::string* output) {
  return rwkvs::test::run_script("make_sentences.sh", args, output);
}

std::vector<std::string> split_on(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

std::vector<std::string> words_of(const std::string& s) {
  std::vector<std::string> words;
  std::istringstream in(s);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

// The transcript rule, written again: lower case, every character but a-z and ' a space,
// apostrophes only between letters, single spaces.
std::string normalise(const std::string& spoken) {
  std::string t;
  for (char c : spoken) {
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    t += (l >= 'a' && l <= 'z') || l == '\'' ? l : ' ';
  }
  std::string out;
  for (std::string w : words_of(t)) {
    while (!w.empty() && w.front() == '\'') w.erase(w.begin());
    while (!w.empty() && w.back() == '\'') w.pop_back();
    std::string squeezed;
    for (char c : w)
      if (c != '\'' || squeezed.empty() || squeezed.back() != '\'') squeezed += c;
    if (!squeezed.empty()) out += (out.empty() ? "" : " ") + squeezed;
  }
  return out;
}

// A transcript in the trainer's alphabet: a-z and ', single spaces, no apostrophe at a word's edge.
bool in_alphabet(const std::string& text) {
  if (text.empty() || text.front() == ' ' || text.back() == ' ') return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= 'a' && c <= 'z') continue;
    if (c == ' ' && text[i - 1] != ' ') continue;
    // An apostrophe between letters only.
    if (c == '\'' && i > 0 && i + 1 < text.size() && std::isalpha(static_cast<unsigned char>(text[i - 1])) &&
        std::isalpha(static_cast<unsigned char>(text[i + 1])))
      continue;
    return false;
  }
  return true;
}

// Which text rule a pool line breaks, or "": what is spoken is ASCII letters and , . ' ! ? ; : only
// (no hyphen, digit or symbol), no word without a vowel (Mr, St, tv), of one letter other than a/i/o
// or with a capital right after a letter (IBM, PhD); the transcript is its normal form, in the
// alphabet, of 3 to 20 words.
std::string rule_broken(const std::string& spoken, const std::string& text) {
  if (spoken.empty() || !std::isalpha(static_cast<unsigned char>(spoken[0]))) return "does not start with a letter";
  for (char c : spoken)
    if (!std::isalpha(static_cast<unsigned char>(c)) && std::string(" ,.'!?;:").find(c) == std::string::npos)
      return std::string("character '") + c + "'";
  for (const std::string& w : words_of(spoken)) {
    std::string letters;
    for (char c : w)
      if (std::isalpha(static_cast<unsigned char>(c))) letters += c;
    if (letters.find_first_of("aeiouyAEIOUY") == std::string::npos) return "no vowel in '" + w + "'";
    if (letters.size() == 1 && std::string("aAiIoO").find(letters) == std::string::npos) return "letter '" + w + "'";
    for (size_t i = 1; i < w.size(); ++i)  // O'Brien is fine
      if (std::isupper(static_cast<unsigned char>(w[i])) && std::isalpha(static_cast<unsigned char>(w[i - 1])))
        return "capitals in '" + w + "'";
  }
  if (!in_alphabet(text)) return "transcript outside the alphabet";
  if (normalise(spoken) != text) return "transcript is not the normal form '" + normalise(spoken) + "'";
  const size_t n = words_of(text).size();
  if (n < 3 || n > 20) return "words: " + std::to_string(n);
  return "";
}

int peak(const std::vector<short>& x, size_t from, size_t to) {
  int p = 0;
  for (size_t i = from; i < std::min(to, x.size()); ++i) p = std::max(p, std::abs(static_cast<int>(x[i])));
  return p;
}

}  // namespace

TEST_CASE("make_sentences: the text rules") {
  skip_unless_speech_tools_are_installed();
  const std::string dir = rwkvs::test::temp_dir("sentences_rules");
  rwkvs::test::write_text(dir + "/in.txt",
                          "Turn it On, and then come home with me.\n"
                          "The IBM machine was slow; it was OK in the end. We got there at last.\n"
                          "Mr. Smith went to Washington again.\n"
                          "Then I went home with the others.\n"
                          "Charles I was the king of that land.\n"
                          "They fought in World War I that year.\n"
                          "He got a PhD in something very odd.\n"
                          "The cat sat on the mat, etc.\n"
                          "And he walked under the sun.\n"
                          "'Tis a fine day, said the dogs' owner.\n"
                          "He set-up the tent for all of us.\n"
                          "Watch tv now, and eat your dinner.\n"
                          "Give it to me, plan B is coming now.\n"
                          "It cost 5 dollars and a bit more.\n"
                          "Salt & pepper are on the table.\n"
                          "He lives in the U.S. with his aunt.\n"
                          "Go for it!\n"
                          "He was late again, said Gen.\n"
                          "Caf\xc3\xa9 au lait is what I want today.\n"
                          "Too short.\n"
                          "Where is the book I gave you last year?\n"
                          "The work of Spyglass Inc.'s people is done.\n"
                          "We had apples, pears, etc, and more fruit.\n"
                          "It was good to be home again, said Lucy. You had fun.\n");
  rwkvs::test::write_text(dir + "/bible.txt", "And the LORD said unto Moses, Go in.\n");
  const std::string lib = std::string(RWKVS_SOURCE_DIR) + "/scripts/lib";
  const std::string filter = " | awk -v banned= -v minw=1 -v maxw=20 -f " + lib + "/sentences.awk" +
                             " | awk -v minw=3 -v maxw=20 -f " + lib + "/transcripts.awk";
  std::string output;
  REQUIRE(rwkvs::test::run("LC_ALL=C bash -c '. " + lib + "/texts.sh; texts_mark_capitals' <" + dir + "/in.txt" +
                               filter,
                           &output) == 0);
  // Acronyms, abbreviations, digits, symbols, non-ASCII, initials, roman numerals and spelled-out
  // words take their sentence with them; hyphens are spaces; a fragment cut at a sentence end is
  // read as it stands.
  CHECK(output ==
        "Turn it On, and then come home with me.\tturn it on and then come home with me\n"
        "We got there at last.\twe got there at last\n"
        "Smith went to Washington again.\tsmith went to washington again\n"
        "Then I went home with the others.\tthen i went home with the others\n"
        "And he walked under the sun.\tand he walked under the sun\n"
        "Tis a fine day, said the dogs' owner.\ttis a fine day said the dogs owner\n"
        "He set up the tent for all of us.\the set up the tent for all of us\n"
        "with his aunt.\twith his aunt\n"
        "Go for it!\tgo for it\n"
        "It was good to be home again, said Lucy.\tit was good to be home again said lucy\n"
        "You had fun.\tyou had fun\n");
  // The Bible's capitals are words: written so that engines read them as words.
  REQUIRE(rwkvs::test::run("cat " + dir + "/bible.txt" + filter, &output) == 0);
  CHECK(output == "And the Lord said unto Moses, Go in.\tand the lord said unto moses go in\n");
}

TEST_CASE("make_sentences: the sentence pools follow the rules and are split by transcript") {
  skip_unless_speech_tools_are_installed();
  std::string listing;
  REQUIRE(make_sentences("--list-sentences --no-install --seed 3", &listing) == 0);
  std::map<std::string, std::string> split_of_text;
  std::map<std::string, size_t> per_split, per_text;
  size_t lines = 0;
  std::vector<std::string> bad;  // lines that break a rule, with the rule
  std::istringstream in(listing);
  std::string line;
  while (std::getline(in, line)) {
    ++lines;
    const std::vector<std::string> f = split_on(line, '\t');
    REQUIRE_MESSAGE(f.size() == 4, line);
    const std::string &split = f[0], &spoken = f[2], &text = f[3];
    const std::string why = rule_broken(spoken, text);
    if (!why.empty() && bad.size() < 10) bad.push_back(why + ": " + line);
    if (std::find(kSplits.begin(), kSplits.end(), split) == kSplits.end() && bad.size() < 10)
      bad.push_back("no split: " + line);
    if (!split_of_text.insert({text, split}).second && bad.size() < 10)  // each transcript once
      bad.push_back("transcript twice: " + line);
    per_split[split]++;
    per_text[f[1]]++;
  }
  std::string report;
  for (const std::string& b : bad) report += b + "\n";
  CHECK_MESSAGE(bad.empty(), report);
  CHECK(lines > 50000);
  CHECK(per_text["fortunes"] > 10000);
  CHECK(per_text["bible"] > 30000);
  // A tenth each for test and validation.
  CHECK(per_split["test"] > lines * 8 / 100);
  CHECK(per_split["test"] < lines * 12 / 100);
  CHECK(per_split["validation"] > lines * 8 / 100);
  CHECK(per_split["validation"] < lines * 12 / 100);
  CHECK(split_of_text.count("in the beginning god created the heaven and the earth"));
}

TEST_CASE("make_sentences: manifests, audio and speakers of a small corpus; deterministic") {
  skip_unless_speech_tools_are_installed();
  const std::string dir = rwkvs::test::temp_dir("sentences");
  const std::string a = dir + "/a", b = dir + "/b", c = dir + "/c";
  const std::string args = " --train-minutes 0.15 --validation-minutes 0.05 --test-minutes 0.1 --no-install";
  std::string output, listing, sentences;
  REQUIRE_MESSAGE(make_sentences("--out " + a + args + " --seed 3 --jobs 2", &output) == 0, output);
  CHECK(output.find("audio min per wall min") != std::string::npos);
  REQUIRE(make_sentences("--list-voices --seed 3", &listing) == 0);
  const std::map<std::string, Voice> voices = parse_voices(listing);
  REQUIRE(voices.size() == 280);
  REQUIRE(make_sentences("--list-sentences --no-install --seed 3", &sentences) == 0);
  std::map<std::string, std::string> split_of_text;
  {
    std::istringstream in(sentences);
    std::string line;
    while (std::getline(in, line)) {
      const std::vector<std::string> f = split_on(line, '\t');
      if (f.size() == 4) split_of_text[f[3]] = f[0];
    }
  }

  std::map<std::string, std::set<std::string>> speakers, texts;
  for (const std::string& split : kSplits) {
    const std::string manifest = a + "/" + split + ".jsonl";
    INFO(manifest);
    // The project's reader takes it (every file exists) and resolves paths against OUT.
    const std::vector<rwkvs::ManifestEntry> entries = rwkvs::read_manifest(manifest);
    const std::vector<json> lines = read_jsonl(manifest);
    REQUIRE(entries.size() == lines.size());
    REQUIRE(!lines.empty());
    double seconds = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      const json& l = lines[i];
      INFO(l.dump());
      const std::string rel = l.at("audio_filepath");
      CHECK(rel.rfind(split + "/", 0) == 0);
      CHECK(fs::equivalent(entries[i].audio_path, a + "/" + rel));
      const std::string text = l.at("text");
      REQUIRE(entries[i].text);
      CHECK(*entries[i].text == text);
      CHECK(in_alphabet(text));
      const size_t n = words_of(text).size();
      CHECK(n >= 3);
      CHECK(n <= 20);
      REQUIRE(split_of_text.count(text));
      CHECK(split_of_text[text] == split);  // the sentence comes from its split's pool
      const std::string voice = l.at("voice"), source = l.at("source");
      REQUIRE(voices.count(voice));
      CHECK(voices.at(voice).split == split);
      CHECK(l.at("speaker") == voices.at(voice).speaker);
      CHECK((source == "fortunes" || source == "bible" || source == "jargon"));
      speakers[split].insert(voices.at(voice).speaker);
      texts[split].insert(text);

      // The file is as long as the manifest says (exactly: whole milliseconds), with silence around
      // loud speech.
      const std::vector<short> x = read_pcm16_wav(a + "/" + rel);
      const double duration = l.at("duration");
      REQUIRE(entries[i].duration);
      CHECK(*entries[i].duration == duration);
      CHECK(x.size() % 16 == 0);
      CHECK(std::abs(duration - static_cast<double>(x.size()) / 16000.0) < 1e-9);
      CHECK(duration > 0.5);
      CHECK(duration < 20.0);
      CHECK(peak(x, 0, 800) == 0);                         // 50 ms of silence before
      CHECK(peak(x, x.size() - 800, x.size()) == 0);       // and after
      CHECK(peak(x, 800, x.size() - 800) > 3000);
      seconds += duration;
    }
    const double asked = split == "train" ? 9.0 : split == "validation" ? 3.0 : 6.0;
    CHECK(seconds >= asked);
    CHECK(seconds < asked + 20.0);  // cut after the clip that reaches the minutes
  }
  for (size_t i = 0; i < kSplits.size(); ++i) {
    for (size_t j = i + 1; j < kSplits.size(); ++j) {
      INFO(kSplits[i] << " / " << kSplits[j]);
      for (const std::string& s : speakers[kSplits[i]]) CHECK(!speakers[kSplits[j]].count(s));
      for (const std::string& t : texts[kSplits[i]]) CHECK(!texts[kSplits[j]].count(t));
    }
  }
  const std::string readme = rwkvs::test::read_text(a + "/README.txt");
  CHECK(readme.find("no speaker, no transcript in two splits") != std::string::npos);

  // The same seed gives the same bytes whatever --jobs; another seed other speech; a finished
  // output is left alone.
  REQUIRE_MESSAGE(make_sentences("--out " + b + args + " --seed 3 --jobs 1", &output) == 0, output);
  const std::vector<std::string> files = rwkvs::test::files_under(a);
  REQUIRE(files == rwkvs::test::files_under(b));
  for (const std::string& f : files) {
    INFO(f);
    CHECK(rwkvs::test::read_text(a + "/" + f) == rwkvs::test::read_text(b + "/" + f));
  }
  REQUIRE_MESSAGE(make_sentences("--out " + c + " --train-minutes 0 --validation-minutes 0 --test-minutes 0.1"
                                 " --no-install --jobs 2 --seed 4",
                                 &output) == 0,
                  output);
  CHECK(!fs::exists(c + "/train.jsonl"));
  CHECK(rwkvs::test::read_text(c + "/test.jsonl") != rwkvs::test::read_text(a + "/test.jsonl"));
  REQUIRE(make_sentences("--out " + a + args + " --seed 3 --jobs 2", &output) == 0);
  CHECK(output.find("up to date") != std::string::npos);
}

TEST_CASE("make_sentences: bad flags are refused with one line") {
  skip_unless_speech_tools_are_installed();
  const std::string dir = rwkvs::test::temp_dir("sentences_flags");
  const std::string out = " --no-install --out " + dir + "/x";
  struct Case {
    std::string args, message;
    int status;
  };
  const std::vector<Case> cases = {
      {out + " --bogus", "unknown option '--bogus'", 2},
      {out + " --jobs", "--jobs needs a value", 2},
      {"--out --seed 1", "--out needs a value", 2},
      {out + " --train-minutes ten", "--train-minutes must be a number of minutes", 1},
      {out + " --minutes 0", "every split has 0 minutes: nothing to make", 1},
      {out + " --min-words 0", "--min-words must be a positive integer", 1},
      {out + " --max-words 2", "--max-words must be an integer from --min-words (3) to 60", 1},
      {out + " --texts 'bible koran'", "unknown text 'koran' in --texts", 2},
      {out + " --texts 'bible bible'", "--texts names 'bible' twice", 2},
      {out + " --texts ''", "--texts is empty", 2},
      {out + " --engines 'espeak nope'", "unknown engine 'nope' in --engines", 2},
      {out + " --engines ''", "--engines is empty", 2},
      {out + " --jobs 0", "--jobs must be a positive integer", 1},
      {out + " --seed -1", "--seed must be a non-negative integer", 1},
      {out + " --split-seed x", "--split-seed must be a non-negative integer", 1},
  };
  for (const Case& c : cases) {
    INFO(c.args);
    std::string output;
    CHECK(make_sentences(c.args, &output) == c.status);
    CHECK_MESSAGE(output.find("make_sentences: " + c.message) == 0, output);
    CHECK(std::count(output.begin(), output.end(), '\n') == 1);
  }
  CHECK(!fs::exists(dir + "/x"));

  // A folder the script did not make is refused and left alone.
  fs::create_directories(dir + "/foreign");
  rwkvs::test::write_text(dir + "/foreign/notes.txt", "mine");
  std::string output;
  CHECK(make_sentences("--no-install --out " + dir + "/foreign --minutes 0.1", &output) == 1);
  CHECK(output.find("was not made by this script") != std::string::npos);
  CHECK(rwkvs::test::read_text(dir + "/foreign/notes.txt") == "mine");
}
