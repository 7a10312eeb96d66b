// The RWKV World tokenizer: the official vocabulary against the goldens of an independent Python
// implementation (tests/data/tokenizer/make_world_goldens.py), round trips of any bytes, the greedy
// longest match against a brute-force search, every literal form, and every malformed-file case
// (each error must name the file and the line).
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "src/io/token_file.h"
#include "src/io/world_tokenizer.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string vocab_path() { return test::oracle("tokenizers/rwkv_vocab_v20230424.txt"); }

const WorldTokenizer& world() {
  static const WorldTokenizer t = [] {
    REQUIRE_MESSAGE(std::filesystem::exists(vocab_path()),
                    "the official vocabulary is missing: ", vocab_path());
    return WorldTokenizer::load(vocab_path());
  }();
  return t;
}

// The id on the vocabulary file's line whose text after the id is 'rest' (e.g. "'\n\n' 2" with a
// literal backslash), read from the file itself; -1 when there is none.
int32_t id_in_file(const std::string& rest) {
  static const std::string text = test::read_text(vocab_path());
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    const size_t space = line.find(' ');
    if (space != std::string::npos && line.substr(space + 1) == rest) return std::stoi(line.substr(0, space));
    start = end + 1;
  }
  return -1;
}

// The greedy longest match by brute force: at each position, every length from the longest down.
std::vector<int32_t> brute_force_encode(const std::unordered_map<std::string, int32_t>& vocab, size_t longest,
                                        const std::string& text) {
  std::vector<int32_t> ids;
  for (size_t pos = 0; pos < text.size();) {
    for (size_t len = std::min(longest, text.size() - pos); len > 0; --len) {
      const auto it = vocab.find(text.substr(pos, len));
      if (it != vocab.end()) {
        ids.push_back(it->second);
        pos += len;
        break;
      }
    }
  }
  return ids;
}

