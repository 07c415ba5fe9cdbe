// Unit tests of the optimized graph executor (impl/graph/executor.h,
// execute_graph) against the reference interpreter (reference/graph_eval.h):
//  - quantize / dequantize (affine and the legacy per-channel form, every
//    contract) and add / mul / relu / reshape: bitwise equal (the quant core
//    is bit-exact, SPEC section 9; the elementwise ops are one IEEE op each);
//  - linear / conv2d: within the harness's bound for f32 accumulation
//    (docs/graph.md): |y - y_ref| <= (n + 4) u M + (n + 2) 2^-149, with
//    M = sum |x w| + |b| over the output's n products. Derivation: the
//    executor's f32 GEMM rounds n products and n - 1 sums in some order and
//    adds the bias once: <= (n + 1) u M to first order from the exact sum;
//    the reference rounds the exact (double) sum once: u M; (n + 2) u M plus
//    second-order terms is below (n + 4) u M; each product may underflow by
//    2^-149 / 2 and the result once more;
//  - fused nodes: worked examples (the same values as the reference's own
//    golden tests, derived again here);
//  - error parity: the same error kind as the reference for each broken
//    graph, the message naming the node.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/graph.h"
#include "impl/graph/executor.h"
#include "reference/graph_eval.h"
#include "tests/impl_graph_test_util.h"
#include "tests/test_util.h"

