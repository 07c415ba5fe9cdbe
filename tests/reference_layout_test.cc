// Golden tests of the reference ops over every block layout of SPEC section 2:
// per-tensor, per-channel on any axis, per-group, 2-D tiles, the K = 1
// weight, explicit blocks with partial last blocks, rank 0 and zero-size
// tensors (an empty result of the right shape). Scales are powers of two so
// each expected value is exact; the rounding itself is covered by
// reference_quantize_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "core/quant_params.h"
#include "reference/dequantize.h"
#include "reference/fake_quantize.h"
#include "reference/quantize.h"

namespace qdiff::reference {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

QuantParams params(Tensor scale, std::optional<Tensor> zp = std::nullopt, DType dtype = DType::i8,
                   int64_t qmin = -128, int64_t qmax = 127,
                   std::optional<std::vector<int64_t>> block_size = std::nullopt) {
  QuantParams p;
  p.scale = std::move(scale);
  p.zero_point = std::move(zp);
  p.dtype = dtype;
  p.quant_min = qmin;
  p.quant_max = qmax;
  p.block_size = std::move(block_size);
  return p;
}

Tensor filled(const Shape& shape, float v) {
  Tensor t(DType::f32, shape);
  for (float& e : t.data<float>()) e = v;
  return t;
}

std::vector<int64_t> ints(const Tensor& t) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t.int_at(i));
  return out;
}

// [2, 3], scale [2, 1] = (1, 0.5), zp (0, 10):
//   row 0: x / 1 + 0 = 1, 2, -3;  row 1: x / 0.5 + 10 = 12, 14, 4
TEST(ReferenceLayouts, PerChannelAxis0) {
  const auto p = params(Tensor::of<float>(Shape{2, 1}, {1.0f, 0.5f}),
                        Tensor::of<int32_t>(Shape{2, 1}, {0, 10}));
  const Tensor x = Tensor::of<float>(Shape{2, 3}, {1, 2, -3, 1, 2, -3});
  const Tensor q = quantize_affine(x, p);
  EXPECT_EQ(q.shape(), (Shape{2, 3}));
  EXPECT_THAT(ints(q), ElementsAre(1, 2, -3, 12, 14, 4));
  // And back: row 1 (12 - 10) * 0.5 = 1 ...
  EXPECT_THAT(dequantize_affine(q, p).data<float>(), ElementsAre(1, 2, -3, 1, 2, -3));
}

// [2, 3], scale [1, 3] = (1, 2, 4), zp (0, -1, 2):
//   row 0 x = 4:  4 + 0, 2 - 1, 1 + 2 = 4, 1, 3
//   row 1 x = -8: -8, -4 - 1, -2 + 2 = -8, -5, 0
TEST(ReferenceLayouts, PerChannelAxis1) {
  const auto p = params(Tensor::of<float>(Shape{1, 3}, {1.0f, 2.0f, 4.0f}),
                        Tensor::of<int32_t>(Shape{1, 3}, {0, -1, 2}));
  const Tensor x = Tensor::of<float>(Shape{2, 3}, {4, 4, 4, -8, -8, -8});
  EXPECT_THAT(ints(quantize_affine(x, p)), ElementsAre(4, 1, 3, -8, -5, 0));
}

// Rank 4 [1, 2, 3, 2], per-channel on dim 2 with scale (1, 10, 100), i16.
// Quotients 1000 / 10 and 1000 / 100 are exact; with reciprocals,
// 1000 * f32(1/10) = 1000 * 0.100000001 = 100.0000015 -> f32 100 and
// 1000 * f32(1/100) = 1000 * 0.0099999998 = 9.99999978 -> f32 10. So every
// (h, w) position reads 1000, 100, 10 along dim 2, under every contract.
TEST(ReferenceLayouts, PerChannelOnAMiddleAxisOfRankFour) {
  const auto p = params(Tensor::of<float>(Shape{1, 1, 3, 1}, {1.0f, 10.0f, 100.0f}), std::nullopt,
                        DType::i16, -32768, 32767);
  const Tensor x = filled(Shape{1, 2, 3, 2}, 1000.0f);
  for (Contract c : kAllContracts) {
    EXPECT_THAT(ints(quantize_affine(x, p, c)),
                ElementsAre(1000, 1000, 100, 100, 10, 10, 1000, 1000, 100, 100, 10, 10))
        << contract_name(c);
  }
}

