// Every error kind of the reference fused operators, with messages that name
// the operand, and the canonical order of docs/validation-order.md ("Fused
// operators"; reference/fused_validate.h): an input with two defects reports
// the earlier step, and within a step the earlier operand (x, w, bias, out /
// a, b, out).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "core/error.h"
#include "core/limits.h"
#include "reference/fused_ops.h"
#include "reference/fused_validate.h"
#include "tests/reference_fused_test_util.h"
#include "tests/test_util.h"

namespace qdiff::reference {

using test_util::error_of;
using test_util::CapGuard;

namespace {

using ::testing::HasSubstr;
using namespace fused_test;

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Lowers the element cap for its scope (after the tensors exist) and restores it.
std::optional<Error> err(const QLinearArgs& a) { return error_of([&] { qlinear(a); }); }
std::optional<Error> err(const QConv2dArgs& a) { return error_of([&] { qconv2d(a); }); }
std::optional<Error> err(const QElementwiseArgs& a) { return error_of([&] { qelementwise(a); }); }

#define EXPECT_KIND(args, want_kind, substring)                        \
  do {                                                                 \
    const auto e_ = err(args);                                         \
    ASSERT_TRUE(e_.has_value()) << "no error, wanted " #want_kind;     \
    EXPECT_EQ(e_->kind(), ErrorKind::want_kind) << e_->what();         \
    EXPECT_THAT(e_->what(), HasSubstr(substring));                     \
  } while (0)

// Valid setups that each test breaks in one or two places.
// qlinear: x [2, 3] i8 per-tensor, w [4, 3] i8 per-channel [4, 1], bias [4], out per-tensor.
QLinearArgs valid_linear() {
  QLinearArgs a;
  a.x = i8({2, 3}, {1, 2, 3, 4, 5, 6});
  a.x_params = per_tensor(0.5f, 1);
  a.w = i8({4, 3}, std::vector<int8_t>(12, 1));
  a.w_params = with_scale({4, 1}, {1.0f, 0.5f, 0.25f, 2.0f}, std::vector<int32_t>{0, 0, 0, 0});
  a.bias = f32({4}, {0.0f, 1.0f, -1.0f, 0.5f});
  a.out_params = per_tensor(1.0f, 0);
  return a;
}
// qconv2d: x [1, 2, 3, 3], w [2, 2, 2, 2], out per-tensor -> output [1, 2, 2, 2].
QConv2dArgs valid_conv() {
  QConv2dArgs a;
  a.x = i8({1, 2, 3, 3}, std::vector<int8_t>(18, 1));
  a.x_params = per_tensor(1.0f, 0);
  a.w = i8({2, 2, 2, 2}, std::vector<int8_t>(16, 1));
  a.w_params = with_scale({2, 1, 1, 1}, {1.0f, 0.5f});
  a.out_params = per_tensor(1.0f, 0);
  return a;
}
// qadd: a [2, 1] + b [1, 3] -> [2, 3].
QElementwiseArgs valid_add() {
  QElementwiseArgs a;
  a.a = i8({2, 1}, {1, 2});
  a.a_params = per_tensor(1.0f, 0);
  a.b = i8({1, 3}, {1, 2, 3});
  a.b_params = per_tensor(1.0f, 0);
  a.out_params = per_tensor(1.0f, 0);
  return a;
}

TEST(ReferenceFusedErrors, TheValidSetupsAreValid) {
  EXPECT_FALSE(err(valid_linear()).has_value());
  EXPECT_FALSE(err(valid_conv()).has_value());
  EXPECT_FALSE(err(valid_add()).has_value());
}

// Step 1: unsupported dtypes and domains.
TEST(ReferenceFusedErrors, UnsupportedDtypesAndDomains) {
  QLinearArgs a = valid_linear();
  a.x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_KIND(a, unsupported, "x has dtype f32, its params have dtype i8");

  a = valid_linear();
  a.x = u8({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_KIND(a, unsupported, "x has dtype u8, its params have dtype i8");

  a = valid_linear();
  a.w_params.dtype = DType::f32;
  EXPECT_KIND(a, unsupported, "w params have dtype f32");

  a = valid_linear();
  a.x_params.scale = Tensor::of<int32_t>(Shape{}, {1});
  EXPECT_KIND(a, unsupported, "x scale has dtype i32, must be f32");

  a = valid_linear();
  a.bias = Tensor::of<int32_t>(Shape{4}, {0, 0, 0, 0});
  EXPECT_KIND(a, unsupported, "bias has dtype i32, must be f32");

  a = valid_linear();
  a.x_params.zero_point_domain = ZeroPointDomain::float_domain;
  EXPECT_KIND(a, unsupported, "x has zero_point_domain float");

  a = valid_linear();
  a.out_params.zero_point_domain = ZeroPointDomain::float_domain;
  EXPECT_KIND(a, unsupported, "out has zero_point_domain float");

  a = valid_linear();
  a.out_params.dtype = DType::f32;
  EXPECT_KIND(a, unsupported, "out params have dtype f32");

  QConv2dArgs c = valid_conv();
  c.w = u8({2, 2, 2, 2}, std::vector<uint8_t>(16, 1));
  EXPECT_KIND(c, unsupported, "w has dtype u8, its params have dtype i8");

  QElementwiseArgs e = valid_add();
  e.b_params.zero_point_domain = ZeroPointDomain::float_domain;
  EXPECT_KIND(e, unsupported, "b has zero_point_domain float");

  // Operands are at most 16-bit (the oracle's bound needs f32(q) - f32(z)
  // exact); an i32 output is fine.
  e = valid_add();
  e.a = Tensor(DType::i32, e.a.shape());
  e.a_params.dtype = DType::i32;
  e.a_params.quant_min = -1000;
  e.a_params.quant_max = 1000;
  EXPECT_KIND(e, unsupported, "a has dtype i32; fused operators take 8- and 16-bit operands");
  e = valid_add();
  e.out_params.dtype = DType::i32;
  EXPECT_FALSE(err(e).has_value());
}

// Step 2: too_large for operands, and for the output once its shape is known.
TEST(ReferenceFusedErrors, TooLarge) {
  {
    const QLinearArgs a = valid_linear();
    CapGuard cap(5);
    EXPECT_KIND(a, too_large, "x shape [2, 3]");
  }
  {
    // In = 0: x and w hold no elements, the bias [5] and the output [1, 5] do.
    QLinearArgs a = valid_linear();
    a.x = i8({1, 0}, {});
    a.w = i8({5, 0}, {});
    a.w_params = per_tensor(1.0f, 0);
    a.bias = f32({5}, {0, 0, 0, 0, 0});
    CapGuard cap(4);
    EXPECT_KIND(a, too_large, "bias shape [5]");
  }
  {
    // x [4, 0] and w [4, 0] are empty, the output [4, 4] is not.
    QLinearArgs a = valid_linear();
    a.x = i8({4, 0}, {});
    a.w = i8({4, 0}, {});
    a.w_params = per_tensor(1.0f, 0);
    a.bias.reset();
    CapGuard cap(10);
    EXPECT_KIND(a, too_large, "output shape [4, 4]");
  }
  {
    // Padding 10 on every side of a 1x1 image: output [1, 1, 21, 21].
    QConv2dArgs c = valid_conv();
    c.x = i8({1, 1, 1, 1}, {1});
    c.w = i8({1, 1, 1, 1}, {1});
    c.w_params = per_tensor(1.0f, 0);
    c.attrs.padding = {10, 10, 10, 10};
    CapGuard cap(100);
    EXPECT_KIND(c, too_large, "output shape [1, 1, 21, 21]");
  }
  {
    // An output dim beyond int64 (H + 2 * (2^63 - 1)) is too_large, never an overflow.
    QConv2dArgs c = valid_conv();
    const int64_t huge = std::numeric_limits<int64_t>::max();
    c.attrs.padding = {huge, 0, huge, 0};
    EXPECT_KIND(c, too_large, "output H");
  }
  {
    QElementwiseArgs e = valid_add();
    e.a = i8({8, 1}, std::vector<int8_t>(8, 1));
    e.b = i8({1, 8}, std::vector<int8_t>(8, 1));
    CapGuard cap(20);
    EXPECT_KIND(e, too_large, "output shape [8, 8]");
  }
}

// Step 3: ranges and the clamp activation.
TEST(ReferenceFusedErrors, InvalidRangeAndClampBounds) {
  QLinearArgs a = valid_linear();
  a.x_params.quant_min = 5;
  a.x_params.quant_max = 4;
  a.x_params.zero_point = Tensor::of<int32_t>(Shape{}, {4});
  EXPECT_KIND(a, invalid_range, "x quant range [5, 4]");

  a = valid_linear();
  a.w_params.quant_max = 200;
  EXPECT_KIND(a, invalid_range, "w quant range [-128, 200]");

  a = valid_linear();
  a.out_params.quant_min = -129;
  EXPECT_KIND(a, invalid_range, "out quant range");

  a = valid_linear();
  a.activation = {ActivationKind::clamp, 2.0f, 1.0f};
  EXPECT_KIND(a, invalid_range, "clamp activation bounds [2, 1]");

  a.activation = {ActivationKind::clamp, kNan, 1.0f};
  EXPECT_KIND(a, invalid_range, "clamp activation");

  a.activation = {ActivationKind::clamp, -kInf, kInf};  // infinite bounds are an interval
  EXPECT_FALSE(err(a).has_value());
  a.activation = {ActivationKind::relu, 2.0f, 1.0f};  // relu ignores lo and hi
  EXPECT_FALSE(err(a).has_value());
}

// Step 4: operator shapes.
TEST(ReferenceFusedErrors, QLinearShapes) {
  QLinearArgs a = valid_linear();
  a.x = i8({}, {1});
  EXPECT_KIND(a, invalid_shape, "x has shape []; qlinear needs x of rank >= 1");

  a = valid_linear();
  a.w = i8({12}, std::vector<int8_t>(12, 1));
  EXPECT_KIND(a, invalid_shape, "w has shape [12]; qlinear needs w of rank 2");

  a = valid_linear();
  a.x = i8({2, 4}, std::vector<int8_t>(8, 1));
  a.w = i8({3, 5}, std::vector<int8_t>(15, 1));
  const auto e = err(a);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->kind(), ErrorKind::invalid_shape);
  EXPECT_STREQ(e->what(), "w has shape [3, 5], x.shape[-1] = 4 does not match w.shape[1] = 5");

  a = valid_linear();
  a.bias = f32({3}, {0, 0, 0});
  EXPECT_KIND(a, invalid_shape, "bias has shape [3], expected [K] = [4]");
  a.bias = f32({1, 4}, {0, 0, 0, 0});
  EXPECT_KIND(a, invalid_shape, "bias has shape [1, 4]");
}

TEST(ReferenceFusedErrors, QConv2dShapes) {
  QConv2dArgs c = valid_conv();
  c.x = i8({2, 3, 3}, std::vector<int8_t>(18, 1));
  EXPECT_KIND(c, invalid_shape, "x has shape [2, 3, 3]; qconv2d needs x of rank 4");

  c = valid_conv();
  c.w = i8({2, 2, 4}, std::vector<int8_t>(16, 1));
  EXPECT_KIND(c, invalid_shape, "w has shape [2, 2, 4]");

  c = valid_conv();
  c.attrs.groups = 0;  // checked before C % groups, which would divide by zero
  EXPECT_KIND(c, invalid_shape, "groups is 0, must be >= 1");

  c = valid_conv();
  c.x = i8({1, 3, 3, 3}, std::vector<int8_t>(27, 1));
  c.attrs.groups = 2;
  EXPECT_KIND(c, invalid_shape, "x has C = 3 channels, not divisible by groups = 2");

  c = valid_conv();
  c.x = i8({1, 4, 3, 3}, std::vector<int8_t>(36, 1));
  c.w = i8({3, 2, 2, 2}, std::vector<int8_t>(24, 1));
  c.w_params = per_tensor(1.0f, 0);
  c.attrs.groups = 2;
  EXPECT_KIND(c, invalid_shape, "w has O = 3 output channels, not divisible by groups = 2");

  c = valid_conv();
  c.attrs.groups = 2;  // C / groups = 1, but w.shape[1] = 2
  EXPECT_KIND(c, invalid_shape, "w.shape[1] = 2 does not match C / groups = 2 / 2 = 1");

  c = valid_conv();
  c.attrs.stride = {1, 0};
  EXPECT_KIND(c, invalid_shape, "stride[1] is 0");
  c = valid_conv();
  c.attrs.dilation = {-1, 1};
  EXPECT_KIND(c, invalid_shape, "dilation[0] is -1");
  c = valid_conv();
  c.attrs.padding = {0, 0, 0, -1};
  EXPECT_KIND(c, invalid_shape, "padding[3] is -1");

  // A kernel that does not fit: H = 3, kh = 2 with dilation 3 -> extent 4 > 3. With
  // stride 2 a truncating division would give (3 - 4) / 2 + 1 = 1; it must be rejected.
  c = valid_conv();
  c.attrs.dilation = {3, 1};
  c.attrs.stride = {2, 1};
  EXPECT_KIND(c, invalid_shape, "output H would be < 1");
  // Padding makes it fit: (3 + 1 - 4) / 2 + 1 = 1.
  c.attrs.padding = {1, 0, 0, 0};
  EXPECT_FALSE(err(c).has_value());

  c = valid_conv();
  c.bias = f32({3}, {0, 0, 0});
  EXPECT_KIND(c, invalid_shape, "bias has shape [3], expected [O] = [2]");
}

TEST(ReferenceFusedErrors, ElementwiseShapes) {
  QElementwiseArgs e = valid_add();
  e.a = i8({2, 3}, std::vector<int8_t>(6, 1));
  e.b = i8({4}, std::vector<int8_t>(4, 1));
  EXPECT_KIND(e, invalid_shape, "shapes [2, 3] and [4] do not broadcast");
}

// Step 5: each operand's block layout against its tensor, the out params against the
// output shape, zero point shapes.
TEST(ReferenceFusedErrors, BlockLayouts) {
  QLinearArgs a = valid_linear();
  a.w_params = with_scale({4, 2}, std::vector<float>(8, 1.0f));
  const auto e = err(a);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->kind(), ErrorKind::non_divisible_block);
  EXPECT_STREQ(e->what(), "w params for shape [4, 3]: input dim 1 (size 3) is not divisible "
                          "by scale dim 1 (size 2)");

  a = valid_linear();
  a.x_params = with_scale({2}, {1.0f, 1.0f});
  EXPECT_KIND(a, invalid_shape, "x params for shape [2, 3]: scale has rank 1");

  a = valid_linear();
  a.w_params.zero_point = Tensor::of<int32_t>(Shape{4}, {0, 0, 0, 0});
  EXPECT_KIND(a, invalid_shape, "w zero_point shape [4] differs from scale shape [4, 1]");

  a = valid_linear();
  a.out_params = with_scale({1, 3}, {1, 1, 1});
  EXPECT_KIND(a, non_divisible_block, "out params for shape [2, 4]");

  a = valid_linear();
  a.w_params.block_size = std::vector<int64_t>{1, 2};  // scale [4, 1] != ceil(3 / 2) = 2
  EXPECT_KIND(a, invalid_shape, "expected ceil(3 / 2) = 2");

  QConv2dArgs c = valid_conv();
  c.out_params = with_scale({1, 3, 1, 1}, {1, 1, 1});
  EXPECT_KIND(c, non_divisible_block, "out params for shape [1, 2, 2, 2]");

  QElementwiseArgs el = valid_add();
  el.a_params = with_scale({3, 1}, {1, 1, 1});
  EXPECT_KIND(el, non_divisible_block, "a params for shape [2, 1]");
}

// Step 6: layouts the operator does not define.
TEST(ReferenceFusedErrors, UnsupportedLayouts) {
  QLinearArgs a = valid_linear();
  a.x_params = with_scale({1, 3}, {1, 1, 1});  // varies along In
  EXPECT_KIND(a, unsupported, "qlinear defines x params per-tensor or per-row");

  a = valid_linear();
  a.x = i8({4, 3}, std::vector<int8_t>(12, 1));
  a.x_params = with_scale({2, 1}, {1, 1});  // one scale per two rows
  EXPECT_KIND(a, unsupported, "x params have layout");

  a = valid_linear();
  a.out_params = with_scale({2, 1}, {1, 1});  // per-channel along dim 0 of the output
  EXPECT_KIND(a, unsupported, "out params per-tensor or per-channel along the last dim");

  a = valid_linear();
  a.out_params = with_scale({1, 2}, {1, 1});
  a.out_params.block_size = std::vector<int64_t>{2, 2};  // two output channels per scale
  EXPECT_KIND(a, unsupported, "out params have layout");

  QConv2dArgs c = valid_conv();
  c.x_params = with_scale({1, 2, 1, 1}, {1, 1});
  EXPECT_KIND(c, unsupported, "qconv2d defines x params per-tensor only");

  c = valid_conv();
  c.out_params = with_scale({1, 1, 2, 1}, {1, 1});
  EXPECT_KIND(c, unsupported, "per-channel [1, O, 1, 1]");

  // Accepted: per-row x, per-channel out, any weight layout, any elementwise layout.
  a = valid_linear();
  a.x_params = with_scale({2, 1}, {1, 2});
  a.out_params = with_scale({1, 4}, {1, 1, 1, 1});
  EXPECT_FALSE(err(a).has_value());
  c = valid_conv();
  c.w_params = with_scale({2, 1, 2, 1}, {1, 1, 1, 1});
  c.out_params = with_scale({1, 2, 1, 1}, {1, 1});
  EXPECT_FALSE(err(c).has_value());
  QElementwiseArgs e = valid_add();
  e.out_params = with_scale({2, 3}, {1, 1, 1, 1, 1, 1});
  EXPECT_FALSE(err(e).has_value());
}

// The layout rules themselves, on the cases where shape alone is ambiguous.
TEST(ReferenceFusedErrors, PerRowAndPerChannelRules) {
  // Per-row: dims of size 0 or 1 may have any block.
  EXPECT_TRUE(is_per_row_layout(BlockLayout::derive({3, 1, 4}, {3, 1, 1}, std::nullopt)));
  EXPECT_TRUE(is_per_row_layout(BlockLayout::derive({0, 3, 4}, {1, 3, 1}, std::nullopt)));
  EXPECT_TRUE(is_per_row_layout(BlockLayout::derive({3, 4}, {3, 1}, std::vector<int64_t>{1, 9})));
  EXPECT_FALSE(is_per_row_layout(BlockLayout::derive({4, 4}, {2, 1}, std::nullopt)));
  EXPECT_FALSE(is_per_row_layout(BlockLayout::derive({4, 4}, {4, 2}, std::nullopt)));
  // Per-channel on the last dim: other scale dims 1, block 1 on that dim.
  EXPECT_TRUE(is_per_channel_layout_on(BlockLayout::derive({2, 4}, {1, 4}, std::nullopt), 1));
  EXPECT_FALSE(is_per_channel_layout_on(BlockLayout::derive({2, 4}, {1, 2}, std::nullopt), 1));
  EXPECT_FALSE(is_per_channel_layout_on(BlockLayout::derive({2, 4}, {2, 4}, std::nullopt), 1));
  EXPECT_TRUE(is_per_channel_layout_on(BlockLayout::derive({2, 4}, {1, 1}, std::nullopt), 1));
}

// Step 7: scale values, operand by operand.
TEST(ReferenceFusedErrors, InvalidScales) {
  QLinearArgs a = valid_linear();
  a.w_params.scale = Tensor::of<float>(Shape{4, 1}, {1.0f, 0.0f, 1.0f, 1.0f});
  EXPECT_KIND(a, invalid_scale, "w scale element 1 is 0");

  a = valid_linear();
  a.out_params.scale = Tensor::of<float>(Shape{}, {kNan});
  EXPECT_KIND(a, invalid_scale, "out scale element 0");

  a = valid_linear();
  a.x_params.scale = Tensor::of<float>(Shape{}, {1e-40f});  // subnormal
  EXPECT_KIND(a, invalid_scale, "x scale element 0");

  QElementwiseArgs e = valid_add();
  e.a_params.scale = Tensor::of<float>(Shape{}, {kInf});
  EXPECT_KIND(e, invalid_scale, "a scale element 0 is inf");
}

// Step 8: zero points, operand by operand.
TEST(ReferenceFusedErrors, InvalidZeroPoints) {
  QLinearArgs a = valid_linear();
  a.x_params.zero_point = Tensor::of<int32_t>(Shape{}, {200});
  {
    const auto e = err(a);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->kind(), ErrorKind::invalid_zero_point);
    EXPECT_STREQ(e->what(), "x zero_point element 0 is 200, outside [-128, 127]");
  }

