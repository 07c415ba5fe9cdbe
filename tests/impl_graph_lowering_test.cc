// Unit tests of lowering and the integer-only executor (impl/graph/lowering.h,
// impl/graph/fixed_point.h, impl/graph/int4_packing.h,
// impl/graph/compact_scales.h, execute_lowered):
//  - fixed-point multipliers and gemmlowp's two primitives on values worked
//    by hand (gemmlowp fixedpoint.h semantics: the high-mul rounds to
//    nearest with ties up, RoundingDivideByPOT ties away from zero);
//  - the requantization error bound of fixed_point.h on a seeded sweep;
//  - int4 packing of an odd count, compact scales for K == 1 and G == 1;
//  - hand-lowered programs (multipliers, int32 bias, folded relu) and their
//    outputs, computed by hand step by step;
//  - random qlinear / qconv2d programs against the reference's ideal value
//    within the lowered bound: the fused ops' derived bound
//    (oracle/fused_bound.h) plus, for the fixed-point path,
//    |acc| M 2^-30 + (r >= 1 ? 2^-(r+1) : 0) + (bias ? M / 2 : 0) output
//    units (fixed_point.h, lowering.h: the multiplier's 31-bit rounding, the
//    high-mul's rounding before a right shift by r, the int32 bias);
//  - unsupported graphs, error kinds, malformed programs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/graph.h"
#include "impl/graph/compact_scales.h"
#include "impl/graph/executor.h"
#include "impl/graph/fixed_point.h"
#include "impl/graph/int4_packing.h"
#include "impl/graph/lowering.h"
#include "impl/graph/passes.h"
#include "oracle/fused_bound.h"
#include "oracle/graph_envelope.h"
#include "reference/fused_ops.h"
#include "properties/domains.h"
#include "reference/graph_eval.h"
#include "tests/impl_graph_test_util.h"

namespace qdiff::impl {
namespace {

using ::testing::ElementsAre;
using namespace impl_graph_test;

constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();

QuantParams per_tensor(float s, int32_t z, DType dtype = DType::i8, int64_t qmin = -128, int64_t qmax = 127) {
  return QuantParams::per_tensor(s, z, dtype, qmin, qmax);
}

// ---- fixed point ------------------------------------------------------------------------

// frexp(M) = q 2^e, q in [0.5, 1), m = round(q 2^31):
//   0.5  = 0.5 * 2^0                -> m = 2^30 = 0x40000000, e = 0
//   0.75 = 0.75 * 2^0               -> m = 0.75 * 2^31 = 0x60000000, e = 0
//   1    = 0.5 * 2^1                -> m = 2^30, e = 1
//   0.25 = 0.5 * 2^-1               -> m = 2^30, e = -1
//   3e-4 = 0.6144 * 2^-11 (2^-11 = 4.8828125e-4, 3e-4 / 4.8828125e-4 = 0.6144)
//          -> m = round(0.6144 * 2147483648) = round(1319413953.3312) = 1319413953, e = -11
//   1 - 2^-40: q 2^31 = 2^31 - 2^-9 rounds to 2^31 -> renormalized m = 2^30, e = 1
// Range: e must lie in [-31, 30]: 2^-32 = 0.5 * 2^-31 is the smallest M,
// 2^30 = 0.5 * 2^31 is already out.
TEST(ImplGraphFixedPoint, QuantizeMultiplierByHand) {
  const auto expect = [](double m_real, int32_t m, int e) {
    const auto fm = quantize_multiplier(m_real);
    ASSERT_TRUE(fm.has_value()) << m_real;
    EXPECT_EQ(fm->multiplier, m) << m_real;
    EXPECT_EQ(fm->shift, e) << m_real;
  };
  expect(0.5, 0x40000000, 0);
  expect(0.75, 0x60000000, 0);
  expect(1.0, 0x40000000, 1);
  expect(0.25, 0x40000000, -1);
  expect(3e-4, 1319413953, -11);
  expect(1.0 - 0x1p-40, 0x40000000, 1);
  expect(0x1p-32, 0x40000000, -31);
}

TEST(ImplGraphFixedPoint, MultipliersOutsideTheRangeAreRejected) {
  EXPECT_FALSE(quantize_multiplier(0x1p-33).has_value());  // e = -32
  EXPECT_FALSE(quantize_multiplier(0x1p30).has_value());   // e = 31
  // 2^30 (1 - 2^-40): q = 1 - 2^-40, e = 30, but m rounds up to 2^31: e = 31.
  EXPECT_FALSE(quantize_multiplier(0x1p30 * (1 - 0x1p-40)).has_value());
  EXPECT_FALSE(quantize_multiplier(0.0).has_value());
  EXPECT_FALSE(quantize_multiplier(-0.5).has_value());
  EXPECT_FALSE(quantize_multiplier(std::numeric_limits<double>::infinity()).has_value());
  EXPECT_FALSE(quantize_multiplier(std::numeric_limits<double>::quiet_NaN()).has_value());
  ASSERT_TRUE(quantize_multiplier(0x1p29 * 1.5).has_value());  // e = 30
  EXPECT_EQ(quantize_multiplier(0x1p29 * 1.5)->shift, 30);
}

// SaturatingRoundingDoublingHighMul(a, b) = nearest int32 to a b / 2^31,
// ties toward +inf (gemmlowp's nudge: +2^30 for a b >= 0, 1 - 2^30 below,
// then a division truncating toward zero):
//   (2^30, 2^30): 2^60 / 2^31 = 2^29 exactly
//   (3, 2^30) = 1.5 -> 2;  (-3, 2^30) = -1.5 -> -1;  (5, 2^30) = 2.5 -> 3;
//   (-5, 2^30) = -2.5 -> -2;  (-7, 2^30) = -3.5 -> -3;  (1, 1) = 2^-31 -> 0;
//   (INT32_MIN, INT32_MIN) = 2^31 does not fit: saturates to INT32_MAX;
//   (INT32_MIN, INT32_MAX) = -(2^31 - 1) -> -2147483647 exactly.
TEST(ImplGraphFixedPoint, SaturatingRoundingDoublingHighMulByHand) {
  EXPECT_EQ(saturating_rounding_doubling_high_mul(1 << 30, 1 << 30), 1 << 29);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(3, 1 << 30), 2);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(-3, 1 << 30), -1);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(5, 1 << 30), 3);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(-5, 1 << 30), -2);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(-7, 1 << 30), -3);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(1, 1), 0);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(kInt32Min, kInt32Min), kInt32Max);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(kInt32Min, kInt32Max), -2147483647);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(kInt32Max, kInt32Max), 2147483646);  // (2^31-1)^2/2^31 = 2^31 - 2 + 2^-31
}

