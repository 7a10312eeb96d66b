#include "src/io/world_tokenizer.h"

#include <algorithm>
#include <charconv>

#include "base/error.h"
#include "src/io/read_file.h"

namespace rwkvs {

namespace {

constexpr uint64_t kMaxId = (1u << 20) - 1;  // far above any real vocabulary; bounds the id tables
constexpr const char* kLineFormat = "'<id> <python literal> <byte length>'";

// The start of a line for an error message, control bytes shown as '?'.
std::string excerpt(std::string_view s) {
  constexpr size_t kMax = 60;
  std::string out(s.substr(0, kMax));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  if (s.size() > kMax) out += "...";
  return out;
}

// Bytes for an error message, control and non-ASCII bytes as \xHH.
std::string escaped(std::string_view bytes) {
  constexpr size_t kMax = 60;
  std::string out;
  for (const char ch : bytes.substr(0, kMax)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      out += "\\x";
      out += "0123456789abcdef"[c >> 4];
      out += "0123456789abcdef"[c & 15];
    }
  }
  return bytes.size() > kMax ? out + "..." : out;
}

// A decimal field of digits only ("" or a sign or any other character fails).
bool parse_decimal(std::string_view s, uint64_t& value) {
  if (s.empty() || s.front() < '0' || s.front() > '9') return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc() && end == s.data() + s.size();
}

bool parse_hex(std::string_view s, size_t at, size_t digits, uint32_t& value) {
  if (at + digits > s.size()) return false;
  value = 0;
  for (size_t i = at; i < at + digits; ++i) {
    const char c = s[i];
    const int d = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
    if (d < 0) return false;
    value = value * 16 + static_cast<uint32_t>(d);
  }
  return true;
}

// The length of the valid UTF-8 sequence starting at s[i] (not ASCII), or 0 when it is not one
// (a stray continuation byte, a truncated or overlong sequence, a surrogate, above U+10FFFF).
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  const unsigned lead = byte(0);
  const size_t n = lead >= 0xc2 && lead <= 0xdf   ? 2
                   : lead >= 0xe0 && lead <= 0xef ? 3
                   : lead >= 0xf0 && lead <= 0xf4 ? 4
                                                  : 0;
  if (n == 0) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((byte(k) & 0xc0) != 0x80) return 0;
  const unsigned second = byte(1);
  if (lead == 0xe0 && second < 0xa0) return 0;  // overlong
  if (lead == 0xed && second > 0x9f) return 0;  // surrogate
  if (lead == 0xf0 && second < 0x90) return 0;  // overlong
  if (lead == 0xf4 && second > 0x8f) return 0;  // above U+10FFFF
  return n;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Parses a Python str literal ('...' or "...", standing for its UTF-8 bytes) or bytes literal
// (b'...' or b"...") into 'out'. Returns "" on success, else what is wrong with it.
std::string parse_literal(std::string_view lit, std::string& out) {
  const bool is_bytes = !lit.empty() && lit.front() == 'b';
  if (is_bytes) lit.remove_prefix(1);
  if (lit.size() < 2 || (lit.front() != '\'' && lit.front() != '"') || lit.back() != lit.front())
    return "is not a quoted Python str or bytes literal";
  const char quote = lit.front();
  const std::string_view body = lit.substr(1, lit.size() - 2);
  for (size_t i = 0; i < body.size();) {
    const unsigned char c = static_cast<unsigned char>(body[i]);
    if (c == static_cast<unsigned char>(quote)) return "has an unescaped quote inside";
    if (c != '\\') {
      if (c < 0x80) {
        out += static_cast<char>(c);
        ++i;
        continue;
      }
      if (is_bytes) return "has a non-ASCII character in a bytes literal";
      const size_t n = utf8_sequence_length(body, i);
      if (n == 0) return "is not valid UTF-8";
      out.append(body.substr(i, n));
      i += n;
      continue;
    }
    if (i + 1 == body.size()) return "is unterminated (its closing quote is escaped)";
    const char e = body[i + 1];
    i += 2;
    uint32_t v = 0;
    switch (e) {
      case '\\':
        out += '\\';
        break;
      case '\'':
        out += '\'';
        break;
      case '"':
        out += '"';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x':
        if (!parse_hex(body, i, 2, v)) return "has a \\x escape without two hex digits";
        i += 2;
        if (is_bytes)
          out += static_cast<char>(v);
        else
          append_utf8(out, v);
        break;
      case 'u':
      case 'U': {
        if (is_bytes) return str_cat("has a \\", e, " escape in a bytes literal");
        const size_t digits = e == 'u' ? 4 : 8;
        if (!parse_hex(body, i, digits, v))
          return str_cat("has a \\", e, " escape without ", digits, " hex digits");
        i += digits;
        if (v > 0x10ffff) return str_cat("has \\", e, " code point ", v, ", above U+10FFFF");
        if (v >= 0xd800 && v <= 0xdfff)
          return str_cat("has a surrogate \\", e, " escape, which UTF-8 cannot encode");
        append_utf8(out, v);
        break;
      }
      default:
        if (e < '0' || e > '7')
          return str_cat("has an unsupported escape \\", escaped(std::string_view(&e, 1)));
        v = static_cast<uint32_t>(e - '0');
        for (int k = 0; k < 2 && i < body.size() && body[i] >= '0' && body[i] <= '7'; ++k, ++i)
          v = v * 8 + static_cast<uint32_t>(body[i] - '0');
        if (is_bytes) {
          if (v > 0xff) return "has an octal escape above \\377 in a bytes literal";
          out += static_cast<char>(v);
        } else {
          append_utf8(out, v);
        }
    }
  }
  return "";
}

}  // namespace