namespace qdiff::impl {
namespace {

using ::testing::ElementsAre;
using namespace impl_graph_test;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kU = 0x1p-24;

Tensor random_f32(const Shape& s, std::mt19937& rng, float range) {
  Tensor t(DType::f32, s);
  std::uniform_real_distribution<float> u(-range, range);
  for (float& v : t.data<float>()) v = u(rng);
  return t;
}

void expect_bitwise(const Graph& g, const std::vector<Tensor>& inputs, const ImplOptions& o = {}) {
  const std::vector<Tensor> want = reference::evaluate_graph(g, inputs);
  const std::vector<Tensor> got = execute_graph(g, inputs, o);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(got[i].bitwise_equal(want[i])) << "output " << i << " of " << listing(g);
  }
}

// ---- quantize / dequantize ----------------------------------------------------------

TEST(ImplGraphExecutor, QuantizeDequantizeAreBitExactUnderEveryContract) {
  std::mt19937 rng(7);
  const Tensor x = random_f32({2, 3, 4}, rng, 3.0f);
  // per-tensor, per-channel along dim 1, blocks [1, 1, 2], legacy axes.
  const std::vector<std::pair<Tensor, std::optional<int64_t>>> scales = {
      {scalar(0.1f), std::nullopt},
      {f32({1, 3, 1}, {0.1f, 0.07f, 0.3f}), std::nullopt},
      {f32({2, 3, 2}, {0.1f, 0.2f, 0.3f, 0.05f, 0.07f, 0.11f, 0.13f, 0.17f, 0.19f, 0.23f, 0.29f, 0.31f}), std::nullopt},
      {f32({2}, {0.1f, 0.03f}), 0},
      {f32({3}, {0.1f, 0.03f, 0.7f}), 1},
      {f32({4}, {0.1f, 0.03f, 0.7f, 0.01f}), -1},
      {f32({3}, {0.1f, 0.03f, 0.7f}), -2},
  };
  for (Contract c : kAllContracts) {
    for (const auto& [scale, axis] : scales) {
      SCOPED_TRACE(scale.shape().str());
      GraphBuilder b;
      const int in = b.input("x", DType::f32, {2, 3, 4});
      QuantSpec spec = i8_spec(c);
      spec.legacy_axis = axis;
      Tensor zp(DType::i32, scale.shape());
      for (int64_t i = 0; i < zp.numel(); ++i) zp.data<int32_t>()[size_t(i)] = int32_t(i % 5) - 2;
      const int s = b.constant(scale);
      const int z = b.constant(zp);
      const int q = b.quantize(in, s, z, spec);
      b.output(q).output(b.dequantize(q, s, z, spec));
      expect_bitwise(b.build(), {x});
    }
  }
}

TEST(ImplGraphExecutor, LegacyFormWithNoChannels) {
  GraphBuilder b;
  const int in = b.input("x", DType::f32, {2, 0, 4});
  const int s = b.constant(Tensor(DType::f32, {0}));
  const int q = b.quantize(in, s, std::nullopt, legacy(i8_spec(), 1));
  b.output(q).output(b.dequantize(q, s, std::nullopt, legacy(i8_spec(), -2)));
  const std::vector<Tensor> out = execute_graph(b.build(), {Tensor(DType::f32, {2, 0, 4})});
  EXPECT_EQ(out[0].dtype(), DType::i8);
  EXPECT_EQ(out[0].shape(), (Shape{2, 0, 4}));
  EXPECT_EQ(out[1].dtype(), DType::f32);
  expect_bitwise(b.build(), {Tensor(DType::f32, {2, 0, 4})});
}

// ---- f32 ops ------------------------------------------------------------------------------

TEST(ImplGraphExecutor, ElementwiseOpsAreBitExact) {
  const std::pair<Shape, Shape> shapes[] = {
      {Shape{2, 3}, Shape{3}}, {Shape{4, 1, 3}, Shape{5, 1}}, {Shape{}, Shape{2, 2}}, {Shape{0, 3}, Shape{1}},
      {Shape{2, 1, 1, 3}, Shape{1, 4, 1}}};
  std::mt19937 rng(11);
  for (const auto& [sa, sb] : shapes) {
    GraphBuilder b;
    const int a = b.input("a", DType::f32, sa);
    const int c = b.input("b", DType::f32, sb);
    b.output(b.add(a, c)).output(b.mul(a, c)).output(b.relu(b.add(a, c)));
    Tensor ta = random_f32(sa, rng, 1e3f);
    Tensor tb = random_f32(sb, rng, 1e-3f);
    if (ta.numel() > 2) {
      ta.data<float>()[0] = kInf;
      ta.data<float>()[1] = -0.0f;
      ta.data<float>()[2] = kNaN;
    }
    expect_bitwise(b.build(), {ta, tb});
  }
}

TEST(ImplGraphExecutor, ReluAndReshape) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2, 3});
  b.output(b.reshape(b.relu(x), {3, 1, 2}));
  const Graph g = b.build();
  const std::vector<Tensor> out = execute_graph(g, {f32({2, 3}, {-1, -0.0f, kNaN, 2, -kInf, kInf})});
  EXPECT_EQ(out[0].shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(bits(out[0]), bits({0, -0.0f, kNaN, 2, 0, kInf}));
}

// Small integers: every product and partial sum is an integer below 2^24,
// so any f32 summation order is exact and equals the reference.
TEST(ImplGraphExecutor, LinearIsExactOnSmallIntegers) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2, 3});
  const int w = b.constant(f32({2, 3}, {1, -2, 3, 4, 5, -6}));
  b.output(b.linear(x, w, b.constant(f32({2}, {0.5f, -1}))));
  const std::vector<Tensor> out = execute_graph(b.build(), {f32({2, 3}, {1, 2, 3, -1, 0, 2})});
  // [1, 2, 3] . [1, -2, 3] = 6 + 0.5; . [4, 5, -6] = -4 - 1; [-1, 0, 2]: 5.5, -17
  EXPECT_EQ(bits(out[0]), bits({6.5f, -5, 5.5f, -17}));
}

double linear_bound(double magnitude, int64_t n) {
  return double(n + 4) * kU * magnitude + double(n + 2) * 0x1p-149;
}

