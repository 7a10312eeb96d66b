#include "src/infer/edit_distance.h"

#include <unordered_map>

#include "base/error.h"

namespace rwkvs {

double EditCounts::rate() const {
  if (reference_length == 0) return edits() == 0 ? 0.0 : 1.0;
  return static_cast<double>(edits()) / static_cast<double>(reference_length);
}

EditCounts& EditCounts::operator+=(const EditCounts& o) {
  substitutions += o.substitutions;
  deletions += o.deletions;
  insertions += o.insertions;
  reference_length += o.reference_length;
  return *this;
}

namespace {

// One cell of the dynamic programme: the counts of the best alignment of two prefixes.
struct Cell {
  int64_t s = 0, d = 0, i = 0;
  int64_t total() const { return s + d + i; }
};

// Fewer edits first, then more substitutions.
bool better(const Cell& a, const Cell& b) {
  return a.total() != b.total() ? a.total() < b.total() : a.s > b.s;
}

}  // namespace

EditCounts edit_distance(const std::vector<int32_t>& ref, const std::vector<int32_t>& hyp) {
  // Two rows of D[r][h] = the best alignment of ref[0..r) with hyp[0..h).
  const size_t n = ref.size(), m = hyp.size();
  std::vector<Cell> prev(m + 1), cur(m + 1);
  for (size_t h = 0; h <= m; ++h) prev[h].i = static_cast<int64_t>(h);
  for (size_t r = 1; r <= n; ++r) {
    cur[0] = Cell{0, static_cast<int64_t>(r), 0};
    for (size_t h = 1; h <= m; ++h) {
      Cell diag = prev[h - 1];
      if (ref[r - 1] != hyp[h - 1]) ++diag.s;
      Cell del = prev[h];
      ++del.d;
      Cell ins = cur[h - 1];
      ++ins.i;
      Cell best = diag;
      if (better(del, best)) best = del;
      if (better(ins, best)) best = ins;
      cur[h] = best;
    }
    std::swap(prev, cur);
  }
  const Cell& c = prev[m];
  EditCounts e;
  e.substitutions = c.s;
  e.deletions = c.d;
  e.insertions = c.i;
  e.reference_length = static_cast<int64_t>(n);
  return e;
}

EditCounts edit_distance(const std::vector<std::string>& ref, const std::vector<std::string>& hyp) {
  std::unordered_map<std::string, int32_t> ids;
  const auto intern = [&](const std::vector<std::string>& words) {
    std::vector<int32_t> out;
    out.reserve(words.size());
    for (const std::string& w : words)
      out.push_back(ids.try_emplace(w, static_cast<int32_t>(ids.size())).first->second);
    return out;
  };
  const std::vector<int32_t> r = intern(ref);
  return edit_distance(r, intern(hyp));
}

std::vector<std::string> split_words(std::string_view text) {
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
  };
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && space(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !space(text[i])) ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

std::vector<int32_t> utf8_code_points(std::string_view text) {
  std::vector<int32_t> out;
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char c = byte(i);
    int extra = 0;
    int32_t cp = 0, min = 0;
    if (c < 0x80) {
      extra = 0, cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07, min = 0x10000;
    } else {
      fail("invalid UTF-8: byte 0x", std::hex, static_cast<int>(c), std::dec, " at offset ", i,
           " cannot start a character");
    }
    if (i + static_cast<size_t>(extra) >= text.size())
      fail("invalid UTF-8: the character at offset ", i, " is cut short by the end of the text");
    for (int k = 1; k <= extra; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80)
        fail("invalid UTF-8: byte ", i + k, " should continue the character at offset ", i);
      cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    if (cp < min) fail("invalid UTF-8: overlong encoding at offset ", i);
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      fail("invalid UTF-8: code point ", cp, " at offset ", i,
           " is not a character (surrogate or above U+10FFFF)");
    out.push_back(cp);
    i += static_cast<size_t>(extra) + 1;
  }
  return out;
}

namespace {

// Code points of the words joined by single spaces.
std::vector<int32_t> normalised_chars(std::string_view text) {
  std::vector<int32_t> out;
  for (const std::string& w : split_words(text)) {
    if (!out.empty()) out.push_back(' ');
    const std::vector<int32_t> cps = utf8_code_points(w);
    out.insert(out.end(), cps.begin(), cps.end());
  }
  return out;
}

void check_sizes(const std::vector<std::string>& refs, const std::vector<std::string>& hyps,
                 const char* who) {
  if (refs.size() != hyps.size())
    fail(who, ": ", refs.size(), " references but ", hyps.size(), " hypotheses (expected one each)");
}

}  // namespace

EditCounts word_errors(std::string_view reference, std::string_view hypothesis) {
  return edit_distance(split_words(reference), split_words(hypothesis));
}

EditCounts char_errors(std::string_view reference, std::string_view hypothesis) {
  return edit_distance(normalised_chars(reference), normalised_chars(hypothesis));
}

EditCounts corpus_word_errors(const std::vector<std::string>& references,
                              const std::vector<std::string>& hypotheses) {
  check_sizes(references, hypotheses, "corpus_word_errors");
  EditCounts total;
  for (size_t k = 0; k < references.size(); ++k) total += word_errors(references[k], hypotheses[k]);
  return total;
}

EditCounts corpus_char_errors(const std::vector<std::string>& references,
                              const std::vector<std::string>& hypotheses) {
  check_sizes(references, hypotheses, "corpus_char_errors");
  EditCounts total;
  for (size_t k = 0; k < references.size(); ++k) total += char_errors(references[k], hypotheses[k]);
  return total;
}

}  // namespace rwkvs