  a = valid_linear();
  a.out_params.zero_point_domain = ZeroPointDomain::none;
  EXPECT_KIND(a, invalid_zero_point, "out zero_point given with zero_point_domain none");

  a = valid_linear();
  a.w_params.zero_point = Tensor::of<float>(Shape{4, 1}, {0, 0, 0, 0});
  EXPECT_KIND(a, invalid_zero_point, "w int-domain zero_point must have an integer dtype");

  a = valid_linear();
  a.w_params.zero_point_domain = ZeroPointDomain::float_domain;  // allowed for weights
  a.w_params.zero_point = Tensor::of<float>(Shape{4, 1}, {0, kInf, 0, 0});
  EXPECT_KIND(a, invalid_zero_point, "w zero_point element 1 is inf");
}

// Step 9: a NaN bias; an infinite one is accepted (it saturates).
TEST(ReferenceFusedErrors, NanBias) {
  QLinearArgs a = valid_linear();
  a.bias = f32({4}, {0, kNan, 0, 0});
  {
    const auto e = err(a);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->kind(), ErrorKind::nan_input);
    EXPECT_STREQ(e->what(), "bias element 1 is NaN");
  }
  a.bias = f32({4}, {0, kInf, 0, 0});
  EXPECT_FALSE(err(a).has_value());