TEST(ImplGraphExecutor, LinearAndConvWithinTheF32AccumulationBound) {
  std::mt19937 rng(3);
  for (int64_t in : {1, 7, 64, 300}) {
    GraphBuilder b;
    const int x = b.input("x", DType::f32, {3, 5, in});
    const Tensor w = random_f32({6, in}, rng, 2.0f);
    const Tensor bias = random_f32({6}, rng, 1.0f);
    b.output(b.linear(x, b.constant(w), b.constant(bias)));
    const Graph g = b.build();
    const Tensor xt = random_f32({3, 5, in}, rng, 4.0f);
    const Tensor got = execute_graph(g, {xt})[0];
    const Tensor want = reference::evaluate_graph(g, {xt})[0];
    ASSERT_EQ(got.shape(), want.shape());
    for (int64_t i = 0; i < got.numel(); ++i) {
      const int64_t row = i / 6, k = i % 6;
      double m = std::fabs(double(bias.f32_at(k)));
      for (int64_t j = 0; j < in; ++j) m += std::fabs(double(xt.f32_at(row * in + j)) * w.f32_at(k * in + j));
      EXPECT_LE(std::fabs(double(got.f32_at(i)) - want.f32_at(i)), linear_bound(m, in)) << "In " << in << " at " << i;
    }
  }
  // conv2d: groups 2, stride 2, dilation 2, asymmetric padding; n = C/g * kh * kw.
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2, 4, 9, 8});
  Conv2dAttrs at;
  at.groups = 2;
  at.stride = {2, 1};
  at.dilation = {2, 1};
  at.padding = {1, 0, 2, 1};
  const Tensor w = random_f32({6, 2, 3, 2}, rng, 1.0f);
  const Tensor bias = random_f32({6}, rng, 1.0f);
  b.output(b.conv2d(x, b.constant(w), b.constant(bias), at));
  const Graph g = b.build();
  const Tensor xt = random_f32({2, 4, 9, 8}, rng, 3.0f);
  const Tensor got = execute_graph(g, {xt})[0];
  const Tensor want = reference::evaluate_graph(g, {xt})[0];
  ASSERT_EQ(got.shape(), want.shape());
  double worst = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    // A generous magnitude: every tap of the group at its largest |x|.
    const double m = 12 * 3.0 * 1.0 + 1.0;
    const double err = std::fabs(double(got.f32_at(i)) - want.f32_at(i));
    worst = std::max(worst, err / linear_bound(m, 12));
    EXPECT_LE(err, linear_bound(m, 12)) << i;
  }
  EXPECT_LT(worst, 1.0);
}

TEST(ImplGraphExecutor, LinearPropagatesNanAndInfinity) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2, 2});
  b.output(b.linear(x, b.constant(f32({1, 2}, {0, 1}))));
  const Tensor out = execute_graph(b.build(), {f32({2, 2}, {kInf, 1, kNaN, 2})})[0];
  EXPECT_TRUE(std::isnan(out.f32_at(0)));  // inf * 0
  EXPECT_TRUE(std::isnan(out.f32_at(1)));
}

