// Every error kind the reference raises (SPEC section 10) with a message that
// names the argument, and the canonical validation order of
// reference/validate.h: an input with two defects reports the earlier step.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/float_bits.h"
#include "core/limits.h"
#include "core/quant_params.h"
#include "reference/choose_qparams.h"
#include "reference/dequantize.h"
#include "reference/fake_quantize.h"
#include "reference/quantize.h"
#include "tests/test_util.h"

namespace qdiff::reference {

using test_util::error_of;
using test_util::CapGuard;

namespace {

using ::testing::HasSubstr;

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Lowers the element cap for its scope and restores it even when an
// assertion or an exception leaves the scope early.
// A valid quantize setup that each test breaks in one or two places:
// x [2, 4] f32, per-channel scale [2, 1], zp [2, 1] i32, i8 [-128, 127].
struct ValidCase {
  Tensor x = Tensor::of<float>(Shape{2, 4}, {0, 1, 2, 3, 4, 5, 6, 7});
  QuantParams p = [] {
    QuantParams p;
    p.scale = Tensor::of<float>(Shape{2, 1}, {0.5f, 1.0f});
    p.zero_point = Tensor::of<int32_t>(Shape{2, 1}, {0, 1});
    return p;
  }();
  Tensor q = Tensor::of<int8_t>(Shape{2, 4}, {0, 1, 2, 3, 4, 5, 6, 7});
};

// Runs quantize (and fake_quantize, which validates the same way) and
// returns the error; both must agree.
std::optional<Error> quantize_error(const ValidCase& s) {
  const auto e = error_of([&] { quantize_affine(s.x, s.p); });
  const auto f = error_of([&] { fake_quantize_affine(s.x, s.p); });
  EXPECT_EQ(e.has_value(), f.has_value());
  if (e && f) {
    EXPECT_EQ(e->kind(), f->kind()) << e->what() << " vs " << f->what();
  }
  return e;
}

std::optional<Error> dequantize_error(const ValidCase& s) {
  return error_of([&] { dequantize_affine(s.q, s.p); });
}

TEST(ReferenceErrors, TheValidSetupIsValid) {
  const ValidCase s;
  EXPECT_FALSE(quantize_error(s));
  EXPECT_FALSE(dequantize_error(s));
}

// ------------------------------------------------------------ unsupported

TEST(ReferenceErrors, UnsupportedDtypes) {
  {
    ValidCase s;
    s.p.dtype = DType::f32;  // not an integer storage type
    const auto e = quantize_error(s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::unsupported);
    EXPECT_THAT(e->what(), HasSubstr("got f32"));
  }
  {
    ValidCase s;
    s.x = Tensor::of<int32_t>(Shape{2, 4}, {0, 1, 2, 3, 4, 5, 6, 7});  // quantize needs f32
    const auto e = quantize_error(s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::unsupported);
    EXPECT_THAT(e->what(), HasSubstr("input has dtype i32"));
  }
  {
    ValidCase s;
    s.q = Tensor::of<uint8_t>(Shape{2, 4}, {0, 1, 2, 3, 4, 5, 6, 7});  // params say i8
    const auto e = dequantize_error(s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::unsupported);
    EXPECT_THAT(e->what(), HasSubstr("input has dtype u8, dequantize_affine needs i8"));
  }
  {
    ValidCase s;
    s.p.scale = Tensor::of<int32_t>(Shape{2, 1}, {1, 1});
    const auto e = quantize_error(s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::unsupported);
    EXPECT_THAT(e->what(), HasSubstr("scale has dtype i32"));
  }
}

// ------------------------------------------------------------ too_large

// The cap is lowered after the tensors exist, so only validation can see it.
TEST(ReferenceErrors, TooLargeForInputScaleAndZeroPoint) {
  const ValidCase input;  // 8-element input
  ValidCase scale;        // 1-element input, 8-element scale
  scale.x = Tensor::of<float>(Shape{1}, {0});
  scale.p.scale = Tensor::of<float>(Shape{2, 4}, {1, 1, 1, 1, 1, 1, 1, 1});
  scale.p.zero_point.reset();
  ValidCase zp;  // 1-element input and scale, 8-element zero point
  zp.x = Tensor::of<float>(Shape{1}, {0});
  zp.p.scale = Tensor::of<float>(Shape{}, {1.0f});
  zp.p.zero_point = Tensor::of<int32_t>(Shape{8}, {0, 0, 0, 0, 0, 0, 0, 0});
  {
    const CapGuard cap(7);
    const auto e = quantize_error(input);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::too_large);
    EXPECT_THAT(e->what(), HasSubstr("input shape [2, 4]"));
    const auto d = dequantize_error(input);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind(), ErrorKind::too_large);
  }
  {
    const CapGuard cap(4);
    const auto e = quantize_error(scale);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::too_large);
    EXPECT_THAT(e->what(), HasSubstr("scale shape [2, 4]"));
    const auto z = quantize_error(zp);
    ASSERT_TRUE(z);
    EXPECT_EQ(z->kind(), ErrorKind::too_large);
    EXPECT_THAT(z->what(), HasSubstr("zero_point shape [8]"));
  }
  EXPECT_EQ(max_elements(), kDefaultMaxElements);  // restored
}

