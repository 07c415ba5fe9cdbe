// Unit tests of core/block_layout.h (SPEC section 2): block sizes in derived
// and explicit mode, partial last blocks, zero-size dims, the layout
// classification including the shapes that mislead (K = 1, G = 1, per-channel
// on any axis, elementwise scales, 2-D tiles), channel_axis(), group_axes(),
// scale_index(), describe(), and every error with its kind and a message
// naming the dim and sizes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "core/block_layout.h"
#include "core/error.h"
#include "tests/test_util.h"

namespace qdiff {

using test_util::error_of;

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using Blocks = std::optional<std::vector<int64_t>>;
constexpr std::nullopt_t kDerived = std::nullopt;
Blocks blocks(std::initializer_list<int64_t> b) { return std::vector<int64_t>(b); }

int64_t index_of(const BlockLayout& l, std::initializer_list<int64_t> idx) {
  return l.scale_index(std::span<const int64_t>(idx.begin(), idx.size()));
}

// ---------------------------------------------------------------- per-tensor

TEST(BlockLayoutPerTensor, ScalarScaleSpansTheWholeInput) {
  const BlockLayout l = BlockLayout::derive(Shape{2, 3}, Shape{}, kDerived);
  EXPECT_TRUE(l.is_per_tensor());
  EXPECT_EQ(l.classify(), LayoutClass::per_tensor);
  EXPECT_EQ(l.scale_shape(), (Shape{1, 1}));  // normalized to the input's rank
  EXPECT_THAT(l.block_size(), ElementsAre(2, 3));
  EXPECT_EQ(l.channel_axis(), std::optional<int>(0));  // U empty -> 0
  EXPECT_EQ(l.group_axes(), std::nullopt);
  EXPECT_THAT(l.varying_dims(), IsEmpty());
  EXPECT_EQ(index_of(l, {1, 2}), 0);
  EXPECT_FALSE(l.is_explicit());
  EXPECT_EQ(l.describe(), "per_tensor, block [2, 3], scale [1, 1]");
}

TEST(BlockLayoutPerTensor, OneElementScaleOfAnyRankIsPerTensor) {
  for (const Shape& scale : {Shape{1}, Shape{1, 1}, Shape{1, 1, 1}, Shape{}}) {
    const BlockLayout l = BlockLayout::derive(Shape{4, 6}, scale, kDerived);
    EXPECT_TRUE(l.is_per_tensor()) << scale.str();
    EXPECT_EQ(l.scale_shape(), (Shape{1, 1})) << scale.str();
  }
}

TEST(BlockLayoutPerTensor, RankZeroInput) {
  const BlockLayout l = BlockLayout::derive(Shape{}, Shape{1}, kDerived);
  EXPECT_TRUE(l.is_per_tensor());
  EXPECT_EQ(l.scale_shape(), Shape{});
  EXPECT_TRUE(l.block_size().empty());
  EXPECT_EQ(l.scale_index({}), 0);
  EXPECT_EQ(l.describe(), "per_tensor, block [], scale []");
}

// K = 1 per-channel weight [1, In] with scale [1, 1]: by shape alone it is
// per-tensor (SPEC section 2: the operator's channel axis must come from the
// operator).
TEST(BlockLayoutPerTensor, PerChannelWeightWithOneOutputChannelReadsAsPerTensor) {
  const BlockLayout l = BlockLayout::derive(Shape{1, 8}, Shape{1, 1}, kDerived);
  EXPECT_EQ(l.classify(), LayoutClass::per_tensor);
  EXPECT_THAT(l.block_size(), ElementsAre(1, 8));
}

// ---------------------------------------------------------------- per-channel

TEST(BlockLayoutPerChannel, Axis0) {
  const BlockLayout l = BlockLayout::derive(Shape{4, 8}, Shape{4, 1}, kDerived);
  EXPECT_EQ(l.classify(), LayoutClass::per_channel);
  EXPECT_TRUE(l.is_per_channel());
  EXPECT_FALSE(l.is_per_tensor());
  EXPECT_THAT(l.block_size(), ElementsAre(1, 8));
  EXPECT_EQ(l.channel_axis(), std::optional<int>(0));
  EXPECT_EQ(l.group_axes(), std::nullopt);
  EXPECT_EQ(index_of(l, {2, 5}), 2);
  EXPECT_EQ(l.describe(), "per_channel axis 0, block [1, 8], scale [4, 1]");
}

TEST(BlockLayoutPerChannel, EveryAxisOfARankFourTensor) {
  const Shape input{2, 3, 4, 5};
  const std::array<int64_t, 4> index{1, 2, 3, 4};
  for (int axis = 0; axis < 4; ++axis) {
    Shape scale = Shape::ones(4);
    scale[axis] = input[axis];
    const BlockLayout l = BlockLayout::derive(input, scale, kDerived);
    EXPECT_EQ(l.classify(), LayoutClass::per_channel) << "axis " << axis;
    EXPECT_EQ(l.channel_axis(), std::optional<int>(axis));
    EXPECT_THAT(l.varying_dims(), ElementsAre(axis));
    for (int d = 0; d < 4; ++d) {
      EXPECT_EQ(l.block(d), d == axis ? 1 : input[d]) << "axis " << axis << " dim " << d;
    }
    // The scale has one varying dim, so the flat scale index is index[axis].
    EXPECT_EQ(l.scale_index(index), index[axis]) << "axis " << axis;
  }
}

TEST(BlockLayoutPerChannel, InputDimOfOneAlongTheChannelAxisStillCounts) {
  // [4, 1] on [4, 1]: block (1, 1), U = {0}.
  const BlockLayout l = BlockLayout::derive(Shape{4, 1}, Shape{4, 1}, kDerived);
  EXPECT_EQ(l.classify(), LayoutClass::per_channel);
  EXPECT_EQ(l.channel_axis(), std::optional<int>(0));
}

// Per-group with G = 1 (one group spanning In) is per-channel by shape.
TEST(BlockLayoutPerChannel, PerGroupWithASingleGroupIsPerChannel) {
  const BlockLayout l = BlockLayout::derive(Shape{4, 8}, Shape{4, 1}, kDerived);
  EXPECT_EQ(l.classify(), LayoutClass::per_channel);
  EXPECT_EQ(l.group_axes(), std::nullopt);
}

// ---------------------------------------------------------------- per-group

TEST(BlockLayoutPerGroup, GroupsAlongTheLastDim) {
  // [K = 4, In = 8] with [4, 2]: group size 4.
  const BlockLayout l = BlockLayout::derive(Shape{4, 8}, Shape{4, 2}, kDerived);
  EXPECT_EQ(l.classify(), LayoutClass::per_group);
  EXPECT_TRUE(l.is_per_group());
  EXPECT_THAT(l.block_size(), ElementsAre(1, 4));
  EXPECT_EQ(l.channel_axis(), std::nullopt);  // |U| = 2
  EXPECT_EQ(l.group_axes(), (std::optional<std::pair<int, int>>({0, 1})));
  // Element (3, 5) uses scale (3 / 1, 5 / 4) = (3, 1): flat 3 * 2 + 1 = 7.
  EXPECT_EQ(index_of(l, {3, 5}), 7);
  EXPECT_EQ(index_of(l, {0, 3}), 0);
  EXPECT_EQ(index_of(l, {0, 4}), 1);
  EXPECT_EQ(l.describe(),
            "per_group channel dim 0 group dim 1 (g = 4), block [1, 4], scale [4, 2]");
}

TEST(BlockLayoutPerGroup, GroupsAlongTheFirstDim) {
  // [8, 4] with [2, 4]: blocks (4, 1), channel dim 1, group dim 0.
  const BlockLayout l = BlockLayout::derive(Shape{8, 4}, Shape{2, 4}, kDerived);
  EXPECT_EQ(l.classify(), LayoutClass::per_group);
  EXPECT_EQ(l.group_axes(), (std::optional<std::pair<int, int>>({1, 0})));
  // (5, 3) -> (5 / 4, 3 / 1) = (1, 3): flat 1 * 4 + 3 = 7.
  EXPECT_EQ(index_of(l, {5, 3}), 7);
}

TEST(BlockLayoutPerGroup, KEqualToIn) {
  const BlockLayout l = BlockLayout::derive(Shape{4, 4}, Shape{4, 2}, kDerived);
  EXPECT_EQ(l.classify(), LayoutClass::per_group);
  EXPECT_EQ(l.group_axes(), (std::optional<std::pair<int, int>>({0, 1})));
}

TEST(BlockLayoutPerGroup, InRankThreeWithABatchDimOfOne) {
  // [1, 4, 8] with [1, 4, 2]: U = {1, 2}, blocks (1, 4).
  const BlockLayout l = BlockLayout::derive(Shape{1, 4, 8}, Shape{1, 4, 2}, kDerived);
  EXPECT_EQ(l.classify(), LayoutClass::per_group);
  EXPECT_EQ(l.group_axes(), (std::optional<std::pair<int, int>>({1, 2})));
  EXPECT_EQ(index_of(l, {0, 2, 6}), 2 * 2 + 1);
}

// ---------------------------------------------------------------- blockwise

// K = 1 weight [1, In] with scale [1, G]: |U| = 1 but the block along it is
// In / G > 1, so it is blockwise, and channel_axis() says 1 although the
// operator's channel axis is 0 (SPEC section 2).
TEST(BlockLayoutBlockwise, KEqualsOneWeightWithGroupScale) {
  const BlockLayout l = BlockLayout::derive(Shape{1, 8}, Shape{1, 2}, kDerived);
  EXPECT_EQ(l.classify(), LayoutClass::blockwise);
  EXPECT_FALSE(l.is_per_group());
  EXPECT_FALSE(l.is_per_channel());
  EXPECT_THAT(l.block_size(), ElementsAre(1, 4));
  EXPECT_EQ(l.channel_axis(), std::optional<int>(1));
  EXPECT_EQ(l.group_axes(), std::nullopt);
  EXPECT_EQ(index_of(l, {0, 5}), 1);
  EXPECT_EQ(l.describe(), "blockwise, block [1, 4], scale [1, 2]");
}

TEST(BlockLayoutBlockwise, OneDimensionalBlocksWithoutAChannelDim) {
  const BlockLayout l = BlockLayout::derive(Shape{12}, Shape{3}, kDerived);
  EXPECT_EQ(l.classify(), LayoutClass::blockwise);
  EXPECT_EQ(l.channel_axis(), std::optional<int>(0));
  EXPECT_EQ(index_of(l, {7}), 1);
  const BlockLayout r3 = BlockLayout::derive(Shape{2, 4, 6}, Shape{1, 1, 2}, kDerived);
  EXPECT_EQ(r3.classify(), LayoutClass::blockwise);
  EXPECT_EQ(r3.channel_axis(), std::optional<int>(2));
}

TEST(BlockLayoutBlockwise, ElementwiseScale) {
  const BlockLayout l = BlockLayout::derive(Shape{2, 3}, Shape{2, 3}, kDerived);
  EXPECT_EQ(l.classify(), LayoutClass::blockwise);  // both blocks 1: not per_group
  EXPECT_THAT(l.block_size(), ElementsAre(1, 1));
  EXPECT_EQ(l.channel_axis(), std::nullopt);
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(index_of(l, {i, j}), i * 3 + j);
  }
}

