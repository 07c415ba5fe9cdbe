// Golden tests of reference dequantize_affine (SPEC section 5), worked by
// hand: y = f32(f32(f32(q) - f32(z)) * s) (int), f32(f32(q) * s) (none),
// f32(f32(f32(f32(q) - mid) * s) + z) (float). Sources: docs/golden-vectors.md.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "core/float_bits.h"
#include "core/quant_params.h"
#include "reference/dequantize.h"

namespace qdiff::reference {
namespace {

using ::testing::ElementsAre;

constexpr float kInf = std::numeric_limits<float>::infinity();

QuantParams per_tensor(float s, std::optional<Tensor> zp, DType dtype, int64_t qmin, int64_t qmax,
                       ZeroPointDomain domain = ZeroPointDomain::int_domain) {
  QuantParams p;
  p.scale = Tensor::of<float>(Shape{}, {s});
  p.zero_point = std::move(zp);
  p.dtype = dtype;
  p.quant_min = qmin;
  p.quant_max = qmax;
  p.zero_point_domain = domain;
  return p;
}

Tensor i32_scalar(int32_t z) { return Tensor::of<int32_t>(Shape{}, {z}); }

// Dequantizes q (stored as T) and returns the f32 results, after checking the
// output dtype and shape.
template <typename T>
std::vector<float> dequantize(const std::vector<T>& q, const QuantParams& p,
                              Contract c = Contract::torchao) {
  const Tensor y = dequantize_affine(Tensor::of<T>(Shape{int64_t(q.size())}, q), p, c);
  EXPECT_EQ(y.dtype(), DType::f32);
  EXPECT_EQ(y.shape(), (Shape{int64_t(q.size())}));
  const auto d = y.data<float>();
  return {d.begin(), d.end()};
}

// u8, s = 0.5, z = 128: (0 - 128) * 0.5 = -64; (128 - 128) * 0.5 = +0;
// (255 - 128) * 0.5 = 63.5; (1 - 128) * 0.5 = -63.5.
TEST(DequantizeInt, U8WithZeroPoint) {
  const auto p = per_tensor(0.5f, i32_scalar(128), DType::u8, 0, 255);
  const auto y = dequantize<uint8_t>({0, 128, 255, 1}, p);
  EXPECT_THAT(y, ElementsAre(-64.0f, 0.0f, 63.5f, -63.5f));
  EXPECT_EQ(f32_bits(y[1]), 0u);  // +0.0: f32(128 - 128) = +0, +0 * 0.5 = +0
}

// Inexact products round once to f32. s = f32(0.1) = 0x1.99999ap-4:
//   q = 3:   3 * 0.100000001490116 = 0.300000004470348 -> f32 0x1.333334p-2
//            (= f32(0.3), 7.5e-9 away; the f32 below is 2.2e-8 away)
//   q = -13 with s = f32(0.9) = 0x1.ccccccp-1: -11.6999996900... -> f32
//            -0x1.766666p+3 = -11.6999998
TEST(DequantizeInt, InexactProductsRoundOnce) {
  const auto p = per_tensor(0.1f, std::nullopt, DType::i8, -128, 127);
  EXPECT_EQ(f32_bits(dequantize<int8_t>({3}, p)[0]), f32_bits(0x1.333334p-2f));
  const auto p9 = per_tensor(0.9f, std::nullopt, DType::i8, -128, 127);
  EXPECT_EQ(f32_bits(dequantize<int8_t>({-13}, p9)[0]), f32_bits(-0x1.766666p+3f));
}

// i32 storage: f32(q) rounds to nearest even above 2^24.
//   2^24 + 1 = 16777217 -> 16777216 (tie, even);  16777219 -> 16777220 (tie,
//   even);  2147483647 -> 2^31;  -2147483648 -> -2^31 (exact)
TEST(DequantizeInt, I32ValuesRoundToF32First) {
  const auto p = per_tensor(1.0f, i32_scalar(0), DType::i32, -2147483648LL, 2147483647LL);
  EXPECT_THAT(dequantize<int32_t>({16777217, 16777219, 2147483647, -2147483647 - 1}, p),
              ElementsAre(16777216.0f, 16777220.0f, 2147483648.0f, -2147483648.0f));
}

// The zero point is converted separately: q = 16777217, z = 16777215:
// f32(q) = 16777216, f32(z) = 16777215 (exact), difference 1 -> y = 1 * 0.5.
// (The exact difference, 2, would give 1.0.)
TEST(DequantizeInt, QAndZeroPointAreConvertedSeparately) {
  const auto p = per_tensor(0.5f, i32_scalar(16777215), DType::i32, -2147483648LL, 2147483647LL);
  EXPECT_THAT(dequantize<int32_t>({16777217}, p), ElementsAre(0.5f));
}

// The formula may overflow: q = 2147483647, z = -2^31, s = FLT_MAX:
// f32(q) - f32(z) = 2^31 + 2^31 = 2^32; 2^32 * FLT_MAX -> +inf (no error).
TEST(DequantizeInt, OverflowGivesInfinity) {
  const auto p = per_tensor(std::numeric_limits<float>::max(), i32_scalar(-2147483647 - 1),
                            DType::i32, -2147483648LL, 2147483647LL);
  EXPECT_THAT(dequantize<int32_t>({2147483647}, p), ElementsAre(kInf));
}

// Stored values outside [quant_min, quant_max] are used as they are: i4
// params, i8 storage holding 100 and -100: (100 - 1) * 2 = 198, (-100 - 1) * 2
// = -202.
TEST(DequantizeInt, OutOfRangeStoredValuesAreAccepted) {
  const auto p = per_tensor(2.0f, i32_scalar(1), DType::i8, -8, 7);
  EXPECT_THAT(dequantize<int8_t>({100, -100}, p), ElementsAre(198.0f, -202.0f));
}

// The contract does not change dequantization.
TEST(DequantizeInt, ContractIsIgnored) {
  const auto p = per_tensor(0.9f, i32_scalar(3), DType::i8, -128, 127);
  for (Contract c : kAllContracts) {
    // (-10 - 3) * 0.9f = -13 * 0x1.ccccccp-1 -> -0x1.766666p+3, as above.
    EXPECT_EQ(f32_bits(dequantize<int8_t>({-10}, p, c)[0]), f32_bits(-0x1.766666p+3f))
        << contract_name(c);
  }
}

// Sub-byte: u4 with z = 8, s = 0.25: 0 -> -2; 8 -> 0; 15 -> 1.75.
// i2 [-2, 1], no zero point, s = 3: -2 -> -6; 1 -> 3.
TEST(DequantizeInt, SubByteRanges) {
  EXPECT_THAT(dequantize<uint8_t>({0, 8, 15}, per_tensor(0.25f, i32_scalar(8), DType::u8, 0, 15)),
              ElementsAre(-2.0f, 0.0f, 1.75f));
  EXPECT_THAT(dequantize<int8_t>({-2, 1}, per_tensor(3.0f, std::nullopt, DType::i8, -2, 1)),
              ElementsAre(-6.0f, 3.0f));
}

// The zero point may have any integer dtype (here u8 for u8 data).
TEST(DequantizeInt, ZeroPointOfAnotherIntegerDtype) {
  const auto p = per_tensor(2.0f, Tensor::of<uint8_t>(Shape{}, {200}), DType::u8, 0, 255);
  EXPECT_THAT(dequantize<uint8_t>({201, 0}, p), ElementsAre(2.0f, -400.0f));
}

// none domain: y = f32(q) * s. q = -3, s = 0.5 -> -1.5; q = 0 -> +0.
TEST(DequantizeNone, ScaleOnly) {
  const auto p = per_tensor(0.5f, std::nullopt, DType::i8, -128, 127, ZeroPointDomain::none);
  const auto y = dequantize<int8_t>({-3, 0, 127}, p);
  EXPECT_THAT(y, ElementsAre(-1.5f, 0.0f, 63.5f));
  EXPECT_EQ(f32_bits(y[1]), 0u);
}

// float domain, u4, s = 0.5, z = 1.0, mid = 8:
//   q = 0 -> (0 - 8) * 0.5 + 1 = -3;  6 -> 0;  8 -> 1;  15 -> 4.5
TEST(DequantizeFloat, Tinygemm) {
  const auto p = per_tensor(0.5f, Tensor::of<float>(Shape{}, {1.0f}), DType::u8, 0, 15,
                            ZeroPointDomain::float_domain);
  EXPECT_THAT(dequantize<uint8_t>({0, 6, 8, 15}, p), ElementsAre(-3.0f, 0.0f, 1.0f, 4.5f));
}

// float domain rounding order: s = f32(0.1) = 0x1.99999ap-4, z = f32(0.3) =
// 0x1.333334p-2, mid = 8. Each step rounds to f32:
//   q = 5: f32(5 - 8) = -3; -3 * s = -0x1.3333338p-2 exactly, a tie between
//          two f32 -> even -> -0x1.333334p-2; + z -> +0.0 exactly
//          (one rounding of the exact -0.3000000045 + 0.3000000119 would give 2^-27)
//   q = 1: -7 * s = -0x1.666666cp-1 -> f32 -0x1.666666p-1; + z -> -0x1.999998p-2
//          (one rounding would give -0x1.99999ap-2)
TEST(DequantizeFloat, RoundingOrder) {
  const auto p = per_tensor(0.1f, Tensor::of<float>(Shape{}, {0.3f}), DType::u8, 0, 15,
                            ZeroPointDomain::float_domain);
  const auto y = dequantize<uint8_t>({5, 1}, p);
  EXPECT_EQ(f32_bits(y[0]), 0u);
  EXPECT_EQ(f32_bits(y[1]), f32_bits(-0x1.999998p-2f));
}

// Range [0, 2]: mid = 1.5 (true division). s = 2, z = 0: q = 0 -> -3; 2 -> 1.
TEST(DequantizeFloat, MidIsTrueDivision) {
  const auto p = per_tensor(2.0f, Tensor::of<float>(Shape{}, {0.0f}), DType::u8, 0, 2,
                            ZeroPointDomain::float_domain);
  EXPECT_THAT(dequantize<uint8_t>({0, 2}, p), ElementsAre(-3.0f, 1.0f));
}

}  // namespace
}  // namespace qdiff::reference