// RoundingDivideByPOT(x, n): x / 2^n to nearest, ties away from zero
// (gemmlowp test_fixedpoint's documented behaviour):
//   (5, 1) = 2.5 -> 3; (-5, 1) = -2.5 -> -3; (4, 1) = 2; (-4, 1) = -2;
//   (7, 2) = 1.75 -> 2; (-7, 2) -> -2; (6, 2) = 1.5 -> 2; (-6, 2) = -1.5 -> -2;
//   (5, 2) = 1.25 -> 1; (-5, 2) -> -1; (x, 0) = x;
//   (INT32_MAX, 31) = 0.99999... -> 1; (INT32_MIN, 31) = -1 exactly; (2^30, 31) = 0.5 -> 1.
TEST(ImplGraphFixedPoint, RoundingDivideByPotByHand) {
  EXPECT_EQ(rounding_divide_by_pot(5, 1), 3);
  EXPECT_EQ(rounding_divide_by_pot(-5, 1), -3);
  EXPECT_EQ(rounding_divide_by_pot(4, 1), 2);
  EXPECT_EQ(rounding_divide_by_pot(-4, 1), -2);
  EXPECT_EQ(rounding_divide_by_pot(7, 2), 2);
  EXPECT_EQ(rounding_divide_by_pot(-7, 2), -2);
  EXPECT_EQ(rounding_divide_by_pot(6, 2), 2);
  EXPECT_EQ(rounding_divide_by_pot(-6, 2), -2);
  EXPECT_EQ(rounding_divide_by_pot(5, 2), 1);
  EXPECT_EQ(rounding_divide_by_pot(-5, 2), -1);
  EXPECT_EQ(rounding_divide_by_pot(-123, 0), -123);
  EXPECT_EQ(rounding_divide_by_pot(kInt32Max, 31), 1);
  EXPECT_EQ(rounding_divide_by_pot(kInt32Min, 31), -1);
  EXPECT_EQ(rounding_divide_by_pot(1 << 30, 31), 1);
  // The fault point's variant rounds ties up: -2.5 -> -2, -1.5 -> -1; others agree.
  EXPECT_EQ(rounding_divide_by_pot_half_up(-5, 1), -2);
  EXPECT_EQ(rounding_divide_by_pot_half_up(-6, 2), -1);
  EXPECT_EQ(rounding_divide_by_pot_half_up(5, 1), 3);
  EXPECT_EQ(rounding_divide_by_pot_half_up(-7, 2), -2);
}

// MultiplyByQuantizedMultiplier with M = 0.25 (m = 2^30, e = -1):
//   acc 3: high-mul 1.5 -> 2, then 2 / 2 = 1 (ideal 0.75 -> 1);
//   acc 5: high-mul 2.5 -> 3, then 3 / 2 = 1.5 -> 2, while the ideal 1.25
//   rounds to 1: the DOUBLE ROUNDING of the gemmlowp scheme. It is within
//   fixed_point.h's bound: 1.25 + 2^-(r+1) = 1.5 reaches the tie.
// M = 4 (m = 2^30, e = 3): acc << 3 then the high-mul: 3 * 8 * 2^30 / 2^31 = 12.
TEST(ImplGraphFixedPoint, MultiplyByQuantizedMultiplierByHand) {
  EXPECT_EQ(multiply_by_quantized_multiplier(3, 1 << 30, -1), 1);
  EXPECT_EQ(multiply_by_quantized_multiplier(5, 1 << 30, -1), 2);
  EXPECT_EQ(multiply_by_quantized_multiplier(-7, 1 << 30, -1), -2);       // -3.5 -> -3, -1.5 -> -2
  EXPECT_EQ(multiply_by_quantized_multiplier(-7, 1 << 30, -1, true), -1);  // half up: -1.5 -> -1
  EXPECT_EQ(multiply_by_quantized_multiplier(3, 1 << 30, 3), 12);
  EXPECT_EQ(multiply_by_quantized_multiplier(100, 0x60000000, 0), 75);
  // A left shift that overflows saturates instead of wrapping.
  EXPECT_EQ(multiply_by_quantized_multiplier(kInt32Max, 1 << 30, 31), saturating_rounding_doubling_high_mul(kInt32Max, 1 << 30));
}

// fixed_point.h's bound on a seeded sweep: with r = max(-e, 0), the result t
// satisfies |t - acc M| <= 1/2 + |acc| M 2^-31 + (r >= 1 ? 2^-(r+1) : 0),
// and is exactly the nearest integer (ties either way) to a value within
// |acc| M 2^-31 + 2^-(r+1) of acc M. Checked in exact integer arithmetic
// against acc m 2^(e-31) (the multiplier's own error |m 2^(e-31) - M| <=
// M 2^-31 checked separately).
TEST(ImplGraphFixedPoint, RequantizationErrorBoundHoldsOnASweep) {
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> log_m(-31.5, 29.5);
  for (int trial = 0; trial < 20000; ++trial) {
    const double m_real = std::exp2(log_m(rng));
    const auto fm = quantize_multiplier(m_real);
    ASSERT_TRUE(fm.has_value()) << m_real;
    const double m_fixed = std::ldexp(double(fm->multiplier), fm->shift - 31);
    EXPECT_LE(std::fabs(m_fixed - m_real), m_real * 0x1p-31) << m_real;
    // acc so that acc << max(e, 0) fits int32.
    const int left = std::max(fm->shift, 0), r = std::max(-fm->shift, 0);
    const int64_t limit = int64_t{kInt32Max} >> left;
    std::uniform_int_distribution<int64_t> acc_dist(-limit, limit);
    const int64_t acc = trial % 7 == 0 ? (trial % 2 ? limit : -limit) : acc_dist(rng);
    const int32_t t = multiply_by_quantized_multiplier(int32_t(acc), fm->multiplier, fm->shift);
    // Exact fixed-point value: acc m 2^(e - 31) = (acc << left) m / 2^(31 + r).
    const __int128 num = __int128(acc << left) * fm->multiplier;  // / 2^(31 + r)
    const long double exact = std::ldexp((long double)num, -(31 + r));
    const long double slack = 0.5L + (r >= 1 ? std::ldexp(1.0L, -(r + 1)) : 0.0L);
    EXPECT_LE(std::fabs((long double)t - exact), slack + 1e-12L)
        << "acc " << acc << " m " << fm->multiplier << " e " << fm->shift;
  }
}

// ---- int4 packing ----------------------------------------------------------------------------

// Signed [-8, 7, 1]: -8 -> nibble 0x8 (low), 7 -> 0x7 (high): byte 0x78;
// 1 -> 0x1 (low) + zero padding nibble: 0x01. Unsigned [15, 0, 9]: 0x0F, 0x09.
TEST(ImplGraphInt4, PacksAnOddCountLowNibbleFirst) {
  const Tensor s = i8({3}, {-8, 7, 1});
  ASSERT_TRUE(fits_int4(s, true));
  EXPECT_THAT(ints(pack_int4(s)), ElementsAre(0x78, 0x01));
  const Tensor u = u8({3}, {15, 0, 9});
  ASSERT_TRUE(fits_int4(u, false));
  EXPECT_THAT(ints(pack_int4(u)), ElementsAre(0x0F, 0x09));
  // The fault point's order: element 2i in the high nibble.
  EXPECT_THAT(ints(pack_int4(s, true)), ElementsAre(0x87, 0x10));
  const Tensor packed = pack_int4(s);
  const uint8_t* p = packed.data<uint8_t>().data();
  EXPECT_EQ(unpack_int4(p, 0, true), -8);
  EXPECT_EQ(unpack_int4(p, 1, true), 7);
  EXPECT_EQ(unpack_int4(p, 2, true), 1);
  EXPECT_EQ(unpack_int4(p, 3, true), 0);  // padding
  EXPECT_FALSE(fits_int4(i8({2}, {8, 0}), true));
  EXPECT_FALSE(fits_int4(i8({2}, {-1, 0}), false));
  EXPECT_EQ(pack_int4(Tensor(DType::i8, {0})).numel(), 0);
}

// ---- compact scales ------------------------------------------------------------------------

