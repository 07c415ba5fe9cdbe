// Graph IR (core/graph.h): kind names, arity, structural checks and the
// builder. Nothing here looks at values: shapes, dtypes and params are the
// evaluators' business (reference/graph_eval.h).
#include "core/graph.h"

#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"

namespace qdiff {

QuantParams QuantSpec::params(Tensor scale, std::optional<Tensor> zero_point) const {
  return QuantParams{.scale = std::move(scale), .zero_point = std::move(zero_point),
                     .quant_min = quant_min, .quant_max = quant_max, .dtype = dtype,
                     .zero_point_domain = zero_point_domain, .block_size = block_size};
}

std::string_view node_kind_name(NodeKind k) {
  switch (k) {
    case NodeKind::input: return "input";
    case NodeKind::constant: return "constant";
    case NodeKind::quantize: return "quantize";
    case NodeKind::dequantize: return "dequantize";
    case NodeKind::linear: return "linear";
    case NodeKind::conv2d: return "conv2d";
    case NodeKind::add: return "add";
    case NodeKind::mul: return "mul";
    case NodeKind::relu: return "relu";
    case NodeKind::reshape: return "reshape";
    case NodeKind::qlinear: return "qlinear";
    case NodeKind::qconv2d: return "qconv2d";
    case NodeKind::qadd: return "qadd";
    case NodeKind::qmul: return "qmul";
  }
  return "?";
}

std::optional<NodeKind> parse_node_kind(std::string_view name) {
  for (NodeKind k : kAllNodeKinds) {
    if (node_kind_name(k) == name) return k;
  }
  return std::nullopt;
}

bool is_fused_kind(NodeKind k) {
  return k == NodeKind::qlinear || k == NodeKind::qconv2d || k == NodeKind::qadd ||
         k == NodeKind::qmul;
}

NodeArity node_arity(NodeKind k) {
  switch (k) {
    case NodeKind::input:
    case NodeKind::constant: return {0, 0, ""};
    case NodeKind::quantize: return {2, 3, "x, scale, zero_point?"};
    case NodeKind::dequantize: return {2, 3, "q, scale, zero_point?"};
    case NodeKind::linear:
    case NodeKind::conv2d:
    case NodeKind::qlinear:
    case NodeKind::qconv2d: return {2, 3, "x, w, bias?"};
    case NodeKind::add:
    case NodeKind::mul:
    case NodeKind::qadd:
    case NodeKind::qmul: return {2, 2, "a, b"};
    case NodeKind::relu:
    case NodeKind::reshape: return {1, 1, "x"};
  }
  return {0, 0, ""};
}

std::string arity_text(NodeKind k) {
  const NodeArity a = node_arity(k);
  if (a.total == 0) return "none";
  if (a.required == a.total) return fmt::format("{} ({})", a.total, a.signature);
  return fmt::format("{} to {} ({})", a.required, a.total, a.signature);
}

// "0..4", or a note that node 0 has no earlier node to read.
std::string earlier_ids(int id) {
  return id == 0 ? std::string("none: node 0 has no earlier node") : fmt::format("0..{}", id - 1);
}

std::string node_ids(size_t count) {
  return count == 0 ? std::string("the graph has no nodes") : fmt::format("0..{}", count - 1);
}

std::string describe_node(const Graph& g, int id) {
  if (id < 0 || size_t(id) >= g.nodes.size()) return fmt::format("node {} (no such node)", id);
  const Node& n = g.node(id);
  if (n.name.empty()) return fmt::format("node {} ({})", id, node_kind_name(n.kind));
  return fmt::format("node {} ({} \"{}\")", id, node_kind_name(n.kind), n.name);
}

std::vector<int> Graph::input_ids() const {
  std::vector<int> ids;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].kind == NodeKind::input) ids.push_back(int(i));
  }
  return ids;
}

void Graph::check_structure() const {
  // Ids are ints: a graph with more nodes could not name them all.
  if (nodes.size() > size_t(std::numeric_limits<int>::max())) {
    fail(ErrorKind::malformed_case, "graph has {} nodes, more than ids can name", nodes.size());
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    const int id = int(i);
    const Node& n = nodes[i];
    const NodeArity arity = node_arity(n.kind);
    const int count = int(std::min(n.inputs.size(), size_t(arity.total) + 1));
    if (count < arity.required || count > arity.total) {
      fail(ErrorKind::malformed_case, "{}: has {} inputs, {} takes {}", describe_node(*this, id),
           n.inputs.size(), node_kind_name(n.kind), arity_text(n.kind));
    }
    for (int slot = 0; slot < count; ++slot) {
      const int in = n.inputs[size_t(slot)];
      if (in == kNoInput && slot >= arity.required) continue;  // an absent optional input
      if (in < 0 || in >= id) {
        fail(ErrorKind::malformed_case,
             "{}: input {} is {}, must be an earlier node's id ({}){}", describe_node(*this, id),
             slot, in, earlier_ids(id), slot >= arity.required ? " or -1 (absent)" : "");
      }
    }
  }
  if (outputs.empty()) fail(ErrorKind::malformed_case, "graph has no outputs");
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i] < 0 || size_t(outputs[i]) >= nodes.size()) {
      fail(ErrorKind::malformed_case, "graph output {} is {}, not a node id ({})", i, outputs[i],
           node_ids(nodes.size()));
    }
  }
}

