// Each graph-level fault point (impl/fault_points.h's catalogue, level
// graph) changes a targeted result: a pass's output graph,
// a lowered program, or the values they compute. The targets are the
// smallest cases that show each defect (the [K, K] outer product at K = 2),
// worked by hand. And every fault at once on varied graphs never crashes
// (ASan builds run this too).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "core/graph.h"
#include "impl/graph/executor.h"
#include "impl/graph/lowering.h"
#include "impl/graph/passes.h"
#include "reference/graph_eval.h"
#include "tests/impl_graph_test_util.h"

namespace qdiff::impl {
namespace {

using ::testing::ElementsAre;
using namespace impl_graph_test;

ImplOptions with(FaultPoint f) {
  ImplOptions o;
  o.faults = FaultSet(f);
  return o;
}

QuantParams per_tensor(float s, int32_t z) { return QuantParams::per_tensor(s, z, DType::i8, -128, 127); }

// mul(linear(x, dequantize(W [2, 4], [[0.5], [0.25]])), c = [2, 4]), x [3, 4].
Graph fold_graph(const Shape& x_shape, const Tensor& c) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, x_shape);
  const int dq = b.dequantize(b.constant(i8({2, 4}, {1, 2, 3, 4, -1, -2, -3, -4})), b.constant(f32({2, 1}, {0.5f, 0.25f})),
                              std::nullopt, i8_spec());
  b.output(b.mul(b.linear(x, dq), b.constant(c)));
  return b.build();
}

// The correct fold gives scale [[1], [1]]; without the reshape, [K, 1] *
// [K] broadcasts to the [2, 2] outer product [[1, 2], [0.5, 1]], which on a
// [2, 4] weight reads as blocks [1, 2]: W row 0 gets scales 1, 1, 2, 2.
// x = [1, 1, 1, 1]: correct y = [(1 + 2 + 3 + 4) * 0.5 * 2, -10 * 0.25 * 4]
// = [10, -10]; faulty y = [1 + 2 + 6 + 8, (-1 - 2) * 0.5 + (-3 - 4) * 1] = [17, -8.5].
TEST(ImplGraphFaults, FoldWithoutReshapeMakesTheKByKOuterProduct) {
  const Graph g = fold_graph({1, 4}, f32({2}, {2, 4}));
  const Graph good = run_pass(GraphPass::fuse_mul_into_linear, g);
  const Graph bad = run_pass(GraphPass::fuse_mul_into_linear, g, with(FaultPoint::fold_without_reshape));
  const auto scale_of = [](const Graph& h) {
    return h.node(h.node(h.node(find_kind(h, NodeKind::linear)).input(1)).input(1)).value;
  };
  EXPECT_EQ(scale_of(good).shape(), (Shape{2, 1}));
  EXPECT_EQ(scale_of(bad).shape(), (Shape{2, 2}));
  EXPECT_EQ(bits(scale_of(bad)), bits({1, 2, 0.5f, 1}));
  const std::vector<Tensor> in{f32({1, 4}, {1, 1, 1, 1})};
  EXPECT_EQ(bits(reference::evaluate_graph(good, in)[0]), bits({10, -10}));
  EXPECT_EQ(bits(reference::evaluate_graph(bad, in)[0]), bits({17, -8.5f}));
}

// c [K, 1] = [[2], [4]] against x [2, 4] (N == K == 2) scales ROW n by c_n;
// the fault folds it as channel k by c_k. x rows [1, 1, 1, 1] and [0, 0, 0, 1]:
// correct y = [[5 * 2, -2.5 * 2], [2 * 4, -1 * 4]] = [[10, -5], [8, -4]];
// folded per channel: [[5 * 2, -2.5 * 4], [2 * 2, -1 * 4]] = [[10, -10], [4, -4]].
TEST(ImplGraphFaults, FoldNonFoldableMulFiresForABatchConstant) {
  const Graph g = fold_graph({2, 4}, f32({2, 1}, {2, 4}));
  EXPECT_TRUE(same_graph(run_pass(GraphPass::fuse_mul_into_linear, g), g));
  const Graph bad = run_pass(GraphPass::fuse_mul_into_linear, g, with(FaultPoint::fold_non_foldable_mul));
  EXPECT_EQ(count_kind(bad, NodeKind::mul), 0) << listing(bad);
  const std::vector<Tensor> in{f32({2, 4}, {1, 1, 1, 1, 0, 0, 0, 1})};
  EXPECT_EQ(bits(reference::evaluate_graph(g, in)[0]), bits({10, -5, 8, -4}));
  EXPECT_EQ(bits(reference::evaluate_graph(bad, in)[0]), bits({10, -10, 4, -4}));
}