TEST(ImplGraphCompactScales, ByTheOperatorsChannelAxis) {
  const FaultSet none;
  // per-tensor (any rank) -> []
  for (const Tensor& s : {scalar(0.5f), f32({1}, {0.5f}), f32({1, 1}, {0.5f})}) {
    const CompactWeightParams c = compact_linear_weight_params({3, 4}, QuantParams::for_type("i8", s), none);
    EXPECT_EQ(c.granularity, WeightGranularity::per_tensor);
    EXPECT_EQ(c.scale.shape(), Shape{});
  }
  // per-channel [K, 1] -> [K] (also "G == 1": a [K, 1] scale IS per-channel)
  CompactWeightParams c = compact_linear_weight_params(
      {3, 4}, QuantParams::for_type("i8", f32({3, 1}, {1, 2, 3}), i32({3, 1}, {0, 1, 2})), none);
  EXPECT_EQ(c.granularity, WeightGranularity::per_channel);
  EXPECT_EQ(c.scale.shape(), Shape{3});
  EXPECT_EQ(bits(c.scale), bits({1, 2, 3}));
  EXPECT_THAT(ints(*c.zero_point), ElementsAre(0, 1, 2));
  // per-group [K, G] -> [K, G], g = In / G
  c = compact_linear_weight_params({2, 4}, QuantParams::for_type("i8", f32({2, 2}, {1, 2, 3, 4})), none);
  EXPECT_EQ(c.granularity, WeightGranularity::per_group);
  EXPECT_EQ(c.scale.shape(), (Shape{2, 2}));
  EXPECT_EQ(c.group_size, 2);
  // K == 1: [1, G] stays 2-D (squeezing it would read as per-channel with K = G)
  c = compact_linear_weight_params({1, 6}, QuantParams::for_type("i8", f32({1, 3}, {1, 2, 3})), none);
  EXPECT_EQ(c.granularity, WeightGranularity::per_group);
  EXPECT_EQ(c.scale.shape(), (Shape{1, 3}));
  EXPECT_EQ(c.group_size, 2);
  // Explicit blocks [1, 4] on In = 6: G = 2, the last group partial.
  QuantParams explicit_groups = QuantParams::for_type("i8", f32({2, 2}, {1, 2, 3, 4}));
  explicit_groups.block_size = std::vector<int64_t>{1, 4};
  c = compact_linear_weight_params({2, 6}, explicit_groups, none);
  EXPECT_EQ(c.scale.shape(), (Shape{2, 2}));
  EXPECT_EQ(c.group_size, 4);
  // A [1, G] scale shared by K = 2 rows: expanded per channel.
  c = compact_linear_weight_params({2, 4}, QuantParams::for_type("i8", f32({1, 2}, {1, 2})), none);
  EXPECT_EQ(c.scale.shape(), (Shape{2, 2}));
  EXPECT_EQ(bits(c.scale), bits({1, 2, 1, 2}));
  // conv [O, 1, 1, 1] -> [O]; varying along C: unsupported.
  c = compact_conv_weight_params({2, 3, 1, 1}, QuantParams::for_type("i8", f32({2, 1, 1, 1}, {1, 2})), none);
  EXPECT_EQ(c.scale.shape(), Shape{2});
  EXPECT_ERROR(compact_conv_weight_params({2, 3, 1, 1}, QuantParams::for_type("i8", f32({1, 3, 1, 1}, {1, 2, 3})), none),
               unsupported, "per-output-channel");
  // squeeze_compaction: [1, G] -> [G].
  c = compact_linear_weight_params({1, 6}, QuantParams::for_type("i8", f32({1, 3}, {1, 2, 3})),
                                   FaultSet(FaultPoint::squeeze_compaction));
  EXPECT_EQ(c.scale.shape(), Shape{3});
}

// ---- hand-lowered programs -------------------------------------------------------------

struct HandLinear {
  Tensor w_scale = scalar(0.25f);
  std::optional<Tensor> bias = f32({2}, {0.3f, -0.6f});
  Activation act{ActivationKind::relu};
  QuantSpec w_spec = i8_spec();
};

// x f32 [2, 3] -> quantize (s 0.5, z 1) -> qlinear(W [2, 3], out s 0.5 z 3)
Graph hand_linear(const HandLinear& h) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2, 3});
  const int xs = b.constant(scalar(0.5f));
  const int xz = b.constant(i32({}, {1}));
  const int xq = b.quantize(x, xs, xz, i8_spec());
  QLinearArgs a;
  a.x_params = per_tensor(0.5f, 1);
  a.w_params = QuantParams::for_type("i8", h.w_scale);
  a.w_params.quant_min = h.w_spec.quant_min;
  a.w_params.quant_max = h.w_spec.quant_max;
  a.out_params = per_tensor(0.5f, 3);
  a.activation = h.act;
  std::optional<int> bias;
  if (h.bias) bias = b.constant(*h.bias, "bias");
  b.output(b.qlinear(xq, b.constant(i8({2, 3}, {2, -4, 1, -3, 0, 5}), "W"), bias, a));
  return b.build();
}

// x = [[1, -0.5, 2], [0.25, 3, -1.5]] quantizes (torchao, 2x half to even,
// + 1) to [[3, 0, 5], [1, 7, -2]]; centered: [[2, -1, 4], [0, 6, -3]].
Tensor hand_x() { return f32({2, 3}, {1, -0.5f, 2, 0.25f, 3, -1.5f}); }

// Per-tensor weights 0.25: M = 0.5 * 0.25 / 0.5 = 0.25 -> m = 2^30, e = -1.
// int32 bias: 0.3f / 0.125 = 2.4000001 -> 2; -0.6f / 0.125 = -4.8000002 -> -5.
// relu folded: act_min = Q(0) = z_out = 3.
// acc = W . xc + bias_q:  row 0: 12 + 2 = 14, 14 - 5 = 9;  row 1: -27 + 2 = -25, -15 - 5 = -20.
// requantize (high-mul by 2^30 = x/2 rounded ties up, then /2 ties away):
//   14 -> 7 -> 3.5 -> 4 -> 4 + 3 = 7
//    9 -> 4.5 -> 5 -> 2.5 -> 3 -> 6     (ideal: y = 14 * 0.125 - 0.6 = 1.15, 2.3 -> 2 -> 5)
//  -25 -> -12.5 -> -12 -> -6 -> -3 -> relu clamp 3
//  -20 -> -10 -> -5 -> -2 -> 3
// The reference gives [7, 5, 3, 3]: the second output differs by the int32
// bias (9 * 0.25 = 2.25 instead of 2.3) and the double rounding (2.25 ->
// 2.5 -> 3): 2.3 is within 0.25 (2^-(r+1), r = 1) + M / 2 = 0.125 of the
// tie 2.5, so the lowered bound admits 3.
TEST(ImplGraphLowering, PerTensorProgramByHand) {
  const Graph g = hand_linear({});
  const LoweredProgram p = lower_graph(g);
  ASSERT_EQ(p.ops.size(), 2u);
  EXPECT_EQ(p.ops[0].kind, LoweredOp::Kind::quantize_input);
  EXPECT_EQ(p.ops[0].input_scale, 0.5f);
  EXPECT_EQ(p.ops[0].input_zero_point, 1);
  const LoweredOp& op = p.ops[1];
  ASSERT_EQ(op.kind, LoweredOp::Kind::qlinear);
  EXPECT_EQ(op.requant, LoweredRequant::fixed_point);
  EXPECT_THAT(op.multiplier, ElementsAre(1 << 30));
  EXPECT_THAT(op.shift, ElementsAre(-1));
  ASSERT_TRUE(op.accumulator_bias.has_value());
  EXPECT_THAT(ints(*op.accumulator_bias), ElementsAre(2, -5));
  EXPECT_EQ(op.act_min, 3);
  EXPECT_EQ(op.act_max, 127);
  ASSERT_TRUE(op.weights.has_value());
  EXPECT_EQ(op.weights->granularity, WeightGranularity::per_tensor);
  EXPECT_EQ(op.weights->scale.shape(), Shape{});
  EXPECT_FALSE(op.weights->int4_packed);
  EXPECT_EQ(p.input_slots, std::vector<int>{0});
  EXPECT_EQ(p.output_slots, std::vector<int>{op.output});

  const std::vector<Tensor> out = execute_lowered(p, {hand_x()});
  EXPECT_EQ(out[0].dtype(), DType::i8);
  EXPECT_EQ(out[0].shape(), (Shape{2, 2}));
  EXPECT_THAT(ints(out[0]), ElementsAre(7, 6, 3, 3));
  EXPECT_THAT(ints(reference::evaluate_graph(g, {hand_x()})[0]), ElementsAre(7, 5, 3, 3));
}

