// Golden tests of reference quantize_affine (SPEC sections 3 and 4), worked
// by hand. Every expected value carries its arithmetic; f32 intermediate
// values are written as hex floats and, where it matters, checked through
// quantize_element's pre-rounding trace so the comment cannot drift from
// the code. Sources and method: docs/golden-vectors.md.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "core/float_bits.h"
#include "core/quant_params.h"
#include "reference/quantize.h"

namespace qdiff::reference {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

constexpr float kInf = std::numeric_limits<float>::infinity();

// Per-tensor params with fluent setters: PerTensor().scale(0.5f).zp(3).
struct PerTensor {
  float scale_ = 1.0f;
  std::optional<double> zero_point_;  // i32 (int domain) or f32 (float domain)
  DType dtype_ = DType::i8;
  int64_t qmin_ = -128;
  int64_t qmax_ = 127;
  ZeroPointDomain domain_ = ZeroPointDomain::int_domain;

  PerTensor& scale(float s) {
    scale_ = s;
    return *this;
  }
  PerTensor& zp(double z) {
    zero_point_ = z;
    return *this;
  }
  PerTensor& dtype(DType d) {
    dtype_ = d;
    return *this;
  }
  PerTensor& qmin(int64_t v) {
    qmin_ = v;
    return *this;
  }
  PerTensor& qmax(int64_t v) {
    qmax_ = v;
    return *this;
  }
  PerTensor& domain(ZeroPointDomain d) {
    domain_ = d;
    return *this;
  }
  PerTensor& range(DType d, int64_t lo, int64_t hi) {
    dtype_ = d;
    qmin_ = lo;
    qmax_ = hi;
    return *this;
  }
};

QuantParams params_of(const PerTensor& t) {
  QuantParams p;
  p.scale = Tensor::of<float>(Shape{}, {t.scale_});
  if (t.zero_point_) {
    p.zero_point = t.domain_ == ZeroPointDomain::float_domain
                       ? Tensor::of<float>(Shape{}, {float(*t.zero_point_)})
                       : Tensor::of<int32_t>(Shape{}, {int32_t(*t.zero_point_)});
  }
  p.dtype = t.dtype_;
  p.quant_min = t.qmin_;
  p.quant_max = t.qmax_;
  p.zero_point_domain = t.domain_;
  return p;
}

// Quantizes x (a 1-D tensor) and returns the values, after checking the
// output dtype and shape.
std::vector<int64_t> quantize(const std::vector<float>& x, const PerTensor& t,
                              Contract c = Contract::torchao) {
  const QuantParams p = params_of(t);
  const Tensor q = quantize_affine(Tensor::of<float>(Shape{int64_t(x.size())}, x), p, c);
  EXPECT_EQ(q.dtype(), t.dtype_);
  EXPECT_EQ(q.shape(), (Shape{int64_t(x.size())}));
  std::vector<int64_t> out;
  for (int64_t i = 0; i < q.numel(); ++i) out.push_back(q.int_at(i));
  return out;
}

// Bits of the pre-rounding value v of one element.
uint32_t pre_rounding_bits(float x, const PerTensor& t, Contract c) {
  const QuantParams p = params_of(t);
  return f32_bits(quantize_element(x, t.scale_, t.zero_point_.value_or(0.0), p, c).pre_rounding);
}

// ------------------------------------------------------------ contracts (section 3)

// SPEC section 3's example. s = f32(0.9) = 0x1.ccccccp-1 = 0.899999976158...
//   torchao:   f32(1/s) = 0x1.1c71c8p+0 = 1.11111116409...
//              -11.25 * 1.11111116409... = -12.5000005960... (exact product)
//              -> f32 -0x1.900002p+3 = -12.5000009537 (not a tie) -> -13
//   onnx:      -11.25 / s = -12.5000003311... -> f32 -0x1.9p+3 = -12.5 exactly
//              (3.3e-7 away, half an ulp is 4.8e-7) -> tie -> even -> -12
//   half_away: the same -12.5 -> away from zero -> -13
//   zp_before: v as torchao, z = 0 -> -13
TEST(QuantizeContracts, SpecSection3Example) {
  const PerTensor t = PerTensor().scale(0.9f).zp(0);
  EXPECT_EQ(pre_rounding_bits(-11.25f, t, Contract::torchao), f32_bits(-0x1.900002p+3f));
  EXPECT_EQ(pre_rounding_bits(-11.25f, t, Contract::onnx), f32_bits(-12.5f));
  EXPECT_EQ(pre_rounding_bits(-11.25f, t, Contract::half_away), f32_bits(-12.5f));
  EXPECT_THAT(quantize({-11.25f}, t, Contract::torchao), ElementsAre(-13));
  EXPECT_THAT(quantize({-11.25f}, t, Contract::onnx), ElementsAre(-12));
  EXPECT_THAT(quantize({-11.25f}, t, Contract::half_away), ElementsAre(-13));
  EXPECT_THAT(quantize({-11.25f}, t, Contract::zp_before), ElementsAre(-13));
}

// The reciprocal can land ON a tie that the quotient misses.
// s = f32(0.6) = 0x1.333334p-1 = 0.600000023841...; f32(1/s) = 0x1.aaaaaap+0
//   torchao: 4.5 * 1.66666662693... = 7.49999982118... -> f32 7.5 (1.8e-7 away,
//            half an ulp is 2.4e-7) -> tie -> even -> 8
//   onnx:    4.5 / s = 7.49999970197... -> f32 0x1.dffffep+2 = 7.49999952 -> 7
//   half_away: 7.49999952 is no tie -> 7
TEST(QuantizeContracts, ReciprocalHitsATieTheQuotientMisses) {
  const PerTensor t = PerTensor().scale(0.6f);
  EXPECT_EQ(pre_rounding_bits(4.5f, t, Contract::torchao), f32_bits(7.5f));
  EXPECT_EQ(pre_rounding_bits(4.5f, t, Contract::onnx), f32_bits(0x1.dffffep+2f));
  EXPECT_THAT(quantize({4.5f}, t, Contract::torchao), ElementsAre(8));
  EXPECT_THAT(quantize({4.5f}, t, Contract::onnx), ElementsAre(7));
  EXPECT_THAT(quantize({4.5f}, t, Contract::half_away), ElementsAre(7));
  EXPECT_THAT(quantize({4.5f}, t, Contract::zp_before), ElementsAre(8));
}

// The same effect at the i8 minimum. s = f32(0.3) = 0x1.333334p-2,
// f32(1/s) = 0x1.aaaaaap+1 = 3.33333325386...
//   torchao: -38.25 * 3.33333325386 = -127.49999696... -> f32 -127.5 -> -128
//   onnx:    -38.25 / s = -127.49999493... -> f32 -0x1.fdfffep+6 = -127.4999924 -> -127
TEST(QuantizeContracts, ContractsDisagreeAtTheI8Minimum) {
  const PerTensor t = PerTensor().scale(0.3f);
  EXPECT_EQ(pre_rounding_bits(-38.25f, t, Contract::torchao), f32_bits(-127.5f));
  EXPECT_EQ(pre_rounding_bits(-38.25f, t, Contract::onnx), f32_bits(-0x1.fdfffep+6f));
  EXPECT_THAT(quantize({-38.25f}, t, Contract::torchao), ElementsAre(-128));
  EXPECT_THAT(quantize({-38.25f}, t, Contract::onnx), ElementsAre(-127));
  EXPECT_THAT(quantize({-38.25f}, t, Contract::half_away), ElementsAre(-127));
}

// Exact ties x = (k + 0.5) * s with s = 0.5: both 1/s = 2 and x / s are exact,
// so v = k + 0.5 under every contract.
//   x:          -1.25 -0.75 -0.25  0.25  0.75  1.25
//   v:          -2.5  -1.5  -0.5   0.5   1.5   2.5
//   half even:  -2    -2     0     0     2     2
//   half away:  -3    -2    -1     1     2     3
TEST(QuantizeContracts, ExactTiesHalfEvenVersusHalfAway) {
  const std::vector<float> x{-1.25f, -0.75f, -0.25f, 0.25f, 0.75f, 1.25f};
  const PerTensor t = PerTensor().scale(0.5f);
  EXPECT_THAT(quantize(x, t, Contract::torchao), ElementsAre(-2, -2, 0, 0, 2, 2));
  EXPECT_THAT(quantize(x, t, Contract::onnx), ElementsAre(-2, -2, 0, 0, 2, 2));
  EXPECT_THAT(quantize(x, t, Contract::zp_before), ElementsAre(-2, -2, 0, 0, 2, 2));
  EXPECT_THAT(quantize(x, t, Contract::half_away), ElementsAre(-3, -2, -1, 1, 2, 3));
}

// Same ties with z = 3. After rounding (torchao, onnx, half_away) the zero
// point shifts the rounded value; zp_before rounds v + 3 instead:
//   v + 3:              0.5  1.5  2.5  3.5  4.5  5.5
//   torchao round(v)+3: 1    1    3    3    5    5
//   half_away:          0    1    2    4    5    6
//   zp_before:          0    2    2    4    4    6
TEST(QuantizeContracts, ZeroPointBeforeRoundingMovesTheTies) {
  const std::vector<float> x{-1.25f, -0.75f, -0.25f, 0.25f, 0.75f, 1.25f};
  const PerTensor t = PerTensor().scale(0.5f).zp(3);
  EXPECT_THAT(quantize(x, t, Contract::torchao), ElementsAre(1, 1, 3, 3, 5, 5));
  EXPECT_THAT(quantize(x, t, Contract::onnx), ElementsAre(1, 1, 3, 3, 5, 5));
  EXPECT_THAT(quantize(x, t, Contract::half_away), ElementsAre(0, 1, 2, 4, 5, 6));
  EXPECT_THAT(quantize(x, t, Contract::zp_before), ElementsAre(0, 2, 2, 4, 4, 6));
}

// zp_before rounds f32(v + z), not the exact sum. x = 0x1.fffffep-2 =
// 0.49999997 (= 0.5 - 2^-25), s = 1, z = 1:
//   torchao:   round(0.49999997) = 0, + 1 -> 1
//   zp_before: 1.49999997 = 1.5 - 2^-25 is not an f32 (ulp 2^-23 in [1, 2));
//              it rounds to 1.5 -> tie -> even -> 2
TEST(QuantizeContracts, ZpBeforeRoundsTheF32Sum) {
  const PerTensor t = PerTensor().scale(1.0f).zp(1);
  const float x = 0x1.fffffep-2f;
  EXPECT_THAT(quantize({x}, t, Contract::torchao), ElementsAre(1));
  EXPECT_THAT(quantize({x}, t, Contract::onnx), ElementsAre(1));
  EXPECT_THAT(quantize({x}, t, Contract::zp_before), ElementsAre(2));
}

// zp_before converts z to f32 first. i32 storage, z = 2^24 + 1, x = 0.75, s = 1:
//   torchao:   round(0.75) = 1, + 16777217 (exact) -> 16777218
//   zp_before: f32(z) = 16777216 (2^24 + 1 ties to even), f32(0.75 + 16777216)
//              = 16777216 (ulp 2 at 2^24) -> 16777216
TEST(QuantizeContracts, ZpBeforeConvertsALargeZeroPointToF32) {
  const PerTensor t =
      PerTensor().scale(1.0f).zp(16777217).range(DType::i32, -2147483648LL, 2147483647LL);
  EXPECT_THAT(quantize({0.75f}, t, Contract::torchao), ElementsAre(16777218));
  EXPECT_THAT(quantize({0.75f}, t, Contract::zp_before), ElementsAre(16777216));
}

// ------------------------------------------------------------ zero-point domains

// none domain: q = clamp(round(v)); the contract still picks the scaling and
// rounding. s = 1: -1.5 -> -2 (even) | -2 (away); 2.5 -> 2 | 3; 300 -> 127.
TEST(QuantizeDomains, NoneDomainHasNoZeroPoint) {
  const PerTensor t = PerTensor().scale(1.0f).domain(ZeroPointDomain::none);
  EXPECT_THAT(quantize({-1.5f, 2.5f, 300.0f}, t, Contract::torchao), ElementsAre(-2, 2, 127));
  EXPECT_THAT(quantize({-1.5f, 2.5f, 300.0f}, t, Contract::half_away), ElementsAre(-2, 3, 127));
  // The section 3 example holds in the none domain too (-13 vs -12).
  const PerTensor n = PerTensor().scale(0.9f).domain(ZeroPointDomain::none);
  EXPECT_THAT(quantize({-11.25f}, n, Contract::torchao), ElementsAre(-13));
  EXPECT_THAT(quantize({-11.25f}, n, Contract::onnx), ElementsAre(-12));
}

TEST(QuantizeDomains, AbsentIntZeroPointIsZero) {
  const PerTensor t = PerTensor().scale(0.5f);
  EXPECT_THAT(quantize({1.0f, -1.0f}, t), ElementsAre(2, -2));
}

// float domain (torchao tinygemm), u4 [0, 15], s = 0.5, z = 1.0:
//   mid = f32((15 + 0 + 1) / 2) = 8;  min_val = f32(1 - f32(0.5 * 8)) = -3
//   q = clamp(round_half_even((x + 3) / 0.5), 0, 15)
//   x = -3 -> 0;  0 -> 6;  -0.25 -> 5.5 -> 6;  0.25 -> 6.5 -> 6;  1 -> 8;
//   4.5 -> 15;  5 -> 16 -> 15;  -4 -> -2 -> 0
TEST(QuantizeDomains, FloatDomainTinygemm) {
  const PerTensor t =
      PerTensor().scale(0.5f).zp(1.0).range(DType::u8, 0, 15).domain(ZeroPointDomain::float_domain);
  EXPECT_THAT(quantize({-3.0f, 0.0f, -0.25f, 0.25f, 1.0f, 4.5f, 5.0f, -4.0f}, t),
              ElementsAre(0, 6, 6, 6, 8, 15, 15, 0));
}

// The float domain always divides and rounds half to even, whatever the
// contract (SPEC section 4 writes the formula out): 0.25 -> 6.5 -> 6 under
// half_away too, and onnx / torchao agree.
TEST(QuantizeDomains, FloatDomainIgnoresTheContract) {
  const PerTensor t =
      PerTensor().scale(0.5f).zp(1.0).range(DType::u8, 0, 15).domain(ZeroPointDomain::float_domain);
  for (Contract c : kAllContracts) {
    EXPECT_THAT(quantize({-0.25f, 0.25f}, t, c), ElementsAre(6, 6)) << contract_name(c);
  }
}

// Inexact float domain, u4: s = f32(0.1) = 0x1.99999ap-4, z = f32(0.3) =
// 0x1.333334p-2, mid = 8:
//   f32(s * 8) = 0x1.99999ap-1 (exact, a power of two);
//   min_val = f32(0x1.333334p-2 - 0x1.99999ap-1) = -0.5 exactly
//   x = 0.25: f32(0.75) / s = 7.4999998882... -> f32 7.5 -> tie -> 8
//   x = 0.3f: f32(0.3f + 0.5) = 0x1.99999ap-1, / s = 8 exactly -> 8
//   x = 0:    0.5 / s = 4.99999992... -> f32 5 -> 5
//   x = 1:    1.5 / s = 14.9999997... -> f32 15 -> 15
TEST(QuantizeDomains, FloatDomainInexactArithmeticInSpecOrder) {
  const PerTensor t = PerTensor()
                          .scale(0.1f)
                          .zp(double(0.3f))
                          .range(DType::u8, 0, 15)
                          .domain(ZeroPointDomain::float_domain);
  EXPECT_EQ(pre_rounding_bits(0.25f, t, Contract::torchao), f32_bits(7.5f));
  EXPECT_EQ(pre_rounding_bits(0.3f, t, Contract::torchao), f32_bits(8.0f));
  EXPECT_THAT(quantize({0.25f, 0.3f, 0.0f, 1.0f}, t), ElementsAre(8, 8, 5, 15));
}

// Each float-domain step rounds to f32, and that decides this tie: u4,
// s = f32(0.1) = 0x1.99999ap-4, z = f32(0.2) = 0x1.99999ap-3, x = f32(0.05) =
// 0x1.99999ap-5, mid = 8:
//   f32(s * 8) = 0x1.99999ap-1 (exact)
//   min_val = f32(0.2000000030 - 0.8000000119) = f32(-0.6000000089)
//           = -0x1.333334p-1 (-0.6000000238)
//   f32(x - min_val) = f32(0.6500000246) = 0x1.4ccccep-1 (0.6500000358)
//   v = f32(0.6500000358 / 0.1000000015) = f32(6.5000002608)
//     = 0x1.a00002p+2 (6.5000004768; 6.5 is 2.6e-7 away, this one 2.2e-7) -> 7
// In exact arithmetic (0.05 - 0.2) / 0.1 + 8 = 6.5 would round to even, 6.
TEST(QuantizeDomains, FloatDomainRoundsEveryStepToF32) {
  const PerTensor t = PerTensor()
                          .scale(0.1f)
                          .zp(double(0.2f))
                          .range(DType::u8, 0, 15)
                          .domain(ZeroPointDomain::float_domain);
  EXPECT_EQ(pre_rounding_bits(0.05f, t, Contract::torchao), f32_bits(0x1.a00002p+2f));
  EXPECT_THAT(quantize({0.05f}, t), ElementsAre(7));
}

// mid is a true division: range [0, 2] gives mid = 1.5 (integer division
// would give 1). s = 1, z = 0: min_val = -1.5;
//   x = 0 -> 1.5 -> 2 (with mid 1: 1);  x = -1 -> 0.5 -> 0;  x = 1 -> 2.5 -> 2
TEST(QuantizeDomains, FloatDomainMidIsTrueDivision) {
  const PerTensor t =
      PerTensor().scale(1.0f).zp(0.0).range(DType::u8, 0, 2).domain(ZeroPointDomain::float_domain);
  EXPECT_THAT(quantize({0.0f, -1.0f, 1.0f}, t), ElementsAre(2, 0, 2));
  // Negative mid: [-20, 10] gives mid = -9 / 2 = -4.5 (truncation: -4).
  // min_val = 0 - 1 * -4.5 = 4.5; x = 1 -> 1 - 4.5 = -3.5 -> -4 (with -4: -3).
  const PerTensor n = PerTensor()
                          .scale(1.0f)
                          .zp(0.0)
                          .range(DType::i8, -20, 10)
                          .domain(ZeroPointDomain::float_domain);
  EXPECT_THAT(quantize({1.0f}, n), ElementsAre(-4));
}

// ±inf saturate (SPEC section 4) even where min_val itself overflows. Range
// [-8, 15] in i8: mid = f32(8 / 2) = 4; s = 1e38: f32(s * 4) = +inf, so
// min_val = 0 - inf = -inf. Then x = -inf gives -inf - (-inf) = NaN before
// rounding, which must not reach an integer conversion: -inf -> qmin = -8,
// +inf -> inf - (-inf) = +inf -> qmax = 15.
// Mirror: [-20, 10], mid = -4.5, f32(s * -4.5) = -inf, min_val = +inf:
// +inf -> NaN -> must give qmax = 10; -inf -> -inf -> qmin = -20.
TEST(QuantizeDomains, FloatDomainInfinitiesSaturateWhenMinValOverflows) {
  const PerTensor up = PerTensor()
                           .scale(1e38f)
                           .zp(0.0)
                           .range(DType::i8, -8, 15)
                           .domain(ZeroPointDomain::float_domain);
  EXPECT_THAT(quantize({-kInf, kInf}, up), ElementsAre(-8, 15));
  const PerTensor down = PerTensor()
                             .scale(1e38f)
                             .zp(0.0)
                             .range(DType::i8, -20, 10)
                             .domain(ZeroPointDomain::float_domain);
  EXPECT_THAT(quantize({-kInf, kInf}, down), ElementsAre(-20, 10));
}

// ------------------------------------------------------------ saturation

// i8, s = 1, z = 0: ±inf and ±1e38 saturate; 127.5 -> 128 (even) -> 127;
// -128.5 -> -128 (even); 126.5 -> 126; -127.5 -> -128.
TEST(QuantizeSaturation, InfinitiesAndHugeValuesClamp) {
  const std::vector<float> x{kInf, -kInf, 1e38f, -1e38f, 127.5f, -128.5f, 126.5f, -127.5f};
  for (Contract c : kAllContracts) {
    const auto want = c == Contract::half_away
                          // 127.5 -> 128 -> 127; -128.5 -> -129 -> -128; 126.5 -> 127;
                          // -127.5 -> -128
                          ? std::vector<int64_t>{127, -128, 127, -128, 127, -128, 127, -128}
                          : std::vector<int64_t>{127, -128, 127, -128, 127, -128, 126, -128};
    EXPECT_THAT(quantize(x, PerTensor().scale(1.0f), c), ElementsAreArray(want))
        << contract_name(c);
  }
}

// v itself overflows: s = 1e-3, f32(1/s) = 0x1.f3fffep+9 = 999.99994;
// 1e38 * 999.99994 = 1e41 > FLT_MAX -> v = +inf -> 127 (onnx: 1e38 / 1e-3 =
// +inf as well). With z = 100 the clamp still holds: inf + 100 -> 127.
TEST(QuantizeSaturation, OverflowingVSaturates) {
  for (Contract c : kAllContracts) {
    EXPECT_THAT(quantize({1e38f, -1e38f}, PerTensor().scale(1e-3f).zp(100), c),
                ElementsAre(127, -128))
        << contract_name(c);
  }
}

// i32 storage: the zero point is added exactly (in double), then clamped.
// 0x1.fffffep+30 = 2147483520 is the largest f32 below 2^31:
//   2147483520 + 127 = 2147483647 (fits);  + 128 = 2^31 -> clamps to 2147483647
//   2^31 -> 2147483647;  -2^31 -> -2147483648;  ±3e9 and ±inf clamp
TEST(QuantizeSaturation, I32StorageAndExactZeroPointAddition) {
  const PerTensor base =
      PerTensor().scale(1.0f).zp(0).range(DType::i32, -2147483648LL, 2147483647LL);
  EXPECT_THAT(
      quantize({0x1.fffffep+30f, 2147483648.0f, -2147483648.0f, 3e9f, -3e9f, kInf, -kInf}, base),
      ElementsAre(2147483520, 2147483647, -2147483648LL, 2147483647, -2147483648LL, 2147483647,
                  -2147483648LL));
  PerTensor z127 = base;
  z127.zp(127);
  EXPECT_THAT(quantize({0x1.fffffep+30f}, z127), ElementsAre(2147483647));
  PerTensor z128 = base;
  z128.zp(128);
  EXPECT_THAT(quantize({0x1.fffffep+30f}, z128), ElementsAre(2147483647));
  PerTensor zneg = base;
  zneg.zp(-129);  // -2^31 - 129 clamps to -2^31
  EXPECT_THAT(quantize({-2147483648.0f}, zneg), ElementsAre(-2147483648LL));
}

// u8 with z = 255: 1 -> 256 -> 255; -255 -> 0; -256 -> -1 -> 0.
TEST(QuantizeSaturation, ZeroPointPushesPastTheRange) {
  const PerTensor t = PerTensor().scale(1.0f).zp(255).range(DType::u8, 0, 255);
  EXPECT_THAT(quantize({1.0f, -255.0f, -256.0f, 0.0f}, t), ElementsAre(255, 0, 0, 255));
}

// -0.0 and small negatives round to zero; the integer result has no sign.
// x = -0.0 -> v = -0.0 -> 0 + z; x = -0.4 -> v = -0.4 -> -0.0 -> 0 + z.
TEST(QuantizeSaturation, NegativeZero) {
  for (Contract c : kAllContracts) {
    EXPECT_THAT(quantize({-0.0f, -0.4f}, PerTensor().scale(1.0f).zp(5), c), ElementsAre(5, 5))
        << contract_name(c);
    EXPECT_THAT(quantize({-0.0f, -0.4f}, PerTensor().scale(1.0f).range(DType::u8, 0, 255), c),
                ElementsAre(0, 0))
        << contract_name(c);
  }
}

// A one-point range is valid for quantize: everything maps to it.
TEST(QuantizeSaturation, OnePointRange) {
  const PerTensor t = PerTensor().scale(1.0f).qmin(5).qmax(5);
  EXPECT_THAT(quantize({-kInf, 0.0f, 5.0f, 1e30f}, t), ElementsAre(5, 5, 5, 5));
}

// ------------------------------------------------------------ sub-byte ranges

// i4 [-8, 7] in i8 storage, s = 1:
//   x:         -9   -8.5  -7.5  6.5  7.5  8
//   half even: -8   -8    -8    6    8->7 7
//   half away: -8   -9->-8 -8   7    8->7 7
TEST(QuantizeSubByte, I4) {
  const std::vector<float> x{-9.0f, -8.5f, -7.5f, 6.5f, 7.5f, 8.0f};
  const PerTensor t = PerTensor().scale(1.0f).range(DType::i8, -8, 7);
  EXPECT_THAT(quantize(x, t, Contract::torchao), ElementsAre(-8, -8, -8, 6, 7, 7));
  EXPECT_THAT(quantize(x, t, Contract::half_away), ElementsAre(-8, -8, -8, 7, 7, 7));
}

// u4 [0, 15] in u8 storage with the symmetric zero point 8, s = 1:
//   -8.5 -> -8 + 8 = 0;  -9 -> -1 -> 0;  0 -> 8;  6.5 -> 6 + 8 = 14;  7 -> 15;
//   7.5 -> 8 + 8 = 16 -> 15
TEST(QuantizeSubByte, U4WithZeroPoint8) {
  const PerTensor t = PerTensor().scale(1.0f).zp(8).range(DType::u8, 0, 15);
  EXPECT_THAT(quantize({-8.5f, -9.0f, 0.0f, 6.5f, 7.0f, 7.5f}, t),
              ElementsAre(0, 0, 8, 14, 15, 15));
}

// i2 [-2, 1], s = 1: -3 -> -2; -2.5 -> -2; -1.5 -> -2; -0.5 -> 0; 0.5 -> 0;
// 1.5 -> 2 -> 1; 2 -> 1.
TEST(QuantizeSubByte, I2) {
  const PerTensor t = PerTensor().scale(1.0f).range(DType::i8, -2, 1);
  EXPECT_THAT(quantize({-3.0f, -2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.0f}, t),
              ElementsAre(-2, -2, -2, 0, 0, 1, 1));
}

// i16 / u16 storage (the ONNX vectors cover more): u16 z = 32767, s = 2:
// 65536 / 2 + 32767 = 65535; 70000 -> 35000 + 32767 -> 65535; -70000 -> 0.
TEST(QuantizeSubByte, SixteenBitStorage) {
  const PerTensor t = PerTensor().scale(2.0f).zp(32767).range(DType::u16, 0, 65535);
  EXPECT_THAT(quantize({65536.0f, 70000.0f, -70000.0f}, t), ElementsAre(65535, 65535, 0));
}

}  // namespace
}  // namespace qdiff::reference
