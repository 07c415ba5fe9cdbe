// Golden tests of the reference graph interpreter (reference/graph_eval.h,
// docs/graph.md): small graphs worked by hand from SPEC sections 4, 5 and 8,
// the legacy per-channel form against the equivalent full-rank affine scale,
// and the fused nodes against the reference fused ops. Scales are powers of
// two unless a test is about f32 rounding, so each step is exact and the
// comment shows every rounding.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/graph.h"
#include "reference/dequantize.h"
#include "reference/fused_ops.h"
#include "reference/graph_eval.h"
#include "reference/quantize.h"
#include "tests/reference_graph_test_util.h"

namespace qdiff::reference {
namespace {

using ::testing::ElementsAre;
using namespace graph_test;

QuantSpec spec_of(DType dtype, int64_t qmin, int64_t qmax, Contract c = Contract::torchao) {
  QuantSpec s;
  s.dtype = dtype;
  s.quant_min = qmin;
  s.quant_max = qmax;
  s.contract = c;
  return s;
}
QuantSpec i8_spec(Contract c = Contract::torchao) { return spec_of(DType::i8, -128, 127, c); }

QuantParams per_tensor(float s, int32_t z, DType dtype = DType::i8, int64_t qmin = -128,
                       int64_t qmax = 127) {
  return QuantParams::per_tensor(s, z, dtype, qmin, qmax);
}

// x [2, 3] -> quantize (s = 0.5, z = 1, i8, torchao) -> dequantize (same).
// torchao: v = x * f32(1 / 0.5) = 2x; q = round_half_even(v) + z, clamped:
//   -1 -> v -2 -> -1;  0.25 -> 0.5 ties to 0 -> 1;  0.75 -> 1.5 ties to 2 -> 3;
//   100 -> 200 + 1 = 201 -> 127;  -100 -> -199 -> -128;
//   1.3f (1.29999995) -> 2.5999999 -> 3 -> 4
// dequantize: y = (q - 1) * 0.5: -1, 0, 1, 63, -64.5, 1.5.
TEST(ReferenceGraphEval, QuantizeDequantizeRoundTrip) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2, 3});
  const int s = b.constant(scalar(0.5f), "s");
  const int z = b.constant(i32({}, {1}), "z");
  const int q = b.quantize(x, s, z, i8_spec());
  const int y = b.dequantize(q, s, z, i8_spec());
  b.output(q).output(y);
  const Graph g = b.build();
  const std::vector<Tensor> out =
      evaluate_graph(g, {f32({2, 3}, {-1, 0.25f, 0.75f, 100, -100, 1.3f})});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].dtype(), DType::i8);
  EXPECT_EQ(out[0].shape(), (Shape{2, 3}));
  EXPECT_THAT(ints(out[0]), ElementsAre(-1, 1, 3, 127, -128, 4));
  EXPECT_EQ(out[1].dtype(), DType::f32);
  EXPECT_EQ(bits(out[1]), bits({-1, 0, 1, 63, -64.5f, 1.5f}));
  // evaluate_graph_values holds every node, by id.
  const std::vector<Tensor> values =
      evaluate_graph_values(g, {f32({2, 3}, {-1, 0.25f, 0.75f, 100, -100, 1.3f})});
  ASSERT_EQ(values.size(), 5u);
  EXPECT_TRUE(values[size_t(q)].bitwise_equal(out[0]));
  EXPECT_TRUE(values[size_t(s)].bitwise_equal(scalar(0.5f)));
}

// The node's contract is used: s = 0.9f, x = -11.25 is SPEC section 3's
// example: torchao (x * f32(1/s) = -12.50000095) gives -13, onnx (x / s,
// exactly the tie -12.5) gives -12.
TEST(ReferenceGraphEval, QuantizeUsesTheNodesContract) {
  for (const auto& [contract, want] : {std::pair{Contract::torchao, -13}, {Contract::onnx, -12}}) {
    GraphBuilder b;
    const int x = b.input("x", DType::f32, {1});
    const int s = b.constant(scalar(0.9f));
    b.output(b.quantize(x, s, std::nullopt, i8_spec(contract)));
    EXPECT_THAT(ints(evaluate_graph(b.build(), {f32({1}, {-11.25f})})[0]), ElementsAre(want))
        << contract_name(contract);
  }
}