// The same fold with the constant first: mul(c, linear) is mul(linear, c)
// (SPEC section 8 names no operand order). Correct: folded (no mul left,
// scale [[1], [1]] as above); with the fault only mul(linear, c) is tried,
// so the graph is unchanged (outputs stay right: only the fusion is lost).
TEST(ImplGraphFaults, FoldLinearFirstOnlyLeavesMulOfConstantAndLinear) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {1, 4});
  const int dq = b.dequantize(b.constant(i8({2, 4}, {1, 2, 3, 4, -1, -2, -3, -4})), b.constant(f32({2, 1}, {0.5f, 0.25f})),
                              std::nullopt, i8_spec());
  b.output(b.mul(b.constant(f32({2}, {2, 4})), b.linear(x, dq)));
  const Graph g = b.build();
  const Graph good = run_pass(GraphPass::fuse_mul_into_linear, g);
  EXPECT_EQ(count_kind(good, NodeKind::mul), 0) << listing(good);
  const Graph bad = run_pass(GraphPass::fuse_mul_into_linear, g, with(FaultPoint::fold_linear_first_only));
  EXPECT_TRUE(same_graph(bad, g)) << listing(bad);
  // mul(linear, c) still folds with the fault on.
  EXPECT_EQ(count_kind(run_pass(GraphPass::fuse_mul_into_linear, fold_graph({1, 4}, f32({2}, {2, 4})),
                                with(FaultPoint::fold_linear_first_only)),
                       NodeKind::mul),
            0);
}

// dequantize(x) -> linear(dequantize(W), bias?) -> quantize: with the fault
// the bias is read from the weight's slot (a dequantize, not a constant),
// so the chain with a bias stays unfused and the one without still fuses.
Graph linear_chain(bool with_bias) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {1, 3});
  const int s = b.constant(scalar(0.5f));
  const int xd = b.dequantize(b.quantize(x, s, std::nullopt, i8_spec()), s, std::nullopt, i8_spec());
  const int wd = b.dequantize(b.constant(i8({2, 3}, {1, 2, 3, -1, 0, 2})), b.constant(scalar(0.25f)), std::nullopt, i8_spec());
  const std::optional<int> bias = with_bias ? std::optional<int>(b.constant(f32({2}, {1, -1}))) : std::nullopt;
  b.output(b.quantize(b.linear(xd, wd, bias), b.constant(scalar(0.5f)), std::nullopt, i8_spec()));
  return b.build();
}

TEST(ImplGraphFaults, FusedBiasWrongInputLeavesEveryLinearWithABias) {
  const ImplOptions bad = with(FaultPoint::fused_bias_wrong_input);
  EXPECT_EQ(count_kind(run_pass(GraphPass::fuse_quantized_ops, linear_chain(true)), NodeKind::qlinear), 1);
  EXPECT_EQ(count_kind(run_pass(GraphPass::fuse_quantized_ops, linear_chain(true), bad), NodeKind::qlinear), 0);
  EXPECT_EQ(count_kind(run_pass(GraphPass::fuse_quantized_ops, linear_chain(false), bad), NodeKind::qlinear), 1);
}

