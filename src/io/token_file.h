#pragma once
// Token files: whitespace-separated integer ids (the format of rwkvs logits/grads and the oracle).
#include <cstdint>
#include <string>
#include <vector>

namespace rwkvs {

// Reads ids; every id must be in [0, vocab). Errors name the file and the offending position/text:
// missing file, a directory, non-integer text, out-of-range ids, no tokens at all.
std::vector<int32_t> read_token_file(const std::string& path, int64_t vocab);

// Writes raw little-endian float32 atomically.
void write_f32_file(const std::string& path, const float* data, size_t n);

}  // namespace rwkvs
