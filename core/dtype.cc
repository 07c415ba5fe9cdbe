#include "core/dtype.h"

#include <charconv>
#include <limits>

namespace qdiff {

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "f32";
    case DType::i8: return "i8";
    case DType::u8: return "u8";
    case DType::i16: return "i16";
    case DType::u16: return "u16";
    case DType::i32: return "i32";
  }
  return "?";
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (DType d : {DType::f32, DType::i8, DType::u8, DType::i16, DType::u16,
                  DType::i32}) {
    if (dtype_name(d) == name) return d;
  }
  return std::nullopt;
}

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::i8:
    case DType::u8: return 1;
    case DType::i16:
    case DType::u16: return 2;
    case DType::f32:
    case DType::i32: return 4;
  }
  return 4;
}

bool is_integer(DType dtype) { return dtype != DType::f32; }

int64_t dtype_min(DType dtype) {
  switch (dtype) {
    case DType::i8: return std::numeric_limits<int8_t>::min();
    case DType::u8: return 0;
    case DType::i16: return std::numeric_limits<int16_t>::min();
    case DType::u16: return 0;
    case DType::i32:
    case DType::f32: return std::numeric_limits<int32_t>::min();
  }
  return 0;
}

int64_t dtype_max(DType dtype) {
  switch (dtype) {
    case DType::i8: return std::numeric_limits<int8_t>::max();
    case DType::u8: return std::numeric_limits<uint8_t>::max();
    case DType::i16: return std::numeric_limits<int16_t>::max();
    case DType::u16: return std::numeric_limits<uint16_t>::max();
    case DType::i32:
    case DType::f32: return std::numeric_limits<int32_t>::max();
  }
  return 0;
}

std::optional<QuantType> parse_quant_type(std::string_view name) {
  if (auto d = parse_dtype(name); d && is_integer(*d)) {
    return QuantType{*d, dtype_min(*d), dtype_max(*d)};
  }
  // Sub-byte: i1..i7 (i8 storage), u1..u7 (u8 storage).
  if (name.size() != 2 || (name[0] != 'i' && name[0] != 'u')) return std::nullopt;
  int bits = 0;
  auto [ptr, ec] = std::from_chars(name.data() + 1, name.data() + 2, bits);
  if (ec != std::errc{} || bits < 1 || bits > 7) return std::nullopt;
  if (name[0] == 'i') {
    return QuantType{DType::i8, -(int64_t{1} << (bits - 1)),
                     (int64_t{1} << (bits - 1)) - 1};
  }
  return QuantType{DType::u8, 0, (int64_t{1} << bits) - 1};
}

}  // namespace qdiff
