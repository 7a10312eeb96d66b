// Transcript scoring: Levenshtein counts against an enumeration of every alignment, known WER and
// CER cases, UTF-8 characters counted once, whitespace handling, corpus totals and empty references.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "src/infer/edit_distance.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {

struct Alignment {
  int64_t s = 0, d = 0, i = 0;
  int64_t total() const { return s + d + i; }
};

// Every alignment of ref[r..] with hyp[h..] (match or substitute, delete, insert), appended to *out.
void enumerate(const std::vector<int32_t>& ref, const std::vector<int32_t>& hyp, size_t r, size_t h,
               Alignment a, std::vector<Alignment>* out) {
  if (r == ref.size() && h == hyp.size()) {
    out->push_back(a);
    return;
  }
  if (r < ref.size() && h < hyp.size()) {
    Alignment b = a;
    if (ref[r] != hyp[h]) ++b.s;
    enumerate(ref, hyp, r + 1, h + 1, b, out);
  }
  if (r < ref.size()) {
    Alignment b = a;
    ++b.d;
    enumerate(ref, hyp, r + 1, h, b, out);
  }
  if (h < hyp.size()) {
    Alignment b = a;
    ++b.i;
    enumerate(ref, hyp, r, h + 1, b, out);
  }
}

std::vector<int32_t> random_sequence(std::mt19937& rng, int max_len, int alphabet) {
  std::vector<int32_t> v(std::uniform_int_distribution<int>(0, max_len)(rng));
  for (int32_t& x : v) x = std::uniform_int_distribution<int32_t>(0, alphabet - 1)(rng);
  return v;
}

}  // namespace

TEST_CASE("edit distance equals the best of all alignments (fewest edits, then most substitutions)") {
  std::mt19937 rng(7);
  int with_ties = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const std::vector<int32_t> ref = random_sequence(rng, 6, 3), hyp = random_sequence(rng, 6, 3);
    std::vector<Alignment> all;
    enumerate(ref, hyp, 0, 0, {}, &all);
    const Alignment best =
        *std::min_element(all.begin(), all.end(), [](const Alignment& a, const Alignment& b) {
          return a.total() != b.total() ? a.total() < b.total() : a.s > b.s;
        });
    with_ties += std::count_if(all.begin(), all.end(), [&](const Alignment& a) {
                   return a.total() == best.total() && a.s != best.s;
                 }) > 0;
    const EditCounts e = edit_distance(ref, hyp);
    INFO("trial ", trial, " n ", ref.size(), " m ", hyp.size());
    CHECK(e.edits() == best.total());
    CHECK(e.substitutions == best.s);
    CHECK(e.deletions == best.d);
    CHECK(e.insertions == best.i);
    CHECK(e.reference_length == static_cast<int64_t>(ref.size()));
    CHECK(e.deletions - e.insertions == static_cast<int64_t>(ref.size()) - static_cast<int64_t>(hyp.size()));
  }
  CHECK(with_ties > 20);  // the tie-break was really exercised
}

TEST_CASE("edit distance: hand cases and the string form") {
  CHECK(edit_distance(std::vector<int32_t>{}, std::vector<int32_t>{}).edits() == 0);
  const EditCounts swap = edit_distance(std::vector<int32_t>{1, 2}, std::vector<int32_t>{2, 1});
  CHECK(swap.substitutions == 2);  // not one deletion and one insertion
  CHECK(swap.edits() == 2);
  const EditCounts k = edit_distance(std::vector<std::string>{"k", "i", "t", "t", "e", "n"},
                                     std::vector<std::string>{"s", "i", "t", "t", "i", "n", "g"});
  CHECK(k.substitutions == 2);
  CHECK(k.insertions == 1);
  CHECK(k.deletions == 0);
  CHECK(k.reference_length == 6);
}

TEST_CASE("word error rate: substitutions, deletions, insertions over whitespace-split words") {
  const EditCounts e = word_errors("the cat sat on the mat", "the cat sit on mat");
  CHECK(e.substitutions == 1);
  CHECK(e.deletions == 1);
  CHECK(e.insertions == 0);
  CHECK(e.reference_length == 6);
  CHECK(e.rate() == doctest::Approx(2.0 / 6.0));
  CHECK(word_error_rate("a b", "a x b y") == doctest::Approx(1.0));  // two insertions over two words
  CHECK(word_error_rate("a b c", "") == doctest::Approx(1.0));
  CHECK(word_error_rate("  hello\tworld\n", "hello world") == 0.0);
  CHECK(word_error_rate("hello world", "hello wor1d") == doctest::Approx(0.5));
  CHECK(split_words(" a  b\tc\n") == std::vector<std::string>{"a", "b", "c"});
  CHECK(split_words(" \t ").empty());
}

