// Graph IR (SPEC section 8, graph level): a small dataflow graph whose
// nodes each produce one value. Vocabulary shared by reference/ (the
// interpreter that defines what a graph computes), impl/ (passes, lowering,
// executors) and the harness (generators, oracle, case files).
//
// Nodes are stored in topological order: a node's inputs are earlier
// nodes' ids. An optional input that is absent is kNoInput.
//
//   kind        inputs                    attributes
//   input       -                         value (dtype + shape; data unused), name
//   constant    -                         value
//   quantize    x, scale, zero_point?     spec (QuantSpec; contract applies)
//   dequantize  q, scale, zero_point?     spec
//   linear      x, w, bias?               -            y = x @ w^T + bias (f32)
//   conv2d      x, w, bias?               conv         NCHW (f32)
//   add, mul    a, b                      -            numpy broadcasting (f32)
//   relu        x                         -
//   reshape     x                         target_shape (same element count)
//   qlinear     x, w, bias?               params[0] (x), params[1] (w), out_params, activation
//   qconv2d     x, w, bias?               same + conv
//   qadd, qmul  a, b                      params[0] (a), params[1] (b), out_params, activation
//
// Quantize and dequantize take their scale and zero point as VALUES (usually
// constants), as framework graphs do; `spec` holds the rest of QuantParams.
// The legacy per-channel form (spec.legacy_axis set) has a 1-D scale [C]
// applied along dim `axis` of the data (negative axes count from the end),
// as front ends emit it; the legacy-to-affine pass rewrites it to the
// full-rank affine form through a reshape of the scale constant.
// Fused nodes carry their QuantParams inline (they are produced by passes
// from constants).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/fused_ops.h"
#include "core/quant_params.h"
#include "core/tensor.h"

namespace qdiff {

enum class NodeKind {
  input, constant, quantize, dequantize, linear, conv2d, add, mul, relu, reshape,
  qlinear, qconv2d, qadd, qmul,
};
std::string_view node_kind_name(NodeKind k);
std::optional<NodeKind> parse_node_kind(std::string_view name);
bool is_fused_kind(NodeKind k);

inline constexpr NodeKind kAllNodeKinds[] = {
    NodeKind::input,  NodeKind::constant, NodeKind::quantize, NodeKind::dequantize,
    NodeKind::linear, NodeKind::conv2d,   NodeKind::add,      NodeKind::mul,
    NodeKind::relu,   NodeKind::reshape,  NodeKind::qlinear,  NodeKind::qconv2d,
    NodeKind::qadd,   NodeKind::qmul,
};

inline constexpr int kNoInput = -1;

// The input slots of a kind (the table above): the first `required` must be
// node ids; the remaining ones up to `total` are optional and may hold
// kNoInput. `signature` names the slots for messages ("x, scale, zero_point?").
struct NodeArity {
  int required = 0;
  int total = 0;
  std::string_view signature;
};
NodeArity node_arity(NodeKind k);
// "2 to 3 (x, scale, zero_point?)", "1 (x)", "none": for messages.
std::string arity_text(NodeKind k);

// QuantParams without its tensors, plus the legacy axis and the contract.
struct QuantSpec {
  DType dtype = DType::i8;
  int64_t quant_min = -128;
  int64_t quant_max = 127;
  ZeroPointDomain zero_point_domain = ZeroPointDomain::int_domain;
  std::optional<std::vector<int64_t>> block_size;
  std::optional<int64_t> legacy_axis;  // legacy per-channel form when set
  Contract contract = Contract::torchao;  // quantize only

  // The QuantParams of a quantize / dequantize node with this spec.
  QuantParams params(Tensor scale, std::optional<Tensor> zero_point) const;
};

struct Node {
  NodeKind kind = NodeKind::constant;
  std::vector<int> inputs;
  std::string name;                 // for listings; unique names are not required
  Tensor value;                     // input (type only), constant
  QuantSpec spec;                   // quantize, dequantize
  Shape target_shape;               // reshape
  Conv2dAttrs conv;                 // conv2d, qconv2d
  std::array<QuantParams, 2> params;  // fused: operand params (x, w) or (a, b)
  QuantParams out_params;           // fused
  Activation activation;            // fused

  int input(size_t i) const { return i < inputs.size() ? inputs[i] : kNoInput; }
};

struct Graph {
  std::vector<Node> nodes;
  std::vector<int> outputs;  // node ids, in order

  const Node& node(int id) const { return nodes[size_t(id)]; }
  // Ids of the input nodes, in order (graph inputs are fed in this order).
  std::vector<int> input_ids() const;
  // Structural checks only (ids in range and earlier than their user,
  // arity per kind, at least one output); throws malformed_case naming the
  // node. Semantic errors (shapes, params) are the evaluators' business.
  // A list may stop after the required inputs (the rest are absent); an
  // optional slot holds an earlier id or kNoInput, a required one an id.
  void check_structure() const;
  // How many nodes use each value (outputs count as a use). Each input slot
  // and each entry of `outputs` that names a value counts once, so add(x, x)
  // uses x twice; kNoInput and ids out of range are not counted.
  std::vector<int> use_counts() const;
};

// "node 3 (quantize \"q1\")", or "node 3 (quantize)" for an unnamed node: how
// messages about a node name it. Safe for any id.
std::string describe_node(const Graph& g, int id);
// The ids a node may read, for messages: "0..4", or (node 0) a note that
// there is no earlier node.
std::string earlier_ids(int id);
// The ids of a graph of `count` nodes, for messages: "0..9", or a note that
// there are none.
std::string node_ids(size_t count);

// Fluent construction: ids are returned by each call.
//   GraphBuilder g;
//   int x = g.input("x", DType::f32, {2, 4});
//   int s = g.constant(Tensor::of<float>({}, {0.1f}));
//   int q = g.quantize(x, s, std::nullopt, QuantSpec{});
//   g.output(q);
//   Graph graph = g.build();
class GraphBuilder {
 public:
  int input(std::string name, DType dtype, const Shape& shape);
  int constant(Tensor value, std::string name = "");
  int quantize(int x, int scale, std::optional<int> zero_point, const QuantSpec& spec);
  int dequantize(int q, int scale, std::optional<int> zero_point, const QuantSpec& spec);
  int linear(int x, int w, std::optional<int> bias = std::nullopt);
  int conv2d(int x, int w, std::optional<int> bias, const Conv2dAttrs& attrs);
  int add(int a, int b);
  int mul(int a, int b);
  int relu(int x);
  int reshape(int x, const Shape& target);
  int qlinear(int x, int w, std::optional<int> bias, const QLinearArgs& params_only);
  int qconv2d(int x, int w, std::optional<int> bias, const QConv2dArgs& params_only);
  int qelementwise(ElementwiseOp op, int a, int b, const QElementwiseArgs& params_only);
  int add_node(Node node);  // any node, appended as is
  GraphBuilder& output(int id);
  Graph build() const;  // check_structure() included
  // The node built so far under `id` (generators look back at what they made).
  const Node& node(int id) const { return g_.node(id); }
  // Optional inputs are stored as kNoInput, so every node built here has
  // node_arity(kind).total inputs (the canonical form case files write).

 private:
  Graph g_;
};

}  // namespace qdiff
