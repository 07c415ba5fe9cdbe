// Every error path of the reference graph interpreter (reference/graph_eval.h):
// structure (malformed_case, from Graph::check_structure), feeding (count,
// dtype, shape), the legacy per-channel form in its validation order, and the
// ops' own errors, each with the node (id, kind, name) in the message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "core/graph.h"
#include "reference/graph_eval.h"
#include "tests/reference_graph_test_util.h"

namespace qdiff::reference {
namespace {

using namespace graph_test;

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

QuantSpec i8_spec() { return QuantSpec{}; }  // i8 [-128, 127], int domain, torchao

Node raw(NodeKind kind, std::vector<int> inputs, std::string name = "") {
  Node n;
  n.kind = kind;
  n.inputs = std::move(inputs);
  n.name = std::move(name);
  return n;
}

// ---- structure and feeding ---------------------------------------------------

TEST(ReferenceGraphErrors, StructureIsCheckedFirst) {
  Graph g;
  g.nodes.push_back(raw(NodeKind::relu, {0}, "r"));  // reads itself
  g.outputs = {0};
  EXPECT_ERROR(evaluate_graph(g, {}), malformed_case,
               "node 0 (relu \"r\"): input 0 is 0, must be an earlier node's id (none: node 0 "
               "has no earlier node)");
  g.nodes.clear();
  Node x = raw(NodeKind::input, {}, "x");
  x.value = Tensor(DType::f32, {2});
  g.nodes = {x, raw(NodeKind::quantize, {0})};
  EXPECT_ERROR(evaluate_graph(g, {f32({2}, {1, 2})}), malformed_case,
               "node 1 (quantize): has 1 inputs, quantize takes 2 to 3 (x, scale, zero_point?)");
  g.nodes = {x, raw(NodeKind::relu, {0})};
  g.outputs = {};
  EXPECT_ERROR(evaluate_graph(g, {f32({2}, {1, 2})}), malformed_case, "graph has no outputs");
}

TEST(ReferenceGraphErrors, FeedingCountDtypeShape) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2, 3});
  const int y = b.input("y", DType::i8, {2});
  b.output(x).output(y);
  const Graph g = b.build();
  EXPECT_ERROR(evaluate_graph(g, {f32({2, 3}, {1, 2, 3, 4, 5, 6})}), invalid_shape,
               "graph has 2 input node(s), 1 tensor(s) fed");
  EXPECT_ERROR(evaluate_graph(g, {f32({2, 3}, {1, 2, 3, 4, 5, 6}), i8({2}, {1, 2}), i8({2}, {1, 2})}),
               invalid_shape, "graph has 2 input node(s), 3 tensor(s) fed");
  EXPECT_ERROR(evaluate_graph(g, {i8({2, 3}, {1, 2, 3, 4, 5, 6}), i8({2}, {1, 2})}), unsupported,
               "node 0 (input \"x\"): fed tensor has dtype i8, the input declares f32");
  EXPECT_ERROR(evaluate_graph(g, {f32({3, 2}, {1, 2, 3, 4, 5, 6}), i8({2}, {1, 2})}), invalid_shape,
               "node 0 (input \"x\"): fed tensor has shape [3, 2], the input declares [2, 3]");
  // Dtype before shape, and the second input is named when the first is fine.
  EXPECT_ERROR(evaluate_graph(g, {f32({2, 3}, {1, 2, 3, 4, 5, 6}), u8({3}, {1, 2, 3})}),
               unsupported, "node 1 (input \"y\"): fed tensor has dtype u8, the input declares i8");
}

// ---- legacy per-channel form -------------------------------------------------

struct Legacy {
  DType data_dtype = DType::i8;
  Shape data_shape{2, 3, 4};
  int64_t axis = 0;
  Tensor scale = f32({2}, {0.5f, 0.25f});
  std::optional<Tensor> zp;
  QuantSpec spec = i8_spec();
  NodeKind kind = NodeKind::dequantize;
  std::vector<float> x;  // quantize data; default all 1
};