TEST_CASE("character error rate: code points of the words joined by single spaces") {
  CHECK(char_error_rate("abc", "abd") == doctest::Approx(1.0 / 3.0));
  CHECK(char_error_rate("hello world", "  hello   world ") == 0.0);    // extra whitespace is not an error
  const EditCounts joined = char_errors("hello world", "helloworld");  // a lost word boundary is one edit
  CHECK(joined.deletions == 1);
  CHECK(joined.edits() == 1);
  CHECK(joined.reference_length == 11);
  const EditCounts split = char_errors("helloworld", "hello world");
  CHECK(split.insertions == 1);
  CHECK(split.reference_length == 10);
}

TEST_CASE("UTF-8: a multi-byte character is one token") {
  CHECK(utf8_code_points("caf\xc3\xa9") == std::vector<int32_t>{'c', 'a', 'f', 0xE9});
  CHECK(utf8_code_points("\xe6\x97\xa5\xf0\x9f\x98\x80") == std::vector<int32_t>{0x65E5, 0x1F600});
  const EditCounts e = char_errors("caf\xc3\xa9", "cafe");  // é -> e: one substitution of four characters
  CHECK(e.substitutions == 1);
  CHECK(e.edits() == 1);
  CHECK(e.reference_length == 4);
  const EditCounts j =
      char_errors("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xe6\x97\xa5\xe6\x9c\xac");  // 日本語 / 日本
  CHECK(j.deletions == 1);
  CHECK(j.edits() == 1);
  CHECK(j.reference_length == 3);
  CHECK(word_error_rate("na\xc3\xafve caf\xc3\xa9", "naive caf\xc3\xa9") == doctest::Approx(0.5));
}

TEST_CASE("invalid UTF-8 is an error naming the offset") {
  CHECK(test::error_of([] { utf8_code_points("ab\xff"); }).find("offset 2") != std::string::npos);
  CHECK(test::error_of([] { utf8_code_points("a\xc3"); }).find("cut short") != std::string::npos);
  CHECK(test::error_of([] { utf8_code_points("\xc3(x"); }).find("continue") != std::string::npos);
  CHECK(test::error_of([] { utf8_code_points("\xc0\xaf"); }).find("overlong") != std::string::npos);
  CHECK(test::error_of([] { utf8_code_points("\xed\xa0\x80"); }).find("surrogate") != std::string::npos);
  CHECK(!test::error_of([] { char_errors("ok", "\x80"); }).empty());
}

TEST_CASE("empty references: no division by zero") {
  CHECK(word_errors("", "").rate() == 0.0);
  const EditCounts e = word_errors("", "x y");
  CHECK(e.insertions == 2);
  CHECK(e.reference_length == 0);
  CHECK(e.rate() == 1.0);
  CHECK(char_error_rate("   ", "") == 0.0);
}

TEST_CASE("corpus rates are total edits over total reference length") {
  const std::vector<std::string> refs = {"a b c", "", "d e"};
  const std::vector<std::string> hyps = {"a b", "x", "d e"};
  const EditCounts w = corpus_word_errors(refs, hyps);
  CHECK(w.edits() == 2);
  CHECK(w.reference_length == 5);
  CHECK(w.rate() == doctest::Approx(2.0 / 5.0));  // a mean of per-utterance rates would be (1/3 + 1 + 0) / 3
  EditCounts sum;
  for (size_t k = 0; k < refs.size(); ++k) sum += word_errors(refs[k], hyps[k]);
  CHECK(sum.substitutions == w.substitutions);
  CHECK(sum.deletions == w.deletions);
  CHECK(sum.insertions == w.insertions);
  const EditCounts c = corpus_char_errors(refs, hyps);
  CHECK(c.reference_length == 5 + 0 + 3);  // "a b c" and "d e" with their spaces
  CHECK(c.edits() == 2 + 1);               // " c" deleted, "x" inserted
  CHECK(test::error_of([&] { corpus_word_errors(refs, {"a"}); }).find("3 references but 1") !=
        std::string::npos);
}