// Per-channel weights [0.25, 0.5], no bias, no activation: M = [0.25, 0.5]
// -> m = [2^30, 2^30], e = [-1, 0].
//   row 0: acc 12 -> 6 -> 3 -> 6;   acc 14 (e = 0) -> 7 -> 10
//   row 1: acc -27 -> -13.5 -> -13 -> -6.5 -> -7 -> -4   (ideal -6.75 -> -7 -> -4)
//          acc -15 -> -7.5 -> -7 (tie up) -> -4          (ideal -7.5 ties to even -8 -> -5:
//                                                         a tie, either neighbour is right)
TEST(ImplGraphLowering, PerChannelProgramByHand) {
  HandLinear h;
  h.w_scale = f32({2, 1}, {0.25f, 0.5f});
  h.bias.reset();
  h.act = {};
  const Graph g = hand_linear(h);
  const LoweredProgram p = lower_graph(g);
  const LoweredOp& op = p.ops[1];
  EXPECT_EQ(op.weights->granularity, WeightGranularity::per_channel);
  EXPECT_EQ(op.weights->scale.shape(), Shape{2});
  EXPECT_THAT(op.multiplier, ElementsAre(1 << 30, 1 << 30));
  EXPECT_THAT(op.shift, ElementsAre(-1, 0));
  EXPECT_FALSE(op.accumulator_bias.has_value());
  EXPECT_EQ(op.act_min, -128);
  EXPECT_THAT(ints(execute_lowered(p, {hand_x()})[0]), ElementsAre(6, 10, -7 + 3, -4));
  EXPECT_THAT(ints(reference::evaluate_graph(g, {hand_x()})[0]), ElementsAre(6, 10, -4, -5));
}

// The same weights with an i4 range are packed (6 values, 3 bytes):
// [2, -4, 1, -3, 0, 5] -> bytes 0xC2 (2 low, -4 = 0xC high), 0xD1, 0x50;
// the outputs do not change.
TEST(ImplGraphLowering, Int4WeightsArePackedAndUnpacked) {
  HandLinear h;
  h.w_spec = i4_spec();
  const LoweredProgram p = lower_graph(hand_linear(h));
  const LoweredWeights& w = *p.ops[1].weights;
  EXPECT_TRUE(w.int4_packed);
  EXPECT_TRUE(w.int4_signed);
  EXPECT_THAT(ints(w.data), ElementsAre(0xC2, 0xD1, 0x50));
  EXPECT_THAT(ints(execute_lowered(p, {hand_x()})[0]), ElementsAre(7, 6, 3, 3));
}

// Per-group, K == 1: W [1, 4] = [1, -2, 3, 2], scale [1, 2] = [0.25, 0.5]
// (groups of 2), x i8 input [2, 4, -2, 6] with s 0.5: acc = [2 - 8, -6 + 12]
// = [-6, 6]; y = -6 * f32(0.5 * 0.25) + 6 * f32(0.5 * 0.5) = -0.75 + 1.5 =
// 0.75; out s 0.25 -> 3. The compact scale stays [1, 2].
Graph per_group_k1() {
  GraphBuilder b;
  const int x = b.input("xq", DType::i8, {1, 4});
  QLinearArgs a;
  a.x_params = per_tensor(0.5f, 0);
  a.w_params = QuantParams::for_type("i8", f32({1, 2}, {0.25f, 0.5f}));
  a.out_params = per_tensor(0.25f, 0);
  b.output(b.qlinear(x, b.constant(i8({1, 4}, {1, -2, 3, 2})), std::nullopt, a));
  return b.build();
}

TEST(ImplGraphLowering, PerGroupWithOneChannelStaysTwoDimensional) {
  const LoweredProgram p = lower_graph(per_group_k1());
  ASSERT_EQ(p.ops.size(), 1u);
  const LoweredOp& op = p.ops[0];
  EXPECT_EQ(op.requant, LoweredRequant::f32);
  EXPECT_EQ(op.weights->granularity, WeightGranularity::per_group);
  EXPECT_EQ(op.weights->scale.shape(), (Shape{1, 2}));
  EXPECT_EQ(op.weights->group_size, 2);
  EXPECT_TRUE(op.multiplier.empty());
  EXPECT_THAT(ints(execute_lowered(p, {i8({1, 4}, {2, 4, -2, 6})})[0]), ElementsAre(3));
  EXPECT_THAT(ints(reference::evaluate_graph(per_group_k1(), {i8({1, 4}, {2, 4, -2, 6})})[0]), ElementsAre(3));
}

// Per-channel output params [1, 2] (s [0.5, 0.25], z [3, -2]) with relu:
// per-channel folded bounds Q_k(0) = z_k: [3, -2].
TEST(ImplGraphLowering, PerChannelOutputFoldsTheActivationPerChannel) {
  GraphBuilder b;
  const int x = b.input("xq", DType::i8, {1, 2});
  QLinearArgs a;
  a.x_params = per_tensor(0.5f, 0);
  a.w_params = QuantParams::for_type("i8", scalar(0.5f));
  a.out_params = QuantParams::for_type("i8", f32({1, 2}, {0.5f, 0.25f}), i32({1, 2}, {3, -2}));
  a.activation = {ActivationKind::relu};
  b.output(b.qlinear(x, b.constant(i8({2, 2}, {1, 1, -1, -1})), std::nullopt, a));
  const Graph g = b.build();
  const LoweredProgram p = lower_graph(g);
  const LoweredOp& op = p.ops[0];
  EXPECT_EQ(op.output_scale.shape(), Shape{2});
  EXPECT_THAT(op.channel_act_min, ElementsAre(3, -2));
  // M = [0.5, 1]: m = [2^30, 2^30], e = [0, 1]. x = [4, 2] (dq [2, 1]):
  // y = [1.5, -1.5] -> relu [1.5, 0] -> [1.5 / 0.5 + 3, 0 / 0.25 - 2] = [6, -2].
  // Fixed point: acc = [6, -6]; t = [6 / 2, (-6 << 1) / 2] = [3, -6];
  // q = [3 + 3, -6 - 2] = [6, -8], clamped to the folded [3, 127] and [-2, 127]: [6, -2].
  EXPECT_THAT(ints(execute_lowered(p, {i8({1, 2}, {4, 2})})[0]), ElementsAre(6, -2));
  EXPECT_THAT(ints(reference::evaluate_graph(g, {i8({1, 2}, {4, 2})})[0]), ElementsAre(6, -2));
}

// The lowering fuzzer's finding (corpus/regressions/graph_envelope_tie_at_the_end.json):
// x -> quantize (u8, s 1/4) -> linear W1 (4, s 1/64) -> quantize (s1 = 1) -> dequantize
// -> quantize (s2 = 1/32) -> linear W2 (3, s 1/32) -> quantize (s_out = 1/64), x = 6.5.
// Reference: x -> 26, y1 = 6.5 * 4/64 = 0.40625 -> 0 at s1, so every later value is 0.
// quant-absorption rounds y1 once at s2 instead: 13 (exact). The second qlinear: acc =
// 13 * 3 = 39, M = (1/32)(1/32)/(1/64) = 2^-4 -> m = 2^30, shift -3; ideal 39/16 = 2.4375;
// gemmlowp: high-mul 39 * 2^30 / 2^31 = 19.5 -> 20 (ties up), RoundingDivideByPOT(20, 3) =
// 2.5 -> 3 (ties away). Right by fixed_point.h's bound: 2.4375 + 2^-(3+1) is the tie 2.5.
// The original graph's lowered envelope there: 0 +- (13/32 * 3/32 * 64 = 2.4375) + 2^-4 ends
// exactly on 2.5, so it must admit 3 (it admitted [-2, 2]).
// Without fixed-point slack (EnvelopeMode::transformed), W2 = 4 and x = 5 (y1 = 0.3125,
// 10 at s2) put the end itself on the tie: 10/32 * 4/32 * 64 = 2.5, which admits 3 too.
Graph tie_graph(int8_t w2) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {1});
  const auto block = [&](int in, float s_in, const QuantSpec& in_spec, int8_t w, float s_w) {
    const int s = b.constant(scalar(s_in));
    const int dq = b.dequantize(b.quantize(in, s, std::nullopt, in_spec), s, std::nullopt, in_spec);
    const int ws = b.constant(scalar(s_w));
    return b.linear(dq, b.dequantize(b.constant(i8({1, 1}, {w}), "W"), ws, std::nullopt, i4_spec()));
  };
  const int y1 = block(x, 0.25f, u8_spec(), 4, 1.0f / 64);
  const int s1 = b.constant(scalar(1.0f));
  const int y1q = b.dequantize(b.quantize(y1, s1, std::nullopt, i8_spec()), s1, std::nullopt, i8_spec());
  const int y2 = block(y1q, 1.0f / 32, i8_spec(), w2, 1.0f / 32);
  b.output(b.quantize(y2, b.constant(scalar(1.0f / 64)), std::nullopt, i8_spec()));
  return b.build();
}

