// Unit tests of core/dtype.h: storage dtypes (names, sizes, ranges) and the
// quantized type names of SPEC section 1 (i1..i7 in i8 storage, u1..u7 in u8
// storage, with torchao's ranges).
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "core/dtype.h"

namespace qdiff {
namespace {

TEST(DType, NamesRoundTrip) {
  for (DType d : {DType::f32, DType::i8, DType::u8, DType::i16, DType::u16, DType::i32}) {
    EXPECT_EQ(parse_dtype(dtype_name(d)), std::optional<DType>(d)) << dtype_name(d);
  }
  EXPECT_EQ(dtype_name(DType::f32), "f32");
  EXPECT_EQ(dtype_name(DType::u16), "u16");
  EXPECT_EQ(parse_dtype("float32"), std::nullopt);
  EXPECT_EQ(parse_dtype("i4"), std::nullopt);  // a quantized type, not storage
  EXPECT_EQ(parse_dtype(""), std::nullopt);
}

TEST(DType, SizesAndIntegerness) {
  EXPECT_EQ(dtype_size(DType::i8), 1u);
  EXPECT_EQ(dtype_size(DType::u8), 1u);
  EXPECT_EQ(dtype_size(DType::i16), 2u);
  EXPECT_EQ(dtype_size(DType::u16), 2u);
  EXPECT_EQ(dtype_size(DType::i32), 4u);
  EXPECT_EQ(dtype_size(DType::f32), 4u);
  EXPECT_FALSE(is_integer(DType::f32));
  EXPECT_TRUE(is_integer(DType::i8));
  EXPECT_TRUE(is_integer(DType::u16));
  EXPECT_TRUE(is_integer(DType::i32));
}

TEST(DType, StorageRanges) {
  EXPECT_EQ(dtype_min(DType::i8), -128);
  EXPECT_EQ(dtype_max(DType::i8), 127);
  EXPECT_EQ(dtype_min(DType::u8), 0);
  EXPECT_EQ(dtype_max(DType::u8), 255);
  EXPECT_EQ(dtype_min(DType::i16), -32768);
  EXPECT_EQ(dtype_max(DType::i16), 32767);
  EXPECT_EQ(dtype_min(DType::u16), 0);
  EXPECT_EQ(dtype_max(DType::u16), 65535);
  EXPECT_EQ(dtype_min(DType::i32), -2147483648LL);
  EXPECT_EQ(dtype_max(DType::i32), 2147483647LL);
}

TEST(QuantType, StorageNamesUseTheFullStorageRange) {
  const auto u8 = parse_quant_type("u8");
  ASSERT_TRUE(u8);
  EXPECT_EQ(u8->storage, DType::u8);
  EXPECT_EQ(u8->quant_min, 0);
  EXPECT_EQ(u8->quant_max, 255);
  const auto i32 = parse_quant_type("i32");
  ASSERT_TRUE(i32);
  EXPECT_EQ(i32->storage, DType::i32);
  EXPECT_EQ(i32->quant_min, -2147483648LL);
  EXPECT_EQ(i32->quant_max, 2147483647LL);
  EXPECT_EQ(parse_quant_type("f32"), std::nullopt);  // not a quantized type
}

// iN: [-2^(N-1), 2^(N-1) - 1] in i8 storage; uN: [0, 2^N - 1] in u8 storage.
TEST(QuantType, SubByteSignedRanges) {
  const int64_t want_min[] = {-1, -2, -4, -8, -16, -32, -64};
  const int64_t want_max[] = {0, 1, 3, 7, 15, 31, 63};
  for (int bits = 1; bits <= 7; ++bits) {
    const std::string name = "i" + std::to_string(bits);
    const auto t = parse_quant_type(name);
    ASSERT_TRUE(t) << name;
    EXPECT_EQ(t->storage, DType::i8) << name;
    EXPECT_EQ(t->quant_min, want_min[bits - 1]) << name;
    EXPECT_EQ(t->quant_max, want_max[bits - 1]) << name;
  }
}

TEST(QuantType, SubByteUnsignedRanges) {
  const int64_t want_max[] = {1, 3, 7, 15, 31, 63, 127};
  for (int bits = 1; bits <= 7; ++bits) {
    const std::string name = "u" + std::to_string(bits);
    const auto t = parse_quant_type(name);
    ASSERT_TRUE(t) << name;
    EXPECT_EQ(t->storage, DType::u8) << name;
    EXPECT_EQ(t->quant_min, 0) << name;
    EXPECT_EQ(t->quant_max, want_max[bits - 1]) << name;
  }
}

TEST(QuantType, RejectsUnknownNames) {
  for (const char* bad :
       {"i0", "u0", "i9", "u9", "x4", "i", "u", "", "i4x", "I4", "i10", "-4", "f16"}) {
    EXPECT_EQ(parse_quant_type(bad), std::nullopt) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace qdiff
