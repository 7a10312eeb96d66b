#pragma once
// The RWKV World tokenizer of the official RWKV-5/6/7 World models (vocabulary file
// rwkv_vocab_v20230424.txt). A token is a byte string; encode takes the longest token that matches
// the bytes at the current position (greedy, not the shortest tokenization), emits its id and moves
// past it; decode concatenates the tokens' bytes.
//
// Every byte sequence is encodable, valid UTF-8 or not: load requires a token for each of the 256
// single bytes, so the greedy match always advances, and decode(encode(x)) == x for any x.
//
// The file has one token a line, "<id> <python literal> <byte length>", e.g. `261 '\n\n' 2`,
// `9804 '\u2002' 3` or `124 b'\xe4\xb8' 2`: a str literal (quoted with ' or ", escapes \\ \' \" \n
// \t \r \a \b \f \v \ooo \xHH \uHHHH \UHHHHHHHH) stands for its UTF-8 bytes, a bytes literal b'...'
// for its bytes. Id 0 is not in the file: it is the end of text / document separator.
//
// A loaded tokenizer is immutable; encode and decode may be called from several threads at once.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rwkvs {

class WorldTokenizer {
 public:
  // Reads a vocabulary file. Errors name the file and, for a bad line, its number: a line that is
  // not "<id> <python literal> <byte length>" (also a file of another format, e.g. a JSON
  // tokenizer), a bad escape, an id that is 0, above 1048575 or repeated, a token whose bytes repeat
  // another's or whose length differs from the line's third field, an empty file, a missing single-byte
  // token.
  static WorldTokenizer load(const std::string& path);

  // The ids of 'utf8' (any bytes), each in [1, vocab_size()); never 0. Empty text gives no ids.
  std::vector<int32_t> encode(std::string_view utf8) const;

  // The concatenated bytes of 'ids'. Id 0 (end of text) stands for no bytes. An id that is not in
  // the vocabulary (negative, a gap in the file, or >= vocab_size()) is an error naming it.
  std::string decode(const std::vector<int32_t>& ids) const;

  // One past the largest id in the file: 65530 for rwkv_vocab_v20230424.txt, whose ids are
  // 1..65529 (the official models' 65536-row embeddings are padded past it).
  size_t vocab_size() const { return offsets_.size() - 1; }

 private:
  WorldTokenizer() = default;
  void build_trie(const std::vector<int32_t>& sorted_ids);  // ids of the tokens, in byte order
  std::string_view token(int32_t id) const {
    return std::string_view(bytes_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
  }

  std::string bytes_;  // every token's bytes, by id
  std::vector<uint64_t>
      offsets_;  // (vocab_size + 1) token id's bytes are bytes_[offsets_[id], offsets_[id + 1])
  std::vector<uint8_t> known_;  // (vocab_size) 1 where the id is in the file or is 0

  // The byte trie: node 0 is the root (the empty prefix). A node's children are
  // edge_byte_/edge_child_[first_edge, first_edge + n_edges), sorted by byte.
  struct Node {
    int32_t id = -1;  // the token that ends here, -1 for none
    uint32_t first_edge = 0;
    uint32_t n_edges = 0;
  };
  std::vector<Node> nodes_;
  std::vector<uint8_t> edge_byte_;
  std::vector<uint32_t> edge_child_;
};

}  // namespace rwkvs
