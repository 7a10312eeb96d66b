#include "frontends/text/byte_tokenizer.h"

#include "base/error.h"

namespace rwkvs {

std::vector<int32_t> bytes_to_tokens(std::string_view text) {
  std::vector<int32_t> out(text.size());
  for (size_t i = 0; i < text.size(); ++i) out[i] = static_cast<unsigned char>(text[i]);
  return out;
}

std::string tokens_to_bytes(const std::vector<int32_t>& tokens) {
  std::string out(tokens.size(), '\0');
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= kByteVocab)
      ::rwkvs::fail("token " + std::to_string(tokens[i]) + " at position " + std::to_string(i) +
                                  " is not a byte (expected 0..255)");
    out[i] = static_cast<char>(tokens[i]);
  }
  return out;
}

}  // namespace rwkvs