// dequantize -> linear -> quantize, the chain fuse-quantized-ops rewrites:
//   x_q [[2, -4], [6, 1]] i8, s 0.5, z 0        -> dq_x [[1, -2], [3, 0.5]]
//   w_q [[4, 8], [-3, 2]] i8, s [[0.25], [1]]   -> dq_w [[1, 2], [-3, 2]]
//   bias [0.25, -1]
//   y = dq_x @ dq_w^T + bias:
//     y00 = 1 - 4 + 0.25 = -2.75     y01 = -3 - 4 - 1 = -8
//     y10 = 3 + 1 + 0.25 = 4.25      y11 = -9 + 1 - 1 = -9
//   quantize s 0.5 (f32(1/s) = 2), z -1: v = -5.5, -16, 8.5, -18
//     -> round half even -6, -16, 8, -18 -> + z = -7, -17, 7, -19
TEST(ReferenceGraphEval, DequantizeLinearQuantizeChain) {
  GraphBuilder b;
  const int xq = b.input("x_q", DType::i8, {2, 2});
  const int xs = b.constant(scalar(0.5f), "x_scale");
  const int dx = b.dequantize(xq, xs, std::nullopt, i8_spec());
  const int wq = b.constant(i8({2, 2}, {4, 8, -3, 2}), "w_q");
  const int ws = b.constant(f32({2, 1}, {0.25f, 1}), "w_scale");
  const int dw = b.dequantize(wq, ws, std::nullopt, i8_spec());
  const int bias = b.constant(f32({2}, {0.25f, -1}), "bias");
  const int y = b.linear(dx, dw, bias);
  const int os = b.constant(scalar(0.5f));
  const int oz = b.constant(i32({}, {-1}));
  const int q = b.quantize(y, os, oz, i8_spec());
  b.output(q).output(y);
  const std::vector<Tensor> out = evaluate_graph(b.build(), {i8({2, 2}, {2, -4, 6, 1})});
  EXPECT_EQ(bits(out[1]), bits({-2.75f, -8, 4.25f, -9}));
  EXPECT_THAT(ints(out[0]), ElementsAre(-7, -17, 7, -19));
}

// The same computation as one qlinear node: the ideal result
// round_half_even(y / 0.5) - 1 of the exact y above is -7, -17, 7, -19 too,
// and the node gives exactly what reference::qlinear gives.
TEST(ReferenceGraphEval, FusedQLinearNodeIsTheReferenceOp) {
  QLinearArgs a;
  a.x = i8({2, 2}, {2, -4, 6, 1});
  a.x_params = per_tensor(0.5f, 0);
  a.w = i8({2, 2}, {4, 8, -3, 2});
  a.w_params = QuantParams::for_type("i8", f32({2, 1}, {0.25f, 1}));
  a.bias = f32({2}, {0.25f, -1});
  a.out_params = per_tensor(0.5f, -1);
  GraphBuilder b;
  const int x = b.input("x", DType::i8, {2, 2});
  const int w = b.constant(a.w);
  const int bias = b.constant(*a.bias);
  b.output(b.qlinear(x, w, bias, a));
  const Tensor got = evaluate_graph(b.build(), {a.x})[0];
  EXPECT_THAT(ints(got), ElementsAre(-7, -17, 7, -19));
  EXPECT_TRUE(got.bitwise_equal(qlinear(a).output));

  // With relu and no bias: y = [-3, -7, 4, -8] -> [0, 0, 4, 0] -> q = [-1, -1, 7, -1].
  a.bias.reset();
  a.activation = {ActivationKind::relu};
  GraphBuilder b2;
  const int x2 = b2.input("x", DType::i8, {2, 2});
  b2.output(b2.qlinear(x2, b2.constant(a.w), std::nullopt, a));
  const Tensor relu_got = evaluate_graph(b2.build(), {a.x})[0];
  EXPECT_THAT(ints(relu_got), ElementsAre(-1, -1, 7, -1));
  EXPECT_TRUE(relu_got.bitwise_equal(qlinear(a).output));
}