std::string random_bytes(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// Pieces of real text (so that long tokens match) cut at random byte offsets, with random bytes
// between them: mostly invalid UTF-8 at the seams.
std::string random_mix(std::mt19937& rng, const std::string& text, size_t pieces) {
  std::string s;
  for (size_t k = 0; k < pieces; ++k) {
    const size_t at = rng() % text.size(), len = rng() % 40;
    s += text.substr(at, len);
    s += random_bytes(rng, rng() % 4);
  }
  return s;
}

// A small vocabulary: every single byte written in some literal form, then multi-byte tokens.
// Ids 1..256 are the bytes 0..255; 300 is left unused.
struct SmallVocab {
  std::string text;
  std::vector<std::pair<int32_t, std::string>> tokens;  // id, the bytes it must stand for
};

SmallVocab small_vocab(const std::string& eol = "\n") {
  SmallVocab v;
  const auto add = [&](int32_t id, const std::string& literal, const std::string& bytes) {
    v.text += std::to_string(id) + " " + literal + " " + std::to_string(bytes.size()) + eol;
    v.tokens.emplace_back(id, bytes);
  };
  const char* hex = "0123456789abcdef";
  for (int b = 0; b < 256; ++b) {
    const std::string byte(1, static_cast<char>(b));
    const std::string xx = {'\\', 'x', hex[b >> 4], hex[b & 15]};
    if (b == '\n')
      add(b + 1, R"('\n')", byte);
    else if (b == '\t')
      add(b + 1, R"('\t')", byte);
    else if (b == '\r')
      add(b + 1, R"('\r')", byte);
    else if (b == '\a')
      add(b + 1, R"('\a')", byte);
    else if (b == '\b')
      add(b + 1, R"('\b')", byte);
    else if (b == '\f')
      add(b + 1, R"('\f')", byte);
    else if (b == '\v')
      add(b + 1, R"('\v')", byte);
    else if (b == 0)
      add(b + 1, R"(b'\0')", byte);
    else if (b == '\\')
      add(b + 1, R"('\\')", byte);
    else if (b == '\'')
      add(b + 1, R"("'")", byte);
    else if (b == '"')
      add(b + 1, R"('"')", byte);
    else if (b == 'A')
      add(b + 1, R"('\101')", byte);
    else if (b == 'B')
      add(b + 1, R"(b"\x42")", byte);
    else if (b == ' ')
      add(b + 1, "' '", byte);
    else if (b >= 0x80)
      add(b + 1, "b'" + xx + "'", byte);
    else if (b < 0x20 || b == 0x7f || b % 2)
      add(b + 1, "'" + xx + "'", byte);
    else
      add(b + 1, "'" + byte + "'", byte);
  }
  add(301, "'ab'", "ab");
  add(302, "'abc'", "abc");
  add(303, "'bcd'", "bcd");
  add(304, R"('\u00e9')", "\xc3\xa9");  // a str escape stands for UTF-8
  add(305, R"('\x80')", "\xc2\x80");    // U+0080, two bytes, unlike b'\x80'
  add(306, R"('\U0001F600')", "\xf0\x9f\x98\x80");
  add(307, R"(b'\xe4\xb8')", "\xe4\xb8");       // half a character
  add(308, "'ü 中'", "\xc3\xbc \xe4\xb8\xad");  // raw UTF-8 and a space inside
  add(309, R"("it's")", "it's");
  add(310, R"('say \"hi\"\'')", "say \"hi\"'");
  add(311, R"('a\\b')", "a\\b");
  add(312, R"('\7777')",
      "\xc7\xbf"
      "7");  // octal takes at most three digits: U+01FF then '7'
  add(320, R"('  ')", "  ");
  return v;
}

// Loads a vocabulary file with this text; the message of the error, or "".
std::string load_error(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name + ".txt";
  test::write_text(path, text);
  return test::error_of([&] { WorldTokenizer::load(path); });
}

}  // namespace

TEST_CASE("the official vocabulary: size, end of text, single tokens for common text") {
  const WorldTokenizer& t = world();
  CHECK(t.vocab_size() == 65530);  // ids 1..65529 in the file, 0 the end of text
  CHECK(t.decode({0}).empty());
  CHECK(t.encode("").empty());

  // Ids read from the vocabulary file itself.
  const std::vector<std::pair<std::string, std::string>> singles = {
      {"\n\n", R"('\n\n' 2)"},
      {"\r\n", R"('\r\n' 2)"},
      {"\t", R"('\t' 1)"},
      {" the", "' the' 4"},
      {" and", "' and' 4"},
      {"Hello", "'Hello' 5"},
      {" world", "' world' 6"},
      {"\xe4\xb8\xad", "'中' 3"},  // 中
      {std::string(1, '\0'), R"('\x00' 1)"},
      {"\xff", R"(b'\xff' 1)"},
      {std::string(128, ' '), "'" + std::string(128, ' ') + "' 128"}};
  for (const auto& [text, rest] : singles) {
    const int32_t id = id_in_file(rest);
    INFO("token ", rest, " (id ", id, ")");
    REQUIRE(id > 0);
    CHECK(t.encode(text) == std::vector<int32_t>{id});
    CHECK(t.decode({id}) == text);
  }
  CHECK(t.encode("Hello world") == std::vector<int32_t>{id_in_file("'Hello' 5"), id_in_file("' world' 6")});
  // 300 spaces: the 128-space token twice, then the longest token for the 44 left.
  const std::vector<int32_t> spaces = t.encode(std::string(300, ' '));
  REQUIRE(spaces.size() >= 3);
  CHECK(spaces[0] == id_in_file("'" + std::string(128, ' ') + "' 128"));
  CHECK(spaces[1] == spaces[0]);
  CHECK(t.decode(spaces) == std::string(300, ' '));
}

TEST_CASE("the official vocabulary gives the Python goldens' ids") {
  const WorldTokenizer& t = world();
  const std::string text = test::read_text(std::string(RWKVS_TEST_DATA_DIR) + "/tokenizer/world_text.txt");
  const std::vector<int32_t> want = read_token_file(
      std::string(RWKVS_TEST_DATA_DIR) + "/tokenizer/world_ids.txt", static_cast<int64_t>(t.vocab_size()));
  REQUIRE(text.size() > 10000);
  const std::vector<int32_t> got = t.encode(text);
  size_t first_bad = 0;
  while (first_bad < std::min(got.size(), want.size()) && got[first_bad] == want[first_bad]) ++first_bad;
  INFO("got ", got.size(), " ids, want ", want.size(), "; first difference at id ", first_bad);
  CHECK(got == want);
  CHECK(t.decode(got) == text);
  CHECK(t.decode(want) == text);
}

TEST_CASE("decode(encode(x)) == x and encode is the greedy longest match, for any bytes") {
  const WorldTokenizer& t = world();
  std::unordered_map<std::string, int32_t> vocab;
  size_t longest = 0;
  for (int32_t id = 1; id < static_cast<int32_t>(t.vocab_size()); ++id) {
    const std::string bytes = t.decode({id});
    vocab.emplace(bytes, id);
    longest = std::max(longest, bytes.size());
  }
  CHECK(vocab.size() == 65529);
  CHECK(longest == 128);

  const std::string text = test::read_text(std::string(RWKVS_TEST_DATA_DIR) + "/tokenizer/world_text.txt");
  std::mt19937 rng(12);
  for (int k = 0; k < 300; ++k) {
    const std::string s = k % 2 ? random_bytes(rng, rng() % 200) : random_mix(rng, text, 1 + rng() % 10);
    const std::vector<int32_t> ids = t.encode(s);
    INFO("case ", k, ", ", s.size(), " bytes");
    CHECK(t.decode(ids) == s);
    CHECK(ids == brute_force_encode(vocab, longest, s));
    CHECK(std::none_of(ids.begin(), ids.end(), [](int32_t id) { return id == 0; }));
  }
}

TEST_CASE("every literal form and the greedy match on a small vocabulary") {
  const std::string dir = test::temp_dir("world_small");
  for (const std::string eol : {"\n", "\r\n"}) {
    const SmallVocab v = small_vocab(eol);
    const std::string path = dir + "/small.txt";
    test::write_text(path, v.text);
    const WorldTokenizer t = WorldTokenizer::load(path);
    CHECK(t.vocab_size() == 321);
    for (const auto& [id, bytes] : v.tokens) {
      INFO("id ", id);
      CHECK(t.decode({id}) == bytes);
      CHECK(t.encode(bytes) == std::vector<int32_t>{id});
    }
    // Greedy, not the fewest tokens: "abcd" is abc+d although a+bcd is as short.
    CHECK(t.encode("abcd") == std::vector<int32_t>{302, 'd' + 1});
    CHECK(t.encode("abab") == std::vector<int32_t>{301, 301});
    CHECK(t.encode("ab\xe4\xb8\xe4") == std::vector<int32_t>{301, 307, 0xe4 + 1});
    CHECK(t.encode("   ") == std::vector<int32_t>{320, ' ' + 1});
    for (const int32_t bad : {300, -1, 321, 1 << 30}) {
      const std::string msg = test::error_of([&] { t.decode({1, bad}); });
      INFO(msg);
      CHECK(contains(msg, "id " + std::to_string(bad) + " (position 1) is not in the vocabulary"));
    }
  }
}

TEST_CASE("malformed vocabulary files name the file and the line") {
  const std::string dir = test::temp_dir("world_bad");
  const std::string good = "1 'a' 1\n2 'b' 1\n";
  // {name, line 3, a part the message must hold}
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"no_fields", "garbage", "expected '<id> <python literal> <byte length>', found 'garbage'"},
      {"one_space", "5 'a'", "expected '<id> <python literal> <byte length>'"},
      {"id_not_number", "x 'a' 1", "expected '<id>"},
      {"id_negative", "-5 'a' 1", "expected '<id>"},
      {"length_not_number", "5 'a' one", "expected '<id>"},
      {"blank_line", "", "expected '<id>"},
      {"id_zero", "0 'a' 1", "id 0 is reserved for the end of text"},
      {"id_huge", "99999999999 'c' 1", "id 99999999999 is above the largest supported id"},
      {"unquoted", "5 abc 3", "token abc is not a quoted Python str or bytes literal"},
      {"u_prefix", "5 u'c' 1", "is not a quoted Python str or bytes literal"},
      {"unterminated", "5 'abc 4", "is not a quoted Python str or bytes literal"},
      {"mixed_quotes", "5 'ab\" 2", "is not a quoted Python str or bytes literal"},
      {"escaped_close", R"(5 'ab\' 3)", "is unterminated (its closing quote is escaped)"},
      {"inner_quote", "5 'a'b' 3", "has an unescaped quote inside"},
      {"bad_escape", R"(5 '\q' 1)", R"(has an unsupported escape \q)"},
      {"short_hex", R"(5 '\x4' 1)", R"(has a \x escape without two hex digits)"},
      {"short_u", R"(5 '\u12' 1)", R"(has a \u escape without 4 hex digits)"},
      {"surrogate", R"(5 '\ud800' 3)", "surrogate"},
      {"above_unicode", R"(5 '\U00110000' 4)", "above U+10FFFF"},
      {"u_in_bytes", R"(5 b'\u0041' 1)", R"(has a \u escape in a bytes literal)"},
      {"non_ascii_bytes", "5 b'é' 2", "has a non-ASCII character in a bytes literal"},
      {"octal_bytes", R"(5 b'\777' 1)", "octal escape above"},
      {"invalid_utf8", "5 '\xff' 1", "is not valid UTF-8"},
      {"empty_token", "5 '' 0", "token '' is empty"},
      {"length_mismatch", "5 'cd' 3", "token 'cd' is 2 bytes, the line says 3"},
      {"str_x80_is_two_bytes", R"(5 '\x80' 1)", "is 2 bytes, the line says 1"},
      {"duplicate_id", "2 'c' 1", "id 2 repeats, first on line 2"},
      {"duplicate_bytes", "7 'a' 1", "token 'a' (id 7) repeats the bytes of id 1 on line 1"},
  };
  for (const auto& [name, line, part] : cases) {
    const std::string msg = load_error(dir, name, good + line + "\n4 'd' 1\n");
    INFO("case ", name, ": message: ", msg);
    CHECK(contains(msg, "world vocabulary '" + dir + "/" + name + ".txt' line 3: "));
    CHECK(contains(msg, part));
  }

  const std::string later_lower = load_error(dir, "later_lower", "9 'z' 1\n2 'b' 1\n3 'z' 1\n");
  CHECK(contains(later_lower, "line 3: token 'z' (id 3) repeats the bytes of id 9 on line 1"));

  // Whole-file problems.
  const std::string empty = load_error(dir, "empty", "");
  CHECK(contains(empty, "'" + dir + "/empty.txt' is empty"));
  const std::string json = load_error(dir, "json", "{\n  \"version\": \"1.0\",\n  \"model\": {}\n}\n");
  INFO(json);
  CHECK(contains(json,
                 "'" + dir + "/json.txt' line 1: expected '<id> <python literal> <byte length>', found '{'"));
  CHECK(contains(json, "is this an RWKV World vocabulary"));
  const std::string hf_json = test::oracle("tokenizers/20B_tokenizer.json");
  if (std::filesystem::exists(hf_json)) {
    const std::string msg = test::error_of([&] { WorldTokenizer::load(hf_json); });
    CHECK(contains(msg, "'" + hf_json + "' line 1: expected"));
  }
  SmallVocab v = small_vocab();
  const size_t line_64 = v.text.find("\n64 ") + 1;  // the token of byte 0x3f
  v.text.erase(line_64, v.text.find('\n', line_64) + 1 - line_64);
  const std::string missing_byte = load_error(dir, "missing_byte", v.text);
  CHECK(contains(missing_byte, "'" + dir + "/missing_byte.txt' has no token for the single byte 0x3f"));
  const std::string absent = test::error_of([&] { WorldTokenizer::load(dir + "/nope.txt"); });
  CHECK(contains(absent, "world vocabulary '" + dir + "/nope.txt' does not exist"));
  CHECK(contains(test::error_of([&] { WorldTokenizer::load(dir); }), "is a directory"));
}