TEST(ImplGraphLowering, DoubleRoundingOntoTheEnvelopesEndIsAdmitted) {
  const Graph g = tie_graph(3);
  const std::vector<Tensor> in{f32({1}, {6.5f})};
  const LoweredProgram p = lower_graph(optimize_graph(g));
  const LoweredOp& last = p.ops.back();
  ASSERT_EQ(last.kind, LoweredOp::Kind::qlinear);
  EXPECT_THAT(last.multiplier, ElementsAre(1 << 30));
  EXPECT_THAT(last.shift, ElementsAre(-3));
  const std::vector<Tensor> got = execute_lowered(p, in);
  EXPECT_THAT(ints(got[0]), ElementsAre(3));
  EXPECT_THAT(ints(reference::evaluate_graph(g, in)[0]), ElementsAre(0));

  const GraphEnvelope env = graph_envelope(g, in, EnvelopeMode::lowered);
  const ValueEnvelope& out = env.values[size_t(g.outputs[0])];
  EXPECT_EQ(out.lo[0], -3);
  EXPECT_EQ(out.hi[0], 3);
  EXPECT_TRUE(judge_graph_outputs(env, got).ok);

  const Graph tie = tie_graph(4);
  const GraphEnvelope exact_end = graph_envelope(tie, {f32({1}, {5.0f})}, EnvelopeMode::transformed);
  EXPECT_EQ(exact_end.values[size_t(tie.outputs[0])].lo[0], -3);
  EXPECT_EQ(exact_end.values[size_t(tie.outputs[0])].hi[0], 3);
}

// Found while reducing the finding above (corpus/regressions/graph_envelope_double_absorption*.json):
// x -> q/dq (i8, s 1/64) -> mul(dq, dq) -> quantize (u8, s 1/4) -> q/dq (i8, s2 = 0.8056062)
// -> quantize (i8, s3 = 1/32). fuse-quantized-ops makes a qmul (out 1/4); quant-absorption,
// swept to a fixed point, absorbs BOTH q/dq pairs (the node the first leaves is a fused op):
// one qmul with out s3 and activation clamp(clamp(v, lo1, hi1), lo2, hi2).
// x = 1: 64 -> 1.0, v = 1.0. Reference: 1.0 / (1/4) = 4 -> 1.0; 1.0 * f32(1 / 0.8056062)
// = 1.2413 -> 1 -> 0.8056062; * 32 = 25.779 -> 26. Absorbed: 1.0 * 32 = 32 (6 steps, within
// the removed grids' half steps: (0.125 + 0.4028031) * 32 = 16.9). The envelope admits the
// single rounding of v: [26, 32], no more (v is exact, its radius far below a step).
// With p2's range [-2, 2] and x = 1.5: v = 2.25; reference 2.25 -> 9 -> 2.25; * 1.2413 =
// 2.793 -> 3 -> saturates at 2 -> 1.6112124; * 32 = 51.559 -> 52. Absorbed: the clamp at
// hi2 = 2 * 0.8056062 = 1.6112124 (exact in f32) keeps 52, and the envelope's chain applies
// it too: [52, 52] (72 = Q3(2.25) unclamped would be wrong).
Graph double_absorption_graph(const QuantSpec& spec2) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {1});
  const int sx = b.constant(scalar(1.0f / 64));
  const int xd = b.dequantize(b.quantize(x, sx, std::nullopt, i8_spec()), sx, std::nullopt, i8_spec());
  const int s1 = b.constant(scalar(0.25f));
  const int y1 = b.dequantize(b.quantize(b.mul(xd, xd), s1, std::nullopt, u8_spec()), s1, std::nullopt, u8_spec());
  const int s2 = b.constant(scalar(0.8056062f));
  const int y2 = b.dequantize(b.quantize(y1, s2, std::nullopt, spec2), s2, std::nullopt, spec2);
  b.output(b.quantize(y2, b.constant(scalar(1.0f / 32)), std::nullopt, i8_spec()));
  return b.build();
}

TEST(ImplGraphLowering, TwoAbsorbedPairsInARowAreAdmitted) {
  const Graph g = double_absorption_graph(i8_spec());
  const Graph h = optimize_graph(g);
  ASSERT_EQ(count_kind(h, NodeKind::qmul), 1) << listing(h);
  EXPECT_EQ(count_kind(h, NodeKind::quantize), 1) << listing(h);  // x's own
  EXPECT_EQ(bits(h.node(find_kind(h, NodeKind::qmul)).out_params.scale), bits({1.0f / 32}));
  const std::vector<Tensor> in{f32({1}, {1.0f})};
  EXPECT_THAT(ints(reference::evaluate_graph(g, in)[0]), ElementsAre(26));
  const std::vector<Tensor> got = execute_graph(h, in);
  EXPECT_THAT(ints(got[0]), ElementsAre(32));
  const GraphEnvelope env = graph_envelope(g, in, EnvelopeMode::transformed);
  EXPECT_EQ(env.values[size_t(g.outputs[0])].lo[0], 26);
  EXPECT_EQ(env.values[size_t(g.outputs[0])].hi[0], 32);
  EXPECT_TRUE(judge_graph_outputs(env, got).ok);
  const std::vector<Tensor> lowered = execute_lowered(lower_graph(h), in);
  EXPECT_THAT(ints(lowered[0]), ElementsAre(32));
  EXPECT_TRUE(judge_graph_outputs(graph_envelope(g, in, EnvelopeMode::lowered), lowered).ok);

  const Graph narrow = double_absorption_graph(spec_of(DType::i8, -2, 2));
  const std::vector<Tensor> in2{f32({1}, {1.5f})};
  EXPECT_THAT(ints(reference::evaluate_graph(narrow, in2)[0]), ElementsAre(52));
  const std::vector<Tensor> got2 = execute_graph(optimize_graph(narrow), in2);
  EXPECT_THAT(ints(got2[0]), ElementsAre(52));
  const GraphEnvelope env2 = graph_envelope(narrow, in2, EnvelopeMode::transformed);
  EXPECT_EQ(env2.values[size_t(narrow.outputs[0])].lo[0], 52);
  EXPECT_EQ(env2.values[size_t(narrow.outputs[0])].hi[0], 52);
}

// ---- random programs against the reference ----------------------------------------------------

struct LoweredCheck {
  int64_t checked = 0, tolerated = 0, skipped = 0, violations = 0;
  std::string first_violation;
};