TEST(BlockLayoutBlockwise, TwoDimensionalTiles) {
  // [4, 6] with [2, 3]: 2x2 tiles.
  const BlockLayout l = BlockLayout::derive(Shape{4, 6}, Shape{2, 3}, kDerived);
  EXPECT_EQ(l.classify(), LayoutClass::blockwise);
  EXPECT_THAT(l.block_size(), ElementsAre(2, 2));
  EXPECT_EQ(l.channel_axis(), std::nullopt);
  EXPECT_EQ(l.group_axes(), std::nullopt);
  // (3, 5) -> (1, 2): flat 1 * 3 + 2 = 5; (2, 1) -> (1, 0): 3.
  EXPECT_EQ(index_of(l, {3, 5}), 5);
  EXPECT_EQ(index_of(l, {2, 1}), 3);
  EXPECT_EQ(l.describe(), "blockwise, block [2, 2], scale [2, 3]");
}

TEST(BlockLayoutBlockwise, ThreeVaryingDims) {
  const BlockLayout l = BlockLayout::derive(Shape{2, 3, 4}, Shape{2, 3, 2}, kDerived);
  EXPECT_EQ(l.classify(), LayoutClass::blockwise);
  EXPECT_THAT(l.varying_dims(), ElementsAre(0, 1, 2));
  // (1, 2, 3) -> (1, 2, 1): flat (1 * 3 + 2) * 2 + 1 = 11.
  EXPECT_EQ(index_of(l, {1, 2, 3}), 11);
}

