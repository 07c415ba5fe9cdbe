// A sanity check of the fused fault points (impl/fault_points.h, the seven
// consulted by impl/ops), not of the harness that hunts for them: for each
// point, on every ISA, a targeted input whose result changes when the point
// is switched on, while the unfaulted implementation passes the oracle.
// And every fault at once stays memory-safe on many shapes (ASan builds).
#include <variant>

#include "tests/impl_fused_test_util.h"

namespace qdiff::impl {
namespace {

using namespace fused_testing;

using AnyArgs = std::variant<QLinearArgs, QConv2dArgs, QElementwiseArgs>;

struct Target {
  FaultPoint fault;
  std::string what;
  AnyArgs args;
  // False for an exact rounding tie: the ideal value lies ON a rounding
  // boundary, where the oracle rightly accepts either neighbour.
  bool oracle_sees_it = true;
};

// x [1, 1] u8 (s = 0.5, z = 0) q = 5 -> 2.5; w [1, 1] i8 (s = 1) q = 1; y = 2.5.
// out s = 1, z = 1: round(2.5) + 1 = 3, but round(f32(2.5 + 1)) = 4.
QLinearArgs tie_with_odd_zero_point() {
  QLinearArgs a;
  a.x = Tensor::of<uint8_t>(Shape{1, 1}, {5});
  a.x_params = QuantParams::per_tensor(0.5f, 0, DType::u8, 0, 255);
  a.w = Tensor::of<int8_t>(Shape{1, 1}, {1});
  a.w_params = QuantParams::per_tensor(1.0f, 0, DType::i8, -128, 127);
  a.out_params = QuantParams::per_tensor(1.0f, 1, DType::i8, -128, 127);
  return a;
}

QLinearArgs random_linear(uint32_t seed, int64_t m, int64_t k, int64_t in, const QuantType& x,
                          const Shape& w_scale, Zero x_zero, bool bias, bool per_channel_out) {
  PrngSource rng(seed);
  QLinearArgs a;
  a.x = random_q(x, Shape{m, in}, rng);
  a.x_params = make_params(x, Shape{}, 0.05f, x_zero, rng);
  a.w = random_q(kI8, Shape{k, in}, rng);
  a.w_params = make_params(kI8, w_scale, 0.02f, Zero::none, rng);
  if (bias) a.bias = random_bias(k, 5.0f, rng);
  fit_output_params(a, kI8, per_channel_out ? 1 : -1, rng);
  return a;
}

std::vector<Target> targets() {
  std::vector<Target> t;
  t.push_back({FaultPoint::missing_zero_point_correction, "qlinear, x zero point 200",
               random_linear(1, 3, 20, 32, kU8, Shape{20, 1}, Zero::at_max, false, false)});
  t.push_back({FaultPoint::missing_zero_point_correction, "qlinear wide path (i16 x)",
               random_linear(2, 3, 20, 32, kI16, Shape{20, 1}, Zero::at_max, false, false)});
  {
    // qconv2d with padding: padded taps hold the zero point.
    PrngSource rng(3);
    QConv2dArgs c;
    c.x = random_q(kU8, Shape{1, 2, 4, 4}, rng);
    c.x_params = make_params(kU8, Shape{}, 0.05f, Zero::at_max, rng);
    c.w = random_q(kI8, Shape{3, 2, 3, 3}, rng);
    c.w_params = make_params(kI8, Shape{3, 1, 1, 1}, 0.02f, Zero::none, rng);
    c.attrs.padding = {1, 1, 1, 1};
    fit_output_params(c, kI8, -1, rng);
    t.push_back({FaultPoint::missing_zero_point_correction, "qconv2d", c});
  }
  t.push_back({FaultPoint::bias_after_requantization, "qlinear with a bias",
               random_linear(4, 3, 20, 32, kU8, Shape{20, 1}, Zero::random, true, false)});
  t.push_back({FaultPoint::per_group_scale_wrong_group, "qlinear, 4 groups of 8",
               random_linear(5, 3, 20, 32, kU8, Shape{20, 4}, Zero::random, false, false)});
  // In = 64 products of up to 255 * 128: |acc| passes 2^15.
  t.push_back({FaultPoint::int16_accumulation_overflow, "qlinear, In = 64",
               random_linear(6, 3, 20, 64, kU8, Shape{20, 1}, Zero::random, false, false)});
  t.push_back({FaultPoint::output_zero_point_before_rounding, "qlinear, tie 2.5 with z_out = 1",
               tie_with_odd_zero_point(), false});
  {
    // i32 output with z_out = 2^24 + 1: f32(z_out) = 2^24, so y / s = 2 gives
    // f32(2 + 2^24) = 2^24 + 2 instead of 2 + (2^24 + 1) = 2^24 + 3.
    QLinearArgs a = tie_with_odd_zero_point();
    a.x = Tensor::of<uint8_t>(Shape{1, 1}, {4});
    a.out_params = QuantParams::per_tensor(1.0f, (1 << 24) + 1, DType::i32, INT32_MIN, INT32_MAX);
    t.push_back({FaultPoint::output_zero_point_before_rounding, "qlinear, z_out = 2^24 + 1", a});
  }
  {
    // a + 0: a = 2.5 (u8 q = 5, s = 0.5), b = 0; out s = 1, z = 1: 3 vs 4.
    QElementwiseArgs e;
    e.a = Tensor::of<uint8_t>(Shape{1}, {5});
    e.a_params = QuantParams::per_tensor(0.5f, 0, DType::u8, 0, 255);
    e.b = Tensor::of<int8_t>(Shape{1}, {0});
    e.b_params = QuantParams::per_tensor(1.0f, 0, DType::i8, -128, 127);
    e.out_params = QuantParams::per_tensor(1.0f, 1, DType::i8, -128, 127);
    t.push_back({FaultPoint::output_zero_point_before_rounding, "qadd tie", e, false});
  }
  {
    // a [3] per-channel (scales 0.5, 1, 2) broadcast against b [2, 3]: the
    // fault reads a's scale at output index [i, j] by i instead of j.
    QElementwiseArgs e;
    e.a = Tensor::of<int8_t>(Shape{3}, {10, 20, 30});
    e.a_params = QuantParams::for_type("i8", Tensor::of<float>(Shape{3}, {0.5f, 1.0f, 2.0f}));
    e.b = Tensor::of<int8_t>(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
    e.b_params = QuantParams::per_tensor(1.0f, 0, DType::i8, -128, 127);
    e.out_params = QuantParams::per_tensor(1.0f, 0, DType::i8, -128, 127);
    t.push_back({FaultPoint::broadcast_per_channel_wrong_axis, "qadd [3] + [2, 3]", e});
  }
  t.push_back({FaultPoint::requant_scale_outer_product, "per-channel w and out, K = 20",
               random_linear(7, 3, 20, 32, kU8, Shape{20, 1}, Zero::random, false, true)});
  {
    // per-row x params [3, 1] (distinct scales), K = 20: output (r, k) takes
    // row min(k, 2)'s scale.
    QLinearArgs a = random_linear(8, 3, 20, 32, kU8, Shape{20, 1}, Zero::random, false, false);
    PrngSource rng(8);
    a.x_params = make_params(kU8, Shape{3, 1}, 0.05f, Zero::random, rng);
    a.x_params.scale = Tensor::of<float>(Shape{3, 1}, {0.05f, 0.025f, 0.1f});
    fit_output_params(a, kI8, -1, rng);
    t.push_back({FaultPoint::per_row_scale_indexed_by_column, "qlinear, per-row x [3, 1]", a});
  }
  return t;
}

// x [2, 1] i8 = {4, 4}, per-row scale [2, 1] = {1, 0.5}, no zero point;
// w [2, 1] i8 = {1, 2}, s = 1; out i8 s = 1, z = 0 (SPEC section 8):
//   y[0, 0] = 4 * 1 * 1 = 4     y[0, 1] = 4 * 1 * 2 = 8
//   y[1, 0] = 4 * 0.5 * 1 = 2   y[1, 1] = 4 * 0.5 * 2 = 4
// Faulty: (r, k) takes row min(k, 1)'s scale:
//   y[0, 1] = 4 * 0.5 * 2 = 4,  y[1, 0] = 4 * 1 * 1 = 4: all four are 4.
TEST(ImplFusedFaultPoints, PerRowScaleIndexedByColumnByHand) {
  QLinearArgs a;
  a.x = Tensor::of<int8_t>(Shape{2, 1}, {4, 4});
  a.x_params = QuantParams::per_tensor(1.0f, 0, DType::i8, -128, 127);
  a.x_params.scale = Tensor::of<float>(Shape{2, 1}, {1.0f, 0.5f});
  a.x_params.zero_point.reset();
  a.w = Tensor::of<int8_t>(Shape{2, 1}, {1, 2});
  a.w_params = QuantParams::per_tensor(1.0f, 0, DType::i8, -128, 127);
  a.out_params = QuantParams::per_tensor(1.0f, 0, DType::i8, -128, 127);
  const std::vector<int64_t> clean{4, 8, 2, 4}, faulty{4, 4, 4, 4};
  auto values = [](const Tensor& t) {
    std::vector<int64_t> v;
    for (int64_t i = 0; i < t.numel(); ++i) v.push_back(t.int_at(i));
    return v;
  };
  EXPECT_EQ(values(reference::qlinear(a).output), clean);
  const FaultSet fault(FaultPoint::per_row_scale_indexed_by_column);
  for (Isa isa : supported_isas()) {
    SCOPED_TRACE(isa_name(isa));
    EXPECT_EQ(values(qlinear(a, options_for(isa))), clean);
    EXPECT_EQ(values(qlinear(a, options_for(isa, 1, fault))), faulty);
    EXPECT_EQ(values(qlinear(a, options_for(isa, 2, fault))), faulty);
  }
  // Per-tensor x params have no row to mix up: unchanged.
  a.x_params.scale = Tensor::of<float>(Shape{}, {0.5f});
  for (Isa isa : supported_isas()) {
    EXPECT_EQ(values(qlinear(a, options_for(isa, 1, fault))), (std::vector<int64_t>{2, 4, 2, 4}));
  }
}

Tensor run_any(const AnyArgs& a, const ImplOptions& o) {
  return std::visit([&](const auto& args) { return run(args, o); }, a);
}
Verdict check_any(const AnyArgs& a, const ImplOptions& o) {
  return std::visit([&](const auto& args) { return check(args, o); }, a);
}

TEST(ImplFusedFaultPoints, EachPointChangesATargetedResult) {
  std::vector<bool> covered(size_t(FaultPoint::kCount), false);
  for (const Target& t : targets()) {
    covered[size_t(t.fault)] = true;
    const std::string what = std::string(fault_point_name(t.fault)) + ": " + t.what;
    for (Isa isa : supported_isas()) {
      const Verdict clean = check_any(t.args, options_for(isa));
      ASSERT_TRUE(clean.ok) << what << " on " << isa_name(isa) << ": " << clean.describe();
      const Tensor expected = run_any(t.args, options_for(isa));
      const Tensor faulty = run_any(t.args, options_for(isa, 1, FaultSet(t.fault)));
      EXPECT_NE(first_difference(expected, faulty), "") << what << " on " << isa_name(isa)
                                                        << " changes nothing";
      if (t.oracle_sees_it) {
        EXPECT_FALSE(check_any(t.args, options_for(isa, 1, FaultSet(t.fault))).ok)
            << what << " on " << isa_name(isa) << " is not caught by the oracle";
      }
    }
  }
  // The fused points only; the graph points have their own test.
  for (int f = 0; f < int(FaultPoint::kCount); ++f) {
    if (fault_level(FaultPoint(f)) != FaultLevel::fused) continue;
    EXPECT_TRUE(covered[size_t(f)]) << fault_point_name(FaultPoint(f)) << " has no target";
  }
}

// Every fault at once on many shapes: no crash, no out-of-bounds access
// (the wrong-group and wrong-axis indices are wrapped or clamped).
TEST(ImplFusedFaultPoints, AllFaultsTogetherStayInBounds) {
  FaultSet all;
  for (int f = 0; f < int(FaultPoint::kCount); ++f) all = all.with(FaultPoint(f));
  uint32_t seed = 100;
  for (int64_t k : {1, 2, 17, 65}) {
    for (int64_t in : {1, 5, 32, 70}) {
      for (const Shape& w_scale : {Shape{k, 1}, Shape{k, in}, Shape{1, 1}}) {
        const QLinearArgs a = random_linear(seed++, 3, k, in, kI8, w_scale, Zero::random, true, true);
        for (Isa isa : supported_isas()) {
          (void)error_kind_of([&] { qlinear(a, options_for(isa, 1, all)); });
          (void)error_kind_of([&] { qlinear(a, options_for(isa, 2, all)); });
        }
      }
    }
  }
  const std::pair<Shape, Shape> shapes[] = {{Shape{3}, Shape{2, 3}},
                                            {Shape{4, 1, 3}, Shape{5, 1}},
                                            {Shape{2, 3, 4}, Shape{4}},
                                            {Shape{7}, Shape{2, 2, 7}}};
  for (const auto& [as, bs] : shapes) {
    PrngSource rng(seed++);
    QElementwiseArgs e;
    e.a = random_q(kI8, as, rng);
    e.a_params = make_params(kI8, as, 0.1f, Zero::random, rng);  // elementwise scales
    e.b = random_q(kU8, bs, rng);
    e.b_params = make_params(kU8, bs, 0.1f, Zero::random, rng);
    fit_output_params(e, kI8, -1, rng);
    for (Isa isa : supported_isas()) {
      (void)error_kind_of([&] { qelementwise(e, options_for(isa, 1, all)); });
    }
  }
}

}  // namespace
}  // namespace qdiff::impl
