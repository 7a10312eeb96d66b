#pragma once
// IEEE half (F16) and bfloat16 (BF16) to float32. Both are exact: every half and bfloat16 value,
// subnormals, infinities, signed zeros and NaNs included, has a float32 twin.
#include <bit>
#include <cstdint>

namespace rwkvs {

// bfloat16 is the top half of a float32, so widening is a shift.
inline float bf16_to_float(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

// IEEE 754 binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
inline float f16_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf, or NaN keeping its payload
  } else if (exp != 0) {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;  // signed zero
  } else {
    // Subnormal half: value = mant * 2^-24. Shift the leading one up to the implicit-bit position;
    // each shift lowers the exponent by one, starting from the smallest normal half exponent.
    int e = -14;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (static_cast<uint32_t>(e + 127) << 23) | ((mant & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

}  // namespace rwkvs