std::vector<int> Graph::use_counts() const {
  std::vector<int> counts(nodes.size(), 0);
  const auto count = [&](int id) {
    if (id >= 0 && size_t(id) < counts.size()) ++counts[size_t(id)];
  };
  for (const Node& n : nodes) {
    for (int in : n.inputs) count(in);
  }
  for (int out : outputs) count(out);
  return counts;
}

// ---- GraphBuilder -----------------------------------------------------------

namespace {

Node node_of(NodeKind kind, std::vector<int> inputs) {
  Node n;
  n.kind = kind;
  n.inputs = std::move(inputs);
  return n;
}

}  // namespace

int GraphBuilder::add_node(Node node) {
  g_.nodes.push_back(std::move(node));
  return int(g_.nodes.size()) - 1;
}

int GraphBuilder::input(std::string name, DType dtype, const Shape& shape) {
  Node n = node_of(NodeKind::input, {});
  n.name = std::move(name);
  n.value = Tensor(dtype, shape);
  return add_node(std::move(n));
}

int GraphBuilder::constant(Tensor value, std::string name) {
  Node n = node_of(NodeKind::constant, {});
  n.name = std::move(name);
  n.value = std::move(value);
  return add_node(std::move(n));
}

int GraphBuilder::quantize(int x, int scale, std::optional<int> zero_point, const QuantSpec& spec) {
  Node n = node_of(NodeKind::quantize, {x, scale, zero_point.value_or(kNoInput)});
  n.spec = spec;
  return add_node(std::move(n));
}

int GraphBuilder::dequantize(int q, int scale, std::optional<int> zero_point,
                             const QuantSpec& spec) {
  Node n = node_of(NodeKind::dequantize, {q, scale, zero_point.value_or(kNoInput)});
  n.spec = spec;
  return add_node(std::move(n));
}

int GraphBuilder::linear(int x, int w, std::optional<int> bias) {
  return add_node(node_of(NodeKind::linear, {x, w, bias.value_or(kNoInput)}));
}

int GraphBuilder::conv2d(int x, int w, std::optional<int> bias, const Conv2dAttrs& attrs) {
  Node n = node_of(NodeKind::conv2d, {x, w, bias.value_or(kNoInput)});
  n.conv = attrs;
  return add_node(std::move(n));
}

int GraphBuilder::add(int a, int b) { return add_node(node_of(NodeKind::add, {a, b})); }
int GraphBuilder::mul(int a, int b) { return add_node(node_of(NodeKind::mul, {a, b})); }
int GraphBuilder::relu(int x) { return add_node(node_of(NodeKind::relu, {x})); }

int GraphBuilder::reshape(int x, const Shape& target) {
  Node n = node_of(NodeKind::reshape, {x});
  n.target_shape = target;
  return add_node(std::move(n));
}

// The fused builders take only the params (and activation, conv attrs) of
// the argument structs; their tensors are the values of the input nodes.
int GraphBuilder::qlinear(int x, int w, std::optional<int> bias, const QLinearArgs& p) {
  Node n = node_of(NodeKind::qlinear, {x, w, bias.value_or(kNoInput)});
  n.params = {p.x_params, p.w_params};
  n.out_params = p.out_params;
  n.activation = p.activation;
  return add_node(std::move(n));
}

int GraphBuilder::qconv2d(int x, int w, std::optional<int> bias, const QConv2dArgs& p) {
  Node n = node_of(NodeKind::qconv2d, {x, w, bias.value_or(kNoInput)});
  n.params = {p.x_params, p.w_params};
  n.out_params = p.out_params;
  n.conv = p.attrs;
  n.activation = p.activation;
  return add_node(std::move(n));
}

int GraphBuilder::qelementwise(ElementwiseOp op, int a, int b, const QElementwiseArgs& p) {
  Node n = node_of(op == ElementwiseOp::add ? NodeKind::qadd : NodeKind::qmul, {a, b});
  n.params = {p.a_params, p.b_params};
  n.out_params = p.out_params;
  n.activation = p.activation;
  return add_node(std::move(n));
}

GraphBuilder& GraphBuilder::output(int id) {
  g_.outputs.push_back(id);
  return *this;
}

Graph GraphBuilder::build() const {
  g_.check_structure();
  return g_;
}

}  // namespace qdiff
