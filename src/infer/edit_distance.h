#pragma once
// Scoring transcripts: Levenshtein distance between token sequences with its edit counts, word
// error rate over whitespace-separated words, character error rate over UTF-8 code points, and
// corpus totals.
//
// Texts are compared as given, apart from whitespace: normalise both sides first (e.g. with
// normalize_transcript) when case and punctuation should not count.
//   - WER: the tokens are the words split on ASCII whitespace (space, \t, \n, \v, \f, \r).
//   - CER: the tokens are the code points of the words joined by single spaces, so a space between
//     two words is a character (a missing or extra word boundary is one edit), while leading,
//     trailing and repeated whitespace do not count. A multi-byte UTF-8 character is one token.
//     Invalid UTF-8 is an Error.
// A corpus rate is the sum of edits over the sum of reference lengths (not a mean of per-utterance
// rates): add up EditCounts with += and call rate().
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rwkvs {

struct EditCounts {
  int64_t substitutions = 0;
  int64_t deletions = 0;   // reference tokens missing from the hypothesis
  int64_t insertions = 0;  // hypothesis tokens not in the reference
  int64_t reference_length = 0;

  int64_t edits() const { return substitutions + deletions + insertions; }
  // edits / reference_length (can exceed 1 through insertions). An empty reference gives 0 when
  // there are no edits and 1 otherwise (all that was said is wrong), never a division by zero.
  double rate() const;
  EditCounts& operator+=(const EditCounts& o);
};

// The Levenshtein distance (unit costs) and one optimal alignment's counts. Among the alignments
// with the fewest edits the one with the most substitutions (so the fewest insertions and
// deletions) is counted; this makes the counts unique: for lengths n (reference) and m (hypothesis),
// deletions - insertions = n - m for every alignment.
EditCounts edit_distance(const std::vector<int32_t>& reference, const std::vector<int32_t>& hypothesis);
EditCounts edit_distance(const std::vector<std::string>& reference,
                         const std::vector<std::string>& hypothesis);

// The words of a text (split on ASCII whitespace, no empty words).
std::vector<std::string> split_words(std::string_view text);
// The code points of UTF-8 text; Error naming the byte offset on invalid UTF-8 (a bad lead or
// continuation byte, a truncated sequence, an overlong form, a surrogate or a value above U+10FFFF).
std::vector<int32_t> utf8_code_points(std::string_view text);

EditCounts word_errors(std::string_view reference, std::string_view hypothesis);
EditCounts char_errors(std::string_view reference, std::string_view hypothesis);
inline double word_error_rate(std::string_view reference, std::string_view hypothesis) {
  return word_errors(reference, hypothesis).rate();
}
inline double char_error_rate(std::string_view reference, std::string_view hypothesis) {
  return char_errors(reference, hypothesis).rate();
}

// Corpus totals over pairs (references[i], hypotheses[i]); Error when the sizes differ.
EditCounts corpus_word_errors(const std::vector<std::string>& references,
                              const std::vector<std::string>& hypotheses);
EditCounts corpus_char_errors(const std::vector<std::string>& references,
                              const std::vector<std::string>& hypotheses);

}  // namespace rwkvs