// ---------------------------------------------------------------- explicit mode

TEST(BlockLayoutExplicit, PartialLastBlocks) {
  // [5, 7] with block_size (2, 3): scale [ceil(5/2), ceil(7/3)] = [3, 3].
  const BlockLayout l = BlockLayout::derive(Shape{5, 7}, Shape{3, 3}, blocks({2, 3}));
  EXPECT_TRUE(l.is_explicit());
  EXPECT_EQ(l.classify(), LayoutClass::blockwise);
  EXPECT_THAT(l.block_size(), ElementsAre(2, 3));
  // Last row 4 and last column 6 fall in the partial blocks (2, 2).
  EXPECT_EQ(index_of(l, {4, 6}), 2 * 3 + 2);
  EXPECT_EQ(index_of(l, {1, 2}), 0);
  EXPECT_EQ(index_of(l, {2, 3}), 1 * 3 + 1);
  EXPECT_EQ(l.describe(), "blockwise, block [2, 3], scale [3, 3] (explicit)");
}

TEST(BlockLayoutExplicit, PerGroupWithAPartialLastGroup) {
  // [3, 5] with block (1, 2): scale [3, 3], the last group holds one column.
  const BlockLayout l = BlockLayout::derive(Shape{3, 5}, Shape{3, 3}, blocks({1, 2}));
  EXPECT_EQ(l.classify(), LayoutClass::per_group);
  EXPECT_EQ(l.group_axes(), (std::optional<std::pair<int, int>>({0, 1})));
  EXPECT_EQ(index_of(l, {2, 4}), 2 * 3 + 2);
}

