// Graph case files (cases/graph_case.h): every node kind and attribute
// round-trips bit for bit (structural comparison, not only the text fixed
// point), the canonical text of a small graph is pinned, semantic defects
// stay representable, and the summary names kinds, inputs and outputs.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cases/case_file.h"
#include "cases/case.h"
#include "cases/graph_case.h"
#include "core/float_bits.h"
#include "tests/reference_graph_test_util.h"

namespace qdiff {
namespace {

using namespace graph_test;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

// ---- structural comparison ---------------------------------------------------

void expect_same_tensor(const Tensor& a, const Tensor& b, const std::string& what) {
  EXPECT_EQ(a.dtype(), b.dtype()) << what;
  EXPECT_EQ(a.shape(), b.shape()) << what << " " << a.shape().str() << " vs " << b.shape().str();
  // NaN payloads are not kept (every NaN reads back as the default quiet NaN).
  if (a.dtype() == DType::f32 && a.shape() == b.shape()) {
    for (int64_t i = 0; i < a.numel(); ++i) {
      if (std::isnan(a.f32_at(i))) {
        EXPECT_TRUE(std::isnan(b.f32_at(i))) << what << "[" << i << "]";
      } else {
        EXPECT_EQ(f32_bits(a.f32_at(i)), f32_bits(b.f32_at(i))) << what << "[" << i << "]";
      }
    }
    return;
  }
  EXPECT_TRUE(a.bitwise_equal(b)) << what;
}

void expect_same_params(const QuantParams& a, const QuantParams& b, const std::string& what) {
  expect_same_tensor(a.scale, b.scale, what + ".scale");
  ASSERT_EQ(a.zero_point.has_value(), b.zero_point.has_value()) << what;
  if (a.zero_point) expect_same_tensor(*a.zero_point, *b.zero_point, what + ".zero_point");
  EXPECT_EQ(a.block_size, b.block_size) << what;
  EXPECT_EQ(a.dtype, b.dtype) << what;
  EXPECT_EQ(a.quant_min, b.quant_min) << what;
  EXPECT_EQ(a.quant_max, b.quant_max) << what;
  EXPECT_EQ(a.zero_point_domain, b.zero_point_domain) << what;
}

void expect_same_node(const Node& a, const Node& b, const std::string& what) {
  EXPECT_EQ(a.kind, b.kind) << what;
  EXPECT_EQ(a.name, b.name) << what;
  // Canonical inputs: the kind's full arity, kNoInput where absent.
  std::vector<int> want = a.inputs;
  want.resize(std::max(want.size(), size_t(node_arity(a.kind).total)), kNoInput);
  EXPECT_EQ(want, b.inputs) << what;
  switch (a.kind) {
    case NodeKind::input:
      EXPECT_EQ(a.value.dtype(), b.value.dtype()) << what;
      EXPECT_EQ(a.value.shape(), b.value.shape()) << what;
      break;
    case NodeKind::constant:
      expect_same_tensor(a.value, b.value, what + ".value");
      break;
    case NodeKind::quantize:
    case NodeKind::dequantize:
      EXPECT_EQ(a.spec.dtype, b.spec.dtype) << what;
      EXPECT_EQ(a.spec.quant_min, b.spec.quant_min) << what;
      EXPECT_EQ(a.spec.quant_max, b.spec.quant_max) << what;
      EXPECT_EQ(a.spec.zero_point_domain, b.spec.zero_point_domain) << what;
      EXPECT_EQ(a.spec.block_size, b.spec.block_size) << what;
      EXPECT_EQ(a.spec.legacy_axis, b.spec.legacy_axis) << what;
      // The contract means something for quantize only, and only it is kept.
      if (a.kind == NodeKind::quantize) {
        EXPECT_EQ(a.spec.contract, b.spec.contract) << what;
      }
      break;
    case NodeKind::reshape:
      EXPECT_EQ(a.target_shape, b.target_shape) << what;
      break;
    default:
      break;
  }
  if (a.kind == NodeKind::conv2d || a.kind == NodeKind::qconv2d) {
    EXPECT_EQ(a.conv.stride, b.conv.stride) << what;
    EXPECT_EQ(a.conv.padding, b.conv.padding) << what;
    EXPECT_EQ(a.conv.dilation, b.conv.dilation) << what;
    EXPECT_EQ(a.conv.groups, b.conv.groups) << what;
  }
  if (is_fused_kind(a.kind)) {
    expect_same_params(a.params[0], b.params[0], what + ".params[0]");
    expect_same_params(a.params[1], b.params[1], what + ".params[1]");
    expect_same_params(a.out_params, b.out_params, what + ".out_params");
    EXPECT_EQ(a.activation.kind, b.activation.kind) << what;
    if (a.activation.kind == ActivationKind::clamp) {
      EXPECT_EQ(f32_bits(a.activation.lo), f32_bits(b.activation.lo)) << what;
      EXPECT_EQ(f32_bits(a.activation.hi), f32_bits(b.activation.hi)) << what;
    }
  }
}

void expect_same_case(const GraphCase& a, const GraphCase& b) {
  ASSERT_EQ(a.graph.nodes.size(), b.graph.nodes.size());
  for (size_t i = 0; i < a.graph.nodes.size(); ++i) {
    expect_same_node(a.graph.nodes[i], b.graph.nodes[i], "node " + std::to_string(i));
  }
  EXPECT_EQ(a.graph.outputs, b.graph.outputs);
  ASSERT_EQ(a.inputs.size(), b.inputs.size());
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    expect_same_tensor(a.inputs[i], b.inputs[i], "inputs[" + std::to_string(i) + "]");
  }
}

// Writes c, parses it, compares structurally, and checks the text fixed point.
GraphCase round_trip(const GraphCase& c) {
  const std::string text = write_case(Case{c});
  SCOPED_TRACE(text);
  const Case parsed = parse_case(text);
  EXPECT_TRUE(std::holds_alternative<GraphCase>(parsed));
  const GraphCase& back = std::get<GraphCase>(parsed);
  expect_same_case(c, back);
  EXPECT_EQ(write_case(parsed), text);
  EXPECT_EQ(case_op_name(parsed), "graph");
  return back;
}

QuantParams params(float s, std::optional<int32_t> z, std::string_view type) {
  std::optional<Tensor> zp;
  if (z) zp = i32({}, {*z});
  return QuantParams::for_type(type, scalar(s), std::move(zp));
}

// One node of every kind, every optional attribute set to a non-default value
// somewhere, semantic validity not required.
GraphCase every_kind() {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {1, 2, 2, 2});
  const int xi = b.input("q \"in\" \xc3\xa9", DType::i8, {3});  // a quote and a UTF-8 name
  const int s = b.constant(f32({2}, {0x1.99999ap-4f, -0.0f}), "scale");
  const int z = b.constant(i32({2}, {-3, 2147483647}));
  QuantSpec q;
  q.dtype = DType::u8;
  q.quant_min = 0;
  q.quant_max = 15;
  q.zero_point_domain = ZeroPointDomain::float_domain;
  q.block_size = std::vector<int64_t>{1, -2, 0, 9223372036854775807};
  q.contract = Contract::zp_before;
  const int qn = b.quantize(x, s, z, q);
  QuantSpec legacy;
  legacy.dtype = DType::i16;
  legacy.quant_min = -300;
  legacy.quant_max = 300;
  legacy.zero_point_domain = ZeroPointDomain::none;
  legacy.legacy_axis = -2;
  legacy.contract = Contract::half_away;  // on a dequantize: not kept
  const int dq = b.dequantize(qn, s, std::nullopt, legacy);
  const int w = b.constant(f32({2, 2}, {kInf, -kInf, kNan, 0x1p-149f}));
  const int lin = b.linear(dq, w, s);
  const int lin2 = b.linear(dq, w);
  Conv2dAttrs at;
  at.stride = {2, 3};
  at.padding = {1, 0, 4, -5};
  at.dilation = {6, 7};
  at.groups = -8;
  const int conv = b.conv2d(x, w, std::nullopt, at);
  const int sum = b.add(lin, lin2);
  const int prod = b.mul(sum, conv);
  const int act = b.relu(prod);
  const int rs = b.reshape(act, {2, 0, 1, 1, 1, 1, 1, 3});
  QLinearArgs ql;
  ql.x_params = params(0.5f, 3, "i8");
  ql.w_params = QuantParams::for_type("i4", f32({2, 1}, {0.25f, 4}), i8({2, 1}, {-8, 7}));
  ql.w_params.block_size = std::vector<int64_t>{1, 4};
  ql.out_params = params(kInf, std::nullopt, "u8");
  ql.activation = {ActivationKind::clamp, -0x1p-149f, kInf};
  const int qlin = b.qlinear(xi, z, std::nullopt, ql);
  QConv2dArgs qc;
  qc.x_params = params(1, 0, "u8");
  qc.w_params = params(2, 0, "i8");
  qc.w_params.zero_point_domain = ZeroPointDomain::float_domain;
  qc.out_params = params(3, -1, "i16");
  qc.attrs = at;
  qc.activation = {ActivationKind::relu};
  const int qconv = b.qconv2d(qlin, xi, s, qc);
  QElementwiseArgs e;
  e.a_params = params(1, 1, "i2");
  e.b_params = params(2, 2, "u7");
  e.out_params = params(3, 3, "i32");
  const int qa = b.qelementwise(ElementwiseOp::add, qconv, xi, e);
  e.activation = {ActivationKind::clamp, -1.5f, 6};
  const int qm = b.qelementwise(ElementwiseOp::mul, qa, qa, e);
  b.output(qm).output(rs).output(qm).output(0);
  GraphCase c;
  c.graph = b.build();
  (void)qn;
  c.inputs = {f32({1, 2, 2, 2}, {1, -0.0f, kInf, kNan, 0x1p-149f, 3.4028235e38f, -1, 0.1f}),
              i8({3}, {-128, 0, 127})};
  return c;
}

