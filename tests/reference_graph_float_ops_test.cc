// Golden tests of the reference f32 graph operators (reference/float_ops.h,
// docs/graph.md): linear and conv2d accumulate in double and round ONCE to
// f32; add and mul are one IEEE f32 operation; relu keeps -0.0 and NaN.
// Every value is worked by hand below. Notation: u = 2^-24, so f32 values
// in [1, 2) are 1 + k * 2u, and a value exactly between two of them rounds
// to the one with an even last mantissa bit (round half to even).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>

#include "reference/float_ops.h"
#include "tests/reference_graph_test_util.h"

namespace qdiff::reference {
namespace {

using ::testing::ElementsAre;
using namespace graph_test;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kU = 0x1p-24f;

// x [2, 1, 3], w [4, 3], bias [4]; output [2, 1, 4]. Every product and every
// double sum below is exact (at most 45 significant bits), so the only
// rounding is the final one to f32.
//   x row 0 = [1, u, u]
//     k0: w [1, 1, 1],    b 0       1 + 2u                 = 0x1.000002p+0 (exact)
//     k1: w [1, 1, 2^-20], b 0      1 + u + 2^-44: above the midpoint 1 + u
//                                   of 1 and 1 + 2u, rounds up to 0x1.000002p+0
//     k2: w [1, 0, 0],    b 3u      1 + 3u: midpoint of 1 + 2u (odd last bit)
//                                   and 1 + 4u (even) -> 0x1.000004p+0
//     k3: w [1, 1, 0],    b 0       1 + u: midpoint of 1 (even) and 1 + 2u -> 1
//   An f32 accumulator would give 1 for k0 and k1 (1 + u ties to 1 at each step).
//   x row 1 = [-2, 0.5, 0.25]
//     k0: -2 + 0.5 + 0.25                = -1.25
//     k1: -2 + 0.5 + 0.25 * 2^-20        = -(1.5 - 2^-22) = -0x1.7ffffcp+0 (exact)
//     k2: -2 + 3u = -(2 - 3u): between 2 - 2u (odd last bit) and 2 - 4u
//         (even) -> -(2 - 4u) = -0x1.fffffcp+0
//     k3: -2 + 0.5                       = -1.5
TEST(ReferenceLinearF32, DoubleSumRoundedOnce) {
  const Tensor x = f32({2, 1, 3}, {1.0f, kU, kU, -2.0f, 0.5f, 0.25f});
  const Tensor w = f32({4, 3}, {1, 1, 1, 1, 1, 0x1p-20f, 1, 0, 0, 1, 1, 0});
  const Tensor b = f32({4}, {0, 0, 3 * kU, 0});
  const Tensor y = linear_f32(x, w, b);
  EXPECT_EQ(y.dtype(), DType::f32);
  EXPECT_EQ(y.shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(bits(y), bits({0x1.000002p+0f, 0x1.000002p+0f, 0x1.000004p+0f, 1.0f, -1.25f,
                           -0x1.7ffffcp+0f, -0x1.fffffcp+0f, -1.5f}));
}

// The sum is formed in double before the one rounding, so an intermediate
// beyond FLT_MAX does not overflow: FLT_MAX + FLT_MAX - FLT_MAX = FLT_MAX
// (an f32 accumulator reaches inf at the second term and stays there).
// 2 * FLT_MAX itself rounds to +inf; inf * 0 is NaN and propagates.
TEST(ReferenceLinearF32, OverflowOnlyAtTheEndAndNanPropagates) {
  const Tensor x = f32({3}, {FLT_MAX, FLT_MAX, -FLT_MAX});
  const Tensor w = f32({3, 3}, {1, 1, 1, 1, 1, 0, 1, 1, -0.0f});
  const Tensor y = linear_f32(x, w, std::nullopt);
  EXPECT_EQ(y.shape(), (Shape{3}));
  EXPECT_EQ(y.f32_at(0), FLT_MAX);
  EXPECT_EQ(y.f32_at(1), kInf);
  // -FLT_MAX * -0.0 = +0.0: the sum is 2 FLT_MAX, +inf.
  EXPECT_EQ(y.f32_at(2), kInf);
  const Tensor nan_y = linear_f32(f32({2}, {kInf, 1}), f32({1, 2}, {0, 1}), std::nullopt);
  EXPECT_TRUE(std::isnan(nan_y.f32_at(0)));
  // An infinite bias propagates; the other operand's sum is finite.
  const Tensor inf_b = linear_f32(f32({1}, {1}), f32({2, 1}, {1, 2}), f32({2}, {-kInf, 0.5f}));
  EXPECT_EQ(inf_b.f32_at(0), -kInf);
  EXPECT_EQ(inf_b.f32_at(1), 2.5f);
}

// In = 0: y = bias (an empty sum is +0.0; +0.0 + b = b, and -0.0 + 0.0 = +0.0).
// M = 0 and K = 0: empty outputs of the right shape.
TEST(ReferenceLinearF32, EmptyReductionsAndOutputs) {
  const Tensor y = linear_f32(f32({2, 0}, {}), f32({3, 0}, {}), f32({3}, {1.5f, -0.0f, kInf}));
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(bits(y), bits({1.5f, 0.0f, kInf, 1.5f, 0.0f, kInf}));
  EXPECT_EQ(linear_f32(f32({0, 4}, {}), f32({2, 4}, std::vector<float>(8, 1.0f)), std::nullopt).shape(),
            (Shape{0, 2}));
  EXPECT_EQ(linear_f32(f32({3, 1}, {1, 2, 3}), f32({0, 1}, {}), std::nullopt).shape(),
            (Shape{3, 0}));
}

// conv2d: x [1, 2, 2, 2], groups 2 (one input channel per group), w [2, 1, 2, 2],
// padding top 1, left 1: OH = (2 + 1 + 0 - 1 - 1) / 1 + 1 = 2, OW = 2. Output
// (oh, ow) reads input rows oh - 1, oh and columns ow - 1, ow (row or column -1
// is padding, a real 0).
//   channel 0: x = [[1, 2], [3, 4]], w = [[1, 10], [100, 1000]]
//     (0,0): only tap (1,1) sees x[0][0]:          1 * 1000            = 1000
//     (0,1): taps (1,0), (1,1) see x[0][0], x[0][1]: 1 * 100 + 2 * 1000 = 2100
//     (1,0): taps (0,1), (1,1) see x[0][0], x[1][0]: 1 * 10 + 3 * 1000  = 3010
//     (1,1): all four:       1 * 1 + 2 * 10 + 3 * 100 + 4 * 1000        = 4321
//   channel 1 (group 1 reads x channel 1 only): x = [[2^24, 1], [1, 1]], w all 1
//     (0,0): 2^24
//     (0,1): 2^24 + 1, the midpoint of 2^24 (even) and 2^24 + 2 -> 2^24
//     (1,0): 2^24 + 1 -> 2^24
//     (1,1): 2^24 + 3, the midpoint of 2^24 + 2 (odd) and 2^24 + 4 (even) -> 2^24 + 4
//     (an f32 accumulator in tap order gives 2^24 there: each + 1 ties back down)
TEST(ReferenceConv2dF32, GroupsPaddingAndOneRounding) {
  const Tensor x = f32({1, 2, 2, 2}, {1, 2, 3, 4, 0x1p24f, 1, 1, 1});
  const Tensor w = f32({2, 1, 2, 2}, {1, 10, 100, 1000, 1, 1, 1, 1});
  Conv2dAttrs at;
  at.groups = 2;
  at.padding = {1, 1, 0, 0};
  const Tensor y = conv2d_f32(x, w, std::nullopt, at);
  EXPECT_EQ(y.shape(), (Shape{1, 2, 2, 2}));
  EXPECT_EQ(bits(y), bits({1000, 2100, 3010, 4321, 0x1p24f, 0x1p24f, 0x1p24f, 0x1p24f + 4}));
}

// With bias [0.5, -4] the bias joins the double sum before the rounding:
// channel 0: 1000.5, 2100.5, 3010.5, 4321.5 (exact); channel 1: 2^24 - 4,
// 2^24 + 1 - 4 = 2^24 - 3 (exact: the f32 spacing below 2^24 is 1), 2^24 - 3,
// 2^24 + 3 - 4 = 2^24 - 1. Rounding the sum before adding the bias would give
// 2^24 - 4 for the middle two and 2^24 for the last.
TEST(ReferenceConv2dF32, BiasJoinsTheSumBeforeTheRounding) {
  const Tensor x = f32({1, 2, 2, 2}, {1, 2, 3, 4, 0x1p24f, 1, 1, 1});
  const Tensor w = f32({2, 1, 2, 2}, {1, 10, 100, 1000, 1, 1, 1, 1});
  Conv2dAttrs at;
  at.groups = 2;
  at.padding = {1, 1, 0, 0};
  const Tensor y = conv2d_f32(x, w, f32({2}, {0.5f, -4.0f}), at);
  EXPECT_EQ(bits(y), bits({1000.5f, 2100.5f, 3010.5f, 4321.5f, 16777212.0f, 16777213.0f,
                           16777213.0f, 16777215.0f}));
}

// Stride 2 and dilation 2 on a 1-channel 5x5 input x[r][c] = 5r + c, 2x2
// kernel [[1, 2], [3, 4]], no padding: extent 2 * (2 - 1) + 1 = 3,
// OH = OW = (5 - 3) / 2 + 1 = 2; output (oh, ow) reads rows 2oh, 2oh + 2 and
// columns 2ow, 2ow + 2: y = x[r][c] + 2 x[r][c+2] + 3 x[r+2][c] + 4 x[r+2][c+2]
// = 10 x[r][c] + 2*2 + 3*10 + 4*12 = 10 (5r + c) + 82:
//   (0,0): 82, (0,1): 102 (c = 2), (1,0): 182 (r = 2), (1,1): 202.
TEST(ReferenceConv2dF32, StrideAndDilation) {
  std::vector<float> xv(25);
  for (int i = 0; i < 25; ++i) xv[size_t(i)] = float(i);
  Conv2dAttrs at;
  at.stride = {2, 2};
  at.dilation = {2, 2};
  const Tensor y = conv2d_f32(f32({1, 1, 5, 5}, xv), f32({1, 1, 2, 2}, {1, 2, 3, 4}),
                              std::nullopt, at);
  EXPECT_EQ(y.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(bits(y), bits({82, 102, 182, 202}));
}

// Asymmetric padding [top 1, left 0, bottom 0, right 1] with a 1x2 kernel
// [[1, 10]] on x = [[1, 2], [3, 4]]: OH = (2 + 1 + 0 - 1) / 1 + 1 = 3,
// OW = (2 + 0 + 1 - 2) / 1 + 1 = 2; output (oh, ow) reads row oh - 1 and
// columns ow, ow + 1 (column 2 is the right padding):
//   oh 0: the padding row: 0, 0
//   oh 1: 1 + 2 * 10 = 21, 2 + 0 = 2
//   oh 2: 3 + 4 * 10 = 43, 4
TEST(ReferenceConv2dF32, AsymmetricPadding) {
  Conv2dAttrs at;
  at.padding = {1, 0, 0, 1};
  const Tensor y = conv2d_f32(f32({1, 1, 2, 2}, {1, 2, 3, 4}), f32({1, 1, 1, 2}, {1, 10}),
                              std::nullopt, at);
  EXPECT_EQ(y.shape(), (Shape{1, 1, 3, 2}));
  EXPECT_EQ(bits(y), bits({0, 0, 21, 2, 43, 4}));
}

// add, numpy broadcasting [2, 1] + [3] -> [2, 3], one f32 rounding each:
//   1 + u      midpoint of 1 and 1 + 2u     -> 1
//   1 + 3u     midpoint of 1 + 2u and 1 + 4u -> 1 + 4u = 0x1.000004p+0
//   1 + 3      = 4
//   2^24 + u   -> 2^24; 2^24 + 3u -> 2^24 (far below half the spacing 2)
//   2^24 + 3   midpoint of 2^24 + 2 (odd) and 2^24 + 4 (even) -> 2^24 + 4
TEST(ReferenceAddF32, BroadcastingAndRounding) {
  const Tensor y = add_f32(f32({2, 1}, {1, 0x1p24f}), f32({3}, {kU, 3 * kU, 3}));
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(bits(y), bits({1.0f, 0x1.000004p+0f, 4.0f, 0x1p24f, 0x1p24f, 0x1p24f + 4}));
  // inf + -inf = NaN; -0.0 + -0.0 = -0.0; -0.0 + 0.0 = +0.0 (round to nearest).
  const Tensor z = add_f32(f32({3}, {kInf, -0.0f, -0.0f}), f32({3}, {-kInf, -0.0f, 0.0f}));
  EXPECT_TRUE(std::isnan(z.f32_at(0)));
  EXPECT_EQ(bits(z)[1], f32_bits(-0.0f));
  EXPECT_EQ(bits(z)[2], f32_bits(0.0f));
}

// mul, [2, 1] * [3] -> [2, 3]:
//   3 * (1 + 2u) = 3 + 6u: in [2, 4) the spacing is 4u, so this is the midpoint
//     of 3 + 4u (odd last bit) and 3 + 8u (even) -> 3 + 8u = 0x1.800004p+1
//   3 * 2^-149 = 3 * 2^-149, a subnormal, exact = 0x1.8p-148
//   3 * inf = inf
//   -0.5 * (1 + 2u) = -(0.5 + u), exact = -0x1.000002p-1
//   -0.5 * 2^-149 = -2^-150, the midpoint of -0.0 (even) and -2^-149 -> -0.0
//   -0.5 * inf = -inf
TEST(ReferenceMulF32, BroadcastingRoundingAndSubnormals) {
  const Tensor y = mul_f32(f32({2, 1}, {3, -0.5f}), f32({3}, {0x1.000002p+0f, 0x1p-149f, kInf}));
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(bits(y), bits({0x1.800004p+1f, 0x1.8p-148f, kInf, -0x1.000002p-1f, -0.0f, -kInf}));
  // inf * 0 = NaN, propagated.
  EXPECT_TRUE(std::isnan(mul_f32(scalar(kInf), scalar(0)).f32_at(0)));
}

// Rank 0 against rank 4, and size-1 dims on both sides: [] * [2, 1, 1, 2] and
// [1, 3] + [2, 1] -> [2, 3].
TEST(ReferenceElementwiseF32, RanksAndTwoSidedBroadcast) {
  const Tensor y = mul_f32(scalar(2), f32({2, 1, 1, 2}, {1, 2, 3, 4}));
  EXPECT_EQ(y.shape(), (Shape{2, 1, 1, 2}));
  EXPECT_EQ(bits(y), bits({2, 4, 6, 8}));
  const Tensor z = add_f32(f32({1, 3}, {1, 2, 3}), f32({2, 1}, {10, 20}));
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  EXPECT_EQ(bits(z), bits({11, 12, 13, 21, 22, 23}));
  EXPECT_EQ(add_f32(f32({0, 3}, {}), f32({3}, {1, 2, 3})).shape(), (Shape{0, 3}));
}

// max(x, 0): -0.0 stays -0.0 (bit for bit), NaN stays NaN, the smallest
// negative subnormal becomes +0.0.
TEST(ReferenceReluF32, KeepsNegativeZeroAndNan) {
  const Tensor y = relu_f32(f32({2, 4}, {-1, -0.0f, 0.0f, 2.5f, -kInf, kInf, kNan, -0x1p-149f}));
  EXPECT_EQ(y.shape(), (Shape{2, 4}));
  const std::vector<uint32_t> b = bits(y);
  EXPECT_EQ(b[0], f32_bits(0.0f));
  EXPECT_EQ(b[1], f32_bits(-0.0f));
  EXPECT_EQ(b[2], f32_bits(0.0f));
  EXPECT_EQ(b[3], f32_bits(2.5f));
  EXPECT_EQ(b[4], f32_bits(0.0f));
  EXPECT_EQ(b[5], f32_bits(kInf));
  EXPECT_TRUE(std::isnan(y.f32_at(6)));
  EXPECT_EQ(b[7], f32_bits(0.0f));
}

// ---- errors: f32 operands (unsupported) before op shapes (invalid_shape)
// before the output cap (too_large); messages name the operand.

TEST(ReferenceFloatOpsErrors, LinearTypesThenShapes) {
  const Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor w = f32({4, 3}, std::vector<float>(12, 1.0f));
  EXPECT_ERROR(linear_f32(i8({2, 3}, {1, 2, 3, 4, 5, 6}), w, std::nullopt), unsupported,
               "x has dtype i8; linear takes f32 operands");
  EXPECT_ERROR(linear_f32(x, i8({4, 3}, std::vector<int8_t>(12, 1)), std::nullopt), unsupported,
               "w has dtype i8");
  EXPECT_ERROR(linear_f32(x, w, i32({4}, {1, 2, 3, 4})), unsupported, "bias has dtype i32");
  // A bias of the wrong dtype AND shape: the dtype (step 1) is reported.
  EXPECT_ERROR(linear_f32(x, w, i32({5}, {1, 2, 3, 4, 5})), unsupported, "bias has dtype i32");
  EXPECT_ERROR(linear_f32(scalar(1), w, std::nullopt), invalid_shape,
               "x has shape []; linear needs x of rank >= 1");
  EXPECT_ERROR(linear_f32(x, f32({4, 3, 1}, std::vector<float>(12, 1.0f)), std::nullopt),
               invalid_shape, "w has shape [4, 3, 1]; linear needs w of rank 2");
  EXPECT_ERROR(linear_f32(x, f32({3, 2}, std::vector<float>(6, 1.0f)), std::nullopt),
               invalid_shape, "w has shape [3, 2], x.shape[-1] = 3 does not match w.shape[1] = 2");
  EXPECT_ERROR(linear_f32(x, w, f32({3}, {1, 2, 3})), invalid_shape,
               "bias has shape [3], expected [K] = [4]");
  // [2^13, 0] x [2^14, 0]^T has 2^27 outputs, above the default cap 2^26.
  EXPECT_ERROR(linear_f32(f32({8192, 0}, {}), f32({16384, 0}, {}), std::nullopt), too_large,
               "output shape [8192, 16384] has more than");
}

TEST(ReferenceFloatOpsErrors, Conv2dShapes) {
  const Tensor x = f32({1, 2, 3, 3}, std::vector<float>(18, 1.0f));
  const Tensor w = f32({2, 1, 2, 2}, std::vector<float>(8, 1.0f));
  Conv2dAttrs at;
  at.groups = 2;
  EXPECT_NO_THROW(conv2d_f32(x, w, std::nullopt, at));
  EXPECT_ERROR(conv2d_f32(x, i8({2, 1, 2, 2}, std::vector<int8_t>(8, 1)), std::nullopt, at),
               unsupported, "w has dtype i8; conv2d takes f32 operands");
  EXPECT_ERROR(conv2d_f32(f32({2, 3, 3}, std::vector<float>(18, 1.0f)), w, std::nullopt, at),
               invalid_shape, "conv2d needs x of rank 4");
  Conv2dAttrs bad = at;
  bad.groups = 0;
  EXPECT_ERROR(conv2d_f32(x, w, std::nullopt, bad), invalid_shape, "groups is 0, must be >= 1");
  bad = at;
  bad.groups = 1;  // w.shape[1] = 1 != C / 1 = 2
  EXPECT_ERROR(conv2d_f32(x, w, std::nullopt, bad), invalid_shape,
               "w.shape[1] = 1 does not match C / groups = 2 / 1 = 2");
  bad = at;
  bad.stride = {1, 0};
  EXPECT_ERROR(conv2d_f32(x, w, std::nullopt, bad), invalid_shape, "stride[1] is 0, must be >= 1");
  bad = at;
  bad.padding = {0, 0, -1, 0};
  EXPECT_ERROR(conv2d_f32(x, w, std::nullopt, bad), invalid_shape, "padding[2] is -1");
  bad = at;
  bad.dilation = {3, 1};  // extent 3 * (2 - 1) + 1 = 4 > 3
  EXPECT_ERROR(conv2d_f32(x, w, std::nullopt, bad), invalid_shape, "output H would be < 1");
  EXPECT_ERROR(conv2d_f32(x, w, f32({3}, {1, 2, 3}), at), invalid_shape,
               "bias has shape [3], expected [O] = [2]");
  bad = at;
  bad.padding = {std::numeric_limits<int64_t>::max(), 0, std::numeric_limits<int64_t>::max(), 0};
  EXPECT_ERROR(conv2d_f32(x, w, std::nullopt, bad), too_large, "output H would be");
}

TEST(ReferenceFloatOpsErrors, ElementwiseAndRelu) {
  EXPECT_ERROR(add_f32(f32({2}, {1, 2}), f32({3}, {1, 2, 3})), invalid_shape,
               "shapes [2] and [3] do not broadcast");
  EXPECT_ERROR(mul_f32(i8({2}, {1, 2}), f32({3}, {1, 2, 3})), unsupported,
               "a has dtype i8; mul takes f32 operands");
  EXPECT_ERROR(add_f32(f32({2}, {1, 2}), u8({2}, {1, 2})), unsupported,
               "b has dtype u8; add takes f32 operands");
  EXPECT_ERROR(relu_f32(i32({1}, {-1})), unsupported, "x has dtype i32; relu takes f32");
  // [8192, 1] + [1, 16384] broadcasts to 2^27 elements.
  EXPECT_ERROR(add_f32(f32({8192, 1}, std::vector<float>(8192, 0.0f)),
                       f32({1, 16384}, std::vector<float>(16384, 0.0f))),
               too_large, "output shape [8192, 16384] has more than");
}

}  // namespace
}  // namespace qdiff::reference
