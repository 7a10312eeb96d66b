#pragma once
// Transcripts for speech recognition: one normalisation shared by training, evaluation and the
// corpus scripts, and the character vocabulary of a CTC model.
//
// normalize_transcript (documented in the README, "Speech recognition"):
//   - ASCII letters are lower-cased; Latin-1 accented letters fold to their base letter (é -> e,
//     ß -> ss); the typographic apostrophes ’ ‘ become ';
//   - hyphens, dashes (– —), underscores and slashes separate words (become spaces);
//   - other punctuation (. , ; : ! ? " ( ) [ ] { } … “ ” « ») is removed;
//   - an apostrophe is kept only inside a word (don't, o'clock), quotes around words are removed;
//   - whitespace runs become one space, none at either end.
// Digits, symbols (& % $ @ # + = ...) and other non-ASCII characters are spoken in ways the text
// does not say ("3" is "three", "&" is "and"): they are an Error naming the character, so a corpus
// states numbers as words. Invalid UTF-8 is an Error too.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rwkvs {

// The normalised text; Error (message: what is wrong, e.g. "'3' (a digit) cannot be spelt by a
// character vocabulary: write numbers as words") when the text holds what cannot be normalised.
std::string normalize_transcript(std::string_view text);

// The symbols of a CTC head: id 0 is the blank ("<blank>"), then one UTF-8 character per id; " "
// separates words. Made from normalised training transcripts: blank, space, apostrophe, then every
// other character seen, sorted (the letters), so the ids do not depend on the order of the data.
class CharVocab {
 public:
  static constexpr int32_t kBlank = 0;
  static inline const std::string kBlankName = "<blank>";

  // From the model's stored labels (labels[0] must be "<blank>", the others one character each).
  explicit CharVocab(std::vector<std::string> labels, const std::string& source = "labels");
  // From normalised transcripts.
  static CharVocab from_transcripts(const std::vector<std::string>& normalised);

  const std::vector<std::string>& labels() const { return labels_; }
  int64_t size() const { return static_cast<int64_t>(labels_.size()); }
  int32_t space() const { return space_; }  // -1 when the vocabulary has no space
  // Ids of a normalised transcript; a character outside the vocabulary is an Error naming it.
  std::vector<int32_t> encode(std::string_view normalised) const;
  // The text of ids (blanks skipped).
  std::string decode(const std::vector<int32_t>& ids) const;

 private:
  std::vector<std::string> labels_;
  int32_t index_[128];  // ASCII character -> id, -1 when absent
  int32_t space_ = -1;
};

}  // namespace rwkvs