TEST(GraphCaseRoundTrip, EveryKindAndAttribute) {
  const GraphCase c = every_kind();
  const GraphCase back = round_trip(c);
  // Fields the structural comparison needs to see explicitly.
  EXPECT_EQ(back.graph.nodes.size(), 18u);
  EXPECT_EQ(back.graph.node(5).spec.legacy_axis, -2);
  EXPECT_EQ(back.graph.node(5).spec.contract, Contract::torchao);  // dequantize: not written
  EXPECT_EQ(back.graph.node(4).spec.contract, Contract::zp_before);
  EXPECT_EQ(back.graph.node(1).name, "q \"in\" \xc3\xa9");
  std::array<bool, 14> seen{};
  for (const Node& n : back.graph.nodes) seen[size_t(n.kind)] = true;
  for (NodeKind k : kAllNodeKinds) EXPECT_TRUE(seen[size_t(k)]) << node_kind_name(k);
}

// Each contract and each domain on a quantize node; explicit quant ranges
// through the storage name.
TEST(GraphCaseRoundTrip, ContractsDomainsAndRanges) {
  for (Contract contract : kAllContracts) {
    for (ZeroPointDomain domain : kAllDomains) {
      GraphBuilder b;
      const int x = b.input("x", DType::f32, {2});
      QuantSpec q;
      q.contract = contract;
      q.zero_point_domain = domain;
      q.dtype = DType::i32;
      q.quant_min = std::numeric_limits<int64_t>::min();
      q.quant_max = std::numeric_limits<int64_t>::max();
      b.output(b.quantize(x, b.constant(scalar(1)), std::nullopt, q));
      GraphCase c{b.build(), {f32({2}, {1, 2})}};
      round_trip(c);
    }
  }
}