// input -> constants -> legacy node (id 3 with a zero point, else 2), named "dq".
std::vector<Tensor> run(const Legacy& l) {
  GraphBuilder b;
  const int x = b.input("x", l.data_dtype, l.data_shape);
  const int s = b.constant(l.scale, "s");
  std::optional<int> z;
  if (l.zp) z = b.constant(*l.zp, "z");
  QuantSpec spec = l.spec;
  spec.legacy_axis = l.axis;
  Node n = raw(l.kind, {x, s, z.value_or(kNoInput)}, "dq");
  n.spec = spec;
  b.output(b.add_node(n));
  const int64_t count = l.data_shape.numel();
  Tensor data(l.data_dtype, l.data_shape);
  if (l.data_dtype == DType::f32) {
    std::vector<float> v = l.x.empty() ? std::vector<float>(size_t(count), 1.0f) : l.x;
    data = f32(l.data_shape, v);
  }
  return evaluate_graph(b.build(), {data});
}

TEST(ReferenceGraphErrors, LegacyAxisOutOfRange) {
  Legacy l;
  EXPECT_NO_THROW(run(l));
  l.axis = 3;
  EXPECT_ERROR(run(l), invalid_shape,
               "node 2 (dequantize \"dq\"): legacy axis 3 is outside [-3, 3) for data of shape "
               "[2, 3, 4]");
  l.axis = -4;
  EXPECT_ERROR(run(l), invalid_shape, "legacy axis -4 is outside [-3, 3)");
  l.axis = std::numeric_limits<int64_t>::min();
  EXPECT_ERROR(run(l), invalid_shape, "is outside [-3, 3)");
  // Rank 0 data has no axis at all.
  l.axis = 0;
  l.data_shape = Shape{};
  l.scale = f32({1}, {1});
  EXPECT_ERROR(run(l), invalid_shape, "legacy axis 0 is outside [0, 0) for data of shape []");
  // -3 is dim 0 (C = 2): valid.
  Legacy ok;
  ok.axis = -3;
  EXPECT_NO_THROW(run(ok));
}

TEST(ReferenceGraphErrors, LegacyScaleAndZeroPointShapes) {
  Legacy l;
  l.scale = f32({3}, {1, 1, 1});  // axis 0 has C = 2
  EXPECT_ERROR(run(l), invalid_shape,
               "node 2 (dequantize \"dq\"): legacy scale has shape [3], expected [C] = [2] (data "
               "shape [2, 3, 4], axis 0)");
  l.scale = f32({1, 2}, {1, 1});  // not 1-D
  EXPECT_ERROR(run(l), invalid_shape, "legacy scale has shape [1, 2], expected [C] = [2]");
  l.scale = scalar(1);  // a per-tensor scalar is not the legacy form either
  EXPECT_ERROR(run(l), invalid_shape, "legacy scale has shape [], expected [C] = [2]");
  l.scale = f32({2}, {1, 1});
  l.zp = i32({3}, {0, 0, 0});
  EXPECT_ERROR(run(l), invalid_shape,
               "node 3 (dequantize \"dq\"): legacy zero_point has shape [3], expected [C] = [2]");
  l.zp.reset();
  l.spec.block_size = std::vector<int64_t>{1, 1, 4};
  EXPECT_ERROR(run(l), invalid_shape, "block_size is given, but the legacy per-channel form");
}

