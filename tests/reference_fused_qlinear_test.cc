// Golden tests of reference::qlinear (SPEC section 8): every value is worked
// by hand from the SPEC in the comment beside it (and was re-checked with a
// throwaway exact-rational program that does not call qdiff). Scales are
// powers of two, so every dq() and every sum is exact and the only rounding
// is the final round-half-even of y / s_out.
//   y[.., k] = sum_j dq(x)[.., j] * dq(w)[k, j] + bias[k]
//   q = clamp(round_half_even(y / s_out) + z_out, qmin, qmax)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "reference/fused_ops.h"
#include "tests/reference_fused_test_util.h"

namespace qdiff::reference {
namespace {

using ::testing::ElementsAre;
using namespace fused_test;

constexpr double kInf = std::numeric_limits<double>::infinity();

// x [2, 3] i8, s = 0.5, z = 1:  q [[3, 5, -1], [1, 0, 7]]  -> dq [[1, 2, -1], [0, -0.5, 3]]
// w [2, 3] i8, s = 0.25, z = 0: q [[4, -4, 8], [2, 6, -2]] -> dq [[1, -1, 2], [0.5, 1.5, -0.5]]
//   y[0, 0] = 1 - 2 - 2           = -3
//   y[0, 1] = 0.5 + 3 + 0.5       =  4
//   y[1, 0] = 0 + 0.5 + 6         =  6.5
//   y[1, 1] = 0 - 0.75 - 1.5      = -2.25
QLinearArgs per_tensor_case() {
  QLinearArgs a;
  a.x = i8({2, 3}, {3, 5, -1, 1, 0, 7});
  a.x_params = per_tensor(0.5f, 1);
  a.w = i8({2, 3}, {4, -4, 8, 2, 6, -2});
  a.w_params = per_tensor(0.25f, 0);
  a.out_params = per_tensor(0.5f, -3);
  return a;
}

// out s = 0.5, z = -3: y / s = -6, 8, 13, -4.5 -> round half even -6, 8, 13, -4 (the tie
// -4.5 goes to the even -4) -> + z = -9, 5, 10, -7.
// magnitude = sum |terms| / s: (1 + 2 + 2) / 0.5 = 10, (0.5 + 3 + 0.5) / 0.5 = 8,
// (0 + 0.5 + 6) / 0.5 = 13, (0 + 0.75 + 1.5) / 0.5 = 4.5.
TEST(ReferenceQLinear, PerTensor) {
  const IdealResult r = qlinear(per_tensor_case());
  EXPECT_EQ(r.output.dtype(), DType::i8);
  EXPECT_EQ(r.output.shape(), (Shape{2, 2}));
  EXPECT_THAT(ints(r.output), ElementsAre(-9, 5, 10, -7));
  EXPECT_THAT(r.pre_rounding, ElementsAre(-9.0, 5.0, 10.0, -7.5));
  EXPECT_THAT(r.magnitude, ElementsAre(10.0, 8.0, 13.0, 4.5));
}

// The same y through relu: [0, 4, 6.5, 0] -> y / 0.5 = 0, 8, 13, 0 -> + (-3) = -3, 5, 10, -3.
TEST(ReferenceQLinear, Relu) {
  QLinearArgs a = per_tensor_case();
  a.activation = {ActivationKind::relu};
  const IdealResult r = qlinear(a);
  EXPECT_THAT(ints(r.output), ElementsAre(-3, 5, 10, -3));
  EXPECT_THAT(r.pre_rounding, ElementsAre(-3.0, 5.0, 10.0, -3.0));
  // The activation does not change the magnitude (it bounds the sum's error).
  EXPECT_THAT(r.magnitude, ElementsAre(10.0, 8.0, 13.0, 4.5));
}

// clamp [-1.25, 5] in real units, before the output quantization:
// y = [-3, 4, 6.5, -2.25] -> [-1.25, 4, 5, -1.25] -> y / 0.5 = -2.5, 8, 10, -2.5
// -> round half even -2, 8, 10, -2 -> + (-3) = -5, 5, 7, -5.
TEST(ReferenceQLinear, ClampInRealUnits) {
  QLinearArgs a = per_tensor_case();
  a.activation = {ActivationKind::clamp, -1.25f, 5.0f};
  const IdealResult r = qlinear(a);
  EXPECT_THAT(ints(r.output), ElementsAre(-5, 5, 7, -5));
  EXPECT_THAT(r.pre_rounding, ElementsAre(-5.5, 5.0, 7.0, -5.5));
}

// A narrowed output range [-5, 5] in i8: -9, 5, 10, -7 saturate to -5, 5, 5, -5;
// pre_rounding is before the clamp.
TEST(ReferenceQLinear, SaturatesAtTheOutputRange) {
  QLinearArgs a = per_tensor_case();
  a.out_params.quant_min = -5;
  a.out_params.quant_max = 5;
  a.out_params.zero_point = Tensor::of<int32_t>(Shape{}, {-3});
  const IdealResult r = qlinear(a);
  EXPECT_THAT(ints(r.output), ElementsAre(-5, 5, 5, -5));
  EXPECT_THAT(r.pre_rounding, ElementsAre(-9.0, 5.0, 10.0, -7.5));
}

// In = 1, K = 1, exact ties in both directions: x s = 0.5, q [5, 7, -5, -7] -> dq 2.5, 3.5,
// -2.5, -3.5; w = [[1]] with s = 1 -> y = dq(x).
//   z_out = 0: round half even -> 2, 4, -2, -4
//   z_out = 1: the zero point is added AFTER rounding -> 3, 5, -1, -3 (adding it before
//              would round 3.5, 4.5, -1.5, -2.5 to 4, 4, -2, -2)
TEST(ReferenceQLinear, TiesRoundHalfToEvenBeforeTheZeroPoint) {
  QLinearArgs a;
  a.x = i8({4, 1}, {5, 7, -5, -7});
  a.x_params = per_tensor(0.5f, 0);
  a.w = i8({1, 1}, {1});
  a.w_params = per_tensor(1.0f, 0);
  a.out_params = per_tensor(1.0f, 0);
  IdealResult r = qlinear(a);
  EXPECT_EQ(r.output.shape(), (Shape{4, 1}));
  EXPECT_THAT(ints(r.output), ElementsAre(2, 4, -2, -4));
  EXPECT_THAT(r.pre_rounding, ElementsAre(2.5, 3.5, -2.5, -3.5));
  a.out_params = per_tensor(1.0f, 1);
  r = qlinear(a);
  EXPECT_THAT(ints(r.output), ElementsAre(3, 5, -1, -3));
  EXPECT_THAT(r.pre_rounding, ElementsAre(3.5, 4.5, -1.5, -2.5));
}

// Per-channel weights [K, 1], a bias, and per-channel output params [1, K].
// x [1, 2] s = 1: dq [2, -3].
// w [3, 2], s [[1], [0.5], [2]], z [[0], [2], [-1]]: q [[1, 1], [4, 0], [0, 1]]
//   -> row 0 (q - 0) * 1 = [1, 1]; row 1 (q - 2) * 0.5 = [1, -1]; row 2 (q + 1) * 2 = [2, 4]
// bias [0.25, -1, 0.5]:
//   y0 = 2 - 3 + 0.25 = -0.75;  y1 = 2 + 3 - 1 = 4;  y2 = 4 - 12 + 0.5 = -7.5
// out s [0.25, 2, 1], z [0, 10, -20]:
//   -0.75 / 0.25 = -3 -> -3;  4 / 2 = 2 -> 12;  -7.5 / 1 = -7.5 (tie) -> -8 -> -28
// magnitude: (2 + 3 + 0.25) / 0.25 = 21, (2 + 3 + 1) / 2 = 3, (4 + 12 + 0.5) / 1 = 16.5
TEST(ReferenceQLinear, PerChannelWeightsBiasAndPerChannelOutput) {
  QLinearArgs a;
  a.x = i8({1, 2}, {2, -3});
  a.x_params = per_tensor(1.0f, 0);
  a.w = i8({3, 2}, {1, 1, 4, 0, 0, 1});
  a.w_params = with_scale({3, 1}, {1.0f, 0.5f, 2.0f}, std::vector<int32_t>{0, 2, -1});
  a.bias = f32({3}, {0.25f, -1.0f, 0.5f});
  a.out_params = with_scale({1, 3}, {0.25f, 2.0f, 1.0f}, std::vector<int32_t>{0, 10, -20});
  const IdealResult r = qlinear(a);
  EXPECT_EQ(r.output.shape(), (Shape{1, 3}));
  EXPECT_THAT(ints(r.output), ElementsAre(-3, 12, -28));
  EXPECT_THAT(r.pre_rounding, ElementsAre(-3.0, 12.0, -27.5));
  EXPECT_THAT(r.magnitude, ElementsAre(21.0, 3.0, 16.5));
}

// Per-group weights [K, In / g] with K = 2, In = 4, g = 2: scale [[1, 0.5], [0.25, 2]].
// x [1, 4] s = 1: [1, 2, 3, 4].
// w q [[1, 2, 2, 4], [4, 8, 1, -1]]: columns 0-1 use group 0, columns 2-3 group 1
//   -> row 0 [1, 2, 1, 2]; row 1 [1, 2, 2, -2]
//   y0 = 1 + 4 + 3 + 8 = 16;  y1 = 1 + 4 + 6 - 8 = 3;  out s = 0.5 -> 32, 6
TEST(ReferenceQLinear, PerGroupWeights) {
  QLinearArgs a;
  a.x = i8({1, 4}, {1, 2, 3, 4});
  a.x_params = per_tensor(1.0f, 0);
  a.w = i8({2, 4}, {1, 2, 2, 4, 4, 8, 1, -1});
  a.w_params = with_scale({2, 2}, {1.0f, 0.5f, 0.25f, 2.0f});
  a.out_params = per_tensor(0.5f, 0);
  const IdealResult r = qlinear(a);
  EXPECT_THAT(ints(r.output), ElementsAre(32, 6));
  EXPECT_THAT(r.pre_rounding, ElementsAre(32.0, 6.0));
}

// K = 1 with a [1, G] scale: the shape that reads as "per-channel with K = G" when
// squeezed (SPEC section 2). w [1, 4] q [2, 2, 4, 4], scale [1, 2] = [1, 0.5]:
// dq = [2, 2, 2, 2]; x = [1, 2, 3, 4] -> y = 2 * 10 = 20 -> s_out 1 -> 20.
// G = 1 (one group, g = In) is per-channel: scale [[0.5]] on w [1, 4] -> y = 10 -> 10.
TEST(ReferenceQLinear, KEqualsOneWithGroupsAndOneGroup) {
  QLinearArgs a;
  a.x = i8({1, 4}, {1, 2, 3, 4});
  a.x_params = per_tensor(1.0f, 0);
  a.w = i8({1, 4}, {2, 2, 4, 4});
  a.w_params = with_scale({1, 2}, {1.0f, 0.5f});
  a.out_params = per_tensor(1.0f, 0);
  EXPECT_THAT(ints(qlinear(a).output), ElementsAre(20));
  a.w = i8({1, 4}, {2, 2, 2, 2});
  a.w_params = with_scale({1, 1}, {0.5f});
  EXPECT_THAT(ints(qlinear(a).output), ElementsAre(10));
}

// Blockwise weights: explicit block_size [2, 2] on w [3, 5] -> scale [ceil(3/2), ceil(5/2)]
// = [2, 3] = [[1, 2, 4], [0.5, 0.25, 8]], partial last blocks in both dims.
// w q rows [1 x5], [2 x5], [1 x5]; w[k, j] uses scale[k / 2, j / 2]:
//   row 0 [1, 1, 2, 2, 4];  row 1 [2, 2, 4, 4, 8];  row 2 [0.5, 0.5, 0.25, 0.25, 8]
// x [1, 5] s = 1: [1, 2, 3, 4, 5]
//   y0 = 1 + 2 + 6 + 8 + 20 = 37;  y1 = 2 * 37 = 74;  y2 = 0.5 + 1 + 0.75 + 1 + 40 = 43.25
// out s = 0.5: 74; 148 -> saturates to 127; 86.5 (tie) -> 86.
TEST(ReferenceQLinear, BlockwiseWeightsWithPartialBlocks) {
  QLinearArgs a;
  a.x = i8({1, 5}, {1, 2, 3, 4, 5});
  a.x_params = per_tensor(1.0f, 0);
  a.w = i8({3, 5}, {1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1});
  a.w_params = with_scale({2, 3}, {1.0f, 2.0f, 4.0f, 0.5f, 0.25f, 8.0f});
  a.w_params.block_size = std::vector<int64_t>{2, 2};
  a.out_params = per_tensor(0.5f, 0);
  const IdealResult r = qlinear(a);
  EXPECT_THAT(ints(r.output), ElementsAre(74, 127, 86));
  EXPECT_THAT(r.pre_rounding, ElementsAre(74.0, 148.0, 86.5));
}

// u4 weights (u8 storage, [0, 15], zero point 8), u8 input and output.
// x [1, 3] u8 s = 0.5, z = 128: q [130, 126, 129] -> [1, -1, 0.5]
// w [2, 3] u4 s [[0.125], [0.25]], z 8: q [[15, 0, 8], [9, 7, 12]]
//   -> row 0 [7/8, -1, 0]; row 1 [0.25, -0.25, 1]
//   y0 = 0.875 + 1 + 0 = 1.875;  y1 = 0.25 + 0.25 + 0.5 = 1
// out u8 s = 0.25, z = 100: 7.5 (tie) -> 8 -> 108;  4 -> 104
TEST(ReferenceQLinear, U4Weights) {
  QLinearArgs a;
  a.x = u8({1, 3}, {130, 126, 129});
  a.x_params = per_tensor(0.5f, 128, "u8");
  a.w = u8({2, 3}, {15, 0, 8, 9, 7, 12});
  a.w_params = with_scale({2, 1}, {0.125f, 0.25f}, std::vector<int32_t>{8, 8}, "u4");
  a.out_params = per_tensor(0.25f, 100, "u8");
  const IdealResult r = qlinear(a);
  EXPECT_EQ(r.output.dtype(), DType::u8);
  EXPECT_THAT(ints(r.output), ElementsAre(108, 104));
  EXPECT_THAT(r.pre_rounding, ElementsAre(107.5, 104.0));
}

// i4 weights (i8 storage, [-8, 7]) and an i4 output, which saturates at ITS range:
// x [1, 2] s = 1: [3, -2];  w [2, 2] i4 s = 0.5: q [[7, -8], [-8, 7]] -> [[3.5, -4], [-4, 3.5]]
//   y0 = 10.5 + 8 = 18.5 -> (tie) 18 -> clamp 7;  y1 = -12 - 7 = -19 -> clamp -8
TEST(ReferenceQLinear, I4WeightsAndI4OutputSaturation) {
  QLinearArgs a;
  a.x = i8({1, 2}, {3, -2});
  a.x_params = per_tensor(1.0f, 0);
  a.w = i8({2, 2}, {7, -8, -8, 7});
  a.w_params = per_tensor(0.5f, std::nullopt, "i4");
  a.out_params = per_tensor(1.0f, 0, "i4");
  const IdealResult r = qlinear(a);
  EXPECT_EQ(r.output.dtype(), DType::i8);
  EXPECT_THAT(ints(r.output), ElementsAre(7, -8));
  EXPECT_THAT(r.pre_rounding, ElementsAre(18.5, -19.0));
}

// Per-row input params [M, 1]: x [2, 3] s [[0.5], [2]], z [[0], [-1]]:
//   q [[2, 4, 6], [0, 1, -1]] -> row 0 [1, 2, 3]; row 1 (q + 1) * 2 = [2, 4, 0]
// w [2, 3] s = 1: [[1, 0, -1], [1, 1, 1]]
//   y = [[1 - 3, 6], [2 - 0, 6]] = [[-2, 6], [2, 6]]; out s = 1 -> -2, 6, 2, 6
// The same rows at rank 3 (x [2, 1, 3], scale [2, 1, 1]) and with an explicit
// block_size [1, 3] give the same values.
TEST(ReferenceQLinear, PerRowInputParams) {
  QLinearArgs a;
  a.x = i8({2, 3}, {2, 4, 6, 0, 1, -1});
  a.x_params = with_scale({2, 1}, {0.5f, 2.0f}, std::vector<int32_t>{0, -1});
  a.w = i8({2, 3}, {1, 0, -1, 1, 1, 1});
  a.w_params = per_tensor(1.0f, 0);
  a.out_params = per_tensor(1.0f, 0);
  EXPECT_THAT(ints(qlinear(a).output), ElementsAre(-2, 6, 2, 6));

  QLinearArgs rank3 = a;
  rank3.x = a.x.reshaped({2, 1, 3});
  rank3.x_params = with_scale({2, 1, 1}, {0.5f, 2.0f}, std::vector<int32_t>{0, -1});
  const IdealResult r3 = qlinear(rank3);
  EXPECT_EQ(r3.output.shape(), (Shape{2, 1, 2}));
  EXPECT_THAT(ints(r3.output), ElementsAre(-2, 6, 2, 6));

  QLinearArgs explicit_blocks = a;
  explicit_blocks.x_params.block_size = std::vector<int64_t>{1, 3};
  EXPECT_THAT(ints(qlinear(explicit_blocks).output), ElementsAre(-2, 6, 2, 6));
}

// Batch ranks 1..4 ([In], [M, In], [A, M, In], [A, B, M, In]) with the same rows:
// x s = 0.5: row 0 q [2, 4, 6] -> [1, 2, 3]; row 1 q [0, 1, -1] -> [0, 0.5, -0.5]
// w as above: row 0 -> [-2, 6]; row 1 -> [0 + 0 + 0.5, 0 + 0.5 - 0.5] = [0.5, 0]
// out s = 0.5: row 0 -> [-4, 12]; row 1 -> [1, 0]
TEST(ReferenceQLinear, BatchRanksOneToFour) {
  QLinearArgs a;
  a.x_params = per_tensor(0.5f, 0);
  a.w = i8({2, 3}, {1, 0, -1, 1, 1, 1});
  a.w_params = per_tensor(1.0f, 0);
  a.out_params = per_tensor(0.5f, 0);

  a.x = i8({3}, {2, 4, 6});
  IdealResult r = qlinear(a);
  EXPECT_EQ(r.output.shape(), (Shape{2}));
  EXPECT_THAT(ints(r.output), ElementsAre(-4, 12));

  for (const Shape& shape : {Shape{2, 3}, Shape{2, 1, 3}, Shape{1, 2, 1, 3}}) {
    a.x = i8(shape, {2, 4, 6, 0, 1, -1});
    r = qlinear(a);
    Shape want;
    for (int i = 0; i + 1 < shape.rank(); ++i) want.push_back(shape[i]);
    want.push_back(2);
    EXPECT_EQ(r.output.shape(), want) << shape.str();
    EXPECT_THAT(ints(r.output), ElementsAre(-4, 12, 1, 0)) << shape.str();
  }
}

// Zero-point domains of the operands (SPEC section 5):
// float domain on u4 weights (torchao tinygemm): mid = (15 + 0 + 1) / 2 = 8, s = 0.5,
//   z = 0.25: dq = (q - 8) * 0.5 + 0.25 -> q [8, 10, 0] -> [0.25, 1.25, -3.75]
//   x [1, 3] s = 1: [4, 2, 1] -> y = 1 + 2.5 - 3.75 = -0.25 -> / 0.5 = -0.5 (tie) -> 0
// none domain on x: dq = q * s -> q [4, -6], s = 0.25 -> [1, -1.5];
//   w [[3, 1]] -> y = 3 - 1.5 = 1.5 (tie) -> 2
TEST(ReferenceQLinear, FloatDomainWeightsAndNoneDomainInput) {
  QLinearArgs a;
  a.x = i8({1, 3}, {4, 2, 1});
  a.x_params = per_tensor(1.0f, 0);
  a.w = u8({1, 3}, {8, 10, 0});
  a.w_params = QuantParams::for_type("u4", Tensor::of<float>(Shape{1, 1}, {0.5f}),
                                     Tensor::of<float>(Shape{1, 1}, {0.25f}));
  a.w_params.zero_point_domain = ZeroPointDomain::float_domain;
  a.out_params = per_tensor(0.5f, 0);
  IdealResult r = qlinear(a);
  EXPECT_THAT(ints(r.output), ElementsAre(0));
  EXPECT_THAT(r.pre_rounding, ElementsAre(-0.5));

  QLinearArgs b;
  b.x = i8({1, 2}, {4, -6});
  b.x_params = per_tensor(0.25f, std::nullopt);
  b.x_params.zero_point_domain = ZeroPointDomain::none;
  b.w = i8({1, 2}, {3, 1});
  b.w_params = per_tensor(1.0f, 0);
  b.out_params = per_tensor(1.0f, 0);
  r = qlinear(b);
  EXPECT_THAT(ints(r.output), ElementsAre(2));
  EXPECT_THAT(r.pre_rounding, ElementsAre(1.5));
}

// The IDEAL value is exact: y = 2.5 + 2^-30 is just above the tie 2.5, so it rounds to 3.
// (An f32 accumulator would round the sum to 2.5 and tie to 2.)
// x [1, 2] s = 1: [1, 1];  w [1, 2] q [5, 1] with an elementwise scale [1, 2] =
// [0.5, 2^-30] -> dq [2.5, 2^-30].
TEST(ReferenceQLinear, SumsAreExactNearATie) {
  QLinearArgs a;
  a.x = i8({1, 2}, {1, 1});
  a.x_params = per_tensor(1.0f, 0);
  a.w = i8({1, 2}, {5, 1});
  a.w_params = with_scale({1, 2}, {0.5f, 0x1p-30f});
  a.out_params = per_tensor(1.0f, 0);
  const IdealResult r = qlinear(a);
  EXPECT_THAT(ints(r.output), ElementsAre(3));
  EXPECT_THAT(r.pre_rounding, ElementsAre(2.5 + 0x1p-30));
}

// The output step DIVIDES by the f32 scale (true division, not the contract's reciprocal):
// s_out = f32(0.1) = 0x1.99999ap-4 (0.10000000149...), y = 0.75 (x 3 * 0.25, w 1):
//   y / s = 7.4999998882... -> 7;  y * f32(1 / s) = 0.75 * 10.0 = 7.5 (tie) -> 8 would be wrong
TEST(ReferenceQLinear, OutputDividesByTheScale) {
  QLinearArgs a;
  a.x = i8({1, 1}, {3});
  a.x_params = per_tensor(0.25f, 0);
  a.w = i8({1, 1}, {1});
  a.w_params = per_tensor(1.0f, 0);
  a.out_params = per_tensor(0.1f, 0);
  const IdealResult r = qlinear(a);
  EXPECT_THAT(ints(r.output), ElementsAre(7));
  EXPECT_EQ(r.pre_rounding[0], 0.75 / double(0.1f));  // 7.499999888241293
  EXPECT_LT(r.pre_rounding[0], 7.5);
}

// Products beyond the f32 range stay finite in double: dq(x) = dq(w) = 2^100, y = 2^200;
// s_out = 2^120 -> pre = 2^80 -> saturates to 127.
TEST(ReferenceQLinear, ProductsBeyondF32RangeSaturate) {
  QLinearArgs a;
  a.x = i8({1, 1}, {1});
  a.x_params = per_tensor(0x1p100f, 0);
  a.w = i8({1, 1}, {1});
  a.w_params = per_tensor(0x1p100f, 0);
  a.out_params = per_tensor(0x1p120f, 0);
  const IdealResult r = qlinear(a);
  EXPECT_THAT(ints(r.output), ElementsAre(127));
  EXPECT_THAT(r.pre_rounding, ElementsAre(0x1p80));
}

// dq() overflows f32 to inf: x i16 (operands are at most 16-bit), s = 2^120,
// q = 32767 -> 32767 * 2^120 ~ 2^135 > FLT_MAX = inf; q = 1 -> 2^120.
// w i8 s = 1 rows [1, 0], [0, 1], [-1, 0], [1, 1]:
//   y0 = inf * 1 + 2^120 * 0 = inf            -> saturates to qmax 127
//   y1 = inf * 0 + 2^120 = NaN                -> the NaN rule: the zero point, 3
//   y2 = inf * -1 + 0 = -inf                  -> qmin -128
//   y3 = inf + 2^120 = inf                    -> 127
TEST(ReferenceQLinear, InfinitiesSaturateAndNanGivesTheZeroPoint) {
  QLinearArgs a;
  a.x = q<int16_t>({1, 2}, {32767, 1});
  a.x_params = per_tensor(0x1p120f, 0, "i16");
  a.w = i8({4, 2}, {1, 0, 0, 1, -1, 0, 1, 1});
  a.w_params = per_tensor(1.0f, 0);
  a.out_params = per_tensor(1.0f, 3);
  const IdealResult r = qlinear(a);
  EXPECT_THAT(ints(r.output), ElementsAre(127, 3, -128, 127));
  EXPECT_EQ(r.pre_rounding[0], kInf);
  EXPECT_TRUE(std::isnan(r.pre_rounding[1]));
  EXPECT_EQ(r.pre_rounding[2], -kInf);
  EXPECT_EQ(r.pre_rounding[3], kInf);
  // Out range [5, 10] with no zero point: NaN quantizes as real 0, i.e. z = 0, clamped to 5.
  a.out_params = per_tensor(1.0f, std::nullopt);
  a.out_params.quant_min = 5;
  a.out_params.quant_max = 10;
  EXPECT_THAT(ints(qlinear(a).output), ElementsAre(10, 5, 5, 10));
}

// An infinite bias saturates; +inf bias against a -inf sum is NaN -> zero point.
TEST(ReferenceQLinear, InfiniteBias) {
  QLinearArgs a;
  a.x = i8({1, 1}, {1});
  a.x_params = per_tensor(1.0f, 0);
  a.w = i8({2, 1}, {1, 2});
  a.w_params = per_tensor(1.0f, 0);
  a.bias = f32({2}, {-std::numeric_limits<float>::infinity(), 0.5f});
  a.out_params = per_tensor(1.0f, -7);
  // y0 = 1 - inf = -inf -> -128;  y1 = 2 + 0.5 = 2.5 (tie) -> 2 -> -5
  EXPECT_THAT(ints(qlinear(a).output), ElementsAre(-128, -5));
}

// Empty reductions and empty outputs:
//   In = 0: x [2, 0], w [3, 0] -> y = bias = [0.5, 1.5, -2] for each row
//           -> s = 1: 0 (tie), 2 (tie), -2; magnitude |bias|
//   M = 0:  x [0, 3] -> output [0, 2], no elements
//   K = 0:  w [0, 3] -> output [2, 0]
TEST(ReferenceQLinear, EmptyReductionAndEmptyOutputs) {
  QLinearArgs a;
  a.x = i8({2, 0}, {});
  a.x_params = per_tensor(1.0f, 0);
  a.w = i8({3, 0}, {});
  a.w_params = per_tensor(1.0f, 0);
  a.bias = f32({3}, {0.5f, 1.5f, -2.0f});
  a.out_params = per_tensor(1.0f, 0);
  IdealResult r = qlinear(a);
  EXPECT_EQ(r.output.shape(), (Shape{2, 3}));
  EXPECT_THAT(ints(r.output), ElementsAre(0, 2, -2, 0, 2, -2));
  EXPECT_THAT(r.magnitude, ElementsAre(0.5, 1.5, 2.0, 0.5, 1.5, 2.0));

  a.x = i8({0, 3}, {});
  a.w = i8({2, 3}, {1, 2, 3, 4, 5, 6});
  a.bias.reset();
  r = qlinear(a);
  EXPECT_EQ(r.output.shape(), (Shape{0, 2}));
  EXPECT_EQ(r.output.numel(), 0);
  EXPECT_TRUE(r.pre_rounding.empty());

  a.x = i8({2, 3}, {1, 2, 3, 4, 5, 6});
  a.w = i8({0, 3}, {});
  r = qlinear(a);
  EXPECT_EQ(r.output.shape(), (Shape{2, 0}));
  EXPECT_TRUE(r.magnitude.empty());
}

// Huge leading dims around a zero: x [2^40, 2^40, 0] (no elements) with K = 0 gives an
// empty [2^40, 2^40, 0] output without looping over 2^80 rows or overflowing a count.
TEST(ReferenceQLinear, EmptyOutputWithHugeDims) {
  QLinearArgs a;
  const int64_t big = int64_t{1} << 40;
  a.x = Tensor(DType::i8, Shape{big, big, 0});
  a.x_params = per_tensor(1.0f, 0);
  a.w = i8({0, 0}, {});
  a.w_params = per_tensor(1.0f, 0);
  a.out_params = per_tensor(1.0f, 0);
  const IdealResult r = qlinear(a);
  EXPECT_EQ(r.output.shape(), (Shape{big, big, 0}));
  EXPECT_EQ(r.output.numel(), 0);
}

}  // namespace
}  // namespace qdiff::reference