// qconv2d, qadd and qmul nodes are the reference fused ops on their inputs'
// values (params inline). qadd of [2, 1] and [3]: dq(a) = [1, -1]
// ((3 - 1) * 0.5, (-3 - 1) * 0.25 with per-channel a params), dq(b) = 0.5 * b_q
// = [0.5, 1, 2]; y = [[1.5, 2, 3], [-0.5, 0, 1]]; out s 0.5, z 0:
// 3, 4, 6, -1, 0, 2. qmul: y = [[0.5, 1, 2], [-0.5, -1, -2]] -> 1, 2, 4, -1, -2, -4.
TEST(ReferenceGraphEval, FusedConvAndElementwiseNodes) {
  QElementwiseArgs e;
  e.a = i8({2, 1}, {3, -3});
  e.a_params = QuantParams::for_type("i8", f32({2, 1}, {0.5f, 0.25f}), i32({2, 1}, {1, 1}));
  e.b = i8({3}, {1, 2, 4});
  e.b_params = per_tensor(0.5f, 0);
  e.out_params = per_tensor(0.5f, 0);
  for (ElementwiseOp op : {ElementwiseOp::add, ElementwiseOp::mul}) {
    e.op = op;
    GraphBuilder b;
    const int a = b.input("a", DType::i8, {2, 1});
    const int c = b.constant(e.b);
    b.output(b.qelementwise(op, a, c, e));
    const Tensor got = evaluate_graph(b.build(), {e.a})[0];
    EXPECT_EQ(got.shape(), (Shape{2, 3}));
    if (op == ElementwiseOp::add) {
      EXPECT_THAT(ints(got), ElementsAre(3, 4, 6, -1, 0, 2));
    } else {
      EXPECT_THAT(ints(got), ElementsAre(1, 2, 4, -1, -2, -4));
    }
    EXPECT_TRUE(got.bitwise_equal(qelementwise(e).output));
  }

  // qconv2d: x u8 [1, 1, 2, 2] s 1 z 128 -> dq [[1, 2], [3, 4]]; w i8 [1, 1, 2, 2]
  // all 1 with s 0.5 -> 0.5; padding 1 all round, 2x2 kernel: OH = OW = 3;
  // output (oh, ow) sums the x values in rows oh-1..oh, cols ow-1..ow, times 0.5:
  //   [[1, 3, 2], [4, 10, 6], [3, 7, 4]] * 0.5 = [[0.5, 1.5, 1], [2, 5, 3], [1.5, 3.5, 2]]
  // bias [-1]: [[-0.5, 0.5, 0], [1, 4, 2], [0.5, 2.5, 1]]; out s 1, z 0, ties to even:
  //   [[0, 0, 0], [1, 4, 2], [0, 2, 1]]
  QConv2dArgs c;
  c.x = u8({1, 1, 2, 2}, {129, 130, 131, 132});
  c.x_params = per_tensor(1.0f, 128, DType::u8, 0, 255);
  c.w = i8({1, 1, 2, 2}, {1, 1, 1, 1});
  c.w_params = per_tensor(0.5f, 0);
  c.bias = f32({1}, {-1});
  c.out_params = per_tensor(1.0f, 0);
  c.attrs.padding = {1, 1, 1, 1};
  GraphBuilder b;
  const int x = b.input("x", DType::u8, {1, 1, 2, 2});
  b.output(b.qconv2d(x, b.constant(c.w), b.constant(*c.bias), c));
  const Tensor got = evaluate_graph(b.build(), {c.x})[0];
  EXPECT_EQ(got.shape(), (Shape{1, 1, 3, 3}));
  EXPECT_THAT(ints(got), ElementsAre(0, 0, 0, 1, 4, 2, 0, 2, 1));
  EXPECT_TRUE(got.bitwise_equal(qconv2d(c).output));
}

