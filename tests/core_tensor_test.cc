// Unit tests of core/tensor.h (construction, element cap, typed access,
// reshape, bitwise equality), core/quant_params.h and core/float_bits.h.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "core/error.h"
#include "core/float_bits.h"
#include "core/limits.h"
#include "core/quant_params.h"
#include "core/tensor.h"
#include "tests/test_util.h"

namespace qdiff {

using test_util::error_of;

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Tensor, DefaultIsAnF32ScalarZero) {
  const Tensor t;
  EXPECT_EQ(t.dtype(), DType::f32);
  EXPECT_EQ(t.shape(), Shape{});
  EXPECT_EQ(t.numel(), 1);
  EXPECT_EQ(f32_bits(t.f32_at(0)), 0u);  // +0.0, not -0.0
}

TEST(Tensor, ConstructionZeroFillsAndSizesTheStorage) {
  const Tensor t(DType::i16, Shape{2, 3});
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.nbytes(), 12u);
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(t.int_at(i), 0);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw()) % 64, 0u);
}

TEST(Tensor, ZeroSizeTensorHasNoElementsButAValidPointer) {
  const Tensor t(DType::f32, Shape{3, 0});
  EXPECT_EQ(t.numel(), 0);
  EXPECT_EQ(t.nbytes(), 0u);
  EXPECT_NE(t.raw(), nullptr);
  EXPECT_TRUE(t.data<float>().empty());
}

TEST(Tensor, OfCopiesValuesInRowMajorOrder) {
  const Tensor t = Tensor::of<int8_t>(Shape{2, 2}, {-128, -1, 0, 127});
  EXPECT_EQ(t.dtype(), DType::i8);
  EXPECT_THAT(t.data<int8_t>(), ElementsAre(-128, -1, 0, 127));
  EXPECT_EQ(t.int_at(0), -128);
  EXPECT_EQ(t.value_at(3), 127.0);
  const Tensor u = Tensor::of<uint16_t>(Shape{1}, {65535});
  EXPECT_EQ(u.int_at(0), 65535);
  const Tensor w = Tensor::of<int32_t>(Shape{1}, {-2147483647 - 1});
  EXPECT_EQ(w.value_at(0), -2147483648.0);
}