// ------------------------------------------------------------ invalid_range

TEST(ReferenceErrors, InvalidRange) {
  struct Range {
    DType dtype;
    int64_t qmin, qmax;
  };
  for (const Range r : {Range{DType::i8, -129, 127}, Range{DType::u8, 0, 256},
                        Range{DType::i8, 5, 4}, Range{DType::u8, -1, 10},
                        Range{DType::i16, -32769, 0}, Range{DType::i32, 0, 2147483648LL}}) {
    ValidCase s;
    s.p.dtype = r.dtype;
    s.p.quant_min = r.qmin;
    s.p.quant_max = r.qmax;
    s.p.zero_point.reset();
    const auto e = quantize_error(s);
    ASSERT_TRUE(e) << r.qmin << " " << r.qmax;
    EXPECT_EQ(e->kind(), ErrorKind::invalid_range);
    EXPECT_THAT(e->what(), HasSubstr(fmt::format("[{}, {}]", r.qmin, r.qmax)));
  }
}

// ------------------------------------------------------------ shapes

TEST(ReferenceErrors, ShapeErrors) {
  {
    ValidCase s;
    s.p.scale = Tensor::of<float>(Shape{2}, {1, 1});  // rank 1 on rank 2
    s.p.zero_point.reset();
    const auto e = quantize_error(s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
  }
  {
    ValidCase s;
    s.p.scale = Tensor::of<float>(Shape{2, 3}, {1, 1, 1, 1, 1, 1});  // 4 % 3 != 0
    s.p.zero_point.reset();
    const auto e = quantize_error(s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::non_divisible_block);
    EXPECT_STREQ(e->what(), "input dim 1 (size 4) is not divisible by scale dim 1 (size 3)");
  }
  {
    ValidCase s;
    s.p.zero_point = Tensor::of<int32_t>(Shape{1, 2}, {0, 0});  // scale is [2, 1]
    const auto e = quantize_error(s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
    EXPECT_STREQ(e->what(), "zero_point shape [1, 2] differs from scale shape [2, 1]");
  }
  {
    ValidCase s;
    s.p.block_size = std::vector<int64_t>{1, 3};  // scale [2, 1] needs ceil(4 / 3) = 2
    const auto e = quantize_error(s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
    EXPECT_THAT(e->what(), HasSubstr("expected ceil(4 / 3) = 2"));
  }
}

// ------------------------------------------------------------ invalid_scale

TEST(ReferenceErrors, InvalidScaleValues) {
  const float subnormal = std::numeric_limits<float>::denorm_min();
  const float largest_subnormal = next_down(std::numeric_limits<float>::min());
  for (float bad : {0.0f, -0.0f, -1.0f, subnormal, largest_subnormal, kInf, -kInf, kNan}) {
    ValidCase s;
    s.p.scale = Tensor::of<float>(Shape{2, 1}, {1.0f, bad});
    const auto e = quantize_error(s);
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->kind(), ErrorKind::invalid_scale) << bad;
    EXPECT_THAT(e->what(), HasSubstr("scale element 1 is")) << bad;
    const auto d = dequantize_error(s);
    ASSERT_TRUE(d) << bad;
    EXPECT_EQ(d->kind(), ErrorKind::invalid_scale) << bad;
  }
  // The smallest normal is valid.
  ValidCase ok;
  ok.p.scale = Tensor::of<float>(Shape{2, 1}, {1.0f, std::numeric_limits<float>::min()});
  EXPECT_FALSE(quantize_error(ok));
}

// ------------------------------------------------------------ invalid_zero_point

TEST(ReferenceErrors, InvalidZeroPoint) {
  {
    ValidCase s;
    s.p.zero_point = Tensor::of<int32_t>(Shape{2, 1}, {0, 200});  // outside [-128, 127]
    const auto e = quantize_error(s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::invalid_zero_point);
    EXPECT_STREQ(e->what(), "zero_point element 1 is 200, outside [-128, 127]");
  }
  {
    ValidCase s;  // u4: 16 is outside [0, 15] though it fits u8 storage
    s.p.dtype = DType::u8;
    s.p.quant_min = 0;
    s.p.quant_max = 15;
    s.p.zero_point = Tensor::of<uint8_t>(Shape{2, 1}, {16, 0});
    const auto e = quantize_error(s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::invalid_zero_point);
    EXPECT_THAT(e->what(), HasSubstr("element 0 is 16"));
  }
  {
    ValidCase s;
    s.p.zero_point = Tensor::of<float>(Shape{2, 1}, {0.0f, 1.0f});  // int domain needs integers
    const auto e = quantize_error(s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::invalid_zero_point);
    EXPECT_THAT(e->what(), HasSubstr("got f32"));
  }
  {
    ValidCase s;
    s.p.zero_point_domain = ZeroPointDomain::none;  // zero point given anyway
    const auto e = quantize_error(s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::invalid_zero_point);
    EXPECT_THAT(e->what(), HasSubstr("none"));
    EXPECT_EQ(dequantize_error(s).value().kind(), ErrorKind::invalid_zero_point);
  }
  {
    ValidCase s;
    s.p.zero_point_domain = ZeroPointDomain::float_domain;  // needs f32
    const auto e = quantize_error(s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::invalid_zero_point);
    EXPECT_THAT(e->what(), HasSubstr("must be f32, got i32"));
  }
  for (float bad : {kInf, -kInf, kNan}) {
    ValidCase s;
    s.p.zero_point_domain = ZeroPointDomain::float_domain;
    s.p.zero_point = Tensor::of<float>(Shape{2, 1}, {0.0f, bad});
    const auto e = quantize_error(s);
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->kind(), ErrorKind::invalid_zero_point) << bad;
    EXPECT_THAT(e->what(), HasSubstr("zero_point element 1")) << bad;
  }
}

// ------------------------------------------------------------ nan_input

TEST(ReferenceErrors, NanInputForQuantizeAndFakeQuantize) {
  ValidCase s;
  s.x.data<float>()[5] = kNan;
  const auto e = quantize_error(s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::nan_input);
  EXPECT_STREQ(e->what(), "input element 5 is NaN");
  // Infinities are not NaN: they saturate.
  ValidCase inf;
  inf.x.data<float>()[5] = -kInf;
  EXPECT_FALSE(quantize_error(inf));
}

// ------------------------------------------------------------ order (validate.h)

// Each pair combines the defect of one step with that of a later step; the
// earlier step must win.
TEST(ReferenceErrorOrder, UnsupportedBeforeTooLarge) {
  ValidCase s;
  s.p.dtype = DType::f32;
  const CapGuard cap(4);
  const auto e = quantize_error(s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::unsupported);
}

TEST(ReferenceErrorOrder, TooLargeBeforeInvalidRange) {
  ValidCase s;
  s.p.quant_min = 10;
  s.p.quant_max = 0;
  const CapGuard cap(4);
  const auto e = quantize_error(s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::too_large);
}

TEST(ReferenceErrorOrder, InvalidRangeBeforeShape) {
  ValidCase s;
  s.p.quant_max = 300;
  s.p.scale = Tensor::of<float>(Shape{2, 3}, {1, 1, 1, 1, 1, 1});
  const auto e = quantize_error(s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_range);
}

TEST(ReferenceErrorOrder, ShapeBeforeInvalidScale) {
  ValidCase s;
  s.p.scale = Tensor::of<float>(Shape{2, 3}, {0, 0, 0, 0, 0, 0});
  s.p.zero_point.reset();
  const auto e = quantize_error(s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::non_divisible_block);
}

TEST(ReferenceErrorOrder, ZeroPointShapeBeforeInvalidScale) {
  ValidCase s;
  s.p.scale = Tensor::of<float>(Shape{2, 1}, {0.0f, 1.0f});
  s.p.zero_point = Tensor::of<int32_t>(Shape{2}, {0, 0});
  const auto e = quantize_error(s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
}

TEST(ReferenceErrorOrder, InvalidScaleBeforeInvalidZeroPoint) {
  ValidCase s;
  s.p.scale = Tensor::of<float>(Shape{2, 1}, {-1.0f, 1.0f});
  s.p.zero_point = Tensor::of<int32_t>(Shape{2, 1}, {1000, 0});
  const auto e = quantize_error(s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_scale);
}

TEST(ReferenceErrorOrder, InvalidZeroPointBeforeNanInput) {
  ValidCase s;
  s.p.zero_point = Tensor::of<int32_t>(Shape{2, 1}, {1000, 0});
  s.x.data<float>()[0] = kNan;
  const auto e = quantize_error(s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_zero_point);
}

// Shape errors of all dims come before divisibility errors: dim 0 of the
// input (2) is not divisible by scale dim 0 (3), but scale dim 1 is 0.
TEST(ReferenceErrorOrder, ShapeErrorsOfAllDimsBeforeDivisibility) {
  ValidCase s;
  s.p.scale = Tensor(DType::f32, Shape{3, 0});
  s.p.zero_point.reset();
  const auto e = quantize_error(s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
}

// ------------------------------------------------------------ choose_qparams

ChooseQParamsArgs asym_i8() { return ChooseQParamsArgs{}; }

std::optional<Error> choose_error(const Tensor& x, const ChooseQParamsArgs& a) {
  return error_of([&] { choose_qparams_affine(x, a); });
}

const Tensor kX = Tensor::of<float>(Shape{2, 4}, {0, 1, 2, 3, 4, 5, 6, 7});

TEST(ChooseErrors, EachKind) {
  EXPECT_FALSE(choose_error(kX, asym_i8()));
  // unsupported: input not f32; dtype not integer; float domain with symmetric.
  EXPECT_EQ(choose_error(Tensor::of<int8_t>(Shape{1}, {0}), asym_i8()).value().kind(),
            ErrorKind::unsupported);
  ChooseQParamsArgs f32 = asym_i8();
  f32.dtype = DType::f32;
  EXPECT_EQ(choose_error(kX, f32).value().kind(), ErrorKind::unsupported);
  for (Mapping m : {Mapping::symmetric, Mapping::symmetric_no_clipping_err}) {
    ChooseQParamsArgs fd = asym_i8();
    fd.mapping = m;
    fd.zero_point_domain = ZeroPointDomain::float_domain;
    const auto e = choose_error(kX, fd);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ErrorKind::unsupported);
    EXPECT_THAT(e->what(), HasSubstr(std::string(mapping_name(m))));
  }
  // invalid_range: choose_qparams needs quant_min < quant_max.
  ChooseQParamsArgs one_point = asym_i8();
  one_point.quant_min = one_point.quant_max = 3;
  EXPECT_EQ(choose_error(kX, one_point).value().kind(), ErrorKind::invalid_range);
  ChooseQParamsArgs outside = asym_i8();
  outside.dtype = DType::u8;  // [-128, 127] is outside u8
  EXPECT_EQ(choose_error(kX, outside).value().kind(), ErrorKind::invalid_range);
  // invalid_shape and non_divisible_block.
  ChooseQParamsArgs short_blocks = asym_i8();
  short_blocks.block_size = std::vector<int64_t>{4};
  EXPECT_EQ(choose_error(kX, short_blocks).value().kind(), ErrorKind::invalid_shape);
  ChooseQParamsArgs zero_block = asym_i8();
  zero_block.block_size = std::vector<int64_t>{1, 0};
  EXPECT_EQ(choose_error(kX, zero_block).value().kind(), ErrorKind::invalid_shape);
  ChooseQParamsArgs three = asym_i8();
  three.block_size = std::vector<int64_t>{1, 3};
  const auto nd = choose_error(kX, three);
  ASSERT_TRUE(nd);
  EXPECT_EQ(nd->kind(), ErrorKind::non_divisible_block);
  EXPECT_STREQ(nd->what(), "input dim 1 (size 4) is not divisible by block_size[1] = 3");
  // invalid_scale: eps not finite or not > 0.
  for (float eps : {0.0f, -1.0f, kInf, kNan}) {
    ChooseQParamsArgs a = asym_i8();
    a.eps = eps;
    const auto e = choose_error(kX, a);
    ASSERT_TRUE(e) << eps;
    EXPECT_EQ(e->kind(), ErrorKind::invalid_scale) << eps;
    EXPECT_THAT(e->what(), HasSubstr("eps is"));
  }
  // nan_input: NaN and ±inf (no usable scale from an infinite min or max).
  for (float bad : {kNan, kInf, -kInf}) {
    Tensor x = kX;
    x.data<float>()[6] = bad;
    const auto e = choose_error(x, asym_i8());
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->kind(), ErrorKind::nan_input) << bad;
    EXPECT_THAT(e->what(), HasSubstr("input element 6"));
  }
}

TEST(ChooseErrors, TooLarge) {
  const CapGuard cap(7);
  const auto e = choose_error(kX, asym_i8());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::too_large);
}