// ---- the legacy per-channel form ---------------------------------------------

// A graph with one legacy dequantize: data [2, 3, 4] i8 input, scale [C] and
// zero point [C] constants, the given axis.
struct LegacyGraph {
  Graph g;
  int node = 0;
};
LegacyGraph legacy_graph(NodeKind kind, int64_t axis, const Tensor& scale,
                         const std::optional<Tensor>& zp, DType data_dtype,
                         Contract contract = Contract::torchao) {
  GraphBuilder b;
  const int x = b.input("x", data_dtype, {2, 3, 4});
  const int s = b.constant(scale, "scale");
  std::optional<int> z;
  if (zp) z = b.constant(*zp, "zero_point");
  QuantSpec spec = i8_spec(contract);
  spec.legacy_axis = axis;
  const int n = kind == NodeKind::quantize ? b.quantize(x, s, z, spec) : b.dequantize(x, s, z, spec);
  b.output(n);
  return {b.build(), n};
}

// The scale [C] as a full-rank [1, .., C, .., 1] tensor (C at dim `dim`),
// written out by hand here, not by any code under test.
Tensor full_rank(const Tensor& v, int dim) {
  Shape s{1, 1, 1};
  s[dim] = v.numel();
  return v.reshaped(s);
}

// 24 quantized values covering the i8 range, zero points included.
Tensor legacy_data() {
  std::vector<int8_t> v;
  for (int i = 0; i < 24; ++i) v.push_back(int8_t(i * 11 - 128));  // -128, -117, ..., 125
  return i8({2, 3, 4}, v);
}

// Axes 0, 1, -1, -2 on rank 3: element x[i0, i1, i2] uses scale[i_a'], which is
// what the affine form with the scale reshaped to C at dim a' computes. Inexact
// scales (0.1f, 0.3f, ...) make every f32 step matter; both sides use the
// SPEC's y = f32(f32(q - z) * s), so the comparison is bit for bit.
TEST(ReferenceGraphLegacy, DequantizeEqualsTheFullRankAffineForm) {
  const std::vector<float> scales = {0.1f, 0.3f, 0.7f, 1.9f};
  const std::vector<int32_t> zps = {-3, 0, 5, 127};
  for (const auto& [axis, dim] : {std::pair{0, 0}, {1, 1}, {-1, 2}, {-2, 1}}) {
    SCOPED_TRACE(axis);
    const int64_t channels = legacy_data().shape()[dim];
    const Tensor scale = f32({channels}, std::vector<float>(scales.begin(), scales.begin() + channels));
    const Tensor zp = i32({channels}, std::vector<int32_t>(zps.begin(), zps.begin() + channels));
    const LegacyGraph lg = legacy_graph(NodeKind::dequantize, axis, scale, zp, DType::i8);
    const Tensor got = evaluate_graph(lg.g, {legacy_data()})[0];
    const QuantParams affine =
        QuantParams::for_type("i8", full_rank(scale, dim), full_rank(zp, dim));
    const Tensor want = dequantize_affine(legacy_data(), affine);
    EXPECT_TRUE(got.bitwise_equal(want));
    // The axes differ: axis 1 and -2 agree, axis -1 does not give axis 1's values.
    std::optional<int> normalized;
    node_quant_params(lg.g, lg.node, evaluate_graph_values(lg.g, {legacy_data()}), &normalized);
    EXPECT_EQ(normalized, dim);
  }
  // One element by hand: axis 1, x[1, 2, 3] (flat 23) holds q = 23 * 11 - 128 = 125
  // and uses scale[2] = 0.7f = 0.699999988079071 and zp[2] = 5:
  // f32(125 - 5) * 0.7f = 83.99999857 before rounding; the f32 spacing at 84 is
  // 2^-17 = 7.6e-6 and 84 is 1.4e-6 away, so the product rounds to 84.
  const LegacyGraph lg = legacy_graph(NodeKind::dequantize, 1, f32({3}, {0.1f, 0.3f, 0.7f}),
                                      i32({3}, {-3, 0, 5}), DType::i8);
  EXPECT_EQ(evaluate_graph(lg.g, {legacy_data()})[0].f32_at(23), 84.0f);
  // And axis -1 reads scale[3] there instead: with scales {0.1, 0.3, 0.7, 1.9} and
  // zero points {-3, 0, 5, 127}: (125 - 127) * 1.9f = -3.79999995 (exact: 2 * 0x1.e66666p+0).
  const LegacyGraph last = legacy_graph(NodeKind::dequantize, -1, f32({4}, {0.1f, 0.3f, 0.7f, 1.9f}),
                                        i32({4}, {-3, 0, 5, 127}), DType::i8);
  EXPECT_EQ(evaluate_graph(last.g, {legacy_data()})[0].f32_at(23), -2 * 1.9f);
}