  QConv2dArgs c = valid_conv();
  c.bias = f32({2}, {kNan, 0});
  EXPECT_KIND(c, nan_input, "bias element 0 is NaN");
}

// The order: two defects from adjacent steps, the earlier wins.
TEST(ReferenceFusedErrorOrder, UnsupportedBeforeTooLarge) {
  QLinearArgs a = valid_linear();
  a.x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  CapGuard cap(5);
  EXPECT_KIND(a, unsupported, "x has dtype f32");
}

TEST(ReferenceFusedErrorOrder, TooLargeBeforeInvalidRange) {
  QLinearArgs a = valid_linear();
  a.out_params.quant_max = 1000;
  CapGuard cap(5);
  EXPECT_KIND(a, too_large, "x shape");
}

TEST(ReferenceFusedErrorOrder, InvalidRangeBeforeOpShapes) {
  QLinearArgs a = valid_linear();
  a.w_params.quant_min = 10;
  a.w_params.quant_max = 0;
  a.bias = f32({3}, {0, 0, 0});
  EXPECT_KIND(a, invalid_range, "w quant range");
}

// The output shape exists only once the op shapes are valid: its cap is checked at the
// end of step 4, so an earlier defect wins over it and it wins over step 5.
TEST(ReferenceFusedErrorOrder, OutputCapAfterOpShapesAndBeforeLayouts) {
  QLinearArgs a = valid_linear();
  a.x = i8({4, 0}, {});
  a.w = i8({4, 0}, {});
  a.w_params = per_tensor(1.0f, 0);
  a.bias.reset();
  a.out_params.quant_min = 1;  // step 3
  a.out_params.quant_max = 0;
  {
    CapGuard cap(10);
    EXPECT_KIND(a, invalid_range, "out quant range");
  }
  a.out_params = per_tensor(1.0f, 0);
  a.bias = f32({3}, {0, 0, 0});  // step 4, op shapes
  {
    CapGuard cap(10);
    EXPECT_KIND(a, invalid_shape, "bias has shape [3]");
  }
  a.bias.reset();
  a.out_params = with_scale({1, 3}, {1, 1, 1});  // step 5 against the output [4, 4]
  {
    CapGuard cap(10);
    EXPECT_KIND(a, too_large, "output shape [4, 4]");
  }
  EXPECT_KIND(a, non_divisible_block, "out params for shape [4, 4]");
}

