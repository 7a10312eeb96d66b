// Transcript normalisation and the CTC character vocabulary: what each rule must do, the errors
// for what cannot be spelt, and ids that round-trip; frame stacking as a reshape with edge padding.
#include <string>
#include <vector>

#include "base/error.h"
#include "frontends/text/transcript.h"
#include "src/audio/frame_stack.h"
#include "src/model/config.h"
#include "tests/support.h"

using namespace rwkvs;
using rwkvs::test::error_of;

TEST_CASE("normalize_transcript: case, punctuation, separators, apostrophes, spaces") {
  CHECK(normalize_transcript("Hello, World!") == "hello world");
  CHECK(normalize_transcript("  Don't   stop -- now.  ") == "don't stop now");
  CHECK(normalize_transcript("well-known/ad_hoc") == "well known ad hoc");
  CHECK(normalize_transcript("'Quoted' words' end") == "quoted words end");
  CHECK(normalize_transcript("O\xE2\x80\x99" "Brien\xE2\x80\x94" "a \xE2\x80\x9Cgood\xE2\x80\x9D man\xE2\x80\xA6") ==
        "o'brien a good man");
  CHECK(normalize_transcript("Caf\xC3\xA9 na\xC3\xAFve Stra\xC3\x9F" "e") == "cafe naive strasse");
  CHECK(normalize_transcript("(What?) [yes]; {no}: \"maybe\"") == "what yes no maybe");
  CHECK(normalize_transcript("") == "");
  CHECK(normalize_transcript(" ... ") == "");
  CHECK(normalize_transcript("line one\nline\ttwo") == "line one line two");
}

TEST_CASE("normalize_transcript: digits, symbols, other scripts and bad UTF-8 are errors naming the character") {
  CHECK(error_of([] { normalize_transcript("room 101"); }).find("'1' (a digit)") != std::string::npos);
  CHECK(error_of([] { normalize_transcript("salt & pepper"); }).find("'&'") != std::string::npos);
  CHECK(error_of([] { normalize_transcript("50%"); }).find("digit") != std::string::npos);
  CHECK(error_of([] { normalize_transcript("\xCE\xB1"); }).find("U+03B1") != std::string::npos);
  CHECK(error_of([] { normalize_transcript("a\xFF" "b"); }).find("invalid UTF-8") != std::string::npos);
  CHECK(error_of([] { normalize_transcript("a\xC3"); }).find("invalid UTF-8") != std::string::npos);
}

TEST_CASE("CharVocab: blank first, space and apostrophe, then the letters seen, sorted") {
  const CharVocab v = CharVocab::from_transcripts({"the cat", "a dog's"});
  const std::vector<std::string> want = {"<blank>", " ", "'", "a", "c", "d", "e", "g", "h", "o", "s", "t"};
  CHECK(v.labels() == want);
  CHECK(v.space() == 1);
  const std::vector<int32_t> ids = v.encode("the dog's cat");
  CHECK(ids.front() == 11);
  CHECK(v.decode(ids) == "the dog's cat");
  std::vector<int32_t> with_blanks = {0, 11, 0, 8, 0};
  CHECK(v.decode(with_blanks) == "th");
  CHECK(error_of([&] { v.encode("zebra"); }).find("'z' is not in the model's character vocabulary") !=
        std::string::npos);
  // the same transcripts in another order give the same ids
  CHECK(CharVocab::from_transcripts({"a dog's", "the cat"}).labels() == want);
}

TEST_CASE("CharVocab: stored labels are checked") {
  CHECK(error_of([] { CharVocab({"a", "b"}, "m.safetensors"); }).find("m.safetensors") != std::string::npos);
  CHECK(error_of([] { CharVocab({"<blank>", "ab"}, "m"); }).find("not one ASCII character") != std::string::npos);
  CHECK(error_of([] { CharVocab({"<blank>", "a", "a"}, "m"); }).find("twice") != std::string::npos);
  CHECK(CharVocab({"<blank>", "x"}, "m").space() == -1);
}

TEST_CASE("stack_frame_batch: whole groups are a reshape, the partial group repeats the row's last frame") {
  const int64_t B = 2, T = 7, F = 2;
  std::vector<float> frames(B * T * F, -1.0f);  // -1: padding that must never be used
  std::vector<int64_t> lengths = {7, 4};
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < lengths[b]; ++t)
      for (int64_t f = 0; f < F; ++f) frames[(b * T + t) * F + f] = static_cast<float>(100 * b + 10 * t + f);
  std::vector<float> out;
  std::vector<int64_t> out_lengths;
  int64_t out_T = 0;
  stack_frame_batch(frames, lengths, B, T, F, 3, out, out_lengths, out_T);
  CHECK(out_T == 3);
  CHECK(out_lengths == std::vector<int64_t>{3, 2});
  const int64_t D = 6;
  auto at = [&](int64_t b, int64_t p, int64_t k) { return out[(b * out_T + p) * D + k]; };
  // row 0: frames 0..5 as they were, then frame 6 three times
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t k = 0; k < D; ++k) CHECK(at(0, p, k) == frames[(0 * T + p * 3) * F + k]);
  for (int64_t j = 0; j < 3; ++j) {
    CHECK(at(0, 2, j * F) == 60.0f);
    CHECK(at(0, 2, j * F + 1) == 61.0f);
  }
  // row 1: frames 0..2, then frame 3 three times; its padding position stays zero
  CHECK(at(1, 0, 5) == 121.0f);
  for (int64_t j = 0; j < 3; ++j) CHECK(at(1, 1, j * F) == 130.0f);
  for (int64_t k = 0; k < D; ++k) CHECK(at(1, 2, k) == 0.0f);
  // stack 1 is the identity on real frames
  stack_frame_batch(frames, lengths, B, T, F, 1, out, out_lengths, out_T);
  CHECK(out_T == T);
  CHECK(out_lengths == lengths);
  CHECK(out[(1 * T + 3) * F] == 130.0f);
}

TEST_CASE("ModelConfig: a ctc head with frame_stack round-trips; bad ones are errors") {
  ModelConfig c = ModelConfig::rwkv4(2, 16, 0);
  c.input_kind = "frames";
  c.frontend = nlohmann::json::object({{"type", "fbank"}});
  c.frame_stack = 3;
  c.input_dim = 240;
  c.head_kind = "ctc";
  c.labels = {"<blank>", " ", "a"};
  const ModelConfig r = ModelConfig::from_json(c.to_json(), "test");
  CHECK(r.ctc_head());
  CHECK(r.labels_head());
  CHECK(!r.classes_head());
  CHECK(r.frame_stack == 3);
  CHECK(r.output_dim() == 3);
  nlohmann::json j = c.to_json();
  j["input_dim"] = 241;
  CHECK(error_of([&] { ModelConfig::from_json(j, "m"); }).find("not a multiple of frame_stack") != std::string::npos);
  j = c.to_json();
  j["labels"] = {"<blank>"};
  CHECK(error_of([&] { ModelConfig::from_json(j, "m"); }).find("ctc head needs") != std::string::npos);
  // a model without the key stacks nothing
  j = c.to_json();
  j.erase("frame_stack");
  j["input_dim"] = 80;
  CHECK(ModelConfig::from_json(j, "m").frame_stack == 1);
}
