// Graph case files (cases/graph_case.h): reading with paths in every
// message, the canonical writer, and the one-line summary.
#include "cases/graph_case.h"

#include <map>
#include <string_view>

#include <fmt/format.h>

#include "cases/case_header.h"
#include "cases/json_writer.h"
#include "cases/op_attrs_json.h"
#include "cases/params_json.h"
#include "cases/tensor_json.h"
#include "core/limits.h"

namespace qdiff {
namespace {

// ---- reading ---------------------------------------------------------------

std::string known_kinds() {
  std::string out;
  for (NodeKind k : kAllNodeKinds) {
    if (!out.empty()) out += ", ";
    out += node_kind_name(k);
  }
  return out;
}

// "inputs": earlier node ids, -1 for an absent optional input; padded to the
// kind's full arity with kNoInput (the canonical form).
std::vector<int> read_node_inputs(const JsonObjectReader& obj, NodeKind kind, int id) {
  const NodeArity arity = node_arity(kind);
  const JsonNode* n = obj.find("inputs");
  const std::string path = obj.path_of("inputs");
  if (!n) {
    if (arity.required > 0) {
      field_error(path, "is required: {} takes inputs ({})", node_kind_name(kind), arity.signature);
    }
    return {};
  }
  const std::vector<int64_t> ids = read_int64_array(obj.doc(), *n, path);
  if (ids.size() < size_t(arity.required) || ids.size() > size_t(arity.total)) {
    field_error(path, "has {} entries, {} takes {}", ids.size(), node_kind_name(kind),
                arity_text(kind));
  }
  std::vector<int> out;
  for (size_t slot = 0; slot < ids.size(); ++slot) {
    const bool optional = slot >= size_t(arity.required);
    const int64_t in = ids[slot];
    if (optional && in == kNoInput) {
      out.push_back(kNoInput);
      continue;
    }
    if (in < 0 || in >= id) {
      field_error(element_path(path, slot), "is {}, must be an earlier node's id ({}){}", in,
                  earlier_ids(id), optional ? " or -1 (absent)" : "");
    }
    out.push_back(int(in));
  }
  out.resize(size_t(arity.total), kNoInput);
  return out;
}

QuantSpec read_quant_spec(const JsonObjectReader& obj, NodeKind kind) {
  QuantSpec spec;
  const QuantTypeFields t = read_quant_type(obj);
  spec.dtype = t.dtype;
  spec.quant_min = t.quant_min;
  spec.quant_max = t.quant_max;
  spec.zero_point_domain = read_zero_point_domain(obj);
  spec.block_size = read_block_size(obj);
  if (const JsonNode* a = obj.find("axis")) spec.legacy_axis = read_int64(*a, obj.path_of("axis"));
  if (kind == NodeKind::quantize) {
    if (const JsonNode* c = obj.find("contract")) {
      const std::string path = obj.path_of("contract");
      const std::string_view name = read_string(obj.doc(), *c, path);
      const auto contract = parse_contract(name);
      if (!contract) {
        field_error(path, "must be torchao, onnx, half_away or zp_before, got {}",
                    quoted_excerpt(name));
      }
      spec.contract = *contract;
    }
  }
  return spec;
}

// Declared input types allocate their tensor, so their total is capped too.
struct DeclaredElements {
  int64_t total = 0;
};

Node read_node(const JsonDocument& doc, const JsonNode& json, const std::string& path, int id,
               DeclaredElements& declared) {
  const JsonObjectReader obj(doc, json, path);
  const int64_t given_id = obj.required_int64("id");
  if (given_id != id) {
    field_error(obj.path_of("id"), "is {}, must equal the node's position {}", given_id, id);
  }
  const std::string_view kind_name = obj.required_string("kind");
  const auto kind = parse_node_kind(kind_name);
  if (!kind) {
    field_error(obj.path_of("kind"), "must be one of {}, got {}", known_kinds(),
                quoted_excerpt(kind_name));
  }
  Node n;
  n.kind = *kind;
  if (const JsonNode* name = obj.find("name")) n.name = read_string(doc, *name, obj.path_of("name"));
  n.inputs = read_node_inputs(obj, n.kind, id);
  switch (n.kind) {
    case NodeKind::input: {
      const DType dtype = read_storage_dtype(obj);
      const Shape shape = read_shape(obj);
      const int64_t numel = check_element_cap(shape, path.c_str());  // "graph.nodes[0] shape ..."
      declared.total += numel;  // both <= the cap, far below 2^62: no overflow
      if (declared.total > max_elements()) {
        fail(ErrorKind::too_large, "{} shape {}: the graph's input nodes declare {} elements in "
             "all, more than the element cap {}", path, shape.str(), declared.total, max_elements());
      }
      n.value = Tensor(dtype, shape);
      break;
    }
    case NodeKind::constant:
      n.value = read_tensor(doc, obj.require("value"), obj.path_of("value"));
      break;
    case NodeKind::quantize:
    case NodeKind::dequantize:
      n.spec = read_quant_spec(obj, n.kind);
      break;
    case NodeKind::conv2d:
      n.conv = read_conv2d_attrs(obj);
      break;
    case NodeKind::reshape:
      n.target_shape = read_shape(obj);
      break;
    case NodeKind::qlinear:
    case NodeKind::qconv2d:
      n.params[0] = read_quant_params_member(obj, "x_params");
      n.params[1] = read_quant_params_member(obj, "w_params");
      n.out_params = read_quant_params_member(obj, "out_params");
      if (n.kind == NodeKind::qconv2d) n.conv = read_conv2d_attrs(obj);
      n.activation = read_activation(obj);
      break;
    case NodeKind::qadd:
    case NodeKind::qmul:
      n.params[0] = read_quant_params_member(obj, "a_params");
      n.params[1] = read_quant_params_member(obj, "b_params");
      n.out_params = read_quant_params_member(obj, "out_params");
      n.activation = read_activation(obj);
      break;
    case NodeKind::linear:
    case NodeKind::add:
    case NodeKind::mul:
    case NodeKind::relu:
      break;
  }
  return n;
}

// The graph object ({"nodes": [...], "outputs": [...]}) at obj.
Graph read_graph_object(const JsonObjectReader& obj) {
  const std::string nodes_path = obj.path_of("nodes");
  const auto nodes = read_array(obj.doc(), obj.require("nodes"), nodes_path);
  if (nodes.size() > kMaxGraphNodes) {
    field_error(nodes_path, "has {} nodes, the limit is {}", nodes.size(), kMaxGraphNodes);
  }
  Graph g;
  DeclaredElements declared;
  for (size_t i = 0; i < nodes.size(); ++i) {
    g.nodes.push_back(read_node(obj.doc(), nodes[i], element_path(nodes_path, i), int(i), declared));
  }
  const std::string outputs_path = obj.path_of("outputs");
  const std::vector<int64_t> outputs = read_int64_array(obj.doc(), obj.require("outputs"), outputs_path);
  if (outputs.empty()) field_error(outputs_path, "must name at least one node");
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i] < 0 || outputs[i] >= int64_t(g.nodes.size())) {
      field_error(element_path(outputs_path, i), "is {}, not a node id ({})", outputs[i],
                  node_ids(g.nodes.size()));
    }
    g.outputs.push_back(int(outputs[i]));
  }
  // Input nodes are fed by name.
  std::map<std::string, int, std::less<>> input_names;
  for (int id : g.input_ids()) {
    const std::string path = field_path(element_path(nodes_path, size_t(id)), "name");
    const std::string& name = g.node(id).name;
    if (name.empty()) field_error(path, "must be a non-empty string: input nodes are fed by name");
    const auto [it, inserted] = input_names.emplace(name, id);
    if (!inserted) {
      field_error(path, "is {}, the name of input node {} too: input names must be unique",
                  quoted_excerpt(name), it->second);
    }
  }
  g.check_structure();  // the checks above cover it; kept as the IR's own word
  return g;
}

}  // namespace