// qconv2d: an output H beyond int64 is part of the output cap, after every op-shape check
// (W that does not fit, a wrong bias shape).
TEST(ReferenceFusedErrorOrder, ConvOutputBeyondInt64AfterOpShapes) {
  QConv2dArgs c = valid_conv();
  const int64_t huge = std::numeric_limits<int64_t>::max();
  c.attrs.padding = {huge, 0, huge, 0};
  c.attrs.dilation = {1, 5};  // W = 3 < extent 5 * (2 - 1) + 1 = 6
  EXPECT_KIND(c, invalid_shape, "output W would be < 1");
  c.attrs.dilation = {1, 1};
  c.bias = f32({3}, {0, 0, 0});
  EXPECT_KIND(c, invalid_shape, "bias has shape [3]");
  c.bias.reset();
  EXPECT_KIND(c, too_large, "output H would be");
}

TEST(ReferenceFusedErrorOrder, OpShapesBeforeLayouts) {
  QLinearArgs a = valid_linear();
  a.x = i8({2, 4}, std::vector<int8_t>(8, 1));  // In mismatch (step 4)
  a.w_params = with_scale({4, 2}, std::vector<float>(8, 1.0f));  // non-divisible (step 5)
  EXPECT_KIND(a, invalid_shape, "does not match w.shape[1]");

  QConv2dArgs c = valid_conv();
  c.attrs.stride = {0, 1};
  c.w_params = with_scale({2, 2, 2, 3}, std::vector<float>(24, 1.0f));
  EXPECT_KIND(c, invalid_shape, "stride[0] is 0");
}

