// Targeted sweeps of the optimized qadd / qmul (impl/ops/elementwise.cc),
// checked with the oracle's acceptance rule against reference::qelementwise
// on every ISA and bitwise across ISAs and threads: numpy broadcasts of
// ranks 0..6 (missing leading dims, size-1 dims on either side, equal
// shapes, empty outputs), per-operand layouts indexed by the operand's OWN
// shape (per-channel on a broadcast operand, groups with a partial last
// block, 2-D tiles, elementwise scales), output layouts of every kind,
// rows longer than the kernel's chunk, dtypes of every width, activations,
// and infinities that meet (inf - inf: the NaN rule).
#include <limits>

#include "tests/impl_fused_test_util.h"

namespace qdiff::impl {
namespace {

using namespace fused_testing;

// Scale shapes for an operand of `shape`.
Shape per_channel_scale(const Shape& shape, int dim) {
  Shape s = Shape::ones(shape.rank());
  s[dim] = shape[dim];
  return s;
}
Shape elementwise_scale(const Shape& shape) { return shape; }

struct EwSpec {
  ElementwiseOp op = ElementwiseOp::add;
  Shape a_shape, b_shape;
  QuantType a = kI8, b = kU8, out = kI8;
  std::optional<Shape> a_scale, b_scale;  // default per-tensor
  std::optional<std::vector<int64_t>> a_block, b_block;
  Zero a_zero = Zero::random, b_zero = Zero::random;
  std::optional<Shape> out_scale;  // default per-tensor
  std::optional<std::vector<int64_t>> out_block;
  Activation activation;
};

QElementwiseArgs make_ew(const EwSpec& s, uint32_t seed) {
  PrngSource rng(seed);
  QElementwiseArgs e;
  e.op = s.op;
  e.a = random_q(s.a, s.a_shape, rng);
  e.a_params = make_params(s.a, s.a_scale.value_or(Shape{}), 0.05f, s.a_zero, rng, s.a_block);
  e.b = random_q(s.b, s.b_shape, rng);
  e.b_params = make_params(s.b, s.b_scale.value_or(Shape{}), 0.03f, s.b_zero, rng, s.b_block);
  e.activation = s.activation;
  fit_output_params(e, s.out, -1, rng);
  if (s.out_scale) {
    // The fitted scale and zero point, spread over the requested layout
    // (factors >= 1 keep the outputs in range).
    const float base = e.out_params.scale.f32_at(0);
    const int64_t z = e.out_params.zero_point->int_at(0);
    e.out_params = make_params(s.out, *s.out_scale, base, Zero::none, rng, s.out_block);
    for (auto& v : e.out_params.scale.data<float>()) v = base * (1.0f + float(rng.integer(0, 3)) / 4.0f);
    Tensor zp(DType::i32, *s.out_scale);
    for (auto& v : zp.data<int32_t>()) v = int32_t(z);
    e.out_params.zero_point = std::move(zp);
  }
  return e;
}

std::string describe(const EwSpec& s) {
  return fmt::format("{} a {} {} b {} {} out {}", elementwise_op_name(s.op), s.a_shape.str(),
                     dtype_name(s.a.storage), s.b_shape.str(), dtype_name(s.b.storage),
                     dtype_name(s.out.storage));
}

void check_spec(const EwSpec& s, uint32_t seed) {
  const QElementwiseArgs e = make_ew(s, seed);
  if (s.activation.kind == ActivationKind::none) {
    expect_informative(qelementwise(e, options_for(Isa::scalar)), s.out.quant_min, s.out.quant_max,
                       describe(s));
  }
  expect_agrees_everywhere(e, describe(s));
}

// a [2, 2] i8 s = 0.5, z = 0: [[1, -3], [4, 2]] -> [[0.5, -1.5], [2, 1]]
// b [2]    u8 s = 0.25, z = 4: [6, 0]          -> [0.5, -1]
// qadd: [[1, -2.5], [2.5, 0]]; out s = 0.5, z = 1: y / s = 2, -5, 5, 0 -> 3, -4, 6, 1.
// qmul: [[0.25, 1.5], [1, -1]]; out s = 0.5, z = 1: 0.5 -> 0 (half to even), 3, 2, -2 -> 1, 4, 3, -1.
TEST(ImplFusedElementwise, HandWorked) {
  QElementwiseArgs e;
  e.a = Tensor::of<int8_t>(Shape{2, 2}, {1, -3, 4, 2});
  e.a_params = QuantParams::per_tensor(0.5f, 0, DType::i8, -128, 127);
  e.b = Tensor::of<uint8_t>(Shape{2}, {6, 0});
  e.b_params = QuantParams::per_tensor(0.25f, 4, DType::u8, 0, 255);
  e.out_params = QuantParams::per_tensor(0.5f, 1, DType::i8, -128, 127);
  for (Isa isa : supported_isas()) {
    e.op = ElementwiseOp::add;
    Tensor q = qelementwise(e, options_for(isa));
    const std::vector<int64_t> add = {3, -4, 6, 1}, mul = {1, 4, 3, -1};
    for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(q.int_at(i), add[size_t(i)]) << isa_name(isa);
    e.op = ElementwiseOp::mul;
    q = qelementwise(e, options_for(isa));
    for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(q.int_at(i), mul[size_t(i)]) << isa_name(isa);
  }
}

TEST(ImplFusedElementwise, BroadcastShapes) {
  const std::pair<Shape, Shape> shapes[] = {
      {Shape{}, Shape{}},
      {Shape{5}, Shape{}},
      {Shape{}, Shape{5}},
      {Shape{2, 3}, Shape{3}},
      {Shape{3}, Shape{2, 3}},
      {Shape{2, 1, 4}, Shape{3, 1}},
      {Shape{1}, Shape{5, 1, 1, 2}},
      {Shape{2, 3, 4}, Shape{2, 3, 4}},
      {Shape{4, 1, 3, 1, 2, 1}, Shape{1, 5, 1, 2, 1, 3}},
      {Shape{2, 0, 3}, Shape{3}},
      {Shape{7, 1100}, Shape{1100}},
      {Shape{1100, 3}, Shape{1100, 1}},
      {Shape{2, 3, 5, 7}, Shape{1, 3, 1, 1}},
  };
  uint32_t seed = 1;
  for (const auto& [as, bs] : shapes) {
    for (ElementwiseOp op : {ElementwiseOp::add, ElementwiseOp::mul}) {
      EwSpec s;
      s.op = op;
      s.a_shape = as;
      s.b_shape = bs;
      check_spec(s, seed++);
      // Every operand dim of size >= 2 in turn per-channel.
      for (int d = 0; d < as.rank(); ++d) {
        if (as[d] < 2) continue;
        s.a_scale = per_channel_scale(as, d);
        check_spec(s, seed++);
      }
      s.a_scale.reset();
      for (int d = 0; d < bs.rank(); ++d) {
        if (bs[d] < 2) continue;
        s.b_scale = per_channel_scale(bs, d);
        check_spec(s, seed++);
      }
    }
  }
}

// Operand and output layouts beyond per-channel.
TEST(ImplFusedElementwise, Layouts) {
  uint32_t seed = 500;
  const Shape as{6, 10}, bs{10};
  EwSpec base;
  base.a_shape = as;
  base.b_shape = bs;
  struct Variant {
    const char* name;
    std::optional<Shape> a_scale, b_scale, out_scale;
    std::optional<std::vector<int64_t>> a_block, b_block, out_block;
  };
  const Variant variants[] = {
      {"a groups of 5", Shape{6, 2}, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
       std::nullopt},
      {"a partial groups of 4", Shape{6, 3}, std::nullopt, std::nullopt,
       std::vector<int64_t>{1, 4}, std::nullopt, std::nullopt},
      {"a tiles 2x5", Shape{3, 2}, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
       std::nullopt},
      {"a elementwise", elementwise_scale(as), std::nullopt, std::nullopt, std::nullopt,
       std::nullopt, std::nullopt},
      {"b broadcast per-channel", std::nullopt, Shape{10}, std::nullopt, std::nullopt,
       std::nullopt, std::nullopt},
      {"b broadcast groups of 3, partial", std::nullopt, Shape{4}, std::nullopt, std::nullopt,
       std::vector<int64_t>{3}, std::nullopt},
      {"out per-channel rows", std::nullopt, std::nullopt, Shape{6, 1}, std::nullopt,
       std::nullopt, std::nullopt},
      {"out per-channel columns", std::nullopt, std::nullopt, Shape{1, 10}, std::nullopt,
       std::nullopt, std::nullopt},
      {"out tiles 3x4 partial", std::nullopt, std::nullopt, Shape{2, 3}, std::nullopt,
       std::nullopt, std::vector<int64_t>{3, 4}},
      {"out elementwise", std::nullopt, std::nullopt, Shape{6, 10}, std::nullopt, std::nullopt,
       std::nullopt},
      {"all three", Shape{6, 2}, Shape{10}, Shape{3, 5}, std::nullopt, std::nullopt,
       std::nullopt},
  };
  for (const Variant& v : variants) {
    for (ElementwiseOp op : {ElementwiseOp::add, ElementwiseOp::mul}) {
      EwSpec s = base;
      s.op = op;
      s.a_scale = v.a_scale;
      s.b_scale = v.b_scale;
      s.out_scale = v.out_scale;
      s.a_block = v.a_block;
      s.b_block = v.b_block;
      s.out_block = v.out_block;
      SCOPED_TRACE(v.name);
      check_spec(s, seed++);
    }
  }
  // [N, C, H, W] + a per-channel [1, C, 1, 1] operand: merged rows of H * W.
  EwSpec s;
  s.a_shape = Shape{2, 4, 5, 6};
  s.b_shape = Shape{1, 4, 1, 1};
  s.b_scale = Shape{1, 4, 1, 1};
  s.a_scale = Shape{1, 4, 1, 1};
  s.out_scale = Shape{1, 4, 1, 1};
  check_spec(s, seed++);
}

TEST(ImplFusedElementwise, DtypesAndActivations) {
  uint32_t seed = 700;
  for (QuantType a : {kI8, kU8, kI16, kU16, kI4}) {
    for (QuantType out : {kI8, kU8, kU16, kI32, QuantType{DType::i16, -100, 100},
                      QuantType{DType::i32, INT32_MIN, INT32_MIN + 500}}) {
      EwSpec s;
      s.a = a;
      s.b = a.quant_min < 0 ? kU16 : kI8;
      s.out = out;
      s.a_shape = Shape{3, 70};
      s.b_shape = Shape{3, 1};
      s.a_zero = seed % 2 ? Zero::at_min : Zero::at_max;
      check_spec(s, seed++);
    }
  }
  for (ActivationKind kind : {ActivationKind::relu, ActivationKind::clamp}) {
    for (ElementwiseOp op : {ElementwiseOp::add, ElementwiseOp::mul}) {
      EwSpec s;
      s.op = op;
      s.a_shape = Shape{4, 33};
      s.b_shape = Shape{33};
      s.activation = {kind, -0.3f, 0.4f};
      check_spec(s, seed++);
    }
  }
}

// Scales near FLT_MAX make dq() infinite: inf + (-inf) and inf * 0 are NaN,
// which quantize as the real value 0 (the zero point); the oracle demands
// exact equality there.
TEST(ImplFusedElementwise, InfinitiesAndNaN) {
  QElementwiseArgs e;
  e.a = Tensor::of<int8_t>(Shape{4}, {100, -100, 0, 100});
  e.a_params = QuantParams::per_tensor(3e38f, 0, DType::i8, -128, 127);
  e.b = Tensor::of<int8_t>(Shape{4}, {-100, -100, 100, 0});
  e.b_params = QuantParams::per_tensor(3e38f, 0, DType::i8, -128, 127);
  e.out_params = QuantParams::per_tensor(1.0f, 7, DType::i8, -128, 127);
  for (ElementwiseOp op : {ElementwiseOp::add, ElementwiseOp::mul}) {
    e.op = op;
    for (ActivationKind kind : {ActivationKind::none, ActivationKind::relu}) {
      e.activation = {kind};
      expect_agrees_everywhere(e, fmt::format("{} {}", elementwise_op_name(op),
                                              activation_name(kind)));
    }
  }
  // a + b: inf + -inf -> NaN -> 7; -inf + -inf -> -128; 0 + inf -> 127; inf + 0 -> 127.
  e.op = ElementwiseOp::add;
  e.activation = {};
  const Tensor q = qelementwise(e, options_for(Isa::scalar));
  EXPECT_EQ(q.int_at(0), 7);
  EXPECT_EQ(q.int_at(1), -128);
  EXPECT_EQ(q.int_at(2), 127);
  EXPECT_EQ(q.int_at(3), 127);
}

TEST(ImplFusedElementwise, ThreadsDoNotChangeResults) {
  EwSpec s;
  s.a_shape = Shape{64, 3, 40};
  s.b_shape = Shape{3, 1};
  s.b_scale = Shape{3, 1};
  const QElementwiseArgs e = make_ew(s, 900);
  for (Isa isa : supported_isas()) {
    const Tensor one = qelementwise(e, options_for(isa, 1));
    for (int threads : {2, 5}) {
      EXPECT_EQ(first_difference(one, qelementwise(e, options_for(isa, threads))), "")
          << isa_name(isa) << " with " << threads << " threads";
    }
  }
}

}  // namespace
}  // namespace qdiff::impl