Graph read_graph_field(const JsonObjectReader& root) {
  return read_graph_object(JsonObjectReader(root.doc(), root.require("graph"), root.path_of("graph")));
}

namespace {

std::vector<Tensor> read_fed_inputs(const JsonObjectReader& root, const Graph& g) {
  const std::vector<int> ids = g.input_ids();
  const JsonNode* n = root.find("inputs");
  if (!n) {
    if (ids.empty()) return {};
    field_error(root.path_of("inputs"), "is required: the graph has {} input node(s)", ids.size());
  }
  const JsonObjectReader fed(root.doc(), *n, root.path_of("inputs"));
  for (const JsonMember& m : root.doc().object(*n)) {
    bool known = false;
    for (int id : ids) known = known || g.node(id).name == m.key;
    if (!known) field_error(fed.path_of(m.key), "names no input node of the graph");
  }
  std::vector<Tensor> out;
  for (int id : ids) {
    const std::string& name = g.node(id).name;
    out.push_back(read_tensor(root.doc(), fed.require(name), fed.path_of(name)));
  }
  return out;
}

// ---- writing ---------------------------------------------------------------

std::vector<int64_t> dims_of(const Shape& s) { return {s.begin(), s.end()}; }

void write_quant_spec(ObjectWriter& w, const QuantSpec& spec, NodeKind kind) {
  w.string("dtype", dtype_name(spec.dtype));
  w.integer("quant_min", spec.quant_min);
  w.integer("quant_max", spec.quant_max);
  w.string("zero_point_domain", domain_name(spec.zero_point_domain));
  if (spec.block_size) w.int_list("block_size", *spec.block_size);
  if (spec.legacy_axis) w.integer("axis", *spec.legacy_axis);
  if (kind == NodeKind::quantize) w.string("contract", contract_name(spec.contract));
}

std::string node_line(const Node& n, int id) {
  ObjectWriter w = ObjectWriter::one_line();
  w.integer("id", id);
  w.string("kind", node_kind_name(n.kind));
  if (!n.name.empty()) w.string("name", n.name);
  const NodeArity arity = node_arity(n.kind);
  if (arity.total > 0 || !n.inputs.empty()) {
    std::vector<int64_t> inputs(n.inputs.begin(), n.inputs.end());
    if (inputs.size() < size_t(arity.total)) inputs.resize(size_t(arity.total), kNoInput);
    w.int_list("inputs", inputs);
  }
  switch (n.kind) {
    case NodeKind::input:
      w.string("dtype", dtype_name(n.value.dtype()));
      w.int_list("shape", dims_of(n.value.shape()));
      break;
    case NodeKind::constant:
      w.tensor("value", n.value);
      break;
    case NodeKind::quantize:
    case NodeKind::dequantize:
      write_quant_spec(w, n.spec, n.kind);
      break;
    case NodeKind::conv2d:
      write_conv2d_attrs(w, n.conv);
      break;
    case NodeKind::reshape:
      w.int_list("shape", dims_of(n.target_shape));
      break;
    case NodeKind::qlinear:
    case NodeKind::qconv2d:
      write_quant_params_member(w, "x_params", n.params[0]);
      write_quant_params_member(w, "w_params", n.params[1]);
      write_quant_params_member(w, "out_params", n.out_params);
      if (n.kind == NodeKind::qconv2d) write_conv2d_attrs(w, n.conv);
      write_activation(w, n.activation);
      break;
    case NodeKind::qadd:
    case NodeKind::qmul:
      write_quant_params_member(w, "a_params", n.params[0]);
      write_quant_params_member(w, "b_params", n.params[1]);
      write_quant_params_member(w, "out_params", n.out_params);
      write_activation(w, n.activation);
      break;
    case NodeKind::linear:
    case NodeKind::add:
    case NodeKind::mul:
    case NodeKind::relu:
      break;
  }
  return w.finish();
}

}  // namespace