// Within step 5, operand by operand: x's divisibility error before w's shape error.
TEST(ReferenceFusedErrorOrder, LayoutsOperandByOperand) {
  QLinearArgs a = valid_linear();
  a.x_params = with_scale({2, 2}, {1, 1, 1, 1});  // x [2, 3]: 3 % 2 (non_divisible)
  a.w_params = with_scale({4}, {1, 1, 1, 1});     // rank 1 on rank 2 (invalid_shape)
  EXPECT_KIND(a, non_divisible_block, "x params for shape [2, 3]");
}

TEST(ReferenceFusedErrorOrder, LayoutsBeforeUnsupportedLayouts) {
  QLinearArgs a = valid_linear();
  a.x_params = with_scale({1, 3}, {1, 1, 1});        // step 6 for x
  a.out_params = with_scale({1, 3}, {1, 1, 1});      // step 5 for out ([2, 4])
  EXPECT_KIND(a, non_divisible_block, "out params");
}

TEST(ReferenceFusedErrorOrder, UnsupportedLayoutBeforeInvalidScale) {
  QLinearArgs a = valid_linear();
  a.x_params = with_scale({1, 3}, {1, 1, 1});
  a.w_params.scale = Tensor::of<float>(Shape{4, 1}, {0, 1, 1, 1});
  EXPECT_KIND(a, unsupported, "x params have layout");
}