// The order of reference/graph_eval.h: each case has the defect of its step
// plus one of a later step, and reports the earlier.
TEST(ReferenceGraphErrors, LegacyValidationOrder) {
  // 1 unsupported: data dtype (f32 fed to dequantize) + a bad axis.
  Legacy l;
  l.data_dtype = DType::f32;
  l.axis = 9;
  EXPECT_ERROR(run(l), unsupported, "input has dtype f32, dequantize needs i8");
  // 1: quantize of i8 data; the scale dtype.
  l = Legacy{};
  l.kind = NodeKind::quantize;
  EXPECT_ERROR(run(l), unsupported, "node 2 (quantize \"dq\"): input has dtype i8, quantize needs f32");
  l = Legacy{};
  l.scale = i32({2}, {1, 1});
  l.axis = 9;
  EXPECT_ERROR(run(l), unsupported, "scale has dtype i32, must be f32");
  l = Legacy{};
  l.spec.dtype = DType::f32;
  EXPECT_ERROR(run(l), unsupported, "quantized dtype must be an integer type, got f32");
  // 2 too_large (the cap lowered after the tensors exist) + a bad range.
  {
    l = Legacy{};
    l.spec.quant_min = 5;
    l.spec.quant_max = 4;
    GraphBuilder b;
    const int x = b.input("x", DType::i8, {2, 3, 4});
    QuantSpec spec = l.spec;
    spec.legacy_axis = 0;
    b.output(b.dequantize(x, b.constant(l.scale), std::nullopt, spec));
    const Graph g = b.build();
    const Tensor data(DType::i8, {2, 3, 4});
    CapGuard cap(10);
    EXPECT_ERROR(evaluate_graph(g, {data}), too_large, "input shape [2, 3, 4] has more than 10");
  }
  // 3 invalid_range + a bad axis.
  l = Legacy{};
  l.spec.quant_min = 5;
  l.spec.quant_max = 4;
  l.axis = 9;
  EXPECT_ERROR(run(l), invalid_range, "quant range [5, 4] is not an interval within i8");
  // 4 invalid_shape (axis) + a zero scale.
  l = Legacy{};
  l.axis = 9;
  l.scale = f32({2}, {0, 1});
  EXPECT_ERROR(run(l), invalid_shape, "legacy axis 9");
  // 5 invalid_scale + a zero point out of range.
  l = Legacy{};
  l.scale = f32({2}, {1, 0});
  l.zp = i32({2}, {0, 200});
  EXPECT_ERROR(run(l), invalid_scale, "scale element 1 is 0");
  // 6 invalid_zero_point + NaN data.
  l = Legacy{};
  l.kind = NodeKind::quantize;
  l.data_dtype = DType::f32;
  l.zp = i32({2}, {0, 200});
  l.x = std::vector<float>(24, kNan);
  EXPECT_ERROR(run(l), invalid_zero_point, "zero_point element 1 is 200, outside [-128, 127]");
  l.zp = f32({2}, {0, 0});  // int domain needs an integer zero point
  EXPECT_ERROR(run(l), invalid_zero_point, "int-domain zero_point must have an integer dtype");
  // 7 nan_input, quantize only.
  l.zp.reset();
  EXPECT_ERROR(run(l), nan_input, "node 2 (quantize \"dq\"): input element 0 is NaN");
}

// ---- other nodes ------------------------------------------------------------

TEST(ReferenceGraphErrors, ReshapeCountMismatch) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2, 3});
  Node r = raw(NodeKind::reshape, {x}, "r");
  r.target_shape = Shape{4};
  b.output(b.add_node(r));
  EXPECT_ERROR(evaluate_graph(b.build(), {f32({2, 3}, {1, 2, 3, 4, 5, 6})}), invalid_shape,
               "node 1 (reshape \"r\"): cannot reshape [2, 3] (6 elements) to [4]");
}

TEST(ReferenceGraphErrors, LinearShapeMismatchAndTypes) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2, 3});
  const int w = b.constant(f32({3, 2}, {1, 2, 3, 4, 5, 6}), "w");
  Node fc = raw(NodeKind::linear, {x, w, kNoInput}, "fc");
  b.output(b.add_node(fc));
  EXPECT_ERROR(evaluate_graph(b.build(), {f32({2, 3}, {1, 2, 3, 4, 5, 6})}), invalid_shape,
               "node 2 (linear \"fc\"): w has shape [3, 2], x.shape[-1] = 3 does not match "
               "w.shape[1] = 2");
  // A quantized value where f32 is expected (the dequantize was left out).
  GraphBuilder q;
  const int xq = q.input("x", DType::i8, {2});
  q.output(q.add(xq, q.constant(f32({2}, {1, 2}))));
  EXPECT_ERROR(evaluate_graph(q.build(), {i8({2}, {1, 2})}), unsupported,
               "node 2 (add): a has dtype i8; add takes f32 operands");
}