TEST(Tensor, OfWithTheWrongValueCountIsInvalidShapeNamingBoth) {
  const auto e = error_of([] { Tensor::of<float>(Shape{2, 3}, {1.0f, 2.0f}); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
  EXPECT_STREQ(e->what(), "tensor of shape [2, 3] needs 6 values, got 2");
}

TEST(Tensor, AboveTheElementCapIsTooLargeNotAnAllocationFailure) {
  // 2^26 + 1 elements, one over the default cap.
  const auto e = error_of([] { Tensor(DType::u8, Shape{(int64_t{1} << 26) + 1}); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::too_large);
  // A shape whose element count overflows int64 is too_large as well.
  const auto o = error_of([] { Tensor(DType::f32, Shape{int64_t{1} << 40, int64_t{1} << 40}); });
  ASSERT_TRUE(o);
  EXPECT_EQ(o->kind(), ErrorKind::too_large);
}

TEST(Tensor, LoweredCapAppliesToConstruction) {
  const int64_t saved = max_elements();
  set_max_elements(4);
  const auto e = error_of([] { Tensor(DType::f32, Shape{5}); });
  const auto ok = error_of([] { Tensor(DType::f32, Shape{2, 2}); });
  set_max_elements(saved);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::too_large);
  EXPECT_FALSE(ok);
}

TEST(Tensor, TypedAccessWithTheWrongTypeIsUnsupported) {
  const Tensor t = Tensor::of<float>(Shape{1}, {1.0f});
  const auto e = error_of([&] { t.data<int32_t>(); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::unsupported);
  EXPECT_STREQ(e->what(), "tensor has dtype f32, accessed as i32");
  const Tensor q = Tensor::of<uint8_t>(Shape{1}, {7});
  const auto f = error_of([&] { q.f32_at(0); });
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind(), ErrorKind::unsupported);
}

TEST(Tensor, ReshapedKeepsDataAndRejectsAnotherElementCount) {
  const Tensor t = Tensor::of<float>(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor r = t.reshaped(Shape{3, 1, 2});
  EXPECT_EQ(r.shape(), (Shape{3, 1, 2}));
  EXPECT_THAT(r.data<float>(), ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_EQ(t.shape(), (Shape{2, 3}));  // the original is unchanged
  const auto e = error_of([&] { t.reshaped(Shape{4}); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
  EXPECT_STREQ(e->what(), "cannot reshape [2, 3] (6 elements) to [4]");
  const auto o = error_of([&] { t.reshaped(Shape{int64_t{1} << 32, int64_t{1} << 32}); });
  ASSERT_TRUE(o);
  EXPECT_EQ(o->kind(), ErrorKind::invalid_shape);
}

TEST(Tensor, CopiesAreDeep) {
  Tensor a = Tensor::of<float>(Shape{2}, {1.0f, 2.0f});
  Tensor b = a;
  b.data<float>()[0] = 9.0f;
  EXPECT_EQ(a.f32_at(0), 1.0f);
  Tensor c;
  c = a;
  a.data<float>()[1] = 7.0f;
  EXPECT_EQ(c.f32_at(1), 2.0f);
}

TEST(Tensor, BitwiseEqualDistinguishesSignedZerosAndComparesNanBits) {
  const Tensor pos = Tensor::of<float>(Shape{1}, {0.0f});
  const Tensor neg = Tensor::of<float>(Shape{1}, {-0.0f});
  EXPECT_TRUE(pos.bitwise_equal(pos));
  EXPECT_FALSE(pos.bitwise_equal(neg));  // 0.0 == -0.0 numerically, not bitwise
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor n1 = Tensor::of<float>(Shape{1}, {nan});
  const Tensor n2 = Tensor::of<float>(Shape{1}, {nan});
  EXPECT_TRUE(n1.bitwise_equal(n2));  // NaN != NaN numerically, same bits
  const Tensor n3 = Tensor::of<float>(Shape{1}, {f32_from_bits(0x7fc00001u)});
  EXPECT_FALSE(n1.bitwise_equal(n3));
}

TEST(Tensor, BitwiseEqualComparesDtypeAndShape) {
  const Tensor a = Tensor::of<int32_t>(Shape{2, 2}, {1, 2, 3, 4});
  EXPECT_FALSE(a.bitwise_equal(a.reshaped(Shape{4})));  // same bytes, other shape
  EXPECT_FALSE(Tensor::of<int32_t>(Shape{1}, {0})
                   .bitwise_equal(Tensor::of<float>(Shape{1}, {0.0f})));  // same bytes, other dtype
  EXPECT_TRUE(Tensor(DType::i8, Shape{0, 3}).bitwise_equal(Tensor(DType::i8, Shape{0, 3})));
  EXPECT_FALSE(Tensor(DType::i8, Shape{0, 3}).bitwise_equal(Tensor(DType::i8, Shape{3, 0})));
}

TEST(QuantParams, PerTensorBuildsScalarScaleAndZeroPoint) {
  const QuantParams p = QuantParams::per_tensor(0.5f, 3, DType::u8, 0, 255);
  EXPECT_EQ(p.scale.shape(), Shape{});
  EXPECT_EQ(p.scale.f32_at(0), 0.5f);
  ASSERT_TRUE(p.zero_point);
  EXPECT_EQ(p.zero_point->dtype(), DType::i32);
  EXPECT_EQ(p.zero_point->int_at(0), 3);
  EXPECT_EQ(p.dtype, DType::u8);
  EXPECT_EQ(p.quant_min, 0);
  EXPECT_EQ(p.quant_max, 255);
  EXPECT_EQ(p.zero_point_domain, ZeroPointDomain::int_domain);
  EXPECT_FALSE(p.block_size);
}

TEST(QuantParams, ForTypeTakesStorageAndRangeFromTheName) {
  const QuantParams p = QuantParams::for_type("i4", Tensor::of<float>(Shape{2, 1}, {1.0f, 2.0f}));
  EXPECT_EQ(p.dtype, DType::i8);
  EXPECT_EQ(p.quant_min, -8);
  EXPECT_EQ(p.quant_max, 7);
  EXPECT_FALSE(p.zero_point);
  const auto e = error_of([] { QuantParams::for_type("i9", Tensor()); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::unsupported);
  EXPECT_THAT(e->what(), HasSubstr("'i9'"));
}

TEST(QuantParams, SummaryNamesShapesTypeRangeDomainAndBlocks) {
  QuantParams p =
      QuantParams::for_type("u4", Tensor(DType::f32, Shape{2, 1}), Tensor(DType::i32, Shape{2, 1}));
  EXPECT_EQ(p.summary(), "scale [2, 1] zp [2, 1] u8 [0, 15] int");
  p.zero_point.reset();
  p.zero_point_domain = ZeroPointDomain::none;
  p.block_size = std::vector<int64_t>{1, 4};
  EXPECT_EQ(p.summary(), "scale [2, 1] u8 [0, 15] none block_size [1, 4]");
}

TEST(ChooseQParamsArgs, DefaultsAreAsymmetricI8WithEpsFltMin) {
  const ChooseQParamsArgs a;
  EXPECT_EQ(a.mapping, Mapping::asymmetric);
  EXPECT_EQ(a.dtype, DType::i8);
  EXPECT_EQ(a.quant_min, -128);
  EXPECT_EQ(a.quant_max, 127);
  EXPECT_EQ(a.eps, std::numeric_limits<float>::min());
  EXPECT_EQ(a.zero_point_domain, ZeroPointDomain::int_domain);
  EXPECT_FALSE(a.block_size);
}

TEST(FloatBits, ValidScaleIsFinitePositiveAndNormal) {
  constexpr float kMin = std::numeric_limits<float>::min();
  EXPECT_TRUE(is_valid_scale_value(kMin));
  EXPECT_TRUE(is_valid_scale_value(1.0f));
  EXPECT_TRUE(is_valid_scale_value(std::numeric_limits<float>::max()));
  EXPECT_FALSE(is_valid_scale_value(next_down(kMin)));  // largest subnormal
  EXPECT_FALSE(is_valid_scale_value(std::numeric_limits<float>::denorm_min()));
  EXPECT_FALSE(is_valid_scale_value(0.0f));
  EXPECT_FALSE(is_valid_scale_value(-0.0f));
  EXPECT_FALSE(is_valid_scale_value(-1.0f));
  EXPECT_FALSE(is_valid_scale_value(std::numeric_limits<float>::infinity()));
  EXPECT_FALSE(is_valid_scale_value(std::numeric_limits<float>::quiet_NaN()));
}

TEST(FloatBits, BitsAndNeighbours) {
  EXPECT_EQ(f32_bits(1.0f), 0x3f800000u);
  EXPECT_EQ(f32_bits(-0.0f), 0x80000000u);
  EXPECT_EQ(f32_from_bits(0x3f800001u), next_up(1.0f));
  EXPECT_EQ(f32_from_bits(0x3f7fffffu), next_down(1.0f));
  EXPECT_EQ(f32_bits(next_up(0.0f)), 1u);  // the smallest subnormal
}

}  // namespace
}  // namespace qdiff
