#pragma once
// FNV-1a, 64 bits: a fixed, portable hash for values that must not change between builds or
// machines (dataset splits by speaker, the configuration check between MPI ranks).
#include <cstdint>
#include <string_view>

namespace rwkvs {

inline uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (const unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace rwkvs
