#pragma once
// Text <-> byte tokens (vocab 256): every byte of the UTF-8 input is one token, so any text and any
// byte sequence round-trips exactly.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rwkvs {

constexpr int kByteVocab = 256;

std::vector<int32_t> bytes_to_tokens(std::string_view text);
// Tokens outside [0, 256) are an error naming the offending position.
std::string tokens_to_bytes(const std::vector<int32_t>& tokens);

}  // namespace rwkvs