TEST(ImplGraphExecutor, EmptyReductionsAndOutputs) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2, 0});
  const int x2 = b.input("x2", DType::f32, {0, 3});
  b.output(b.linear(x, b.constant(Tensor(DType::f32, {3, 0})), b.constant(f32({3}, {1, 2, 3}))));
  b.output(b.linear(x2, b.constant(Tensor(DType::f32, {2, 3}))));
  const Graph g = b.build();
  const std::vector<Tensor> in{Tensor(DType::f32, {2, 0}), Tensor(DType::f32, {0, 3})};
  const std::vector<Tensor> out = execute_graph(g, in);
  EXPECT_EQ(bits(out[0]), bits({1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(out[1].shape(), (Shape{0, 2}));
  expect_bitwise(g, in);
}

// ---- fused nodes ----------------------------------------------------------------------------

// qlinear: dq(x) = 0.5 x = [[1, -2], [3, 0.5]]; dq(w) rows [4, 8] * 0.25 =
// [1, 2], [-3, 2] * 1; bias [0.25, -1]: y = [[-2.75, -8], [4.25, -9]];
// q = round_half_even(y / 0.5) - 1 = [-6 - 1, -16 - 1, 8 - 1, -18 - 1].
TEST(ImplGraphExecutor, FusedQLinearNode) {
  QLinearArgs a;
  a.x_params = QuantParams::per_tensor(0.5f, 0, DType::i8, -128, 127);
  a.w_params = QuantParams::for_type("i8", f32({2, 1}, {0.25f, 1}));
  a.out_params = QuantParams::per_tensor(0.5f, -1, DType::i8, -128, 127);
  GraphBuilder b;
  const int x = b.input("x", DType::i8, {2, 2});
  b.output(b.qlinear(x, b.constant(i8({2, 2}, {4, 8, -3, 2})), b.constant(f32({2}, {0.25f, -1})), a));
  const std::vector<Tensor> out = execute_graph(b.build(), {i8({2, 2}, {2, -4, 6, 1})});
  EXPECT_THAT(ints(out[0]), ElementsAre(-7, -17, 7, -19));
}

// qadd / qmul of a [2, 1] (per-channel scales 0.5, 0.25, zero point 1) and
// b [3] (0.5): dq(a) = [(3 - 1) 0.5, (-3 - 1) 0.25] = [1, -1], dq(b) =
// [0.5, 1, 2]. add: [[1.5, 2, 3], [-0.5, 0, 1]] / 0.5 -> 3, 4, 6, -1, 0, 2;
// mul: [[0.5, 1, 2], [-0.5, -1, -2]] -> 1, 2, 4, -1, -2, -4.
TEST(ImplGraphExecutor, FusedElementwiseNodes) {
  QElementwiseArgs e;
  e.a_params = QuantParams::for_type("i8", f32({2, 1}, {0.5f, 0.25f}), i32({2, 1}, {1, 1}));
  e.b_params = QuantParams::per_tensor(0.5f, 0, DType::i8, -128, 127);
  e.out_params = QuantParams::per_tensor(0.5f, 0, DType::i8, -128, 127);
  const std::pair<ElementwiseOp, std::vector<int64_t>> cases[] = {{ElementwiseOp::add, {3, 4, 6, -1, 0, 2}},
                                                                  {ElementwiseOp::mul, {1, 2, 4, -1, -2, -4}}};
  for (const auto& [op, want] : cases) {
    GraphBuilder b;
    const int a = b.input("a", DType::i8, {2, 1});
    const int c = b.input("b", DType::i8, {3});
    b.output(b.qelementwise(op, a, c, e));
    const std::vector<Tensor> out = execute_graph(b.build(), {i8({2, 1}, {3, -3}), i8({3}, {1, 2, 4})});
    EXPECT_EQ(ints(out[0]), want);
  }
}

// qconv2d, 1x1 kernel, per-output-channel weights: x [1, 1, 1, 2] = [2, 4]
// (dq 0.5x = [1, 2]); w [2, 1, 1, 1] = [3, -1] with scales [1, 0.5] ->
// [3, -0.5]; out s = 0.5: y = [[3, 6], [-0.5, -1]] -> 6, 12, -1, -2.
TEST(ImplGraphExecutor, FusedQConv2dNode) {
  QConv2dArgs a;
  a.x_params = QuantParams::per_tensor(0.5f, 0, DType::i8, -128, 127);
  a.w_params = QuantParams::for_type("i8", f32({2, 1, 1, 1}, {1, 0.5f}));
  a.out_params = QuantParams::per_tensor(0.5f, 0, DType::i8, -128, 127);
  GraphBuilder b;
  const int x = b.input("x", DType::i8, {1, 1, 1, 2});
  b.output(b.qconv2d(x, b.constant(i8({2, 1, 1, 1}, {3, -1})), std::nullopt, a));
  const std::vector<Tensor> out = execute_graph(b.build(), {i8({1, 1, 1, 2}, {2, 4})});
  EXPECT_EQ(out[0].shape(), (Shape{1, 2, 1, 2}));
  EXPECT_THAT(ints(out[0]), ElementsAre(6, 12, -1, -2));
}

TEST(ImplGraphExecutor, InputAndOutputOrderAndThreads) {
  GraphBuilder b;
  const int y = b.input("y", DType::f32, {2});
  const int x = b.input("x", DType::f32, {2});
  const int s = b.add(x, y);
  b.output(s).output(x).output(s);
  const Graph g = b.build();
  ImplOptions o;
  o.threads = 3;
  o.parallel_threshold = 0;
  const std::vector<Tensor> out = execute_graph(g, {f32({2}, {1, 2}), f32({2}, {10, 20})}, o);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(bits(out[0]), bits({11, 22}));
  EXPECT_EQ(bits(out[1]), bits({10, 20}));
  EXPECT_EQ(bits(out[2]), bits({11, 22}));
}

// ---- errors ---------------------------------------------------------------------------------

struct ErrorCase {
  std::string what;
  Graph graph;
  std::vector<Tensor> inputs;
  ErrorKind kind;
};

class ErrorCases {
 public:
  void add(std::string what, const GraphBuilder& b, std::vector<Tensor> in, ErrorKind kind) {
    cases_.push_back({std::move(what), b.build(), std::move(in), kind});
  }
  // A graph of one quantize (or dequantize) node of x.
  void quant(std::string what, Tensor scale, std::optional<Tensor> zp, QuantSpec spec, Tensor x, ErrorKind kind,
             bool dequantize = false) {
    GraphBuilder b;
    const int in = b.input("x", x.dtype(), x.shape());
    const int s = b.constant(std::move(scale));
    std::optional<int> z;
    if (zp) z = b.constant(*zp);
    b.output(dequantize ? b.dequantize(in, s, z, spec) : b.quantize(in, s, z, spec));
    add(std::move(what), b, {std::move(x)}, kind);
  }
  std::vector<ErrorCase> take() { return std::move(cases_); }

 private:
  std::vector<ErrorCase> cases_;
};

const Tensor kX23 = f32({2, 3}, {1, 2, 3, 4, 5, 6});

void add_fed_input_errors(ErrorCases& cases) {
  GraphBuilder b;
  b.output(b.relu(b.input("x", DType::f32, {2})));
  cases.add("fed count", b, {}, ErrorKind::invalid_shape);
  cases.add("fed dtype", b, {i8({2}, {1, 2})}, ErrorKind::unsupported);
  cases.add("fed shape", b, {f32({3}, {1, 2, 3})}, ErrorKind::invalid_shape);
}

void add_quantize_errors(ErrorCases& cases) {
  const auto quant = [&](auto&&... args) { cases.quant(std::forward<decltype(args)>(args)...); };
  const Tensor& x23 = kX23;
  quant("scale 0", scalar(0.0f), std::nullopt, i8_spec(), x23, ErrorKind::invalid_scale);
  quant("NaN input", scalar(1.0f), std::nullopt, i8_spec(), f32({2}, {1, kNaN}), ErrorKind::nan_input);
  quant("non-divisible", f32({1, 2}, {1, 1}), std::nullopt, i8_spec(), x23, ErrorKind::non_divisible_block);
  quant("legacy axis", f32({3}, {1, 1, 1}), std::nullopt, legacy(i8_spec(), 2), x23, ErrorKind::invalid_shape);
  quant("legacy axis -3", f32({2}, {1, 1}), std::nullopt, legacy(i8_spec(), -3), x23, ErrorKind::invalid_shape);
  quant("legacy length", f32({2}, {1, 1}), std::nullopt, legacy(i8_spec(), 1), x23, ErrorKind::invalid_shape);
  quant("legacy zero point length", f32({3}, {1, 1, 1}), i32({2}, {0, 0}), legacy(i8_spec(), -1), x23,
        ErrorKind::invalid_shape);
  QuantSpec blocks = legacy(i8_spec(), 1);
  blocks.block_size = std::vector<int64_t>{1, 1};
  quant("legacy block size", f32({3}, {1, 1, 1}), std::nullopt, blocks, x23, ErrorKind::invalid_shape);
  quant("legacy f32 dtype", f32({3}, {1, 1, 1}), std::nullopt, legacy(spec_of(DType::f32, 0, 1), 1), x23,
        ErrorKind::unsupported);
  quant("legacy range", f32({3}, {1, 1, 1}), std::nullopt, legacy(spec_of(DType::i8, 5, 1), 1), x23,
        ErrorKind::invalid_range);
  quant("legacy scale value", f32({3}, {1, -1, 1}), std::nullopt, legacy(i8_spec(), 1), x23, ErrorKind::invalid_scale);
  quant("legacy zero point value", f32({3}, {1, 1, 1}), i32({3}, {0, 300, 0}), legacy(i8_spec(), 1), x23,
        ErrorKind::invalid_zero_point);
  quant("legacy NaN", f32({3}, {1, 1, 1}), std::nullopt, legacy(i8_spec(), 1), f32({2, 3}, {1, 2, kNaN, 4, 5, 6}),
        ErrorKind::nan_input);
  quant("legacy dequantize of f32", f32({3}, {1, 1, 1}), std::nullopt, legacy(i8_spec(), 1), x23,
        ErrorKind::unsupported, true);
  QuantSpec none_domain = legacy(i8_spec(), 1);
  none_domain.zero_point_domain = ZeroPointDomain::none;
  quant("legacy C = 0, zero point with domain none", Tensor(DType::f32, {0}), Tensor(DType::i32, {0}), none_domain,
        Tensor(DType::f32, {2, 0}), ErrorKind::invalid_zero_point);
}

void add_float_op_errors(ErrorCases& cases) {
  const Tensor& x23 = kX23;
  {
    GraphBuilder b;
    const int x = b.input("x", DType::f32, {2, 3});
    b.output(b.linear(x, b.constant(f32({2, 2}, {1, 2, 3, 4}))));
    cases.add("linear In", b, {x23}, ErrorKind::invalid_shape);
  }
  {
    GraphBuilder b;
    const int x = b.input("x", DType::i8, {2, 3});
    b.output(b.linear(x, b.constant(f32({2, 2}, {1, 2, 3, 4}))));
    cases.add("linear of i8 (types before shapes)", b, {Tensor(DType::i8, {2, 3})}, ErrorKind::unsupported);
  }
  {
    GraphBuilder b;
    const int x = b.input("x", DType::f32, {2, 3});
    b.output(b.linear(x, b.constant(f32({2, 3}, {1, 2, 3, 4, 5, 6})), b.constant(f32({3}, {1, 2, 3}))));
    cases.add("linear bias", b, {x23}, ErrorKind::invalid_shape);
  }
  {
    GraphBuilder b;
    const int x = b.input("x", DType::f32, {2, 3});
    b.output(b.reshape(x, {4}));
    cases.add("reshape count", b, {x23}, ErrorKind::invalid_shape);
  }
  {
    GraphBuilder b;
    const int x = b.input("x", DType::f32, {2, 3});
    b.output(b.add(x, b.constant(f32({2}, {1, 2}))));
    cases.add("broadcast", b, {x23}, ErrorKind::invalid_shape);
  }
  {
    GraphBuilder b;
    const int x = b.input("x", DType::i8, {2});
    b.output(b.relu(x));
    cases.add("relu of i8", b, {i8({2}, {1, 2})}, ErrorKind::unsupported);
  }
}

void add_conv_and_qlinear_errors(ErrorCases& cases) {
  for (int variant = 0; variant < 3; ++variant) {
    GraphBuilder b;
    const int x = b.input("x", DType::f32, {1, 2, 3, 3});
    Conv2dAttrs at;
    if (variant == 0) at.groups = 0;
    if (variant == 1) at.stride = {0, 1};
    if (variant == 2) at.padding = {0, 0, 0, -1};
    b.output(b.conv2d(x, b.constant(Tensor(DType::f32, {2, 2, 2, 2})), std::nullopt, at));
    cases.add("conv attrs", b, {Tensor(DType::f32, {1, 2, 3, 3})}, ErrorKind::invalid_shape);
  }
  {
    GraphBuilder b;
    const int x = b.input("x", DType::f32, {1, 1, 2, 2});
    b.output(b.conv2d(x, b.constant(Tensor(DType::f32, {1, 1, 3, 3})), std::nullopt, {}));
    cases.add("conv kernel larger than the input", b, {Tensor(DType::f32, {1, 1, 2, 2})}, ErrorKind::invalid_shape);
  }
  {
    QLinearArgs a;
    a.x_params = QuantParams::per_tensor(0.5f, 0, DType::i8, -128, 127);
    a.w_params = QuantParams::per_tensor(0.0f, 0, DType::i8, -128, 127);
    a.out_params = QuantParams::per_tensor(0.5f, 0, DType::i8, -128, 127);
    GraphBuilder b;
    const int x = b.input("x", DType::i8, {2, 2});
    b.output(b.qlinear(x, b.constant(Tensor(DType::i8, {2, 2})), std::nullopt, a));
    cases.add("qlinear w scale 0", b, {Tensor(DType::i8, {2, 2})}, ErrorKind::invalid_scale);
  }
  {
    // A dead node's error is still an error (the reference evaluates every node).
    GraphBuilder b;
    const int x = b.input("x", DType::f32, {2});
    b.quantize(x, b.constant(scalar(kNaN)), std::nullopt, i8_spec());
    b.output(b.relu(x));
    cases.add("dead node", b, {f32({2}, {1, 2})}, ErrorKind::invalid_scale);
  }
}

std::vector<ErrorCase> error_cases() {
  ErrorCases cases;
  add_fed_input_errors(cases);
  add_quantize_errors(cases);
  add_float_op_errors(cases);
  add_conv_and_qlinear_errors(cases);
  return cases.take();
}

TEST(ImplGraphExecutor, ErrorParityWithTheReference) {
  for (const ErrorCase& c : error_cases()) {
    SCOPED_TRACE(c.what);
    const auto want = test_util::error_of([&] { reference::evaluate_graph(c.graph, c.inputs); });
    const auto got = test_util::error_of([&] { execute_graph(c.graph, c.inputs); });
    ASSERT_TRUE(want.has_value()) << "the reference accepts it";
    ASSERT_TRUE(got.has_value()) << "execute_graph accepts it; reference: " << want->what();
    EXPECT_EQ(error_kind_name(want->kind()), error_kind_name(c.kind)) << want->what();
    EXPECT_EQ(error_kind_name(got->kind()), error_kind_name(c.kind)) << got->what();
    if (c.what != "fed count") {
      EXPECT_THAT(std::string(got->what()), ::testing::StartsWith("node ")) << got->what();
    }
  }
}

TEST(ImplGraphExecutor, OutputAboveTheElementCapIsTooLarge) {
  const CapGuard cap(64);
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {16, 1});
  const int y = b.input("y", DType::f32, {1, 16});
  b.output(b.add(x, y));
  const Graph g = b.build();
  const std::vector<Tensor> in{Tensor(DType::f32, {16, 1}), Tensor(DType::f32, {1, 16})};
  EXPECT_ERROR(execute_graph(g, in), too_large, "node 2 (add)");
  EXPECT_ERROR(reference::evaluate_graph(g, in), too_large, "node 2 (add)");
}

TEST(ImplGraphExecutor, StructureIsCheckedFirst) {
  Graph g;
  g.nodes.resize(1);
  g.nodes[0].kind = NodeKind::relu;
  g.outputs = {0};
  EXPECT_ERROR(execute_graph(g, {}), malformed_case, "node 0");
}

}  // namespace
}  // namespace qdiff::impl