// Per-group K == 1: W [1, 4] = [1, -2, 3, 2], scale [1, 2] = [0.25, 0.5],
// x [2, 4, -2, 6] (s 0.5): correct y = -6 * 0.125 + 6 * 0.25 = 0.75 -> 3
// (out s 0.25). Squeezed to [2] and read as per-channel, both groups use
// scale[k = 0] = 0.25: y = -6 * 0.125 + 6 * 0.125 = 0 -> 0.
TEST(ImplGraphFaults, SqueezeCompactionReadsAPerGroupScaleAsPerChannel) {
  GraphBuilder b;
  const int x = b.input("xq", DType::i8, {1, 4});
  QLinearArgs a;
  a.x_params = per_tensor(0.5f, 0);
  a.w_params = QuantParams::for_type("i8", f32({1, 2}, {0.25f, 0.5f}));
  a.out_params = per_tensor(0.25f, 0);
  b.output(b.qlinear(x, b.constant(i8({1, 4}, {1, -2, 3, 2})), std::nullopt, a));
  const Graph g = b.build();
  const LoweredProgram good = lower_graph(g);
  const LoweredProgram bad = lower_graph(g, with(FaultPoint::squeeze_compaction));
  EXPECT_EQ(good.ops[0].weights->scale.shape(), (Shape{1, 2}));
  EXPECT_EQ(bad.ops[0].weights->scale.shape(), Shape{2});
  const std::vector<Tensor> in{i8({1, 4}, {2, 4, -2, 6})};
  EXPECT_THAT(ints(execute_lowered(good, in)[0]), ElementsAre(3));
  EXPECT_THAT(ints(execute_lowered(bad, in)[0]), ElementsAre(0));
}

// Legacy axis -2 on x [3, 3, 4] with scale [1, 2, 4] along dim 1: the fault
// normalizes -2 + 3 - 1 = 0 (also 3 channels), so the scale runs along dim
// 0 instead. x = 1 everywhere, torchao, i8: correct q[i, c, :] = round(1 /
// s_c) = [1, 0 (0.5 to even), 0 (0.25)] per c; faulty q[i, c, :] = round(1 / s_i).
TEST(ImplGraphFaults, NegativeLegacyAxisWrongUsesTheWrongDim) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {3, 3, 4});
  b.output(b.quantize(x, b.constant(f32({3}, {1, 2, 4})), std::nullopt, legacy(i8_spec(), -2)));
  const Graph g = b.build();
  const Graph good = run_pass(GraphPass::legacy_to_affine, g);
  const Graph bad = run_pass(GraphPass::legacy_to_affine, g, with(FaultPoint::negative_legacy_axis_wrong));
  EXPECT_EQ(good.node(find_kind(good, NodeKind::reshape)).target_shape, (Shape{1, 3, 1}));
  EXPECT_EQ(bad.node(find_kind(bad, NodeKind::reshape)).target_shape, (Shape{3, 1, 1}));
  Tensor ones(DType::f32, {3, 3, 4});
  for (float& v : ones.data<float>()) v = 1;
  const Tensor want = reference::evaluate_graph(g, {ones})[0];
  EXPECT_TRUE(reference::evaluate_graph(good, {ones})[0].bitwise_equal(want));
  const Tensor faulty = reference::evaluate_graph(bad, {ones})[0];
  EXPECT_EQ(want.int_at(4), 0);    // [0, 1, 0]: scale 2 (dim 1 index 1)
  EXPECT_EQ(faulty.int_at(4), 1);  // dim 0 index 0: scale 1
}

// qlinear (dq x = x / 2, dq w = w / 2, W rows [4, 8, -2] and [1, -1, 3])
// with p1 = 1.0, then p2 per-channel [0.5, 0.25] along the last dim. x row
// [4, -16, 2]: y = [-29, 6.5]. Original: Q1 rounds 6.5 to 6 (half to even),
// so channel 1 gives 6 / 0.25 = 24. Absorbing the per-channel p2 rounds 6.5
// once: 26.
TEST(ImplGraphFaults, AbsorptionOnPerChannelRemovesADoubleRounding) {
  GraphBuilder b;
  const int x = b.input("xq", DType::i8, {1, 3});
  QLinearArgs a;
  a.x_params = per_tensor(0.5f, 0);
  a.w_params = per_tensor(0.5f, 0);
  a.out_params = per_tensor(1.0f, 0);
  const int y = b.qlinear(x, b.constant(i8({2, 3}, {4, 8, -2, 1, -1, 3})), std::nullopt, a);
  const int d = b.dequantize(y, b.constant(scalar(1.0f)), std::nullopt, i8_spec());
  b.output(b.quantize(d, b.constant(f32({1, 2}, {0.5f, 0.25f})), std::nullopt, i8_spec()));
  const Graph g = b.build();
  EXPECT_TRUE(same_graph(run_pass(GraphPass::quant_absorption, g), g));
  const Graph bad = run_pass(GraphPass::quant_absorption, g, with(FaultPoint::absorption_on_per_channel));
  EXPECT_EQ(count_kind(bad, NodeKind::quantize), 0) << listing(bad);
  const std::vector<Tensor> in{i8({1, 3}, {4, -16, 2})};
  EXPECT_THAT(ints(reference::evaluate_graph(g, in)[0]), ElementsAre(-58, 24));
  EXPECT_THAT(ints(reference::evaluate_graph(bad, in)[0]), ElementsAre(-58, 26));
}