// Judges each output of a lowered qlinear / qconv2d (op) against the
// reference's ideal p with the lowered bound (file comment); counts the
// outputs that differ from the ideal value but lie within it (tolerated)
// and those outside it (violations).
template <typename Args>
void check_lowered_outputs(const Args& args, const reference::IdealResult& ideal, const FusedBoundTerms& terms,
                           const LoweredOp& op, const Tensor& got, int64_t channel_dim, LoweredCheck& stats,
                           const std::string& what) {
  const auto violation = [&](std::string message) {
    if (stats.violations++ == 0) stats.first_violation = what + ": " + message;
  };
  if (got.shape() != ideal.output.shape() || got.dtype() != ideal.output.dtype()) {
    return violation("output type " + std::string(dtype_name(got.dtype())) + " " + got.shape().str());
  }
  const QuantParams& out = args.out_params;
  const Shape& shape = got.shape();
  for (int64_t i = 0; i < got.numel(); ++i) {
    int64_t k = i;
    for (int64_t d = shape.rank() - 1; d > channel_dim; --d) k /= shape[int(d)];
    k %= shape[int(channel_dim)];
    const int64_t ci = out.scale.numel() == 1 ? 0 : k;
    const double s_out = out.scale.f32_at(ci);
    const double z = out.zero_point ? out.zero_point->value_at(ci) : 0.0;
    const double mag = ideal.magnitude[size_t(i)];
    double bound = fused_bound(terms, mag, s_out);
    if (op.requant == LoweredRequant::fixed_point) {
      const size_t mi = op.multiplier.size() == 1 ? 0 : size_t(k);
      const int r = std::max(-op.shift[mi], 0);
      const double m_k = std::ldexp(double(op.multiplier[mi]), op.shift[mi] - 31);
      bound += mag * 0x1p-30 + (r >= 1 ? std::ldexp(1.0, -(r + 1)) : 0.0) + (op.accumulator_bias ? m_k / 2 : 0.0);
    }
    const double p = ideal.pre_rounding[size_t(i)];
    const int64_t q = got.int_at(i);
    ++stats.checked;
    if (q != ideal.output.int_at(i)) ++stats.tolerated;
    if (!within(q, p, bound, z, out.quant_min, out.quant_max)) {
      violation(fmt::format("output {} is {}, ideal {} (pre-rounding {}, bound {})", i, q, ideal.output.int_at(i), p,
                            bound));
    }
  }
}

using props::PrngSource;
using props::ScaleValues;
using props::Source;

QuantType type_of(const QuantSpec& spec) { return {spec.dtype, spec.quant_min, spec.quant_max}; }

// Weight params of `layout` (per-tensor, per-channel or per-group), scales
// in [2^-9, 2^-4), zero points half the time.
QuantParams random_weight_params(Source& rng, int64_t k, int64_t in, const QuantSpec& spec, int layout) {
  Shape shape;
  switch (layout) {
    case 0: shape = Shape{}; break;
    case 1: shape = Shape{k, 1}; break;
    default: {
      const int64_t g = in % 4 == 0 ? in / 4 : 1;  // 4 groups, or groups of one element
      shape = Shape{k, in / g};
      break;
    }
  }
  QuantParams p = props::params_of(type_of(spec), ZeroPointDomain::int_domain,
                                   props::draw_scale_tensor(rng, shape, {ScaleValues::normal(40, -9, -5), 0, false}));
  if (rng.boolean()) {
    std::vector<int64_t> z(size_t(shape.numel()));
    for (int64_t& v : z) v = rng.integer(0, 2) == 0 ? rng.integer(spec.quant_min, spec.quant_max) : 0;
    p.zero_point = props::integer_tensor(DType::i32, shape, z);
  }
  return p;
}

Tensor random_q(Source& rng, const Shape& shape, const QuantSpec& spec) {
  return props::draw_qvalues(rng, props::params_of(type_of(spec), ZeroPointDomain::none, Tensor()), shape,
                             {1, 0, 0, 0});
}

// Uniform in [lo, hi).
float uniform(Source& rng, float lo, float hi) {
  return lo + (hi - lo) * float(rng.integer(0, (1 << 24) - 1)) / float(1 << 24);
}

// Random qlinear programs: K 1..9 (K == 1 included), In 1..40, rows 1..5;
// i8 / u8 x with a random zero point; i8, i4, u8, u4 weights, per-tensor,
// per-channel or per-group (4 groups, or groups of 1), zero points
// sometimes; a bias half the time; per-tensor or per-channel output; relu
// a third of the time. Lowered with `options`, run, judged.
LoweredCheck qlinear_sweep(uint32_t seed, int trials, const ImplOptions& options) {
  PrngSource rng(seed);
  LoweredCheck stats;
  const QuantSpec weight_types[] = {i8_spec(), i4_spec(), u8_spec(), spec_of(DType::u8, 0, 15)};
  for (int trial = 0; trial < trials; ++trial) {
    const int64_t k = rng.integer(1, 9), in = rng.integer(1, 40), rows = rng.integer(1, 5);
    const QuantSpec xs = rng.boolean() ? i8_spec() : u8_spec();
    const QuantSpec ws = weight_types[rng.index(4)];
    QLinearArgs a;
    a.x = random_q(rng, {rows, in}, xs);
    const float x_scale = uniform(rng, 0.01f, 0.1f);
    a.x_params = per_tensor(x_scale, int32_t(rng.integer(xs.quant_min, xs.quant_max)), xs.dtype, xs.quant_min,
                            xs.quant_max);
    a.w = random_q(rng, {k, in}, ws);
    const int w_layout = int(rng.integer(0, 2));
    a.w_params = random_weight_params(rng, k, in, ws, w_layout);
    if (rng.boolean()) {
      a.bias = Tensor(DType::f32, {k});
      for (float& v : a.bias->data<float>()) v = uniform(rng, -2, 2);
    }
    const QuantSpec os = rng.boolean() ? i8_spec() : u8_spec();
    if (rng.integer(0, 2) == 0 && k > 1) {
      Tensor s(DType::f32, {1, k});
      for (float& v : s.data<float>()) v = uniform(rng, 0.02f, 0.2f);
      a.out_params = QuantParams::for_type(os.dtype == DType::i8 ? "i8" : "u8", s);
    } else {
      a.out_params = per_tensor(uniform(rng, 0.02f, 0.2f), os.dtype == DType::u8 ? 128 : 0, os.dtype, os.quant_min,
                                os.quant_max);
    }
    if (rng.integer(0, 2) == 0) a.activation = {ActivationKind::relu};
    GraphBuilder b;
    const int x = b.input("xq", a.x.dtype(), a.x.shape());
    std::optional<int> bias;
    if (a.bias) bias = b.constant(*a.bias);
    b.output(b.qlinear(x, b.constant(a.w), bias, a));
    const std::string what = fmt::format("trial {} (K {}, In {}, w {})", trial, k, in, a.w_params.summary());
    LoweredProgram p;
    try {
      p = lower_graph(b.build(), options);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::unsupported && stats.violations++ == 0) stats.first_violation = what + ": " + e.what();
      ++stats.skipped;
      continue;
    }
    const Tensor got = execute_lowered(p, {a.x}, options)[0];
    check_lowered_outputs(a, reference::qlinear(a), qlinear_bound_terms(a), p.ops[0], got, 1, stats, what);
  }
  return stats;
}

TEST(ImplGraphLowering, RandomQLinearProgramsWithinTheLoweredBound) {
  const LoweredCheck stats = qlinear_sweep(99, 300, {});
  EXPECT_EQ(stats.violations, 0) << stats.first_violation;
  // Every layout here is lowerable (8-bit operands, In <= 40, M well inside the range).
  EXPECT_EQ(stats.skipped, 0);
  EXPECT_GT(stats.checked, 3000);
  RecordProperty("outputs_checked", int(stats.checked));
  RecordProperty("outputs_tolerated", int(stats.tolerated));
}

