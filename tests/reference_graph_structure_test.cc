// The graph IR's own pieces (core/graph.cc), tested beside the reference
// interpreter that relies on them: kind names, arity, check_structure's
// rules and messages, use_counts, input_ids and GraphBuilder's canonical
// nodes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/graph.h"
#include "tests/reference_graph_test_util.h"

namespace qdiff {
namespace {

using ::testing::ElementsAre;
using namespace graph_test;

TEST(GraphIr, KindNamesRoundTripAndAreDistinct) {
  std::set<std::string> names;
  for (NodeKind k : kAllNodeKinds) {
    const std::string name(node_kind_name(k));
    names.insert(name);
    EXPECT_EQ(parse_node_kind(name), k) << name;
  }
  EXPECT_EQ(names.size(), 14u);
  EXPECT_EQ(node_kind_name(NodeKind::qconv2d), "qconv2d");
  EXPECT_EQ(node_kind_name(NodeKind::dequantize), "dequantize");
  EXPECT_EQ(parse_node_kind("Relu"), std::nullopt);
  EXPECT_EQ(parse_node_kind(""), std::nullopt);
  EXPECT_EQ(parse_node_kind("quantize_affine"), std::nullopt);
  for (NodeKind k : kAllNodeKinds) {
    const bool fused = k == NodeKind::qlinear || k == NodeKind::qconv2d || k == NodeKind::qadd ||
                       k == NodeKind::qmul;
    EXPECT_EQ(is_fused_kind(k), fused) << node_kind_name(k);
  }
}

// The table of core/graph.h.
TEST(GraphIr, Arity) {
  const auto arity = [](NodeKind k) {
    const NodeArity a = node_arity(k);
    return std::pair{a.required, a.total};
  };
  EXPECT_EQ(arity(NodeKind::input), std::pair(0, 0));
  EXPECT_EQ(arity(NodeKind::constant), std::pair(0, 0));
  EXPECT_EQ(arity(NodeKind::quantize), std::pair(2, 3));
  EXPECT_EQ(arity(NodeKind::dequantize), std::pair(2, 3));
  EXPECT_EQ(arity(NodeKind::linear), std::pair(2, 3));
  EXPECT_EQ(arity(NodeKind::conv2d), std::pair(2, 3));
  EXPECT_EQ(arity(NodeKind::add), std::pair(2, 2));
  EXPECT_EQ(arity(NodeKind::mul), std::pair(2, 2));
  EXPECT_EQ(arity(NodeKind::relu), std::pair(1, 1));
  EXPECT_EQ(arity(NodeKind::reshape), std::pair(1, 1));
  EXPECT_EQ(arity(NodeKind::qlinear), std::pair(2, 3));
  EXPECT_EQ(arity(NodeKind::qconv2d), std::pair(2, 3));
  EXPECT_EQ(arity(NodeKind::qadd), std::pair(2, 2));
  EXPECT_EQ(arity(NodeKind::qmul), std::pair(2, 2));
  EXPECT_EQ(node_arity(NodeKind::quantize).signature, "x, scale, zero_point?");
  EXPECT_EQ(arity_text(NodeKind::quantize), "2 to 3 (x, scale, zero_point?)");
  EXPECT_EQ(arity_text(NodeKind::relu), "1 (x)");
  EXPECT_EQ(arity_text(NodeKind::input), "none");
}

// x, s, q = quantize(x, s), y = add(q', q') ...: a well-formed base to break.
Graph base() {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2});
  const int s = b.constant(scalar(1), "s");
  const int q = b.quantize(x, s, std::nullopt, QuantSpec{});
  const int d = b.dequantize(q, s, std::nullopt, QuantSpec{});
  b.output(b.add(d, d));
  return b.build();
}

TEST(GraphIr, CheckStructureAcceptsTheBaseAndOptionalForms) {
  Graph g = base();
  EXPECT_NO_THROW(g.check_structure());
  // An optional input may be absent (-1) or left out of the list.
  g.nodes[2].inputs = {0, 1};
  EXPECT_NO_THROW(g.check_structure());
  g.nodes[2].inputs = {0, 1, 1};
  EXPECT_NO_THROW(g.check_structure());
}

