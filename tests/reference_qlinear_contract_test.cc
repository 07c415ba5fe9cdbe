// Golden tests of the accumulation contract of reference::qlinear and
// reference::qconv2d (core/qlinear_contract.h): the hand-worked vectors of
// tests/qlinear_contract_vectors.h, the contract's validation (steps 6 and 7
// of docs/validation-order.md, "Fused operators"), and its defaults.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "reference/fused_ops.h"
#include "tests/qlinear_contract_vectors.h"

namespace qdiff::reference {
namespace {

using ::testing::ElementsAre;
using namespace qlinear_contract_vectors;
using fused_test::ints;

std::vector<int64_t> qlinear_under(QLinearArgs a, QLinearContract c) {
  a.contract = c;
  return ints(qlinear(a).output);
}

TEST(ReferenceQLinearContract, BiasTiesRoundHalfToEvenOnTheAccumulatorGrid) {
  EXPECT_THAT(qlinear_under(bias_tie_case(), contract(BiasGrid::float_bias)), ElementsAre(33, 23));
  QLinearArgs a = bias_tie_case();
  a.contract = contract(BiasGrid::int32_acc);
  const IdealResult r = qlinear(a);
  EXPECT_THAT(ints(r.output), ElementsAre(32, 24));
  EXPECT_THAT(r.pre_rounding, ElementsAre(32.0, 24.0));
  EXPECT_THAT(r.magnitude, ElementsAre(32.0, 24.0));
}

TEST(ReferenceQLinearContract, BiasGridMultipliesByTheF32Reciprocal) {
  EXPECT_THAT(qlinear_under(bias_reciprocal_case(), contract(BiasGrid::float_bias)), ElementsAre(-22));
  QLinearArgs a = bias_reciprocal_case();
  a.contract = contract(BiasGrid::int32_acc);
  const IdealResult r = qlinear(a);
  EXPECT_THAT(ints(r.output), ElementsAre(-23));
  EXPECT_THAT(r.pre_rounding, ElementsAre(-13.0 * double(0.9f) / 0.5));
}

TEST(ReferenceQLinearContract, PerChannelWeightsGiveOneGridPerChannel) {
  EXPECT_THAT(qlinear_under(per_channel_bias_case(), contract(BiasGrid::float_bias)), ElementsAre(33, 26));
  EXPECT_THAT(qlinear_under(per_channel_bias_case(), contract(BiasGrid::int32_acc)), ElementsAre(32, 28));
}

TEST(ReferenceQLinearContract, OutputZeroPointBeforeRoundingMovesAnF32Tie) {
  QLinearArgs a = zero_point_tie_case();
  const IdealResult after = qlinear(a);
  EXPECT_THAT(ints(after.output), ElementsAre(101, 100));
  EXPECT_THAT(after.pre_rounding, ElementsAre(101.5 - 0x1p-20, 100.5 - 0x1p-20));
  a.contract = contract(BiasGrid::float_bias, OutputZeroPoint::before_rounding);
  const IdealResult before = qlinear(a);
  EXPECT_THAT(ints(before.output), ElementsAre(102, 100));
  EXPECT_THAT(before.pre_rounding, ElementsAre(101.5 - 0x1p-20, 100.5 - 0x1p-20));
}

TEST(ReferenceQLinearContract, QConv2dFollowsTheSameContract) {
  QConv2dArgs a = bias_tie_conv_case();
  EXPECT_THAT(ints(qconv2d(a).output), ElementsAre(33, 23));
  a.contract = contract(BiasGrid::int32_acc);
  EXPECT_THAT(ints(qconv2d(a).output), ElementsAre(32, 24));
}

// Without a bias the grid is never used: any weight layout is accepted and
// the result is the default contract's.
TEST(ReferenceQLinearContract, WithoutABiasInt32AccIsTheDefault) {
  QLinearArgs a = per_channel_bias_case();
  a.bias.reset();
  a.w_params = grouped_weight_params();
  const std::vector<int64_t> spec = ints(qlinear(a).output);
  EXPECT_EQ(qlinear_under(a, contract(BiasGrid::int32_acc)), spec);
}

ErrorKind kind_of(const QLinearArgs& a) {
  return rejection_kind([&] { qlinear(a); });
}

TEST(ReferenceQLinearContract, Int32AccNeedsOneAccumulatorScalePerChannel) {
  QLinearArgs a = per_channel_bias_case();
  a.contract = contract(BiasGrid::int32_acc);
  // per-group weights: two scales along In for each channel
  QLinearArgs grouped = a;
  grouped.w_params = grouped_weight_params();
  EXPECT_EQ(kind_of(grouped), ErrorKind::unsupported);
  // per-row x: qlinear defines it, the bias grid does not
  QLinearArgs per_row = a;
  per_row.x = fused_test::i8({2, 2}, {2, 3, 2, 3});
  per_row.x_params = fused_test::with_scale({2, 1}, {0.5f, 0.25f}, std::vector<int32_t>{0, 0});
  EXPECT_EQ(kind_of(per_row), ErrorKind::unsupported);
  per_row.contract = contract(BiasGrid::float_bias);
  EXPECT_NO_THROW(qlinear(per_row));
}

// Step 7 after the operands' own scales: s_x = s_w = 2^-70 are valid, their
// f32 product 2^-140 is below FLT_MIN = 2^-126.
TEST(ReferenceQLinearContract, Int32AccRejectsASubnormalGridScale) {
  QLinearArgs a = bias_tie_case();
  a.x_params = fused_test::per_tensor(0x1p-70f, 0);
  a.w_params = fused_test::per_tensor(0x1p-70f, 0);
  EXPECT_NO_THROW(qlinear(a));
  a.contract = contract(BiasGrid::int32_acc);
  EXPECT_EQ(kind_of(a), ErrorKind::invalid_scale);
}

// A bias far beyond the int32 grid saturates instead of wrapping: 1e30 / 0.125
// clamps to 2^31 - 1, the term is (2^31 - 1) * 0.125 and the output saturates
// to 127 (i8); -inf clamps to -2^31 and saturates to -128.
TEST(ReferenceQLinearContract, Int32AccSaturatesTheBias) {
  QLinearArgs a = bias_tie_case();
  a.contract = contract(BiasGrid::int32_acc);
  a.out_params = fused_test::per_tensor(1.0f, 0);
  a.bias = fused_test::f32({2}, {1e30f, -std::numeric_limits<float>::infinity()});
  const IdealResult r = qlinear(a);
  EXPECT_THAT(ints(r.output), ElementsAre(127, -128));
  EXPECT_THAT(r.pre_rounding, ElementsAre(1.75 + 2147483647.0 * 0.125, 1.25 - 2147483648.0 * 0.125));
}

}  // namespace
}  // namespace qdiff::reference