// The bound is not vacuous: the same sweep with a lowering fault point on
// finds outputs outside it. (fixed_point_round_half_up is the exception by
// construction: it changes only outputs whose RoundingDivideByPOT input is
// an exact tie, and any sound bound for the gemmlowp scheme admits both
// neighbours there; docs/impl-graph.md.)
TEST(ImplGraphLowering, TheLoweredBoundRejectsTheLoweringFaults) {
  for (FaultPoint f : {FaultPoint::requant_shift_wrong_sign, FaultPoint::int4_nibbles_swapped,
                       FaultPoint::squeeze_compaction}) {
    ImplOptions o;
    o.faults = FaultSet(f);
    const LoweredCheck stats = qlinear_sweep(99, 300, o);
    EXPECT_GT(stats.violations, 0) << fault_point_name(f) << " is not caught by the lowered bound";
  }
  ImplOptions o;
  o.faults = FaultSet(FaultPoint::fixed_point_round_half_up);
  EXPECT_EQ(qlinear_sweep(99, 300, o).violations, 0);
}

TEST(ImplGraphLowering, RandomQConv2dProgramsWithinTheLoweredBound) {
  PrngSource rng(5);
  LoweredCheck stats;
  for (int trial = 0; trial < 120; ++trial) {
    const int64_t groups = rng.integer(1, 2), cg = rng.integer(1, 3), og = rng.integer(1, 3);
    const int64_t kh = rng.integer(1, 3), kw = rng.integer(1, 3);
    QConv2dArgs a;
    a.attrs.groups = groups;
    a.attrs.stride = {rng.integer(1, 2), rng.integer(1, 2)};
    a.attrs.padding = {rng.integer(0, 1), rng.integer(0, 1), rng.integer(0, 1), rng.integer(0, 1)};
    a.attrs.dilation = {rng.integer(1, 2), 1};
    const int64_t h = rng.integer(3, 6), w = rng.integer(3, 6);
    const int64_t n = rng.integer(1, 2);
    a.x = random_q(rng, {n, groups * cg, h + 2, w}, u8_spec());
    a.x_params = per_tensor(0.05f, int32_t(rng.integer(0, 255)), DType::u8, 0, 255);
    a.w = random_q(rng, {groups * og, cg, kh, kw}, i8_spec());
    Tensor s(DType::f32, rng.boolean() ? Shape{groups * og, 1, 1, 1} : Shape{});
    for (float& v : s.data<float>()) v = uniform(rng, 0.001f, 0.02f);
    a.w_params = QuantParams::for_type("i8", s);
    if (rng.boolean()) {
      a.bias = Tensor(DType::f32, {groups * og});
      for (float& v : a.bias->data<float>()) v = uniform(rng, -1, 1);
    }
    a.out_params = per_tensor(uniform(rng, 0.05f, 0.3f), 0, DType::i8, -128, 127);
    if (rng.boolean()) a.activation = {ActivationKind::relu};
    GraphBuilder b;
    const int x = b.input("xq", a.x.dtype(), a.x.shape());
    std::optional<int> bias;
    if (a.bias) bias = b.constant(*a.bias);
    b.output(b.qconv2d(x, b.constant(a.w), bias, a));
    const LoweredProgram p = lower_graph(b.build());
    ASSERT_EQ(p.ops[0].requant, LoweredRequant::fixed_point);
    const Tensor got = execute_lowered(p, {a.x})[0];
    check_lowered_outputs(a, reference::qconv2d(a), qconv2d_bound_terms(a), p.ops[0], got, 1, stats,
                          fmt::format("conv trial {}", trial));
  }
  EXPECT_EQ(stats.violations, 0) << stats.first_violation;
  RecordProperty("outputs_checked", int(stats.checked));
}

// qadd / qmul keep the fused f32 contract (impl::qelementwise): the lowered
// program gives exactly what the optimized executor gives for the graph.
TEST(ImplGraphLowering, ElementwiseOpsKeepTheFusedContract) {
  PrngSource rng(8);
  for (ElementwiseOp op : {ElementwiseOp::add, ElementwiseOp::mul}) {
    QElementwiseArgs e;
    e.a_params = QuantParams::for_type("i8", f32({2, 1}, {0.05f, 0.07f}), i32({2, 1}, {3, -1}));
    e.b_params = per_tensor(0.03f, 2);
    e.out_params = per_tensor(0.06f, -3);
    e.activation = {ActivationKind::relu};
    GraphBuilder b;
    const int a = b.input("a", DType::i8, {2, 1});
    const int c = b.input("b", DType::i8, {5});
    b.output(b.qelementwise(op, a, c, e));
    const Graph g = b.build();
    const LoweredProgram p = lower_graph(g);
    ASSERT_EQ(p.ops.size(), 1u);
    EXPECT_EQ(p.ops[0].requant, LoweredRequant::f32);
    EXPECT_EQ(p.ops[0].input_scale_b, 0.03f);
    EXPECT_EQ(p.ops[0].act_min, -3);
    const std::vector<Tensor> in{random_q(rng, {2, 1}, i8_spec()), random_q(rng, {5}, i8_spec())};
    EXPECT_TRUE(execute_lowered(p, in)[0].bitwise_equal(execute_graph(g, in)[0]));
  }
}

// A full front-end graph: optimize, lower, run; the lowered program and the
// optimized executor agree with the reference of the ORIGINAL graph exactly
// here: power-of-two scales, M = [1, 0.5] so the fixed-point multiply is
// exact except for halving an odd accumulator of channel 1, and channel 1's
// accumulators are [-2, 8, -3] (the odd one is negative: relu makes it 0 on
// both sides); y / 0.25 of the original has no ties either (channel 0: an
// integer, channel 1: acc / 2 with the same odd case).
TEST(ImplGraphLowering, OptimizedFrontEndGraphLowers) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {3, 4});
  const int xs = b.constant(scalar(0.5f));
  const int xd = b.dequantize(b.quantize(x, xs, std::nullopt, i8_spec()), xs, std::nullopt, i8_spec());
  const int wd = b.dequantize(b.constant(i8({2, 4}, {1, -2, 3, 0, 2, 2, -1, 1})), b.constant(f32({2}, {0.25f, 0.5f})),
                              std::nullopt, legacy(i8_spec(), -2));
  const int y = b.relu(b.mul(b.linear(xd, wd), b.constant(f32({2}, {2, 0.5f}))));
  const int q = b.quantize(y, b.constant(scalar(0.25f)), std::nullopt, i8_spec());
  b.output(b.dequantize(q, b.constant(scalar(0.25f)), std::nullopt, i8_spec()));
  const Graph g = b.build();
  const Graph h = optimize_graph(g);
  const LoweredProgram p = lower_graph(h);
  ASSERT_EQ(p.ops.size(), 3u);
  EXPECT_EQ(p.ops[0].kind, LoweredOp::Kind::quantize_input);
  EXPECT_EQ(p.ops[1].kind, LoweredOp::Kind::qlinear);
  EXPECT_EQ(p.ops[2].kind, LoweredOp::Kind::dequantize_output);
  // w scale {0.25, 0.5} * c {2, 0.5} = {0.5, 0.25}; M = 0.5 * s_w / 0.25 = {1, 0.5}.
  EXPECT_THAT(p.ops[1].multiplier, ElementsAre(1 << 30, 1 << 30));
  EXPECT_THAT(p.ops[1].shift, ElementsAre(1, 0));
  EXPECT_EQ(p.ops[1].act_min, 0);
  const Tensor xt = f32({3, 4}, {1, -0.5f, 2, 0.25f, 3, -1.5f, 0, 1, -2, 2, 0.5f, -1});
  const Tensor want = reference::evaluate_graph(g, {xt})[0];
  EXPECT_TRUE(execute_lowered(p, {xt})[0].bitwise_equal(want));
  EXPECT_TRUE(execute_graph(h, {xt})[0].bitwise_equal(want));
}

// ---- unsupported and errors ----------------------------------------------------------------

