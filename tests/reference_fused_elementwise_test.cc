// Golden tests of reference::qelementwise (qadd, qmul; SPEC section 8):
// numpy broadcasting between ranks 0..4, each operand with its own params
// (including per-channel [C, 1] against [1, N]), ties, and the NaN rule.
// Values worked by hand in the comments (re-checked with a throwaway
// exact-rational program that does not call qdiff).
//   qadd: y = dq(a) + dq(b);  qmul: y = dq(a) * dq(b)
//   q = clamp(round_half_even(y / s_out) + z_out, qmin, qmax)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "reference/fused_ops.h"
#include "tests/reference_fused_test_util.h"

namespace qdiff::reference {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using namespace fused_test;

QElementwiseArgs unit_scales(ElementwiseOp op, Tensor a, Tensor b) {
  QElementwiseArgs e;
  e.op = op;
  e.a = std::move(a);
  e.a_params = per_tensor(1.0f, 0);
  e.b = std::move(b);
  e.b_params = per_tensor(1.0f, 0);
  e.out_params = per_tensor(1.0f, 0);
  return e;
}

// Same shape, different params and dtypes:
// a [4] i8 s = 0.5 z = 1:    q [3, 5, -1, 1]         -> [1, 2, -1, 0]
// b [4] u8 s = 0.25 z = 128: q [130, 126, 134, 129]  -> [0.5, -0.5, 1.5, 0.25]
// out i8 s = 0.5 z = 2:
//   qadd y = [1.5, 1.5, 0.5, 0.25] -> / 0.5 = 3, 3, 1, 0.5 (tie -> 0) -> 5, 5, 3, 2
//        magnitude (|a| + |b|) / 0.5 = 3, 5, 5, 0.5
//   qmul y = [0.5, -1, -1.5, 0]    -> 1, -2, -3, 0 -> 3, 0, -1, 2
//        magnitude |a b| / 0.5 = 1, 2, 3, 0
QElementwiseArgs mixed_params(ElementwiseOp op) {
  QElementwiseArgs e;
  e.op = op;
  e.a = i8({4}, {3, 5, -1, 1});
  e.a_params = per_tensor(0.5f, 1);
  e.b = u8({4}, {130, 126, 134, 129});
  e.b_params = per_tensor(0.25f, 128, "u8");
  e.out_params = per_tensor(0.5f, 2);
  return e;
}

TEST(ReferenceQElementwise, AddWithMixedParams) {
  const IdealResult r = qelementwise(mixed_params(ElementwiseOp::add));
  EXPECT_EQ(r.output.shape(), (Shape{4}));
  EXPECT_THAT(ints(r.output), ElementsAre(5, 5, 3, 2));
  EXPECT_THAT(r.pre_rounding, ElementsAre(5.0, 5.0, 3.0, 2.5));
  EXPECT_THAT(r.magnitude, ElementsAre(3.0, 5.0, 5.0, 0.5));
}

TEST(ReferenceQElementwise, MulWithMixedParams) {
  const IdealResult r = qelementwise(mixed_params(ElementwiseOp::mul));
  EXPECT_THAT(ints(r.output), ElementsAre(3, 0, -1, 2));
  EXPECT_THAT(r.pre_rounding, ElementsAre(3.0, 0.0, -1.0, 2.0));
  EXPECT_THAT(r.magnitude, ElementsAre(1.0, 2.0, 3.0, 0.0));
}

// relu and clamp on qadd: y = [1.5, 1.5, 0.5, 0.25] is all positive, so use qmul's
// y = [0.5, -1, -1.5, 0]: relu -> [0.5, 0, 0, 0] -> 1, 0, 0, 0 -> 3, 2, 2, 2;
// clamp [-1.25, 0.25] -> [0.25, -1, -1.25, 0] -> 0.5 (tie -> 0), -2, -2.5 (tie -> -2), 0
//   -> 2, 0, 0, 2.
TEST(ReferenceQElementwise, Activations) {
  QElementwiseArgs e = mixed_params(ElementwiseOp::mul);
  e.activation = {ActivationKind::relu};
  EXPECT_THAT(ints(qelementwise(e).output), ElementsAre(3, 2, 2, 2));
  e.activation = {ActivationKind::clamp, -1.25f, 0.25f};
  EXPECT_THAT(ints(qelementwise(e).output), ElementsAre(2, 0, 0, 2));
}

// Per-channel [C, 1] params against per-channel [1, N] params, broadcast to [C, N]:
// a [3, 1] s [[1], [0.5], [0.25]] z [[0], [2], [-4]]: q [[-1], [8], [0]]
//   -> -1, (8 - 2) * 0.5 = 3, (0 + 4) * 0.25 = 1
// b [1, 2] s [[2, 0.5]] (no zero point): q [[1, 3]] -> 2, 1.5
// qadd y [3, 2] = [[1, 0.5], [5, 4.5], [3, 2.5]]
//   out s = 1:            1, 0 (tie), 5, 4 (tie), 3, 2 (tie)
//   out s [[1], [0.5], [2]] (per-channel [3, 1] on the output):
//                         1, 0.5 -> 0;  10, 9;  1.5 -> 2, 1.25 -> 1
// qmul y = [[-2, -1.5], [6, 4.5], [2, 1.5]] -> s = 1: -2, -2 (tie), 6, 4 (tie), 2, 2 (tie)
TEST(ReferenceQElementwise, PerChannelColumnAgainstPerChannelRow) {
  QElementwiseArgs e;
  e.op = ElementwiseOp::add;
  e.a = i8({3, 1}, {-1, 8, 0});
  e.a_params = with_scale({3, 1}, {1.0f, 0.5f, 0.25f}, std::vector<int32_t>{0, 2, -4});
  e.b = i8({1, 2}, {1, 3});
  e.b_params = with_scale({1, 2}, {2.0f, 0.5f});
  e.out_params = per_tensor(1.0f, 0);
  IdealResult r = qelementwise(e);
  EXPECT_EQ(r.output.shape(), (Shape{3, 2}));
  EXPECT_THAT(ints(r.output), ElementsAre(1, 0, 5, 4, 3, 2));
  EXPECT_THAT(r.pre_rounding, ElementsAre(1.0, 0.5, 5.0, 4.5, 3.0, 2.5));

  e.out_params = with_scale({3, 1}, {1.0f, 0.5f, 2.0f});
  r = qelementwise(e);
  EXPECT_THAT(ints(r.output), ElementsAre(1, 0, 10, 9, 2, 1));
  EXPECT_THAT(r.pre_rounding, ElementsAre(1.0, 0.5, 10.0, 9.0, 1.5, 1.25));

  e.op = ElementwiseOp::mul;
  e.out_params = per_tensor(1.0f, 0);
  r = qelementwise(e);
  EXPECT_THAT(ints(r.output), ElementsAre(-2, -2, 6, 4, 2, 2));
}

// Broadcasting between ranks 0..4 (unit scales, qadd, so y = a + b element by element):
//   []  + []            -> []:            3 + 4 = 7
//   []  + [2, 1, 1, 2]  -> [2, 1, 1, 2]:  3 + [1, 2, 3, 4] = [4, 5, 6, 7]
//   [2] + [2, 1, 1]     -> [2, 1, 2]:     out[i, 0, l] = b[i] + a[l]
//                                         = [10 + 1, 10 + 2, 20 + 1, 20 + 2]
//   [1, 3] + [2, 1, 2, 1] -> [2, 1, 2, 3]: out[i, 0, k, l] = b[i, 0, k, 0] + a[0, l]
//                                         = 11 12 13, 21 22 23, 31 32 33, 41 42 43
//   [2, 3, 1, 1] + [1]  -> [2, 3, 1, 1]:  [1..6] + 10
TEST(ReferenceQElementwise, BroadcastAcrossRanksZeroToFour) {
  const auto add = [](Tensor a, Tensor b) {
    return qelementwise(unit_scales(ElementwiseOp::add, std::move(a), std::move(b)));
  };
  IdealResult r = add(i8({}, {3}), i8({}, {4}));
  EXPECT_EQ(r.output.shape(), Shape{});
  EXPECT_THAT(ints(r.output), ElementsAre(7));

  r = add(i8({}, {3}), i8({2, 1, 1, 2}, {1, 2, 3, 4}));
  EXPECT_EQ(r.output.shape(), (Shape{2, 1, 1, 2}));
  EXPECT_THAT(ints(r.output), ElementsAre(4, 5, 6, 7));

  r = add(i8({2}, {1, 2}), i8({2, 1, 1}, {10, 20}));
  EXPECT_EQ(r.output.shape(), (Shape{2, 1, 2}));
  EXPECT_THAT(ints(r.output), ElementsAre(11, 12, 21, 22));

  r = add(i8({1, 3}, {1, 2, 3}), i8({2, 1, 2, 1}, {10, 20, 30, 40}));
  EXPECT_EQ(r.output.shape(), (Shape{2, 1, 2, 3}));
  EXPECT_THAT(ints(r.output), ElementsAreArray({11, 12, 13, 21, 22, 23, 31, 32, 33, 41, 42, 43}));

  // The operand order does not matter for the shape, and b may be the larger one.
  r = add(i8({2, 3, 1, 1}, {1, 2, 3, 4, 5, 6}), i8({1}, {10}));
  EXPECT_EQ(r.output.shape(), (Shape{2, 3, 1, 1}));
  EXPECT_THAT(ints(r.output), ElementsAre(11, 12, 13, 14, 15, 16));
}

// A rank-4 broadcast with per-channel params on a middle axis of each operand:
// a [1, 2, 1, 2] s [1, 2, 1, 1] = [1, 0.5]: q [2, 4, 6, 8] -> [2, 4, 3, 4]
// b [2, 1, 1, 1] s [2, 1, 1, 1] = [1, 0.25]: q [1, 4] -> [1, 1]
// qmul out [2, 2, 1, 2]: b[n] * a[0, c, 0, l]:
//   n = 0: 1 * [2, 4, 3, 4];  n = 1: 1 * [2, 4, 3, 4]; out s = 0.5 -> [4, 8, 6, 8] twice
TEST(ReferenceQElementwise, RankFourPerChannelOnMiddleAxes) {
  QElementwiseArgs e = unit_scales(ElementwiseOp::mul, i8({1, 2, 1, 2}, {2, 4, 6, 8}),
                                   i8({2, 1, 1, 1}, {1, 4}));
  e.a_params = with_scale({1, 2, 1, 1}, {1.0f, 0.5f});
  e.b_params = with_scale({2, 1, 1, 1}, {1.0f, 0.25f});
  e.out_params = per_tensor(0.5f, 0);
  const IdealResult r = qelementwise(e);
  EXPECT_EQ(r.output.shape(), (Shape{2, 2, 1, 2}));
  EXPECT_THAT(ints(r.output), ElementsAre(4, 8, 6, 8, 4, 8, 6, 8));
}

// Ties in both directions at output zero points: a s = 0.5: q [1, 3, -1, -3] -> 0.5, 1.5,
// -0.5, -1.5; b = 0 -> qadd y = a; out s = 1:
//   z = 0:  0, 2, -0 (0), -2;   z = 7: 7, 9, 7, 5
// qmul tie: a 1.5 * b 1.5 (s = 0.5, q = 3) = 2.25 -> s = 0.5 -> 4.5 (tie) -> 4
TEST(ReferenceQElementwise, Ties) {
  QElementwiseArgs e = unit_scales(ElementwiseOp::add, i8({4}, {1, 3, -1, -3}), i8({}, {0}));
  e.a_params = per_tensor(0.5f, 0);
  EXPECT_THAT(ints(qelementwise(e).output), ElementsAre(0, 2, 0, -2));
  e.out_params = per_tensor(1.0f, 7);
  EXPECT_THAT(ints(qelementwise(e).output), ElementsAre(7, 9, 7, 5));

  QElementwiseArgs m = unit_scales(ElementwiseOp::mul, i8({}, {3}), i8({}, {3}));
  m.a_params = per_tensor(0.5f, 0);
  m.b_params = per_tensor(0.5f, 0);
  m.out_params = per_tensor(0.5f, 0);
  const IdealResult r = qelementwise(m);
  EXPECT_THAT(ints(r.output), ElementsAre(4));
  EXPECT_THAT(r.pre_rounding, ElementsAre(4.5));
}

// inf - inf and inf * 0 are NaN -> the output zero point (clamped to the range).
// a i16 s = 2^120: q 32767 -> 32767 * 2^120 ~ 2^135 = inf;  q -32767 -> -inf; q 1 -> 2^120
// qadd [inf, -inf] + [-inf, 1]: NaN, -inf;  qmul [inf, -inf] * [0, 1]: NaN, -inf
TEST(ReferenceQElementwise, NanGivesTheZeroPoint) {
  QElementwiseArgs e;
  e.op = ElementwiseOp::add;
  e.a = q<int16_t>({2}, {32767, -32767});
  e.a_params = per_tensor(0x1p120f, 0, "i16");
  e.b = q<int16_t>({2}, {-32767, 1});
  e.b_params = per_tensor(0x1p120f, 0, "i16");
  e.out_params = per_tensor(1.0f, 3);
  IdealResult r = qelementwise(e);
  EXPECT_THAT(ints(r.output), ElementsAre(3, -128));
  EXPECT_TRUE(std::isnan(r.pre_rounding[0]));
  // Range [1, 5] and no zero point: NaN is the real 0 -> z = 0 -> clamped to 1.
  e.out_params = per_tensor(1.0f, std::nullopt);
  e.out_params.quant_min = 1;
  e.out_params.quant_max = 5;
  EXPECT_THAT(ints(qelementwise(e).output), ElementsAre(1, 1));

  e.op = ElementwiseOp::mul;
  e.b = q<int16_t>({2}, {0, 1});
  e.out_params = per_tensor(1.0f, -4);
  r = qelementwise(e);
  EXPECT_THAT(ints(r.output), ElementsAre(-4, -128));
}

// Zero-size broadcasts give empty outputs of the broadcast shape: [0, 3] + [1, 3] -> [0, 3];
// [2, 1] + [0] -> [2, 0].
TEST(ReferenceQElementwise, EmptyBroadcasts) {
  IdealResult r = qelementwise(unit_scales(ElementwiseOp::add, i8({0, 3}, {}), i8({1, 3}, {1, 2, 3})));
  EXPECT_EQ(r.output.shape(), (Shape{0, 3}));
  r = qelementwise(unit_scales(ElementwiseOp::mul, i8({2, 1}, {1, 2}), i8({0}, {})));
  EXPECT_EQ(r.output.shape(), (Shape{2, 0}));
  EXPECT_TRUE(r.pre_rounding.empty());
}

}  // namespace
}  // namespace qdiff::reference