// The affine ops' and fused ops' errors propagate with their kinds, prefixed
// by the node.
TEST(ReferenceGraphErrors, OpErrorsNameTheNode) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2});
  const int ok = b.relu(x);
  const int q = b.quantize(ok, b.constant(scalar(0), "zero scale"), std::nullopt, i8_spec());
  b.output(q);
  EXPECT_ERROR(evaluate_graph(b.build(), {f32({2}, {1, 2})}), invalid_scale,
               "node 3 (quantize): scale element 0 is 0");

  GraphBuilder nan;
  const int xn = nan.input("x", DType::f32, {2});
  nan.output(nan.quantize(xn, nan.constant(scalar(1)), std::nullopt, i8_spec()));
  EXPECT_ERROR(evaluate_graph(nan.build(), {f32({2}, {1, kNan})}), nan_input,
               "node 2 (quantize): input element 1 is NaN");

  // qlinear fed f32 (its params say i8).
  QLinearArgs a;
  a.x_params = QuantParams::per_tensor(1, 0, DType::i8, -128, 127);
  a.w_params = a.x_params;
  a.out_params = a.x_params;
  GraphBuilder f;
  const int xf = f.input("x", DType::f32, {1, 2});
  Node n = raw(NodeKind::qlinear, {xf, f.constant(i8({1, 2}, {1, 1})), kNoInput}, "fc");
  n.params = {a.x_params, a.w_params};
  n.out_params = a.out_params;
  f.output(f.add_node(n));
  EXPECT_ERROR(evaluate_graph(f.build(), {f32({1, 2}, {1, 1})}), unsupported,
               "node 2 (qlinear \"fc\"): x has dtype f32, its params have dtype i8");
}

TEST(ReferenceGraphErrors, EvaluateNodeAndNodeQuantParamsMisuse) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2});
  const int r = b.relu(x);
  QuantSpec spec = i8_spec();
  spec.legacy_axis = 1;
  const int q = b.quantize(r, b.constant(f32({2}, {1, 1})), std::nullopt, spec);
  b.output(q);
  const Graph g = b.build();
  EXPECT_ERROR(evaluate_node(g, 9, {}), malformed_case, "graph has no node 9 (4 nodes)");
  EXPECT_ERROR(evaluate_node(g, -1, {}), malformed_case, "graph has no node -1");
  EXPECT_ERROR(evaluate_node(g, r, {}), malformed_case,
               "node 1 (relu): input 0 is node 0, whose value is not available");
  EXPECT_ERROR(evaluate_node(g, x, {}), malformed_case,
               "node 0 (input \"x\"): no tensor is fed to this input");
  const std::vector<Tensor> values = {f32({2}, {1, 2}), f32({2}, {1, 2}), f32({2}, {1, 1})};
  std::optional<int> axis;
  EXPECT_ERROR(node_quant_params(g, r, values, &axis), unsupported,
               "node 1 (relu): a relu node has no quantization params");
  // Axis 1 on rank-1 data cannot be normalized.
  EXPECT_ERROR(node_quant_params(g, q, values, &axis), invalid_shape,
               "node 3 (quantize): legacy axis 1 is outside [-1, 1) for data of shape [2]");
  EXPECT_ERROR(evaluate_graph(g, {f32({2}, {1, 2})}), invalid_shape, "node 3 (quantize): legacy axis 1");
}

}  // namespace
}  // namespace qdiff::reference
