#include "frontends/text/transcript.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <set>

#include "base/error.h"

namespace rwkvs {
namespace {

// The next code point of s from i (advanced past it); Error on invalid UTF-8.
uint32_t next_code_point(std::string_view s, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  int extra = 0;
  uint32_t cp = 0;
  if (c < 0x80) {
    ++i;
    return c;
  } else if ((c & 0xE0) == 0xC0) {
    extra = 1, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    extra = 2, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    extra = 3, cp = c & 0x07;
  } else {
    fail("invalid UTF-8 (byte 0x", std::hex, static_cast<int>(c), ") at byte ", std::dec, i);
  }
  for (int k = 1; k <= extra; ++k) {
    if (i + k >= s.size() || (byte(i + k) & 0xC0) != 0x80) fail("invalid UTF-8 at byte ", i);
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  i += extra + 1;
  return cp;
}

// Latin-1 letters U+00C0..U+00FF folded to ASCII ("" where there is no letter: × and ÷).
const char* fold_latin1(uint32_t cp) {
  static const char* const table[64] = {
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",   // C0..CF
      "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",  // D0..DF
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",   // E0..EF
      "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};  // F0..FF
  return table[cp - 0xC0];
}

std::string describe(uint32_t cp) {
  if (cp < 0x80) return str_cat("'", static_cast<char>(cp), "'");
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", cp);
  return buf;
}

}  // namespace

std::string normalize_transcript(std::string_view text) {
  // First pass: map every code point to letters, an apostrophe, a space (separator) or nothing.
  std::string mapped;
  for (size_t i = 0; i < text.size();) {
    const uint32_t cp = next_code_point(text, i);
    if (cp >= 'A' && cp <= 'Z') {
      mapped += static_cast<char>(cp - 'A' + 'a');
    } else if ((cp >= 'a' && cp <= 'z') || cp == '\'') {
      mapped += static_cast<char>(cp);
    } else if (cp == 0x2019 || cp == 0x2018) {
      mapped += '\'';
    } else if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '-' || cp == '_' || cp == '/' ||
               cp == 0x2013 || cp == 0x2014 || cp == 0xA0) {
      mapped += ' ';
    } else if (cp >= 0xC0 && cp <= 0xFF && *fold_latin1(cp)) {
      mapped += fold_latin1(cp);
    } else if (cp < 0x80 && std::string_view(".,;:!?\"()[]{}").find(static_cast<char>(cp)) != std::string_view::npos) {
      // removed
    } else if (cp == 0x2026 || cp == 0x201C || cp == 0x201D || cp == 0xAB || cp == 0xBB || cp == 0xBF || cp == 0xA1) {
      // … “ ” « » ¿ ¡ removed
    } else if (cp >= '0' && cp <= '9') {
      fail(describe(cp), " (a digit) cannot be spelt by a character vocabulary: write numbers as words");
    } else {
      fail(describe(cp), " has no spelling in the transcript alphabet (letters, apostrophe, space)");
    }
  }
  // Second pass: keep apostrophes only between letters, collapse spaces, trim.
  std::string out;
  for (size_t i = 0; i < mapped.size(); ++i) {
    const char c = mapped[i];
    if (c == '\'') {
      const bool letter_before = i > 0 && mapped[i - 1] >= 'a' && mapped[i - 1] <= 'z';
      const bool letter_after = i + 1 < mapped.size() && mapped[i + 1] >= 'a' && mapped[i + 1] <= 'z';
      if (letter_before && letter_after) out += c;
    } else if (c == ' ') {
      if (!out.empty() && out.back() != ' ') out += c;
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

CharVocab::CharVocab(std::vector<std::string> labels, const std::string& source) : labels_(std::move(labels)) {
  std::fill(std::begin(index_), std::end(index_), -1);
  if (labels_.size() < 2 || labels_[0] != kBlankName)
    fail(source, ": a CTC vocabulary starts with \"", kBlankName, "\" and has at least one character");
  for (size_t id = 1; id < labels_.size(); ++id) {
    const std::string& l = labels_[id];
    if (l.size() != 1 || static_cast<unsigned char>(l[0]) >= 128)
      fail(source, ": CTC label ", id, " \"", l, "\" is not one ASCII character");
    if (index_[static_cast<unsigned char>(l[0])] >= 0) fail(source, ": CTC label \"", l, "\" appears twice");
    index_[static_cast<unsigned char>(l[0])] = static_cast<int32_t>(id);
  }
  space_ = index_[static_cast<unsigned char>(' ')];
}

CharVocab CharVocab::from_transcripts(const std::vector<std::string>& normalised) {
  std::set<char> seen;
  for (const std::string& t : normalised)
    for (char c : t)
      if (c != ' ' && c != '\'') seen.insert(c);
  std::vector<std::string> labels = {kBlankName, " ", "'"};
  for (char c : seen) labels.emplace_back(1, c);
  return CharVocab(std::move(labels), "training transcripts");
}

std::vector<int32_t> CharVocab::encode(std::string_view normalised) const {
  std::vector<int32_t> ids;
  ids.reserve(normalised.size());
  for (char c : normalised) {
    const auto u = static_cast<unsigned char>(c);
    const int32_t id = u < 128 ? index_[u] : -1;
    if (id < 0) fail("'", c, "' is not in the model's character vocabulary");
    ids.push_back(id);
  }
  return ids;
}

std::string CharVocab::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (int32_t id : ids) {
    RWKVS_CHECK(id >= 0 && id < size(), "CTC id ", id, " outside the vocabulary of ", size());
    if (id != kBlank) out += labels_[static_cast<size_t>(id)];
  }
  return out;
}

}  // namespace rwkvs