Graph parse_graph_json(std::string_view text) {
  const JsonDocument doc = JsonDocument::parse(text);
  return read_graph_object(JsonObjectReader(doc, doc.root(), "graph"));
}

GraphCase read_graph_case_fields(const JsonObjectReader& root) {
  GraphCase c;
  c.graph = read_graph_field(root);
  c.inputs = read_fed_inputs(root, c.graph);
  c.expected_fusions = read_fusion_sites(root, c.graph.nodes.size());
  return c;
}

std::string write_graph_object(const Graph& g) {
  ObjectWriter graph(2);
  std::string& nodes = graph.member("nodes");
  nodes += "[";
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    nodes += i ? ",\n      " : "\n      ";
    nodes += node_line(g.nodes[i], int(i));
  }
  nodes += g.nodes.empty() ? "]" : "\n    ]";
  graph.int_list("outputs", std::vector<int64_t>(g.outputs.begin(), g.outputs.end()));
  return graph.finish();
}

std::string write_graph_case(const GraphCase& c) {
  ObjectWriter w(0);
  write_header(w, kCaseFormat);
  w.string("op", kGraphOpName);

  w.member("graph") += write_graph_object(c.graph);

  // inputs[k] goes under the name of the k-th input node (a tensor beyond
  // the input nodes has no name and is not written).
  ObjectWriter fed(2);
  const std::vector<int> ids = c.graph.input_ids();
  for (size_t k = 0; k < ids.size() && k < c.inputs.size(); ++k) {
    fed.tensor(c.graph.node(ids[k]).name, c.inputs[k]);
  }
  w.member("inputs") += fed.finish();
  if (!c.expected_fusions.empty()) w.member("expected_fusions") += write_fusion_sites(c.expected_fusions);
  return w.finish() + "\n";
}

std::string graph_case_summary(const GraphCase& c) {
  const Graph& g = c.graph;
  std::vector<std::string> kinds;
  for (NodeKind k : kAllNodeKinds) {
    int64_t count = 0;
    for (const Node& n : g.nodes) count += n.kind == k;
    if (count) kinds.push_back(fmt::format("{} {}", node_kind_name(k), count));
  }
  std::vector<std::string> inputs;
  const std::vector<int> ids = g.input_ids();
  for (size_t k = 0; k < ids.size(); ++k) {
    const Node& n = g.node(ids[k]);
    std::string s = fmt::format("{} {} {}", n.name, dtype_name(n.value.dtype()), n.value.shape().str());
    if (k >= c.inputs.size()) {
      s += " (not fed)";
    } else if (c.inputs[k].dtype() != n.value.dtype() || c.inputs[k].shape() != n.value.shape()) {
      s += fmt::format(" (fed {} {})", dtype_name(c.inputs[k].dtype()), c.inputs[k].shape().str());
    }
    inputs.push_back(std::move(s));
  }
  std::vector<std::string> outputs;
  for (int id : g.outputs) outputs.push_back(describe_node(g, id));
  return fmt::format("graph: {} nodes ({}), inputs [{}], outputs [{}]", g.nodes.size(),
                     fmt::join(kinds, ", "), fmt::join(inputs, ", "), fmt::join(outputs, ", "));
}

std::string graph_output_name(size_t k) { return fmt::format("output{}", k); }

}  // namespace qdiff