// Legacy quantize with the onnx contract likewise equals quantize_affine with
// the full-rank scale; without a zero point too.
TEST(ReferenceGraphLegacy, QuantizeEqualsTheFullRankAffineForm) {
  std::vector<float> xv;
  for (int i = 0; i < 24; ++i) xv.push_back(float(i - 12) * 1.37f);
  const Tensor x = f32({2, 3, 4}, xv);
  for (const auto& [axis, dim] : {std::pair{0, 0}, {1, 1}, {-1, 2}, {-2, 1}}) {
    for (Contract c : {Contract::torchao, Contract::onnx, Contract::half_away, Contract::zp_before}) {
      SCOPED_TRACE(testing::Message() << axis << " " << contract_name(c));
      const int64_t channels = x.shape()[dim];
      std::vector<float> s = {0.9f, 0.3f, 0.6f, 0.1f};
      s.resize(size_t(channels));
      std::vector<int32_t> z = {3, -1, 0, 7};
      z.resize(size_t(channels));
      const LegacyGraph lg =
          legacy_graph(NodeKind::quantize, axis, f32({channels}, s), i32({channels}, z), DType::f32, c);
      const Tensor got = evaluate_graph(lg.g, {x})[0];
      const QuantParams affine =
          QuantParams::for_type("i8", full_rank(f32({channels}, s), dim), full_rank(i32({channels}, z), dim));
      EXPECT_TRUE(got.bitwise_equal(quantize_affine(x, affine, c)));
      const LegacyGraph no_zp =
          legacy_graph(NodeKind::quantize, axis, f32({channels}, s), std::nullopt, DType::f32, c);
      EXPECT_TRUE(evaluate_graph(no_zp.g, {x})[0].bitwise_equal(
          quantize_affine(x, QuantParams::for_type("i8", full_rank(f32({channels}, s), dim)), c)));
    }
  }
}

// By hand, axis -2 on [2, 3, 4] is dim 1: x = 1.0 everywhere, scales
// [0.5, 0.25, 2] (f32(1/s) = 2, 4, 0.5, exact), no zero point, torchao:
// q = round(1 * 1/s) = 2, 4, round(0.5) = 0 (tie to even) for the three
// rows of each batch.
TEST(ReferenceGraphLegacy, QuantizeByHandOnANegativeAxis) {
  const LegacyGraph lg = legacy_graph(NodeKind::quantize, -2, f32({3}, {0.5f, 0.25f, 2}),
                                      std::nullopt, DType::f32);
  const Tensor q = evaluate_graph(lg.g, {f32({2, 3, 4}, std::vector<float>(24, 1.0f))})[0];
  EXPECT_THAT(ints(q), ElementsAre(2, 2, 2, 2, 4, 4, 4, 4, 0, 0, 0, 0,  //
                                   2, 2, 2, 2, 4, 4, 4, 4, 0, 0, 0, 0));
}