TEST(ChooseErrorOrder, EarlierStepWins) {
  // unsupported (float domain + symmetric) before invalid_range.
  ChooseQParamsArgs a = asym_i8();
  a.mapping = Mapping::symmetric;
  a.zero_point_domain = ZeroPointDomain::float_domain;
  a.quant_min = a.quant_max = 0;
  EXPECT_EQ(choose_error(kX, a).value().kind(), ErrorKind::unsupported);
  // too_large before invalid_range.
  ChooseQParamsArgs b = asym_i8();
  b.quant_min = b.quant_max = 0;
  {
    const CapGuard cap(7);
    const auto tl = choose_error(kX, b);
    ASSERT_TRUE(tl);
    EXPECT_EQ(tl->kind(), ErrorKind::too_large);
  }
  // invalid_range before non_divisible_block.
  ChooseQParamsArgs c = asym_i8();
  c.quant_min = c.quant_max = 0;
  c.block_size = std::vector<int64_t>{1, 3};
  EXPECT_EQ(choose_error(kX, c).value().kind(), ErrorKind::invalid_range);
  // invalid_shape (block 0 on dim 1) before non_divisible_block (dim 0).
  ChooseQParamsArgs d = asym_i8();
  d.block_size = std::vector<int64_t>{3, 0};
  EXPECT_EQ(choose_error(kX, d).value().kind(), ErrorKind::invalid_shape);
  // non_divisible_block before invalid eps.
  ChooseQParamsArgs e = asym_i8();
  e.block_size = std::vector<int64_t>{1, 3};
  e.eps = 0.0f;
  EXPECT_EQ(choose_error(kX, e).value().kind(), ErrorKind::non_divisible_block);
  // invalid eps before nan_input.
  ChooseQParamsArgs f = asym_i8();
  f.eps = kNan;
  Tensor x = kX;
  x.data<float>()[0] = kNan;
  EXPECT_EQ(choose_error(x, f).value().kind(), ErrorKind::invalid_scale);
}

}  // namespace
}  // namespace qdiff::reference