WorldTokenizer WorldTokenizer::load(const std::string& path) {
  const std::string text = read_file_bytes(path, "world vocabulary");
  const std::string file = str_cat("world vocabulary '", path, "'");
  if (text.empty()) fail(file, " is empty, expected lines ", kLineFormat);

  struct Entry {
    uint64_t id;
    std::string bytes;
    size_t line;
  };
  std::vector<Entry> entries;  // in file order
  uint64_t max_id = 0;
  size_t line_no = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string where = str_cat(file, " line ", line_no, ": ");

    const size_t first = line.find(' '), last = line.rfind(' ');
    uint64_t id = 0, length = 0;
    if (first == std::string_view::npos || first == last || !parse_decimal(line.substr(0, first), id) ||
        !parse_decimal(line.substr(last + 1), length))
      fail(where, "expected ", kLineFormat, ", found '", excerpt(line),
           "' (is this an RWKV World vocabulary such as rwkv_vocab_v20230424.txt?)");
    const std::string_view literal = line.substr(first + 1, last - first - 1);
    if (id == 0) fail(where, "id 0 is reserved for the end of text and must not be in the file");
    if (id > kMaxId) fail(where, "id ", id, " is above the largest supported id ", kMaxId);

    std::string bytes;
    const std::string why = parse_literal(literal, bytes);
    if (!why.empty()) fail(where, "token ", excerpt(literal), " ", why);
    if (bytes.empty()) fail(where, "token ", excerpt(literal), " is empty");
    if (bytes.size() != length)
      fail(where, "token ", excerpt(literal), " is ", bytes.size(), " bytes, the line says ", length);
    entries.push_back({id, std::move(bytes), line_no});
    max_id = std::max(max_id, id);
  }
  if (entries.empty()) fail(file, " holds no tokens, expected lines ", kLineFormat);

  std::vector<size_t> line_of(max_id + 1, 0);  // by id, 0 where the id is not in the file
  std::vector<const std::string*> token_of(max_id + 1, nullptr);
  for (const Entry& e : entries) {
    if (line_of[e.id] != 0)
      fail(file, " line ", e.line, ": id ", e.id, " repeats, first on line ", line_of[e.id]);
    line_of[e.id] = e.line;
    token_of[e.id] = &e.bytes;
  }

  WorldTokenizer t;
  t.offsets_.assign(max_id + 2, 0);
  t.known_.assign(max_id + 1, 0);
  t.known_[0] = 1;
  std::vector<int32_t> ids;
  for (size_t id = 0; id <= max_id; ++id) {
    t.offsets_[id + 1] = t.offsets_[id] + (token_of[id] ? token_of[id]->size() : 0);
    if (token_of[id]) {
      t.known_[id] = 1;
      ids.push_back(static_cast<int32_t>(id));
    }
  }
  t.bytes_.reserve(t.offsets_.back());
  for (const int32_t id : ids) t.bytes_ += *token_of[id];
  entries.clear();

  std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return t.token(a) < t.token(b); });
  for (size_t i = 1; i < ids.size(); ++i) {
    if (t.token(ids[i]) != t.token(ids[i - 1])) continue;
    const bool i_later = line_of[ids[i]] > line_of[ids[i - 1]];
    const int32_t later = i_later ? ids[i] : ids[i - 1], earlier = i_later ? ids[i - 1] : ids[i];
    fail(file, " line ", line_of[later], ": token '", escaped(t.token(later)), "' (id ", later,
         ") repeats the bytes of id ", earlier, " on line ", line_of[earlier]);
  }
  t.build_trie(ids);

  // Every byte must be a token of its own, so that any text can be encoded.
  const Node& root = t.nodes_[0];
  for (uint32_t b = 0; b < 256; ++b) {
    const bool single = b < root.n_edges && t.edge_byte_[root.first_edge + b] == b &&
                        t.nodes_[t.edge_child_[root.first_edge + b]].id >= 0;
    if (!single)
      fail(file, " has no token for the single byte 0x", "0123456789abcdef"[b >> 4],
           "0123456789abcdef"[b & 15], "; every byte needs one so that any text can be encoded");
  }
  return t;
}