TEST(ImplGraphLowering, UnsupportedGraphsNameTheNode) {
  {  // a float op left
    GraphBuilder b;
    const int x = b.input("x", DType::f32, {2});
    b.output(b.relu(x));
    EXPECT_ERROR(lower_graph(b.build()), unsupported, "node 1 (relu)");
  }
  const auto linear_graph = [](QLinearArgs a, Tensor w, std::optional<Tensor> bias, bool w_is_input = false) {
    GraphBuilder b;
    const int x = b.input("xq", DType::i8, {2, w.shape()[1]});
    const int wn = w_is_input ? b.input("w", w.dtype(), w.shape()) : b.constant(w);
    std::optional<int> bn;
    if (bias) bn = b.constant(*bias);
    b.output(b.qlinear(x, wn, bn, a));
    return b.build();
  };
  QLinearArgs a;
  a.x_params = per_tensor(0.5f, 0);
  a.w_params = per_tensor(0.25f, 0);
  a.out_params = per_tensor(0.5f, 0);
  const Tensor w = Tensor(DType::i8, {3, 4});
  {
    QLinearArgs r = a;  // per-row x params
    r.x_params = QuantParams::for_type("i8", f32({2, 1}, {0.5f, 0.25f}));
    EXPECT_ERROR(lower_graph(linear_graph(r, w, std::nullopt)), unsupported, "per-tensor input params");
  }
  {
    QLinearArgs r = a;  // M = 0.5 * 0.25 / 2^-35 = 2^32
    r.out_params = per_tensor(0x1p-35f, 0);
    EXPECT_ERROR(lower_graph(linear_graph(r, w, std::nullopt)), unsupported, "multiplier");
    r.out_params = per_tensor(0x1p40f, 0);  // M = 2^-43
    EXPECT_ERROR(lower_graph(linear_graph(r, w, std::nullopt)), unsupported, "multiplier");
  }
  EXPECT_ERROR(lower_graph(linear_graph(a, w, std::nullopt, true)), unsupported, "not a constant");
  EXPECT_ERROR(lower_graph(linear_graph(a, w, f32({3}, {1e30f, 0, 0}))), unsupported, "beyond int32");
  {
    QLinearArgs r = a;  // float-domain weights
    r.w_params = QuantParams::per_tensor(0.25f, 0, DType::u8, 0, 15);
    r.w_params.zero_point = f32({}, {1.0f});
    r.w_params.zero_point_domain = ZeroPointDomain::float_domain;
    EXPECT_ERROR(lower_graph(linear_graph(r, Tensor(DType::u8, {3, 4}), std::nullopt)), unsupported, "float-domain");
  }
  {
    // i16 x: max |qx - zx| = 32768; In = 1024 weights of 127: 32768 * 130048 > 2^31.
    GraphBuilder b;
    const int x = b.input("xq", DType::i16, {1, 1024});
    QLinearArgs r = a;
    r.x_params = per_tensor(0.5f, 0, DType::i16, -32768, 32767);
    Tensor big(DType::i8, {1, 1024});
    for (int8_t& v : big.data<int8_t>()) v = 127;
    b.output(b.qlinear(x, b.constant(big), std::nullopt, r));
    EXPECT_ERROR(lower_graph(b.build()), unsupported, "accumulator");
  }
  {  // legacy quantize left
    GraphBuilder b;
    const int x = b.input("x", DType::f32, {2, 3});
    b.output(b.quantize(x, b.constant(f32({3}, {1, 1, 1})), std::nullopt, legacy(i8_spec(), 1)));
    EXPECT_ERROR(lower_graph(b.build()), unsupported, "legacy");
  }
  {  // conv weights varying along C
    GraphBuilder b;
    const int x = b.input("xq", DType::i8, {1, 2, 3, 3});
    QConv2dArgs c;
    c.x_params = per_tensor(0.5f, 0);
    c.w_params = QuantParams::for_type("i8", f32({1, 2, 1, 1}, {0.5f, 0.25f}));
    c.out_params = per_tensor(0.5f, 0);
    b.output(b.qconv2d(x, b.constant(Tensor(DType::i8, {1, 2, 1, 1})), std::nullopt, c));
    EXPECT_ERROR(lower_graph(b.build()), unsupported, "per-output-channel");
  }
}

TEST(ImplGraphLowering, InvalidNodesKeepTheirErrorKinds) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2});
  b.output(b.quantize(x, b.constant(scalar(0.0f)), std::nullopt, i8_spec()));
  EXPECT_ERROR(lower_graph(b.build()), invalid_scale, "node 2 (quantize)");
  GraphBuilder c;
  const int xq = c.input("xq", DType::i8, {2, 3});
  QLinearArgs a;
  a.x_params = per_tensor(0.5f, 0);
  a.w_params = per_tensor(0.5f, 0);
  a.out_params = per_tensor(0.5f, 0);
  c.output(c.qlinear(xq, c.constant(Tensor(DType::i8, {2, 4})), std::nullopt, a));
  EXPECT_ERROR(lower_graph(c.build()), invalid_shape, "node 2 (qlinear)");
}

TEST(ImplGraphLowering, ExecutionChecksTheFedInputs) {
  const LoweredProgram p = lower_graph(hand_linear({}));
  EXPECT_ERROR(execute_lowered(p, {}), invalid_shape, "1 input");
  EXPECT_ERROR(execute_lowered(p, {i8({2, 3}, {1, 2, 3, 4, 5, 6})}), unsupported, "dtype");
  EXPECT_ERROR(execute_lowered(p, {f32({3}, {1, 2, 3})}), invalid_shape, "shape");
  EXPECT_ERROR(execute_lowered(p, {f32({2, 3}, {1, 2, 3, 4, 5, std::nanf("")})}), nan_input, "quantize");
}

// Hand-broken programs are malformed_case, never a crash or an
// out-of-bounds read (ASan builds run this too).
TEST(ImplGraphLowering, MalformedProgramsAreRejected) {
  const LoweredProgram good = lower_graph(hand_linear({}));
  const std::vector<Tensor> in{hand_x()};
  const auto broken = [&](auto&& edit) {
    LoweredProgram p = good;
    edit(p);
    return p;
  };
  EXPECT_ERROR(execute_lowered(broken([](LoweredProgram& p) { p.ops[1].inputs = {7}; }), in), malformed_case, "slot");
  EXPECT_ERROR(execute_lowered(broken([](LoweredProgram& p) { p.output_slots = {-1}; }), in), malformed_case, "slot");
  EXPECT_ERROR(execute_lowered(broken([](LoweredProgram& p) { p.slot_count = 1 << 30; }), in), malformed_case, "slot");
  EXPECT_ERROR(execute_lowered(broken([](LoweredProgram& p) { p.ops[1].multiplier = {5}; }), in), malformed_case,
               "multiplier");
  EXPECT_ERROR(execute_lowered(broken([](LoweredProgram& p) { p.ops[1].shift = {40}; }), in), malformed_case, "shift");
  EXPECT_ERROR(execute_lowered(broken([](LoweredProgram& p) { p.ops[1].multiplier = {1 << 30, 1 << 30, 1 << 30}; }), in),
               malformed_case, "multiplier");
  EXPECT_ERROR(execute_lowered(broken([](LoweredProgram& p) { p.ops[1].weights->data = Tensor(DType::i8, {5}); }), in),
               malformed_case, "weights");
  EXPECT_ERROR(execute_lowered(broken([](LoweredProgram& p) { p.ops[1].weights.reset(); }), in), malformed_case,
               "weights");
  EXPECT_ERROR(execute_lowered(broken([](LoweredProgram& p) { p.ops[1].weights->scale = f32({1}, {1}); }), in),
               malformed_case, "weight scale");
  EXPECT_ERROR(execute_lowered(broken([](LoweredProgram& p) { std::swap(p.ops[0], p.ops[1]); }), in), malformed_case,
               "read before");
  EXPECT_ERROR(execute_lowered(broken([](LoweredProgram& p) { p.ops[1].accumulator_bias = i32({1}, {0}); }), in),
               malformed_case, "bias");
  EXPECT_ERROR(execute_lowered(broken([](LoweredProgram& p) { p.input_dtypes.clear(); }), in), malformed_case, "input");
}

}  // namespace
}  // namespace qdiff::impl