// No input nodes: "inputs" is written as {} and may be left out when read.
TEST(GraphCaseRoundTrip, NoInputs) {
  GraphBuilder b;
  b.output(b.relu(b.constant(f32({2}, {-1, 1}))));
  const GraphCase c{b.build(), {}};
  const std::string text = write_case(Case{c});
  EXPECT_NE(text.find("\"inputs\": {}"), std::string::npos) << text;
  round_trip(c);
  const std::string without = R"({"format": "qdiff-case", "version": 1, "op": "graph",
    "graph": {"nodes": [{"id": 0, "kind": "constant", "value": {"dtype": "f32", "shape": [], "data": [1]}}],
              "outputs": [0]}})";
  EXPECT_TRUE(std::get<GraphCase>(parse_case(without)).inputs.empty());
}

// Semantic defects are representable: a fed tensor that differs from the
// declared type, a reshape to the wrong count, an f32 where a quantize wants
// integers, a legacy axis out of range. The evaluator rejects them.
TEST(GraphCaseRoundTrip, SemanticDefectsStayRepresentable) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2, 3});
  const int r = b.reshape(x, {4});
  QuantSpec q;
  q.dtype = DType::f32;
  q.quant_min = 5;
  q.quant_max = -5;
  q.legacy_axis = 99;
  b.output(b.dequantize(r, x, x, q));
  GraphCase c{b.build(), {i8({7}, {1, 2, 3, 4, 5, 6, 7})}};
  round_trip(c);
}