TEST(GraphIr, CheckStructureRejects) {
  const auto expect_bad = [](Graph g, const std::string& message) {
    EXPECT_ERROR(g.check_structure(), malformed_case, message);
  };
  Graph g = base();
  g.nodes[2].inputs = {0, 3, kNoInput};
  expect_bad(g, "node 2 (quantize): input 1 is 3, must be an earlier node's id (0..1)");
  g = base();
  g.nodes[2].inputs = {2, 1};
  expect_bad(g, "node 2 (quantize): input 0 is 2, must be an earlier node's id (0..1)");
  g = base();
  g.nodes[2].inputs = {kNoInput, 1};
  expect_bad(g, "node 2 (quantize): input 0 is -1, must be an earlier node's id (0..1)");
  g = base();
  g.nodes[2].inputs = {0, 1, -2};
  expect_bad(g, "input 2 is -2, must be an earlier node's id (0..1) or -1 (absent)");
  g = base();
  g.nodes[2].inputs = {0};
  expect_bad(g, "node 2 (quantize): has 1 inputs, quantize takes 2 to 3 (x, scale, zero_point?)");
  g = base();
  g.nodes[2].inputs = {0, 1, kNoInput, kNoInput};
  expect_bad(g, "has 4 inputs, quantize takes 2 to 3");
  g = base();
  g.nodes[4].inputs = {3};
  expect_bad(g, "node 4 (add): has 1 inputs, add takes 2 (a, b)");
  g = base();
  g.nodes[1].inputs = {0};
  expect_bad(g, "node 1 (constant \"s\"): has 1 inputs, constant takes none");
  g = base();
  g.outputs = {};
  expect_bad(g, "graph has no outputs");
  g = base();
  g.outputs = {4, 5};
  expect_bad(g, "graph output 1 is 5, not a node id (0..4)");
  g = base();
  g.outputs = {-1};
  expect_bad(g, "graph output 0 is -1");
  Graph empty;
  empty.outputs = {0};
  EXPECT_ERROR(empty.check_structure(), malformed_case, "graph output 0 is 0, not a node id (the graph has no nodes)");
}

// Each input slot and each output entry counts once.
TEST(GraphIr, UseCountsAndInputIds) {
  const Graph g = base();
  EXPECT_THAT(g.use_counts(), ElementsAre(1, 2, 1, 2, 1));
  EXPECT_THAT(g.input_ids(), ElementsAre(0));
  Graph bad = g;
  bad.nodes[4].inputs = {7, kNoInput};  // out of range and absent: not counted
  EXPECT_THAT(bad.use_counts(), ElementsAre(1, 2, 1, 0, 1));
}

TEST(GraphIr, BuilderWritesTheCanonicalArity) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {1, 1, 2, 2});
  const int w = b.constant(f32({1, 1, 1, 1}, {1}));
  Conv2dAttrs at;
  at.stride = {2, 1};
  const int c = b.conv2d(x, w, std::nullopt, at);
  const int r = b.reshape(c, {1, 1});
  const int k = b.constant(f32({1, 1}, {1}));
  const int l = b.linear(r, k);
  const int y = b.input("y", DType::i8, {3});
  QElementwiseArgs e;
  const int m = b.qelementwise(ElementwiseOp::mul, y, y, e);
  b.output(l).output(m);
  const Graph g = b.build();
  EXPECT_THAT(g.node(c).inputs, ElementsAre(x, w, kNoInput));
  EXPECT_EQ(g.node(c).conv.stride, (std::array<int64_t, 2>{2, 1}));
  EXPECT_THAT(g.node(l).inputs, ElementsAre(r, k, kNoInput));
  EXPECT_EQ(g.node(m).kind, NodeKind::qmul);
  EXPECT_EQ(g.node(y).value.shape(), (Shape{3}));
  EXPECT_EQ(g.node(y).value.dtype(), DType::i8);
  EXPECT_EQ(g.node(y).name, "y");
  EXPECT_THAT(g.input_ids(), ElementsAre(x, y));
  EXPECT_THAT(g.outputs, ElementsAre(l, m));
  // build() checks the structure.
  GraphBuilder bad;
  bad.relu(3);
  bad.output(0);
  EXPECT_ERROR(bad.build(), malformed_case, "node 0 (relu): input 0 is 3");
}

TEST(GraphIr, DescribeNode) {
  const Graph g = base();
  EXPECT_EQ(describe_node(g, 0), "node 0 (input \"x\")");
  EXPECT_EQ(describe_node(g, 2), "node 2 (quantize)");
  EXPECT_EQ(describe_node(g, 9), "node 9 (no such node)");
  EXPECT_EQ(earlier_ids(0), "none: node 0 has no earlier node");
  EXPECT_EQ(earlier_ids(3), "0..2");
}

}  // namespace
}  // namespace qdiff