// The hand program of tests/impl_graph_lowering_test.cc without bias and
// relu: x i8 [1, 3] = [2, -1, 4] (s 0.5), W [2, 3] per-tensor 0.25, out 0.5:
// M = 0.25 (m = 2^30, e = -1): acc [12, 14] -> [3, 4] (3.5 rounds away).
// Shift stored as +1: acc << 1 then the high-mul: [12, 14].
Graph small_linear(const QuantSpec& w_spec = i8_spec()) {
  GraphBuilder b;
  const int x = b.input("xq", DType::i8, {1, 3});
  QLinearArgs a;
  a.x_params = per_tensor(0.5f, 0);
  a.w_params = per_tensor(0.25f, 0);
  a.w_params.quant_min = w_spec.quant_min;
  a.w_params.quant_max = w_spec.quant_max;
  a.out_params = per_tensor(0.5f, 0);
  b.output(b.qlinear(x, b.constant(i8({2, 3}, {2, -4, 1, -3, 0, 5})), std::nullopt, a));
  return b.build();
}

TEST(ImplGraphFaults, RequantShiftWrongSign) {
  const std::vector<Tensor> in{i8({1, 3}, {2, -1, 4})};
  const LoweredProgram good = lower_graph(small_linear());
  const LoweredProgram bad = lower_graph(small_linear(), with(FaultPoint::requant_shift_wrong_sign));
  EXPECT_THAT(good.ops[0].shift, ElementsAre(-1));
  EXPECT_THAT(bad.ops[0].shift, ElementsAre(1));
  EXPECT_THAT(ints(execute_lowered(good, in)[0]), ElementsAre(3, 4));
  EXPECT_THAT(ints(execute_lowered(bad, in)[0]), ElementsAre(12, 14));
}

// i4 weights [2, -4, 1, -3, 0, 5] pack as 0xC2 0xD1 0x50; swapped: 0x2C
// 0x1D 0x05, which unpack to [-4, 2, -3, 1, 5, 0]: acc = [2 * -4 - 1 * 2 + 4 * -3,
// 2 * 1 - 5 + 0] = [-22, -3] -> [-5.5 -> -6 (away), -0.75 -> -1].
TEST(ImplGraphFaults, Int4NibblesSwapped) {
  const std::vector<Tensor> in{i8({1, 3}, {2, -1, 4})};
  const LoweredProgram good = lower_graph(small_linear(i4_spec()));
  const LoweredProgram bad = lower_graph(small_linear(i4_spec()), with(FaultPoint::int4_nibbles_swapped));
  EXPECT_THAT(ints(good.ops[0].weights->data), ElementsAre(0xC2, 0xD1, 0x50));
  EXPECT_THAT(ints(bad.ops[0].weights->data), ElementsAre(0x2C, 0x1D, 0x05));
  EXPECT_THAT(ints(execute_lowered(good, in)[0]), ElementsAre(3, 4));
  EXPECT_THAT(ints(execute_lowered(bad, in)[0]), ElementsAre(-6, -1));
}