// The canonical text of a small graph, written by hand from
// docs/case-file-format.md: header, "graph" with one node per line (every
// input slot, -1 for an absent one; name only when not empty), "outputs",
// then "inputs" by name.
TEST(GraphCaseRoundTrip, CanonicalText) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2});
  const int s = b.constant(scalar(0.5f), "s");
  QuantSpec q;
  q.contract = Contract::onnx;
  const int qn = b.quantize(x, s, std::nullopt, q);
  b.output(b.dequantize(qn, s, std::nullopt, QuantSpec{}));
  const GraphCase c{b.build(), {f32({2}, {1.25f, -0.0f})}};
  const std::string want = R"({
  "format": "qdiff-case",
  "version": 1,
  "op": "graph",
  "graph": {
    "nodes": [
      {"id": 0, "kind": "input", "name": "x", "dtype": "f32", "shape": [2]},
      {"id": 1, "kind": "constant", "name": "s", "value": {"dtype": "f32", "shape": [], "data": [0.5]}},
      {"id": 2, "kind": "quantize", "inputs": [0, 1, -1], "dtype": "i8", "quant_min": -128, "quant_max": 127, "zero_point_domain": "int", "contract": "onnx"},
      {"id": 3, "kind": "dequantize", "inputs": [2, 1, -1], "dtype": "i8", "quant_min": -128, "quant_max": 127, "zero_point_domain": "int"}
    ],
    "outputs": [3]
  },
  "inputs": {
    "x": {"dtype": "f32", "shape": [2], "data": [1.25, -0.0]}
  }
}
)";
  EXPECT_EQ(write_case(Case{c}), want);
  expect_same_case(c, std::get<GraphCase>(parse_case(want)));
}

// Short input lists are read as the canonical padded form; node members in
// any order; the "inputs" object in any order.
TEST(GraphCaseRoundTrip, ShortFormsReadAsCanonical) {
  const std::string text = R"({"format": "qdiff-case", "version": 1, "op": "graph",
    "inputs": {"b": {"dtype": "f32", "shape": [1], "data": [2]},
               "a": {"dtype": "f32", "shape": [1, 1], "data": [3]}},
    "graph": {"outputs": [2],
      "nodes": [{"kind": "input", "id": 0, "name": "a", "dtype": "f32", "shape": [1, 1]},
                {"id": 1, "name": "b", "kind": "input", "shape": [1], "dtype": "f32"},
                {"inputs": [0, 0], "id": 2, "kind": "linear"}]}})";
  const GraphCase c = std::get<GraphCase>(parse_case(text));
  EXPECT_EQ(c.graph.node(2).inputs, (std::vector<int>{0, 0, kNoInput}));
  ASSERT_EQ(c.inputs.size(), 2u);
  EXPECT_EQ(c.inputs[0].shape(), (Shape{1, 1}));  // a, the first input node
  EXPECT_EQ(c.inputs[1].shape(), (Shape{1}));
  const std::string canonical = write_case(Case{c});
  EXPECT_NE(canonical.find("\"inputs\": [0, 0, -1]"), std::string::npos) << canonical;
  EXPECT_EQ(write_case(parse_case(canonical)), canonical);
}

TEST(GraphCaseSummary, NamesKindsInputsAndOutputs) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2, 4});
  const int s = b.constant(scalar(0.5f), "s");
  const int q = b.quantize(x, s, std::nullopt, QuantSpec{});
  Node d;
  d.kind = NodeKind::dequantize;
  d.inputs = {q, s, kNoInput};
  d.name = "y";
  const int y = b.add_node(d);
  b.output(y).output(q);
  GraphCase c{b.build(), {f32({2, 4}, std::vector<float>(8, 1.0f))}};
  EXPECT_EQ(case_summary(Case{c}),
            "graph: 4 nodes (input 1, constant 1, quantize 1, dequantize 1), inputs "
            "[x f32 [2, 4]], outputs [node 3 (dequantize \"y\"), node 2 (quantize)]");
  c.inputs = {i8({8}, std::vector<int8_t>(8, 1))};
  EXPECT_NE(case_summary(Case{c}).find("inputs [x f32 [2, 4] (fed i8 [8])]"), std::string::npos)
      << case_summary(Case{c});
  c.inputs.clear();
  EXPECT_NE(case_summary(Case{c}).find("inputs [x f32 [2, 4] (not fed)]"), std::string::npos);
}

TEST(GraphCaseFile, AffineReaderRefusesAGraph) {
  const std::string text = write_case(Case{every_kind()});
  EXPECT_ERROR(parse_affine_case(text), malformed_case,
               "field \"op\" is \"graph\", a graph case: parse_affine_case reads the affine ops "
               "only");
  // A finding's property travels with a graph case too.
  const CaseFile f{Case{every_kind()}, "FusionPreservesGraphOutputs"};
  const CaseFile back = parse_case_file(write_case_file(f));
  EXPECT_EQ(back.property, "FusionPreservesGraphOutputs");
  EXPECT_EQ(write_case_file(back), write_case_file(f));
  EXPECT_EQ(graph_output_name(0), "output0");
  EXPECT_EQ(graph_output_name(12), "output12");
}

}  // namespace
}  // namespace qdiff
