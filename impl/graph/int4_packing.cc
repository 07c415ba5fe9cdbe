// int4 packing (impl/graph/int4_packing.h).
#include "impl/graph/int4_packing.h"

namespace qdiff::impl {

bool fits_int4(const Tensor& values, bool is_signed) {
  if (!is_integer(values.dtype())) return false;
  const int64_t lo = is_signed ? -8 : 0, hi = is_signed ? 7 : 15;
  for (int64_t i = 0; i < values.numel(); ++i) {
    const int64_t v = values.int_at(i);
    if (v < lo || v > hi) return false;
  }
  return true;
}

Tensor pack_int4(const Tensor& values, bool nibbles_swapped) {
  const int64_t n = values.numel();
  Tensor packed(DType::u8, Shape{(n + 1) / 2});  // zero-filled: the padding nibble is 0
  auto out = packed.data<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    const auto nibble = uint8_t(uint64_t(values.int_at(i)) & 0x0F);
    // FAULT POINT int4_nibbles_swapped: replaces `i % 2 == 0 -> low nibble`
    // by putting element 2i in the high nibble.
    const bool low = (i % 2 == 0) != nibbles_swapped;
    out[size_t(i / 2)] = uint8_t(out[size_t(i / 2)] | (low ? nibble : uint8_t(nibble << 4)));
  }
  return packed;
}

}  // namespace qdiff::impl