TEST(BlockLayoutExplicit, BlockLargerThanTheDimIsOneBlock) {
  const BlockLayout l = BlockLayout::derive(Shape{3, 4}, Shape{3, 1}, blocks({1, 10}));
  EXPECT_EQ(l.classify(), LayoutClass::per_channel);
  EXPECT_EQ(l.channel_axis(), std::optional<int>(0));
  EXPECT_THAT(l.block_size(), ElementsAre(1, 10));
  EXPECT_EQ(index_of(l, {2, 3}), 2);
}

TEST(BlockLayoutExplicit, WholeTensorBlockIsPerTensor) {
  const BlockLayout l = BlockLayout::derive(Shape{3, 4}, Shape{1, 1}, blocks({3, 4}));
  EXPECT_EQ(l.classify(), LayoutClass::per_tensor);
  EXPECT_TRUE(l.is_explicit());
}

TEST(BlockLayoutExplicit, ZeroSizeDimHasOneEmptyBlock) {
  const BlockLayout l = BlockLayout::derive(Shape{0, 4}, Shape{1, 2}, blocks({2, 2}));
  EXPECT_THAT(l.block_size(), ElementsAre(2, 2));
  EXPECT_EQ(l.scale_shape(), (Shape{1, 2}));
}

// ---------------------------------------------------------------- zero-size (derived)