// Per-group [2, 4], scale [2, 2] = ((1, 2), (4, 8)), x = 8:
//   row 0: 8, 8, 4, 4;  row 1: 2, 2, 1, 1
// Dequantize with zp ((0, 1), (2, 3)) and q = 10:
//   row 0: 10 * 1, 10 * 1, (10 - 1) * 2, 18;  row 1: (10 - 2) * 4 = 32, 32, (10 - 3) * 8 = 56, 56
TEST(ReferenceLayouts, PerGroup) {
  const Tensor scale = Tensor::of<float>(Shape{2, 2}, {1, 2, 4, 8});
  EXPECT_THAT(ints(quantize_affine(filled(Shape{2, 4}, 8.0f), params(scale))),
              ElementsAre(8, 8, 4, 4, 2, 2, 1, 1));
  const auto p = params(scale, Tensor::of<int32_t>(Shape{2, 2}, {0, 1, 2, 3}));
  const Tensor q = Tensor::of<int8_t>(Shape{2, 4}, {10, 10, 10, 10, 10, 10, 10, 10});
  EXPECT_THAT(dequantize_affine(q, p).data<float>(), ElementsAre(10, 10, 18, 18, 32, 32, 56, 56));
}

// 2-D tiles: [4, 4] with scale [2, 2] = ((1, 2), (4, 8)), blocks 2 x 2, x = 16.
TEST(ReferenceLayouts, TwoDimensionalTiles) {
  const auto p = params(Tensor::of<float>(Shape{2, 2}, {1, 2, 4, 8}));
  EXPECT_THAT(ints(quantize_affine(filled(Shape{4, 4}, 16.0f), p)),
              ElementsAre(16, 16, 8, 8, 16, 16, 8, 8, 4, 4, 2, 2, 4, 4, 2, 2));
}

// K = 1 weight [1, 8] with scale [1, 2] = (1, 2): columns 0-3 use 1, 4-7 use 2.
TEST(ReferenceLayouts, KEqualsOneWeightWithGroupScales) {
  const auto p = params(Tensor::of<float>(Shape{1, 2}, {1.0f, 2.0f}));
  EXPECT_THAT(ints(quantize_affine(filled(Shape{1, 8}, 8.0f), p)),
              ElementsAre(8, 8, 8, 8, 4, 4, 4, 4));
}

// Elementwise scale [2, 2] on [2, 2]: each element its own scale.
TEST(ReferenceLayouts, ElementwiseScale) {
  const auto p = params(Tensor::of<float>(Shape{2, 2}, {1, 2, 4, 8}),
                        Tensor::of<int32_t>(Shape{2, 2}, {1, 2, 3, 4}));
  EXPECT_THAT(ints(quantize_affine(filled(Shape{2, 2}, 8.0f), p)), ElementsAre(9, 6, 5, 5));
}

// Explicit block_size (2, 2) on [3, 5]: scale [ceil(3/2), ceil(5/2)] = [2, 3]
// = ((1, 2, 4), (8, 16, 32)), zp ((0, 1, 2), (3, 4, 5)); the last row and
// the last column are partial blocks. x = 32:
//   rows 0-1: 32, 32, 16 + 1, 17, 8 + 2 = 10
//   row 2:    4 + 3 = 7, 7, 2 + 4 = 6, 6, 1 + 5 = 6
TEST(ReferenceLayouts, ExplicitBlocksWithPartialLastBlocks) {
  const auto p = params(Tensor::of<float>(Shape{2, 3}, {1, 2, 4, 8, 16, 32}),
                        Tensor::of<int32_t>(Shape{2, 3}, {0, 1, 2, 3, 4, 5}), DType::i8, -128, 127,
                        std::vector<int64_t>{2, 2});
  const Tensor q = quantize_affine(filled(Shape{3, 5}, 32.0f), p);
  EXPECT_EQ(q.shape(), (Shape{3, 5}));
  EXPECT_THAT(ints(q), ElementsAre(32, 32, 17, 17, 10, 32, 32, 17, 17, 10, 7, 7, 6, 6, 6));
  // Dequantize the same grid back to 32 everywhere.
  EXPECT_THAT(dequantize_affine(q, p).data<float>(), ::testing::Each(32.0f));
  EXPECT_THAT(fake_quantize_affine(filled(Shape{3, 5}, 32.0f), p).data<float>(),
              ::testing::Each(32.0f));
}