// An empty channel dim with an empty [0] scale is a valid legacy node (C = 0).
TEST(ReferenceGraphLegacy, EmptyChannelDim) {
  GraphBuilder b;
  const int x = b.input("x", DType::i8, {2, 0});
  QuantSpec spec = i8_spec();
  spec.legacy_axis = 1;
  b.output(b.dequantize(x, b.constant(f32({0}, {})), std::nullopt, spec));
  const Tensor y = evaluate_graph(b.build(), {i8({2, 0}, {})})[0];
  EXPECT_EQ(y.shape(), (Shape{2, 0}));
  EXPECT_EQ(y.dtype(), DType::f32);
}

// node_quant_params: the legacy scale is returned unchanged ([C], not
// reshaped) with the normalized axis; an affine node's params are its values
// and spec, with no axis.
TEST(ReferenceGraphLegacy, NodeQuantParams) {
  const LegacyGraph lg = legacy_graph(NodeKind::dequantize, -1, f32({4}, {1, 2, 3, 4}),
                                      i32({4}, {0, 1, 2, 3}), DType::i8);
  const std::vector<Tensor> values = evaluate_graph_values(lg.g, {legacy_data()});
  std::optional<int> axis;
  const QuantParams p = node_quant_params(lg.g, lg.node, values, &axis);
  EXPECT_EQ(axis, 2);
  EXPECT_EQ(p.scale.shape(), (Shape{4}));
  ASSERT_TRUE(p.zero_point.has_value());
  EXPECT_THAT(ints(*p.zero_point), ElementsAre(0, 1, 2, 3));
  EXPECT_EQ(p.quant_min, -128);
  EXPECT_EQ(p.quant_max, 127);
  EXPECT_EQ(p.dtype, DType::i8);
  EXPECT_NO_THROW(node_quant_params(lg.g, lg.node, values, nullptr));

  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2});
  QuantSpec spec = spec_of(DType::u8, 0, 15);
  spec.zero_point_domain = ZeroPointDomain::none;
  spec.block_size = std::vector<int64_t>{2};
  // Explicit block 2 on [2]: scale dim ceil(2 / 2) = 1.
  const int q = b.quantize(x, b.constant(f32({1}, {0.25f})), std::nullopt, spec);
  b.output(q);
  const Graph g = b.build();
  std::optional<int> none = 7;
  const QuantParams a = node_quant_params(g, q, evaluate_graph_values(g, {f32({2}, {1, 2})}), &none);
  EXPECT_FALSE(none.has_value());
  EXPECT_EQ(a.dtype, DType::u8);
  EXPECT_EQ(a.quant_max, 15);
  EXPECT_EQ(a.zero_point_domain, ZeroPointDomain::none);
  EXPECT_EQ(a.block_size, (std::vector<int64_t>{2}));
  EXPECT_FALSE(a.zero_point.has_value());
  EXPECT_TRUE(a.scale.bitwise_equal(f32({1}, {0.25f})));
}

// ---- reshape, relu, float ops inside a graph ---------------------------------