// acc = -7 with M = 0.25: high-mul -3.5 -> -3 (ties up), then -3 / 2 = -1.5:
// away from zero -2 (the ideal -1.75 rounds to -2 too); half up gives -1.
// (An envelope with the double-rounding slack 2^-(r+1) admits both, since
// -1.75 + 0.25 reaches the tie: see docs/impl-graph.md.)
TEST(ImplGraphFaults, FixedPointRoundHalfUp) {
  const std::vector<Tensor> in{i8({1, 3}, {-7, 0, 0})};
  GraphBuilder b;
  const int x = b.input("xq", DType::i8, {1, 3});
  QLinearArgs a;
  a.x_params = per_tensor(0.5f, 0);
  a.w_params = per_tensor(0.25f, 0);
  a.out_params = per_tensor(0.5f, 0);
  b.output(b.qlinear(x, b.constant(i8({1, 3}, {1, 0, 0})), std::nullopt, a));
  const Graph g = b.build();
  const LoweredProgram good = lower_graph(g);
  const LoweredProgram bad = lower_graph(g, with(FaultPoint::fixed_point_round_half_up));
  EXPECT_FALSE(good.ops[0].rounding_half_up);
  EXPECT_TRUE(bad.ops[0].rounding_half_up);
  EXPECT_THAT(ints(execute_lowered(good, in)[0]), ElementsAre(-2));
  EXPECT_THAT(ints(execute_lowered(bad, in)[0]), ElementsAre(-1));
  EXPECT_THAT(ints(reference::evaluate_graph(g, in)[0]), ElementsAre(-2));
}

TEST(ImplGraphFaults, EveryGraphPointHasATarget) {
  // The tests above, one per point; a new point must add its own.
  int graph_points = 0;
  for (int f = 0; f < int(FaultPoint::kCount); ++f) {
    graph_points += fault_level(FaultPoint(f)) == FaultLevel::graph;
  }
  EXPECT_EQ(graph_points, 10);
}

// All faults at once (the quantize core's and fused ops' too) through the
// whole pipeline on graphs of every pattern: no crash, no out-of-bounds
// access; errors are typed.
TEST(ImplGraphFaults, AllFaultsTogetherStayInBounds) {
  ImplOptions all;
  for (int f = 0; f < int(FaultPoint::kCount); ++f) all.faults = all.faults.with(FaultPoint(f));
  std::vector<std::pair<Graph, std::vector<Tensor>>> cases;
  cases.push_back({fold_graph({1, 4}, f32({2}, {2, 4})), {f32({1, 4}, {1, 2, 3, 4})}});
  cases.push_back({fold_graph({2, 4}, f32({2, 1}, {2, 4})), {f32({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8})}});
  cases.push_back({fold_graph({3, 4}, f32({2}, {2, 4})), {f32({3, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3})}});
  cases.push_back({small_linear(i4_spec()), {i8({1, 3}, {2, -1, 4})}});
  {
    GraphBuilder b;  // legacy weights, reshaped scales, mul, relu, absorption with per-channel p2
    const int x = b.input("x", DType::f32, {3, 3});
    const int xs = b.reshape(b.constant(f32({1}, {0.5f})), {1, 1});
    const int xd = b.dequantize(b.quantize(x, xs, std::nullopt, i8_spec()), xs, std::nullopt, i8_spec());
    const int wd = b.dequantize(b.constant(i8({3, 3}, {1, 2, 3, -4, 5, -6, 7, -8, 0})),
                                b.constant(f32({3}, {0.25f, 0.5f, 0.125f})), std::nullopt, legacy(i4_spec(), -2));
    const int y = b.relu(b.mul(b.linear(xd, wd, b.constant(f32({3}, {1, 2, 3}))), b.constant(f32({3, 1}, {2, 3, 4}))));
    const int q = b.quantize(y, b.constant(scalar(0.25f)), std::nullopt, i8_spec());
    const int d = b.dequantize(q, b.constant(scalar(0.25f)), std::nullopt, i8_spec());
    b.output(b.quantize(d, b.constant(f32({1, 3}, {0.5f, 0.25f, 0.125f})), std::nullopt, i8_spec()));
    cases.push_back({b.build(), {f32({3, 3}, {1, -2, 3, 0.5f, 0, -1, 2, 2, 2})}});
  }
  for (const auto& [g, in] : cases) {
    for (const ImplOptions& o : {ImplOptions{}, all}) {
      Graph h = g;
      try {
        h = optimize_graph(g, o);
        (void)execute_graph(h, in, o);
      } catch (const Error&) {
      }
      try {
        const LoweredProgram p = lower_graph(h, o);
        (void)execute_lowered(p, in, o);
      } catch (const Error&) {
      }
    }
  }
}

}  // namespace
}  // namespace qdiff::impl