TEST(ReferenceFusedErrorOrder, ScalesOperandByOperandThenZeroPoints) {
  QLinearArgs a = valid_linear();
  a.w_params.scale = Tensor::of<float>(Shape{4, 1}, {0, 1, 1, 1});
  a.out_params.scale = Tensor::of<float>(Shape{}, {kNan});
  EXPECT_KIND(a, invalid_scale, "w scale element 0");
  // An x zero point defect (step 8) does not beat the w scale (step 7).
  a.x_params.zero_point = Tensor::of<int32_t>(Shape{}, {1000});
  EXPECT_KIND(a, invalid_scale, "w scale element 0");
}

TEST(ReferenceFusedErrorOrder, ZeroPointBeforeNanBias) {
  QLinearArgs a = valid_linear();
  a.out_params.zero_point = Tensor::of<int32_t>(Shape{}, {-129});
  a.bias = f32({4}, {kNan, 0, 0, 0});
  EXPECT_KIND(a, invalid_zero_point, "out zero_point element 0 is -129");
}

TEST(ReferenceFusedErrorOrder, WithinStepOneOperandOrder) {
  QElementwiseArgs e = valid_add();
  e.b = u8({1, 3}, {1, 2, 3});
  e.out_params.zero_point_domain = ZeroPointDomain::float_domain;
  EXPECT_KIND(e, unsupported, "b has dtype u8");
}

}  // namespace
}  // namespace qdiff::reference