// Explicit and derived modes agree when the blocks divide: (1, 2) on [2, 4]
// is the same layout as scale [2, 2] in derived mode.
TEST(ReferenceLayouts, ExplicitEqualsDerivedWhenDivisible) {
  const Tensor scale = Tensor::of<float>(Shape{2, 2}, {1, 2, 4, 8});
  const Tensor x = Tensor::of<float>(Shape{2, 4}, {1, 2, 3, 4, -5, -6, -7, -8});
  const Tensor derived = quantize_affine(x, params(scale));
  const Tensor explicit_mode = quantize_affine(
      x, params(scale, std::nullopt, DType::i8, -128, 127, std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(derived.bitwise_equal(explicit_mode));
  // Row 0: 1, 2, 3 / 2 = 1.5 -> 2, 4 / 2 = 2; row 1: -5 / 4 = -1.25 -> -1,
  // -6 / 4 = -1.5 -> -2, -7 / 8 = -0.875 -> -1, -8 / 8 = -1.
  EXPECT_THAT(ints(derived), ElementsAre(1, 2, 2, 2, -1, -2, -1, -1));
}

// Rank 0: x = 2.5, s = 1 -> 2 (half even), shape []; q = -3, s = 0.5 -> -1.5.
TEST(ReferenceLayouts, RankZero) {
  const auto p = params(Tensor::of<float>(Shape{}, {1.0f}));
  const Tensor q = quantize_affine(Tensor::of<float>(Shape{}, {2.5f}), p);
  EXPECT_EQ(q.shape(), Shape{});
  EXPECT_EQ(q.int_at(0), 2);
  const auto ph = params(Tensor::of<float>(Shape{1}, {0.5f}));  // [1] scale on rank 0
  const Tensor y = dequantize_affine(Tensor::of<int8_t>(Shape{}, {-3}), ph);
  EXPECT_EQ(y.shape(), Shape{});
  EXPECT_EQ(y.f32_at(0), -1.5f);
  const Tensor f = fake_quantize_affine(Tensor::of<float>(Shape{}, {0.3f}), ph);
  EXPECT_EQ(f.shape(), Shape{});
  EXPECT_EQ(f.f32_at(0), 0.5f);  // 0.3 * 2 = 0.6 -> 1 -> 0.5
}

// Zero-size tensors: every op returns an empty result of the input's shape
// (and the op's dtype), per-tensor or with a scale dim of 1 on the empty dim.
TEST(ReferenceLayouts, ZeroSizeTensorsGiveEmptyResultsOfTheRightShape) {
  for (const Shape& shape : {Shape{0}, Shape{0, 3}, Shape{2, 0, 3}}) {
    const auto p = params(Tensor::of<float>(Shape{}, {1.0f}), std::nullopt, DType::u8, 0, 255);
    const Tensor q = quantize_affine(Tensor(DType::f32, shape), p);
    EXPECT_EQ(q.dtype(), DType::u8);
    EXPECT_EQ(q.shape(), shape);
    EXPECT_EQ(q.numel(), 0);
    const Tensor y = dequantize_affine(Tensor(DType::u8, shape), p);
    EXPECT_EQ(y.dtype(), DType::f32);
    EXPECT_EQ(y.shape(), shape);
    const Tensor f = fake_quantize_affine(Tensor(DType::f32, shape), p);
    EXPECT_EQ(f.shape(), shape);
  }
  // Per-channel along the non-empty dim of [0, 3]: scale [1, 3].
  const auto pc = params(Tensor::of<float>(Shape{1, 3}, {1, 2, 4}));
  EXPECT_EQ(quantize_affine(Tensor(DType::f32, Shape{0, 3}), pc).shape(), (Shape{0, 3}));
  // [2, 0, 3] per-channel on dim 0: scale [2, 1, 1].
  const auto p0 = params(Tensor::of<float>(Shape{2, 1, 1}, {1, 2}));
  EXPECT_EQ(dequantize_affine(Tensor(DType::i8, Shape{2, 0, 3}), p0).shape(), (Shape{2, 0, 3}));
}

}  // namespace
}  // namespace qdiff::reference