void WorldTokenizer::build_trie(const std::vector<int32_t>& sorted_ids) {
  // Each span of sorted_ids shares the prefix of length 'depth' that leads to 'node'; a token
  // equal to that prefix sorts first in its span, the rest group by their next byte.
  struct Span {
    size_t lo, hi, depth;
    uint32_t node;
  };
  nodes_.assign(1, Node{});
  edge_byte_.clear();
  edge_child_.clear();
  std::vector<Span> todo = {{0, sorted_ids.size(), 0, 0}};
  while (!todo.empty()) {
    Span s = todo.back();
    todo.pop_back();
    if (s.lo < s.hi && token(sorted_ids[s.lo]).size() == s.depth) nodes_[s.node].id = sorted_ids[s.lo++];
    const size_t first_edge = edge_byte_.size();
    for (size_t i = s.lo; i < s.hi;) {
      const char b = token(sorted_ids[i])[s.depth];
      size_t j = i + 1;
      while (j < s.hi && token(sorted_ids[j])[s.depth] == b) ++j;
      const auto child = static_cast<uint32_t>(nodes_.size());
      nodes_.emplace_back();
      edge_byte_.push_back(static_cast<uint8_t>(b));
      edge_child_.push_back(child);
      todo.push_back({i, j, s.depth + 1, child});
      i = j;
    }
    nodes_[s.node].first_edge = static_cast<uint32_t>(first_edge);
    nodes_[s.node].n_edges = static_cast<uint32_t>(edge_byte_.size() - first_edge);
  }
}

std::vector<int32_t> WorldTokenizer::encode(std::string_view utf8) const {
  std::vector<int32_t> ids;
  ids.reserve(utf8.size() / 3 + 1);
  const auto* data = reinterpret_cast<const uint8_t*>(utf8.data());
  for (size_t pos = 0; pos < utf8.size();) {
    // Walk down the trie as far as the bytes go; the last token passed is the longest match.
    uint32_t node = 0;
    int32_t best = -1;
    size_t best_len = 0;
    for (size_t i = pos; i < utf8.size(); ++i) {
      const Node& n = nodes_[node];
      const uint8_t* edges = edge_byte_.data() + n.first_edge;
      const uint8_t* hit = std::lower_bound(edges, edges + n.n_edges, data[i]);
      if (hit == edges + n.n_edges || *hit != data[i]) break;
      node = edge_child_[n.first_edge + static_cast<size_t>(hit - edges)];
      if (nodes_[node].id >= 0) {
        best = nodes_[node].id;
        best_len = i - pos + 1;
      }
    }
    // load checked that every single byte is a token, so best_len >= 1.
    ids.push_back(best);
    pos += best_len;
  }
  return ids;
}

std::string WorldTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    const int32_t id = ids[i];
    if (id < 0 || static_cast<size_t>(id) >= vocab_size() || !known_[id])
      fail("world tokenizer: id ", id, " (position ", i, ") is not in the vocabulary (ids 0..",
           vocab_size() - 1, id >= 0 && static_cast<size_t>(id) < vocab_size() ? ", this one unused" : "",
           ")");
    out += token(id);
  }
  return out;
}

}  // namespace rwkvs