TEST(BlockLayoutZeroSize, ZeroDimNeedsScaleDimOne) {
  const BlockLayout l = BlockLayout::derive(Shape{0, 4}, Shape{1, 4}, kDerived);
  EXPECT_THAT(l.block_size(), ElementsAre(0, 1));  // 0 / 1 = 0
  EXPECT_EQ(l.classify(), LayoutClass::per_channel);
  EXPECT_EQ(l.channel_axis(), std::optional<int>(1));
  const BlockLayout g = BlockLayout::derive(Shape{0, 4}, Shape{1, 2}, kDerived);
  EXPECT_EQ(g.classify(), LayoutClass::blockwise);
  const BlockLayout t = BlockLayout::derive(Shape{0, 4}, Shape{}, kDerived);
  EXPECT_TRUE(t.is_per_tensor());
  EXPECT_THAT(t.block_size(), ElementsAre(0, 4));
}

TEST(BlockLayoutZeroSize, ZeroDimWithScaleDimAboveOneIsNonDivisible) {
  const auto e = error_of([] { BlockLayout::derive(Shape{0, 4}, Shape{2, 4}, kDerived); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::non_divisible_block);
  EXPECT_STREQ(e->what(), "input dim 0 has size 0, which needs scale dim 0 of size 1, got 2");
}

// ---------------------------------------------------------------- errors

TEST(BlockLayoutErrors, NonDivisibleNamesDimAndSizesAsInSpecSection10) {
  const auto e = error_of([] { BlockLayout::derive(Shape{4, 10}, Shape{4, 3}, kDerived); });
  ASSERT_TRUE(e);
  EXPECT_EQ(error_kind_name(e->kind()), "non_divisible_block");
  EXPECT_STREQ(e->what(), "input dim 1 (size 10) is not divisible by scale dim 1 (size 3)");
}

TEST(BlockLayoutErrors, ScaleDimLargerThanInputDimIsNonDivisible) {
  const auto e = error_of([] { BlockLayout::derive(Shape{4, 2}, Shape{4, 3}, kDerived); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::non_divisible_block);
  EXPECT_STREQ(e->what(), "input dim 1 (size 2) is not divisible by scale dim 1 (size 3)");
}

TEST(BlockLayoutErrors, RankMismatchNamesBothShapes) {
  const auto e = error_of([] { BlockLayout::derive(Shape{4, 8}, Shape{4}, kDerived); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
  EXPECT_THAT(e->what(), ::testing::HasSubstr(
                             "scale has rank 1 (shape [4]), input has rank 2 (shape [4, 8])"));
}

TEST(BlockLayoutErrors, ZeroScaleDimIsInvalidShape) {
  const auto e = error_of([] { BlockLayout::derive(Shape{4, 8}, Shape{4, 0}, kDerived); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
  EXPECT_STREQ(e->what(), "scale dim 1 has size 0, must be >= 1");
}

// Shape errors of every dim come before divisibility errors: dim 0 is not
// divisible (10 % 3) but dim 1 has a zero scale dim, so invalid_shape wins.
TEST(BlockLayoutErrors, ShapeErrorsOfAllDimsBeforeDivisibility) {
  const auto e = error_of([] { BlockLayout::derive(Shape{10, 4}, Shape{3, 0}, kDerived); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
  EXPECT_THAT(e->what(), ::testing::HasSubstr("scale dim 1"));
}

TEST(BlockLayoutErrors, ExplicitBlockSizeOfTheWrongLength) {
  const auto e = error_of([] { BlockLayout::derive(Shape{4, 8}, Shape{4, 1}, blocks({1})); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
  EXPECT_STREQ(e->what(), "block_size has 1 entries, input has rank 2");
}

TEST(BlockLayoutErrors, ExplicitBlockBelowOne) {
  for (int64_t bad : {int64_t{0}, int64_t{-2}}) {
    const auto e = error_of([&] {
      BlockLayout::derive(Shape{4, 8}, Shape{4, 1}, blocks({1, bad}));
    });
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
    EXPECT_EQ(std::string(e->what()), "block_size[1] is " + std::to_string(bad) + ", must be >= 1");
  }
}

TEST(BlockLayoutErrors, ExplicitScaleDimNotCeilOfInputOverBlock) {
  const auto e = error_of([] { BlockLayout::derive(Shape{5, 7}, Shape{2, 3}, blocks({2, 3})); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
  EXPECT_STREQ(e->what(), "scale dim 0 has size 2, expected ceil(5 / 2) = 3 for block_size[0] = 2");
}

// In explicit mode a one-element scale is per-tensor only when the blocks
// cover the tensor; [1, 1] with blocks (1, 1) on [3, 4] needs scale [3, 4].
TEST(BlockLayoutErrors, ExplicitModeChecksOneElementScalesToo) {
  const auto e = error_of([] { BlockLayout::derive(Shape{3, 4}, Shape{1, 1}, blocks({1, 1})); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
  EXPECT_THAT(e->what(), ::testing::HasSubstr("expected ceil(3 / 1) = 3"));
}

// A scale shape whose element count overflows int64 (it can only come from
// a caller that builds Shapes directly) must not be multiplied out.
TEST(BlockLayoutErrors, HugeElementwiseShapesDoNotOverflow) {
  const Shape huge{int64_t{1} << 40, int64_t{1} << 40};
  const BlockLayout l = BlockLayout::derive(huge, huge, kDerived);
  EXPECT_FALSE(l.is_per_tensor());
  EXPECT_EQ(l.classify(), LayoutClass::blockwise);
  const BlockLayout d = BlockLayout::from_divisible_blocks(huge, std::vector<int64_t>{1, 1});
  EXPECT_FALSE(d.is_per_tensor());
  EXPECT_EQ(d.scale_shape(), huge);
}

// ---------------------------------------------------------------- choose_qparams blocks

TEST(BlockLayoutDivisible, ScaleShapeIsInputOverBlock) {
  const std::vector<int64_t> b{1, 4};
  const BlockLayout l = BlockLayout::from_divisible_blocks(Shape{4, 8}, b);
  EXPECT_TRUE(l.is_explicit());
  EXPECT_EQ(l.scale_shape(), (Shape{4, 2}));
  EXPECT_EQ(l.classify(), LayoutClass::per_group);
  const std::vector<int64_t> whole{4, 8};
  EXPECT_TRUE(BlockLayout::from_divisible_blocks(Shape{4, 8}, whole).is_per_tensor());
  // A zero-size dim divided into blocks of 1 gives a zero-size scale dim.
  const std::vector<int64_t> z{1, 4};
  EXPECT_EQ(BlockLayout::from_divisible_blocks(Shape{0, 4}, z).scale_shape(), (Shape{0, 1}));
}

TEST(BlockLayoutDivisible, Errors) {
  const std::vector<int64_t> three{1, 3};
  const auto e = error_of([&] { BlockLayout::from_divisible_blocks(Shape{4, 10}, three); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::non_divisible_block);
  EXPECT_STREQ(e->what(), "input dim 1 (size 10) is not divisible by block_size[1] = 3");

  const std::vector<int64_t> short_blocks{4};
  const auto s = error_of([&] { BlockLayout::from_divisible_blocks(Shape{4, 10}, short_blocks); });
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind(), ErrorKind::invalid_shape);
  EXPECT_STREQ(s->what(), "block_size has 1 entries, input has rank 2");

  // Block < 1 anywhere is invalid_shape, even when an earlier dim is not
  // divisible (shape errors first).
  const std::vector<int64_t> zero{3, 0};
  const auto z = error_of([&] { BlockLayout::from_divisible_blocks(Shape{4, 10}, zero); });
  ASSERT_TRUE(z);
  EXPECT_EQ(z->kind(), ErrorKind::invalid_shape);
  EXPECT_STREQ(z->what(), "block_size[1] is 0, must be >= 1");
}

}  // namespace
}  // namespace qdiff
