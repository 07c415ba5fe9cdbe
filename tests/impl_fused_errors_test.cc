// Error parity of the optimized fused operators (SPEC section 9): for every
// defect of docs/validation-order.md ("Fused operators"), alone and in the
// pairs that pin the order (an earlier step wins; within a step the earlier
// operand), impl/ rejects with the same kind as reference/, on every ISA,
// and its message names the operand.
#include <gmock/gmock.h>

#include <functional>
#include <limits>

#include "core/limits.h"
#include "reference/fused_ops.h"
#include "tests/impl_fused_test_util.h"
#include "tests/test_util.h"

namespace qdiff::impl {

using test_util::error_of;
using test_util::CapGuard;

namespace {

using namespace fused_testing;
using ::testing::HasSubstr;

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

QuantParams pt(float s, int32_t z = 0, DType d = DType::i8, int64_t lo = -128, int64_t hi = 127) {
  return QuantParams::per_tensor(s, z, d, lo, hi);
}
QuantParams scaled(const Shape& shape, float s = 1.0f) {
  QuantParams p = pt(1.0f);
  p.zero_point.reset();
  p.scale = Tensor(DType::f32, shape);
  for (auto& v : p.scale.data<float>()) v = s;
  return p;
}
Tensor i8s(const Shape& shape) {
  Tensor t(DType::i8, shape);
  for (auto& v : t.data<int8_t>()) v = 1;
  return t;
}

QLinearArgs valid_linear() {
  QLinearArgs a;
  a.x = i8s({2, 3});
  a.x_params = pt(0.5f, 1);
  a.w = i8s({4, 3});
  a.w_params = scaled({4, 1}, 0.5f);
  a.bias = Tensor::of<float>(Shape{4}, {0.0f, 1.0f, -1.0f, 0.5f});
  a.out_params = pt(1.0f);
  return a;
}
QConv2dArgs valid_conv() {
  QConv2dArgs a;
  a.x = i8s({1, 2, 3, 3});
  a.x_params = pt(1.0f);
  a.w = i8s({2, 2, 2, 2});
  a.w_params = scaled({2, 1, 1, 1}, 0.5f);
  a.out_params = pt(1.0f);
  return a;
}
QElementwiseArgs valid_add() {
  QElementwiseArgs a;
  a.a = i8s({2, 1});
  a.a_params = pt(1.0f);
  a.b = i8s({1, 3});
  a.b_params = pt(1.0f);
  a.out_params = pt(1.0f);
  return a;
}

std::optional<Error> reference_error(const QLinearArgs& a) { return error_of([&] { reference::qlinear(a); }); }
std::optional<Error> reference_error(const QConv2dArgs& a) { return error_of([&] { reference::qconv2d(a); }); }
std::optional<Error> reference_error(const QElementwiseArgs& a) {
  return error_of([&] { reference::qelementwise(a); });
}

// impl and reference reject `args` with the same kind (want_kind), on
// every ISA; impl's message contains `substring`.
template <typename Args>
void expect_parity(const Args& args, ErrorKind want_kind, const std::string& substring) {
  const auto ref = reference_error(args);
  ASSERT_TRUE(ref.has_value()) << "reference accepts; wanted " << error_kind_name(want_kind);
  EXPECT_EQ(ref->kind(), want_kind) << ref->what();
  for (Isa isa : supported_isas()) {
    const auto got = error_of([&] { run(args, options_for(isa)); });
    ASSERT_TRUE(got.has_value()) << "impl accepts on " << isa_name(isa) << "; reference: "
                                 << ref->what();
    EXPECT_EQ(got->kind(), ref->kind()) << "impl: " << got->what() << "\nreference: " << ref->what();
    EXPECT_THAT(got->what(), HasSubstr(substring));
  }
}

template <typename Args>
void expect_accepted(const Args& args) {
  EXPECT_FALSE(reference_error(args).has_value());
  for (Isa isa : supported_isas()) {
    const auto got = error_of([&] { run(args, options_for(isa)); });
    EXPECT_FALSE(got.has_value()) << got->what();
  }
}

TEST(ImplFusedErrors, ValidSetupsAreAccepted) {
  expect_accepted(valid_linear());
  expect_accepted(valid_conv());
  expect_accepted(valid_add());
}

TEST(ImplFusedErrors, Step1Unsupported) {
  QLinearArgs a = valid_linear();
  a.x = Tensor::of<float>(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  expect_parity(a, ErrorKind::unsupported, "x has dtype f32");
  a = valid_linear();
  a.w_params.dtype = DType::f32;
  expect_parity(a, ErrorKind::unsupported, "w params have dtype f32");
  a = valid_linear();
  a.x = Tensor(DType::i32, Shape{2, 3});
  a.x_params.dtype = DType::i32;
  a.x_params.quant_min = -1000;
  a.x_params.quant_max = 1000;
  expect_parity(a, ErrorKind::unsupported, "x has dtype i32");
  a = valid_linear();
  a.x_params.scale = Tensor::of<int32_t>(Shape{}, {1});
  expect_parity(a, ErrorKind::unsupported, "x scale has dtype i32");
  a = valid_linear();
  a.bias = Tensor::of<int32_t>(Shape{4}, {0, 0, 0, 0});
  expect_parity(a, ErrorKind::unsupported, "bias has dtype i32");
  a = valid_linear();
  a.x_params.zero_point_domain = ZeroPointDomain::float_domain;
  expect_parity(a, ErrorKind::unsupported, "x has zero_point_domain float");
  a = valid_linear();
  a.out_params.zero_point_domain = ZeroPointDomain::float_domain;
  expect_parity(a, ErrorKind::unsupported, "out has zero_point_domain float");
  QConv2dArgs c = valid_conv();
  c.w = Tensor(DType::u8, Shape{2, 2, 2, 2});
  expect_parity(c, ErrorKind::unsupported, "w has dtype u8");
  QElementwiseArgs e = valid_add();
  e.b_params.zero_point_domain = ZeroPointDomain::float_domain;
  expect_parity(e, ErrorKind::unsupported, "b has zero_point_domain float");
  // Within the step: b (the second operand) before out.
  e = valid_add();
  e.b = Tensor(DType::u8, Shape{1, 3});
  e.out_params.zero_point_domain = ZeroPointDomain::float_domain;
  expect_parity(e, ErrorKind::unsupported, "b has dtype u8");
}

TEST(ImplFusedErrors, Step2TooLarge) {
  {
    const QLinearArgs a = valid_linear();
    CapGuard cap(5);
    expect_parity(a, ErrorKind::too_large, "x shape [2, 3]");
  }
  {
    QLinearArgs a = valid_linear();
    a.x = i8s({1, 0});
    a.w = i8s({5, 0});
    a.w_params = pt(1.0f);
    a.bias = Tensor(DType::f32, Shape{5});
    CapGuard cap(4);
    expect_parity(a, ErrorKind::too_large, "bias shape [5]");
  }
  {
    QLinearArgs a = valid_linear();
    a.x = i8s({4, 0});
    a.w = i8s({4, 0});
    a.w_params = pt(1.0f);
    a.bias.reset();
    CapGuard cap(10);
    expect_parity(a, ErrorKind::too_large, "output shape [4, 4]");
  }
  {
    QConv2dArgs c = valid_conv();
    const int64_t huge = std::numeric_limits<int64_t>::max();
    c.attrs.padding = {huge, 0, huge, 0};
    expect_parity(c, ErrorKind::too_large, "output H");
  }
  {
    QElementwiseArgs e = valid_add();
    e.a = i8s({8, 1});
    e.b = i8s({1, 8});
    CapGuard cap(20);
    expect_parity(e, ErrorKind::too_large, "output shape [8, 8]");
  }
  {
    // unsupported (step 1) before too_large
    QLinearArgs a = valid_linear();
    a.x = Tensor::of<float>(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
    CapGuard cap(5);
    expect_parity(a, ErrorKind::unsupported, "x has dtype f32");
  }
}

TEST(ImplFusedErrors, Step3InvalidRange) {
  QLinearArgs a = valid_linear();
  a.x_params.quant_min = 5;
  a.x_params.quant_max = 4;
  expect_parity(a, ErrorKind::invalid_range, "x quant range [5, 4]");
  a = valid_linear();
  a.w_params.quant_max = 200;
  expect_parity(a, ErrorKind::invalid_range, "w quant range [-128, 200]");
  a = valid_linear();
  a.activation = {ActivationKind::clamp, 2.0f, 1.0f};
  expect_parity(a, ErrorKind::invalid_range, "clamp activation bounds [2, 1]");
  a.activation = {ActivationKind::clamp, kNan, 1.0f};
  expect_parity(a, ErrorKind::invalid_range, "clamp activation");
  a.activation = {ActivationKind::clamp, -kInf, kInf};
  expect_accepted(a);
  {
    // too_large before invalid_range
    a = valid_linear();
    a.out_params.quant_max = 1000;
    CapGuard cap(5);
    expect_parity(a, ErrorKind::too_large, "x shape");
  }
  // invalid_range before op shapes
  a = valid_linear();
  a.w_params.quant_min = 10;
  a.w_params.quant_max = 0;
  a.bias = Tensor(DType::f32, Shape{3});
  expect_parity(a, ErrorKind::invalid_range, "w quant range");
}

TEST(ImplFusedErrors, Step4OpShapes) {
  QLinearArgs a = valid_linear();
  a.x = i8s({});
  expect_parity(a, ErrorKind::invalid_shape, "x has shape []");
  a = valid_linear();
  a.w = i8s({12});
  expect_parity(a, ErrorKind::invalid_shape, "w has shape [12]");
  a = valid_linear();
  a.x = i8s({2, 4});
  a.w = i8s({3, 5});
  expect_parity(a, ErrorKind::invalid_shape, "x.shape[-1] = 4 does not match w.shape[1] = 5");
  a = valid_linear();
  a.bias = Tensor(DType::f32, Shape{1, 4});
  expect_parity(a, ErrorKind::invalid_shape, "bias has shape [1, 4]");

  QConv2dArgs c = valid_conv();
  c.attrs.groups = 0;
  expect_parity(c, ErrorKind::invalid_shape, "groups is 0");
  c = valid_conv();
  c.x = i8s({1, 3, 3, 3});
  c.attrs.groups = 2;
  expect_parity(c, ErrorKind::invalid_shape, "not divisible by groups = 2");
  c = valid_conv();
  c.attrs.groups = 2;
  expect_parity(c, ErrorKind::invalid_shape, "does not match C / groups");
  c = valid_conv();
  c.attrs.stride = {1, 0};
  expect_parity(c, ErrorKind::invalid_shape, "stride[1] is 0");
  c = valid_conv();
  c.attrs.dilation = {-1, 1};
  expect_parity(c, ErrorKind::invalid_shape, "dilation[0] is -1");
  c = valid_conv();
  c.attrs.padding = {0, 0, 0, -1};
  expect_parity(c, ErrorKind::invalid_shape, "padding[3] is -1");
  c = valid_conv();
  c.attrs.dilation = {3, 1};
  c.attrs.stride = {2, 1};
  expect_parity(c, ErrorKind::invalid_shape, "output H would be < 1");
  c.attrs.padding = {1, 0, 0, 0};
  expect_accepted(c);
  // The output cap and the int64 limit come after every op-shape check.
  c = valid_conv();
  const int64_t huge = std::numeric_limits<int64_t>::max();
  c.attrs.padding = {huge, 0, huge, 0};
  c.attrs.dilation = {1, 5};
  expect_parity(c, ErrorKind::invalid_shape, "output W would be < 1");
  c.attrs.dilation = {1, 1};
  c.bias = Tensor(DType::f32, Shape{3});
  expect_parity(c, ErrorKind::invalid_shape, "bias has shape [3]");

  QElementwiseArgs e = valid_add();
  e.a = i8s({2, 3});
  e.b = i8s({4});
  expect_parity(e, ErrorKind::invalid_shape, "do not broadcast");
}

TEST(ImplFusedErrors, Step5Layouts) {
  QLinearArgs a = valid_linear();
  a.w_params = scaled({4, 2});
  expect_parity(a, ErrorKind::non_divisible_block,
                "w params for shape [4, 3]: input dim 1 (size 3) is not divisible by scale dim 1 "
                "(size 2)");
  a = valid_linear();
  a.x_params = scaled({2});
  expect_parity(a, ErrorKind::invalid_shape, "x params for shape [2, 3]: scale has rank 1");
  a = valid_linear();
  a.w_params.zero_point = Tensor::of<int32_t>(Shape{4}, {0, 0, 0, 0});
  expect_parity(a, ErrorKind::invalid_shape, "w zero_point shape [4] differs from scale shape [4, 1]");
  a = valid_linear();
  a.out_params = scaled({1, 3});
  expect_parity(a, ErrorKind::non_divisible_block, "out params for shape [2, 4]");
  a = valid_linear();
  a.w_params.block_size = std::vector<int64_t>{1, 2};
  expect_parity(a, ErrorKind::invalid_shape, "expected ceil(3 / 2) = 2");
  a = valid_linear();
  a.w_params.block_size = std::vector<int64_t>{1};
  expect_parity(a, ErrorKind::invalid_shape, "block_size has 1 entries");
  // Shape errors of every dim before divisibility errors: dim 0 non-divisible,
  // dim 1 has a zero-size scale dim.
  a = valid_linear();
  a.w_params = scaled({3, 0});
  expect_parity(a, ErrorKind::invalid_shape, "scale dim 1 has size 0");
  // Within the step, operand by operand: x's divisibility error before w's shape error.
  a = valid_linear();
  a.x_params = scaled({2, 2});
  a.w_params = scaled({4});
  expect_parity(a, ErrorKind::non_divisible_block, "x params for shape [2, 3]");
  // op shapes (step 4) before layouts; the output cap between them.
  a = valid_linear();
  a.x = i8s({4, 0});
  a.w = i8s({4, 0});
  a.w_params = pt(1.0f);
  a.bias.reset();
  a.out_params = scaled({1, 3});
  {
    CapGuard cap(10);
    expect_parity(a, ErrorKind::too_large, "output shape [4, 4]");
  }
  expect_parity(a, ErrorKind::non_divisible_block, "out params for shape [4, 4]");

  QConv2dArgs c = valid_conv();
  c.out_params = scaled({1, 3, 1, 1});
  expect_parity(c, ErrorKind::non_divisible_block, "out params for shape [1, 2, 2, 2]");
  QElementwiseArgs e = valid_add();
  e.a_params = scaled({3, 1});
  expect_parity(e, ErrorKind::non_divisible_block, "a params for shape [2, 1]");
}

TEST(ImplFusedErrors, Step6UndefinedLayouts) {
  QLinearArgs a = valid_linear();
  a.x_params = scaled({1, 3});
  expect_parity(a, ErrorKind::unsupported, "qlinear defines x params per-tensor or per-row");
  a = valid_linear();
  a.x = i8s({4, 3});
  a.x_params = scaled({2, 1});
  expect_parity(a, ErrorKind::unsupported, "x params have layout");
  a = valid_linear();
  a.out_params = scaled({2, 1});
  expect_parity(a, ErrorKind::unsupported, "per-channel along the last dim");
  a = valid_linear();
  a.out_params = scaled({1, 2});
  a.out_params.block_size = std::vector<int64_t>{2, 2};
  expect_parity(a, ErrorKind::unsupported, "out params have layout");
  QConv2dArgs c = valid_conv();
  c.x_params = scaled({1, 2, 1, 1});
  expect_parity(c, ErrorKind::unsupported, "qconv2d defines x params per-tensor only");
  c = valid_conv();
  c.out_params = scaled({1, 1, 2, 1});
  expect_parity(c, ErrorKind::unsupported, "per-channel [1, O, 1, 1]");
  // Layout errors (step 5) before undefined layouts (step 6), and those before scales.
  a = valid_linear();
  a.x_params = scaled({1, 3});
  a.out_params = scaled({1, 3});
  expect_parity(a, ErrorKind::non_divisible_block, "out params");
  a = valid_linear();
  a.x_params = scaled({1, 3});
  a.w_params.scale = Tensor::of<float>(Shape{4, 1}, {0, 1, 1, 1});
  expect_parity(a, ErrorKind::unsupported, "x params have layout");
  // Accepted: per-row x ([3, 1, 4] with scale [3, 1, 1]; a size-1 dim with
  // any block), per-channel out, any weight and elementwise layout.
  a = valid_linear();
  a.x = i8s({3, 1, 3});
  a.x_params = scaled({3, 1, 1});
  a.out_params = scaled({1, 1, 4});
  expect_accepted(a);
  c = valid_conv();
  c.w_params = scaled({2, 1, 2, 1});
  c.out_params = scaled({1, 2, 1, 1});
  expect_accepted(c);
}

TEST(ImplFusedErrors, Steps7To9ValuesInOperandOrder) {
  QLinearArgs a = valid_linear();
  a.w_params.scale = Tensor::of<float>(Shape{4, 1}, {1.0f, 0.0f, 1.0f, 1.0f});
  expect_parity(a, ErrorKind::invalid_scale, "w scale element 1 is 0");
  a = valid_linear();
  a.out_params.scale = Tensor::of<float>(Shape{}, {kNan});
  expect_parity(a, ErrorKind::invalid_scale, "out scale element 0");
  a = valid_linear();
  a.x_params.scale = Tensor::of<float>(Shape{}, {1e-40f});
  expect_parity(a, ErrorKind::invalid_scale, "x scale element 0");
  QElementwiseArgs e = valid_add();
  e.a_params.scale = Tensor::of<float>(Shape{}, {kInf});
  expect_parity(e, ErrorKind::invalid_scale, "a scale element 0 is inf");
  // Scales operand by operand, all before zero points.
  a = valid_linear();
  a.w_params.scale = Tensor::of<float>(Shape{4, 1}, {0, 1, 1, 1});
  a.out_params.scale = Tensor::of<float>(Shape{}, {kNan});
  a.x_params.zero_point = Tensor::of<int32_t>(Shape{}, {1000});
  expect_parity(a, ErrorKind::invalid_scale, "w scale element 0");

  a = valid_linear();
  a.x_params.zero_point = Tensor::of<int32_t>(Shape{}, {200});
  expect_parity(a, ErrorKind::invalid_zero_point, "x zero_point element 0 is 200, outside [-128, 127]");
  a = valid_linear();
  a.out_params.zero_point_domain = ZeroPointDomain::none;
  expect_parity(a, ErrorKind::invalid_zero_point, "out zero_point given with zero_point_domain none");
  a = valid_linear();
  a.w_params.zero_point = Tensor::of<float>(Shape{4, 1}, {0, 0, 0, 0});
  expect_parity(a, ErrorKind::invalid_zero_point, "w int-domain zero_point must have an integer dtype");
  a = valid_linear();
  a.w_params.zero_point_domain = ZeroPointDomain::float_domain;
  a.w_params.zero_point = Tensor::of<float>(Shape{4, 1}, {0, kInf, 0, 0});
  expect_parity(a, ErrorKind::invalid_zero_point, "w zero_point element 1 is inf");

  a = valid_linear();
  a.bias = Tensor::of<float>(Shape{4}, {0, kNan, 0, 0});
  expect_parity(a, ErrorKind::nan_input, "bias element 1 is NaN");
  a.out_params.zero_point = Tensor::of<int32_t>(Shape{}, {-129});
  expect_parity(a, ErrorKind::invalid_zero_point, "out zero_point element 0 is -129");
  a = valid_linear();
  a.bias = Tensor::of<float>(Shape{4}, {0, kInf, 0, 0});
  expect_accepted(a);
  QConv2dArgs c = valid_conv();
  c.bias = Tensor::of<float>(Shape{2}, {kNan, 0});
  expect_parity(c, ErrorKind::nan_input, "bias element 0 is NaN");
}

// An ISA the machine lacks is `unsupported` (after validation), never a crash.
TEST(ImplFusedErrors, UnsupportedIsa) {
  for (Isa isa : kAllIsas) {
    if (isa_supported(isa)) continue;
    EXPECT_EQ(error_kind_of([&] { qlinear(valid_linear(), options_for(isa)); }),
              ErrorKind::unsupported);
  }
}

}  // namespace
}  // namespace qdiff::impl
