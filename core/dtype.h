// Element types (SPEC section 1).
//
// DType is a storage type. Sub-byte quantized types are not storage types:
// they are a storage type plus a [quant_min, quant_max] range, exactly as
// torchao does ("i4" = i8 storage with [-8, 7]). QuantType names that pair.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qdiff {

enum class DType : uint8_t { f32, i8, u8, i16, u16, i32 };

std::string_view dtype_name(DType dtype);
std::optional<DType> parse_dtype(std::string_view name);

size_t dtype_size(DType dtype);
bool is_integer(DType dtype);
// Representable range of an integer storage type (f32: the int32 range is
// meaningless, callers must check is_integer first).
int64_t dtype_min(DType dtype);
int64_t dtype_max(DType dtype);

// A quantized element type: storage plus the default range for that name.
// Names: i8 u8 i16 u16 i32, and i1..i7 / u1..u7 (sub-byte, stored in i8/u8).
struct QuantType {
  DType storage;
  int64_t quant_min;
  int64_t quant_max;
};
std::optional<QuantType> parse_quant_type(std::string_view name);

// Maps an element type to DType at compile time.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::f32; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::i8; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::u8; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::i16; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::u16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::i32; };

// Calls f(T{}) with the C++ type of an integer dtype.
template <typename F>
decltype(auto) visit_integer_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case DType::i8: return f(int8_t{});
    case DType::u8: return f(uint8_t{});
    case DType::i16: return f(int16_t{});
    case DType::u16: return f(uint16_t{});
    case DType::i32: return f(int32_t{});
    case DType::f32: break;
  }
  return f(int32_t{});  // unreachable for integer dtypes; callers check first
}

}  // namespace qdiff
