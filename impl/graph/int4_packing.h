// int4 storage of lowered weights (SPEC section 1): two values per byte,
// element 2i in the LOW nibble and 2i + 1 in the high nibble, flat
// row-major; an odd count ends with a zero padding nibble (ONNX
// convention). Signed values are stored in two's complement (-8..7 ->
// 0x8..0x7), unsigned as is (0..15).
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace qdiff::impl {

// Whether every value of an integer tensor fits a (signed / unsigned) nibble.
bool fits_int4(const Tensor& values, bool is_signed);

// u8 [ceil(n / 2)]. `nibbles_swapped` is the fault point int4_nibbles_swapped
// (element 2i in the HIGH nibble); production passes false. Values must fit
// (fits_int4); others are truncated to their low 4 bits.
Tensor pack_int4(const Tensor& values, bool nibbles_swapped = false);

// Element i of a packed buffer (i < 2 * bytes).
inline int32_t unpack_int4(const uint8_t* packed, int64_t i, bool is_signed) {
  const uint8_t byte = packed[i / 2];
  const int32_t nibble = (i % 2 == 0) ? (byte & 0x0F) : (byte >> 4);
  return is_signed && nibble >= 8 ? nibble - 16 : nibble;
}

}  // namespace qdiff::impl
