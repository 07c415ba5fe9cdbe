// Unit tests of core/shape.h and core/limits.h: rank limit, negative dims,
// numel with overflow, printing, strides and the element cap.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/limits.h"
#include "core/shape.h"
#include "tests/test_util.h"

namespace qdiff {

using test_util::error_of;

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Shape, DefaultIsARankZeroScalarWithOneElement) {
  const Shape s;
  EXPECT_EQ(s.rank(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(s.checked_numel(), std::optional<int64_t>(1));
  EXPECT_EQ(s.str(), "[]");
}

TEST(Shape, HoldsDimsInOrderAndPrintsThem) {
  const Shape s{2, 3, 4};
  EXPECT_EQ(s.rank(), 3);
  EXPECT_THAT(s.dims(), ElementsAre(2, 3, 4));
  EXPECT_EQ(s.numel(), 24);
  EXPECT_EQ(s.str(), "[2, 3, 4]");
}

TEST(Shape, AcceptsRankEight) {
  const std::vector<int64_t> dims(8, 2);
  const Shape s = Shape::from(dims);
  EXPECT_EQ(s.rank(), 8);
  EXPECT_EQ(s.numel(), 256);
}

TEST(Shape, RejectsRankNineNamingTheArgumentAndTheLimit) {
  const std::vector<int64_t> dims(9, 1);
  const auto e = error_of([&] { Shape::from(dims, "input"); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
  EXPECT_STREQ(e->what(), "input has rank 9, the limit is 8");
}

TEST(Shape, PushBackPastRankEightIsInvalidShape) {
  Shape s = Shape::ones(8);
  const auto e = error_of([&] { s.push_back(1); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
  EXPECT_EQ(s.rank(), 8);
}

TEST(Shape, RejectsANegativeDimNamingDimAndSize) {
  const std::vector<int64_t> dims{4, -3};
  const auto e = error_of([&] { Shape::from(dims, "scale"); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
  EXPECT_STREQ(e->what(), "scale dim 1 has negative size -3");
  // The initializer-list constructor goes through the same check.
  const auto e2 = error_of([] { Shape{-1}; });
  ASSERT_TRUE(e2);
  EXPECT_EQ(e2->kind(), ErrorKind::invalid_shape);
}

TEST(Shape, ZeroSizeDimGivesZeroElements) {
  const Shape s{3, 0, 5};
  EXPECT_EQ(s.numel(), 0);
  EXPECT_EQ(s.checked_numel(), std::optional<int64_t>(0));
  EXPECT_EQ(s.str(), "[3, 0, 5]");
}

TEST(Shape, CheckedNumelDetectsInt64Overflow) {
  // 2^32 * 2^32 = 2^64 > INT64_MAX.
  const Shape s{int64_t{1} << 32, int64_t{1} << 32};
  EXPECT_EQ(s.checked_numel(), std::nullopt);
  // 2^31 * 2^31 = 2^62 fits.
  const Shape fits{int64_t{1} << 31, int64_t{1} << 31};
  EXPECT_EQ(fits.checked_numel(), std::optional<int64_t>(int64_t{1} << 62));
  // A zero dim anywhere makes the product 0 even when the others overflow.
  const Shape zero{int64_t{1} << 40, int64_t{1} << 40, 0};
  EXPECT_EQ(zero.checked_numel(), std::optional<int64_t>(0));
}

TEST(Shape, EqualityComparesRankAndDims) {
  EXPECT_EQ((Shape{2, 3}), (Shape{2, 3}));
  EXPECT_NE((Shape{2, 3}), (Shape{3, 2}));
  EXPECT_NE((Shape{2, 3}), (Shape{2, 3, 1}));
  EXPECT_NE(Shape{}, (Shape{1}));
  EXPECT_EQ(Shape::ones(3), (Shape{1, 1, 1}));
}

TEST(Shape, RowMajorStrides) {
  const auto st = row_major_strides(Shape{2, 3, 4});
  EXPECT_EQ(st[0], 12);
  EXPECT_EQ(st[1], 4);
  EXPECT_EQ(st[2], 1);
}

TEST(ElementCap, DefaultIsTwoToThe26) {
  EXPECT_EQ(kDefaultMaxElements, int64_t{1} << 26);
  EXPECT_EQ(max_elements(), kDefaultMaxElements);
}

TEST(ElementCap, CheckReturnsTheCountOrThrowsTooLarge) {
  EXPECT_EQ(check_element_cap(Shape{int64_t{1} << 13, int64_t{1} << 13}, "input"),
            int64_t{1} << 26);  // exactly at the cap is allowed
  const auto e = error_of([] { check_element_cap(Shape{(int64_t{1} << 26) + 1}, "input"); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::too_large);
  EXPECT_THAT(e->what(), HasSubstr("input shape [67108865]"));
  // An overflowing product is too_large as well, never wrapped.
  const auto o = error_of([] {
    check_element_cap(Shape{int64_t{1} << 32, int64_t{1} << 32}, "scale");
  });
  ASSERT_TRUE(o);
  EXPECT_EQ(o->kind(), ErrorKind::too_large);
  EXPECT_THAT(o->what(), HasSubstr("scale shape [4294967296, 4294967296]"));
}

TEST(ElementCap, SetMaxElementsLowersTheCap) {
  const int64_t saved = max_elements();
  set_max_elements(10);
  const auto e = error_of([] { check_element_cap(Shape{11}, "input"); });
  EXPECT_EQ(check_element_cap(Shape{10}, "input"), 10);
  set_max_elements(saved);  // restore before any assertion can return early
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::too_large);
  EXPECT_THAT(e->what(), HasSubstr("more than 10 elements"));
}

}  // namespace
}  // namespace qdiff
