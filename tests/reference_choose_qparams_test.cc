// Golden tests of reference choose_qparams_affine (SPEC section 6), worked by
// hand for each mapping, for the int, none and float (tinygemm) zero-point
// domains, the eps floor, blocks, rank 0 and zero-size inputs.
// Sources: docs/golden-vectors.md.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cfloat>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "core/float_bits.h"
#include "core/quant_params.h"
#include "reference/choose_qparams.h"

namespace qdiff::reference {
namespace {

using ::testing::ElementsAre;

ChooseQParamsArgs args(Mapping m, DType dtype, int64_t qmin, int64_t qmax,
                       ZeroPointDomain domain = ZeroPointDomain::int_domain) {
  ChooseQParamsArgs a;
  a.mapping = m;
  a.dtype = dtype;
  a.quant_min = qmin;
  a.quant_max = qmax;
  a.zero_point_domain = domain;
  return a;
}

const ChooseQParamsArgs kSymI8 = args(Mapping::symmetric, DType::i8, -128, 127);
const ChooseQParamsArgs kAsymI8 = args(Mapping::asymmetric, DType::i8, -128, 127);
const ChooseQParamsArgs kAsymU8 = args(Mapping::asymmetric, DType::u8, 0, 255);

struct Chosen {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;  // int domain
};

// One block over a 1-D input; checks the output shapes and the zero point
// dtype (i32) and returns the values.
Chosen choose(const std::vector<float>& x, const ChooseQParamsArgs& a) {
  const ChosenQParams c = choose_qparams_affine(Tensor::of<float>(Shape{int64_t(x.size())}, x), a);
  EXPECT_EQ(c.scale.dtype(), DType::f32);
  EXPECT_EQ(c.scale.shape(), (Shape{1}));
  Chosen out;
  out.scale.push_back(c.scale.f32_at(0));
  if (a.zero_point_domain == ZeroPointDomain::int_domain) {
    EXPECT_TRUE(c.zero_point);
    if (c.zero_point) {
      EXPECT_EQ(c.zero_point->dtype(), DType::i32);
      EXPECT_EQ(c.zero_point->shape(), (Shape{1}));
      out.zero_point.push_back(c.zero_point->int_at(0));
    }
  }
  return out;
}

// ------------------------------------------------------------ symmetric

// i8: amax / f32((127 - -128) / 2) = amax / 127.5 (not 127), zp = trunc(0 / 2) = 0.
//   [-127.5, 3]:  amax 127.5 -> 1.0 exactly (127 would give 1.0039...)
//   [-1, 255]:    amax 255 -> 2
//   [-2.55, 1]:   f32(2.55) = 0x1.466666p+1, / 127.5 -> 0x1.47ae14p-6
//                 (0.0199999996; with 127: 0x1.48f856p-6)
TEST(ChooseSymmetric, I8DividesBy127Point5) {
  Chosen c = choose({-127.5f, 3.0f}, kSymI8);
  EXPECT_THAT(c.scale, ElementsAre(1.0f));
  EXPECT_THAT(c.zero_point, ElementsAre(0));
  EXPECT_THAT(choose({-1.0f, 255.0f}, kSymI8).scale, ElementsAre(2.0f));
  EXPECT_EQ(f32_bits(choose({-2.55f, 1.0f}, kSymI8).scale[0]), f32_bits(0x1.47ae14p-6f));
}

// u8 [0, 255]: half range 127.5, zp = trunc(256 / 2) = 128. [-127.5, 100] -> 1.
// u4 [0, 15]: half range 7.5, zp = trunc(16 / 2) = 8. [15, -1] -> 15 / 7.5 = 2.
// i4 [-8, 7]: half range 7.5, zp = trunc(0 / 2) = 0. [-15] -> 2.
TEST(ChooseSymmetric, ZeroPointsForU8U4I4) {
  Chosen u8 = choose({-127.5f, 100.0f}, args(Mapping::symmetric, DType::u8, 0, 255));
  EXPECT_THAT(u8.scale, ElementsAre(1.0f));
  EXPECT_THAT(u8.zero_point, ElementsAre(128));
  Chosen u4 = choose({15.0f, -1.0f}, args(Mapping::symmetric, DType::u8, 0, 15));
  EXPECT_THAT(u4.scale, ElementsAre(2.0f));
  EXPECT_THAT(u4.zero_point, ElementsAre(8));
  Chosen i4 = choose({-15.0f}, args(Mapping::symmetric, DType::i8, -8, 7));
  EXPECT_THAT(i4.scale, ElementsAre(2.0f));
  EXPECT_THAT(i4.zero_point, ElementsAre(0));
}

// The zero point truncates toward zero: [-4, 0] gives (0 - 4 + 1) / 2 = -1.5
// -> -1 (floor would be -2); scale = 4 / f32(4 / 2) = 2. [-128, 126] gives
// -0.5 -> 0.
TEST(ChooseSymmetric, ZeroPointTruncatesTowardZero) {
  Chosen c = choose({-4.0f, 1.0f}, args(Mapping::symmetric, DType::i8, -4, 0));
  EXPECT_THAT(c.scale, ElementsAre(2.0f));
  EXPECT_THAT(c.zero_point, ElementsAre(-1));
  EXPECT_THAT(choose({1.0f}, args(Mapping::symmetric, DType::i8, -128, 126)).zero_point,
              ElementsAre(0));
}

// ------------------------------------------------------------ symmetric_no_clipping_err

// smin = min_neg / qmin, smax = max_pos / qmax, scale = the larger.
//   i8 [-64, 127]:  smin = -64 / -128 = 0.5, smax = 127 / 127 = 1 -> 1
//   i8 [-256, 127]: smin = 2, smax = 1 -> 2;  zp 0
TEST(ChooseNoClippingErr, TakesTheLargerOfTheTwoRatios) {
  const auto a = args(Mapping::symmetric_no_clipping_err, DType::i8, -128, 127);
  EXPECT_THAT(choose({-64.0f, 127.0f}, a).scale, ElementsAre(1.0f));
  Chosen c = choose({-256.0f, 127.0f}, a);
  EXPECT_THAT(c.scale, ElementsAre(2.0f));
  EXPECT_THAT(c.zero_point, ElementsAre(0));
}

// Undefined ratios are skipped: u8 (qmin = 0): [-100, 127.5] -> smax = 127.5 /
// 255 = 0.5, zp 128. Range [-4, 0] (qmax = 0): [-8, 5] -> smin = -8 / -4 = 2,
// zp = trunc(-3 / 2) = -1.
TEST(ChooseNoClippingErr, SkipsTheRatioWithAZeroBound) {
  Chosen u8 =
      choose({-100.0f, 127.5f}, args(Mapping::symmetric_no_clipping_err, DType::u8, 0, 255));
  EXPECT_THAT(u8.scale, ElementsAre(0.5f));
  EXPECT_THAT(u8.zero_point, ElementsAre(128));
  Chosen neg = choose({-8.0f, 5.0f}, args(Mapping::symmetric_no_clipping_err, DType::i8, -4, 0));
  EXPECT_THAT(neg.scale, ElementsAre(2.0f));
  EXPECT_THAT(neg.zero_point, ElementsAre(-1));
}

// ------------------------------------------------------------ asymmetric

// scale = (max_pos - min_neg) / (qmax - qmin); zp = qmin - round(min_neg / scale).
//   [-51, 204]: 255 / 255 = 1;  i8: -128 - (-51) = -77;  u8: 0 - (-51) = 51
TEST(ChooseAsymmetric, ExactRange) {
  Chosen i8 = choose({-51.0f, 204.0f, 0.0f}, kAsymI8);
  EXPECT_THAT(i8.scale, ElementsAre(1.0f));
  EXPECT_THAT(i8.zero_point, ElementsAre(-77));
  Chosen u8 = choose({-51.0f, 204.0f}, kAsymU8);
  EXPECT_THAT(u8.zero_point, ElementsAre(51));
}

// The zero point rounds min_neg / scale half to even (scale 1 in each):
//   [-0.5, 254.5]: -0.5 -> -0 -> zp 0;  [-1.5, 253.5]: -1.5 -> -2 -> 2;
//   [-2.5, 252.5]: -2.5 -> -2 -> 2 (half away would give 3)
TEST(ChooseAsymmetric, ZeroPointRoundsHalfToEven) {
  EXPECT_THAT(choose({-0.5f, 254.5f}, kAsymU8).zero_point, ElementsAre(0));
  EXPECT_THAT(choose({-1.5f, 253.5f}, kAsymU8).zero_point, ElementsAre(2));
  EXPECT_THAT(choose({-2.5f, 252.5f}, kAsymU8).zero_point, ElementsAre(2));
}

// Inexact: i8 [-1, 2.5]: scale = f32(3.5 / 255) = 0x1.c1c1c2p-7 (0.0137254903);
// f32(-1 / scale) = -0x1.236db6p+6 = -72.8571396 -> -73; zp = -128 + 73 = -55.
TEST(ChooseAsymmetric, InexactScaleAndZeroPoint) {
  Chosen c = choose({-1.0f, 2.5f}, kAsymI8);
  EXPECT_EQ(f32_bits(c.scale[0]), f32_bits(0x1.c1c1c2p-7f));
  EXPECT_THAT(c.zero_point, ElementsAre(-55));
}

// The range always includes 0 (min_neg, max_pos):
//   all positive [1, 2] i8: min_neg = 0; scale = f32(2 / 255) = 0x1.010102p-7;
//                           zp = -128 - round(0) = -128
//   all negative [-3, -1] u8: max_pos = 0; scale = f32(3 / 255) = 0x1.818182p-7;
//                           f32(-3 / scale) = -255 exactly -> zp = 255
TEST(ChooseAsymmetric, RangeIncludesZero) {
  Chosen pos = choose({1.0f, 2.0f}, kAsymI8);
  EXPECT_EQ(f32_bits(pos.scale[0]), f32_bits(0x1.010102p-7f));
  EXPECT_THAT(pos.zero_point, ElementsAre(-128));
  Chosen neg = choose({-3.0f, -1.0f}, kAsymU8);
  EXPECT_EQ(f32_bits(neg.scale[0]), f32_bits(0x1.818182p-7f));
  EXPECT_THAT(neg.zero_point, ElementsAre(255));
}

// ------------------------------------------------------------ eps

// All zeros: every mapping floors the scale at eps = FLT_MIN (0x1p-126);
// symmetric zp 0, asymmetric zp = -128 - round(0 / FLT_MIN) = -128.
TEST(ChooseEps, AllZeroInputGivesEps) {
  for (Mapping m : kAllMappings) {
    EXPECT_THAT(choose({0.0f, -0.0f}, args(m, DType::i8, -128, 127)).scale, ElementsAre(FLT_MIN))
        << mapping_name(m);
  }
  EXPECT_THAT(choose({0.0f}, kSymI8).zero_point, ElementsAre(0));
  EXPECT_THAT(choose({0.0f}, kAsymI8).zero_point, ElementsAre(-128));
}

// A larger eps wins over a small range: [0.1, -0.1] symmetric gives
// f32(0.1) / 127.5 = 0x1.9b34cep-11 < 0.5 -> 0.5. Asymmetric [-1, 1] with eps 1:
// max(2 / 255, 1) = 1, zp = -128 - round(-1 / 1) = -127.
TEST(ChooseEps, CustomEpsFloorsTheScale) {
  ChooseQParamsArgs sym = kSymI8;
  sym.eps = 0.5f;
  EXPECT_THAT(choose({0.1f, -0.1f}, sym).scale, ElementsAre(0.5f));
  ChooseQParamsArgs asym = kAsymI8;
  asym.eps = 1.0f;
  Chosen c = choose({-1.0f, 1.0f}, asym);
  EXPECT_THAT(c.scale, ElementsAre(1.0f));
  EXPECT_THAT(c.zero_point, ElementsAre(-127));
}

// ------------------------------------------------------------ domains

// none domain: scale only. Symmetric [-127.5] -> 1, no zero point tensor.
TEST(ChooseDomains, NoneDomainReturnsNoZeroPoint) {
  const ChosenQParams c =
      choose_qparams_affine(Tensor::of<float>(Shape{1}, {-127.5f}),
                            args(Mapping::symmetric, DType::i8, -128, 127, ZeroPointDomain::none));
  EXPECT_EQ(c.scale.f32_at(0), 1.0f);
  EXPECT_FALSE(c.zero_point);
}

// float domain (tinygemm), u4 [0, 15], mid = 8; uses the unclipped min/max:
//   [-3, 4.5]: scale = 7.5 / 15 = 0.5; zp = -3 + 0.5 * 8 = 1.0
//   [1, 8.5]:  scale = 7.5 / 15 = 0.5; zp = 1 + 4 = 5.0
//              (int domain would use min_neg = 0: scale = 8.5 / 15 = 0x1.222222p-1)
//   [2, 2]:    scale = max(0, FLT_MIN) = FLT_MIN; zp = f32(2 + f32(FLT_MIN * 8)) = 2
TEST(ChooseDomains, FloatDomainTinygemm) {
  const auto a = args(Mapping::asymmetric, DType::u8, 0, 15, ZeroPointDomain::float_domain);
  const auto run = [&](std::vector<float> x) {
    const ChosenQParams c =
        choose_qparams_affine(Tensor::of<float>(Shape{int64_t(x.size())}, x), a);
    EXPECT_TRUE(c.zero_point);
    EXPECT_EQ(c.zero_point->dtype(), DType::f32);
    return std::pair{c.scale.f32_at(0), c.zero_point->f32_at(0)};
  };
  EXPECT_EQ(run({-3.0f, 4.5f}), std::pair(0.5f, 1.0f));
  EXPECT_EQ(run({1.0f, 8.5f}), std::pair(0.5f, 5.0f));
  EXPECT_EQ(run({2.0f, 2.0f}), std::pair(FLT_MIN, 2.0f));
  Chosen as_int = choose({1.0f, 8.5f}, args(Mapping::asymmetric, DType::u8, 0, 15));
  EXPECT_EQ(f32_bits(as_int.scale[0]), f32_bits(0x1.222222p-1f));
  EXPECT_THAT(as_int.zero_point, ElementsAre(0));
}

// ------------------------------------------------------------ blocks and shapes

// [2, 4] in blocks (1, 2), symmetric i8:
//   (0,0) [-127.5, 0] -> 1;  (0,1) [1, 63.75] -> 0.5;
//   (1,0) [0, 0] -> FLT_MIN;  (1,1) [-3, 255] -> 2
TEST(ChooseBlocks, PerGroupScales) {
  ChooseQParamsArgs a = kSymI8;
  a.block_size = std::vector<int64_t>{1, 2};
  const ChosenQParams c = choose_qparams_affine(
      Tensor::of<float>(Shape{2, 4}, {-127.5f, 0, 1, 63.75f, 0, 0, -3, 255}), a);
  EXPECT_EQ(c.scale.shape(), (Shape{2, 2}));
  EXPECT_THAT(c.scale.data<float>(), ElementsAre(1.0f, 0.5f, FLT_MIN, 2.0f));
  ASSERT_TRUE(c.zero_point);
  EXPECT_EQ(c.zero_point->shape(), (Shape{2, 2}));
  EXPECT_THAT(c.zero_point->data<int32_t>(), ElementsAre(0, 0, 0, 0));
}

// Per-row asymmetric u8, blocks (1, 3) on [2, 3]:
//   row 0 [-51, 0, 204]: scale 1, zp 51;  row 1 [0, 127.5, 255]: scale 1, zp 0
// Blocks (2, 1) give one scale per column: col 2 [204, 255] -> 255 / 255 = 1,
// zp 0; col 1 [0, 127.5] -> 0.5, zp 0.
TEST(ChooseBlocks, PerRowAndPerColumn) {
  const Tensor x = Tensor::of<float>(Shape{2, 3}, {-51, 0, 204, 0, 127.5f, 255});
  ChooseQParamsArgs rows = kAsymU8;
  rows.block_size = std::vector<int64_t>{1, 3};
  const ChosenQParams r = choose_qparams_affine(x, rows);
  EXPECT_EQ(r.scale.shape(), (Shape{2, 1}));
  EXPECT_THAT(r.scale.data<float>(), ElementsAre(1.0f, 1.0f));
  EXPECT_THAT(r.zero_point->data<int32_t>(), ElementsAre(51, 0));
  ChooseQParamsArgs cols = kAsymU8;
  cols.block_size = std::vector<int64_t>{2, 1};
  const ChosenQParams c = choose_qparams_affine(x, cols);
  EXPECT_EQ(c.scale.shape(), (Shape{1, 3}));
  EXPECT_EQ(c.scale.f32_at(1), 0.5f);
  EXPECT_EQ(c.scale.f32_at(2), 1.0f);
  EXPECT_THAT(c.zero_point->data<int32_t>(), ElementsAre(::testing::_, 0, 0));
}

// No block_size: one block over the whole tensor, scale of the input's rank
// with all dims 1 (rank 0 gives a scalar).
TEST(ChooseBlocks, WholeTensorAndRankZero) {
  const ChosenQParams c =
      choose_qparams_affine(Tensor::of<float>(Shape{2, 2}, {-127.5f, 0, 1, 2}), kSymI8);
  EXPECT_EQ(c.scale.shape(), (Shape{1, 1}));
  EXPECT_EQ(c.scale.f32_at(0), 1.0f);
  const ChosenQParams s = choose_qparams_affine(Tensor::of<float>(Shape{}, {-255.0f}), kSymI8);
  EXPECT_EQ(s.scale.shape(), Shape{});
  EXPECT_EQ(s.scale.f32_at(0), 2.0f);
  EXPECT_EQ(s.zero_point->shape(), Shape{});
}

// A zero-size input has no blocks: a zero-size dim splits into blocks of 1,
// so [0, 4] gives scale and zero point of shape [0, 1], and blocks (2, 2)
// give [0, 2]. Nothing is read.
TEST(ChooseBlocks, ZeroSizeInputGivesEmptyParams) {
  const Tensor x(DType::f32, Shape{0, 4});
  const ChosenQParams c = choose_qparams_affine(x, kAsymI8);
  EXPECT_EQ(c.scale.shape(), (Shape{0, 1}));
  ASSERT_TRUE(c.zero_point);
  EXPECT_EQ(c.zero_point->shape(), (Shape{0, 1}));
  ChooseQParamsArgs a = kAsymI8;
  a.block_size = std::vector<int64_t>{2, 2};
  EXPECT_EQ(choose_qparams_affine(x, a).scale.shape(), (Shape{0, 2}));
}

}  // namespace
}  // namespace qdiff::reference