// Reshape keeps the data and dtype: i8 [2, 3] -> [3, 2] -> [6]; reshape of a
// constant too.
TEST(ReferenceGraphEval, Reshape) {
  GraphBuilder b;
  const int x = b.input("x", DType::i8, {2, 3});
  const int r1 = b.reshape(x, {3, 2});
  const int r2 = b.reshape(r1, {6});
  const int c = b.reshape(b.constant(f32({4}, {1, 2, 3, 4})), {2, 1, 2});
  b.output(r1).output(r2).output(c);
  const std::vector<Tensor> out = evaluate_graph(b.build(), {i8({2, 3}, {1, -2, 3, -4, 5, -6})});
  EXPECT_EQ(out[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(out[0].dtype(), DType::i8);
  EXPECT_THAT(ints(out[0]), ElementsAre(1, -2, 3, -4, 5, -6));
  EXPECT_EQ(out[1].shape(), (Shape{6}));
  EXPECT_EQ(out[2].shape(), (Shape{2, 1, 2}));
  EXPECT_EQ(bits(out[2]), bits({1, 2, 3, 4}));
}

// relu(-0.0) is -0.0 (bit for bit), relu(-1) is +0.0; add and mul in a graph.
// add: [-0.0, -1] + [-0.0, 0.5] = [-0.0, -0.5]; relu -> [-0.0, +0.0];
// mul by [2]: [-0.0, 0.0].
TEST(ReferenceGraphEval, ReluOfNegativeZeroAndFloatOps) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2});
  const int sum = b.add(x, b.constant(f32({2}, {-0.0f, 0.5f})));
  const int r = b.relu(sum);
  const int m = b.mul(r, b.constant(f32({1}, {2})));
  b.output(r).output(m).output(b.relu(x));
  const std::vector<Tensor> out = evaluate_graph(b.build(), {f32({2}, {-0.0f, -1})});
  EXPECT_EQ(bits(out[0]), bits({-0.0f, 0.0f}));
  EXPECT_EQ(bits(out[1]), bits({-0.0f, 0.0f}));
  EXPECT_EQ(bits(out[2]), bits({-0.0f, 0.0f}));
}

// conv2d as a node: the geometry test of reference_graph_float_ops_test.cc
// (channel 0 only): 1000, 2100, 3010, 4321.
TEST(ReferenceGraphEval, Conv2dNode) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {1, 1, 2, 2});
  Conv2dAttrs at;
  at.padding = {1, 1, 0, 0};
  b.output(b.conv2d(x, b.constant(f32({1, 1, 2, 2}, {1, 10, 100, 1000})), std::nullopt, at));
  const Tensor y = evaluate_graph(b.build(), {f32({1, 1, 2, 2}, {1, 2, 3, 4})})[0];
  EXPECT_EQ(bits(y), bits({1000, 2100, 3010, 4321}));
}

// Inputs are fed in input_ids() order, wherever the input nodes sit; outputs
// come in g.outputs order (repeats allowed). a - b through mul by -1 and add.
TEST(ReferenceGraphEval, InputOrderAndOutputOrder) {
  GraphBuilder b;
  const int a = b.input("a", DType::f32, {1});
  const int neg = b.constant(f32({1}, {-1}));
  const int bb = b.input("b", DType::f32, {1});
  const int diff = b.add(a, b.mul(bb, neg));
  b.output(diff).output(bb).output(diff);
  const Graph g = b.build();
  EXPECT_EQ(g.input_ids(), (std::vector<int>{a, bb}));
  const std::vector<Tensor> out = evaluate_graph(g, {f32({1}, {5}), f32({1}, {3})});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].f32_at(0), 2.0f);
  EXPECT_EQ(out[1].f32_at(0), 3.0f);
  EXPECT_EQ(out[2].f32_at(0), 2.0f);
}

// evaluate_node computes one node from given values (an input node returns
// its fed tensor, checked).
TEST(ReferenceGraphEval, EvaluateNodeAlone) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2});
  const int r = b.relu(x);
  b.output(r);
  const Graph g = b.build();
  std::vector<Tensor> values(2);
  values[0] = f32({2}, {-3, 3});
  EXPECT_TRUE(evaluate_node(g, x, values).bitwise_equal(values[0]));
  EXPECT_EQ(bits(evaluate_node(g, r, values)), bits({0, 3}));
}

}  // namespace
}  // namespace qdiff::reference
