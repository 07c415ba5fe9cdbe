#include "tools/graph_listing.h"

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "cases/printable_text.h"
#include "core/block_layout.h"
#include "core/error.h"
#include "reference/graph_eval.h"

namespace qdiff::tools {
namespace {

std::string value_type(const Tensor& t) { return fmt::format("{} {}", dtype_name(t.dtype()), t.shape().str()); }

// "per-channel axis 0 (scale [4, 1], block [1, 8])", or why it is invalid.
std::string layout_text(const QuantParams& p, const Shape& data_shape) {
  std::string range = fmt::format("{} [{}, {}] zp {}", dtype_name(p.dtype), p.quant_min, p.quant_max,
                                  p.zero_point ? domain_name(p.zero_point_domain) : std::string_view("absent"));
  try {
    const BlockLayout l = BlockLayout::derive(data_shape, p.scale.shape(), p.block_size);
    return fmt::format("{}: {} (scale given as {})", range, l.describe(), p.scale.shape().str());
  } catch (const Error& e) {
    return fmt::format("{}: scale {} invalid for {}: {}", range, p.scale.shape().str(), data_shape.str(),
                       error_kind_name(e.kind()));
  }
}

std::string inputs_text(const Node& n) {
  std::vector<std::string> parts;
  for (int in : n.inputs) parts.push_back(in == kNoInput ? "-" : fmt::format("{}", in));
  return parts.empty() ? "-" : fmt::format("{}", fmt::join(parts, ", "));
}

// The graph evaluated node by node, so a graph that fails part-way still
// lists the shapes up to the failing node.
struct Evaluation {
  std::vector<std::optional<Tensor>> values;  // empty from the failing node on
  std::vector<Tensor> dense;
  std::string failure;

  std::optional<Shape> shape_of(int id) const {
    if (id == kNoInput || !values[size_t(id)]) return std::nullopt;
    return values[size_t(id)]->shape();
  }
};

Evaluation evaluate(const GraphCase& c) {
  const Graph& g = c.graph;
  Evaluation e{std::vector<std::optional<Tensor>>(g.nodes.size()), std::vector<Tensor>(g.nodes.size()), ""};
  const std::vector<int> input_ids = g.input_ids();
  for (size_t k = 0; k < input_ids.size() && k < c.inputs.size(); ++k) e.dense[size_t(input_ids[k])] = c.inputs[k];
  for (size_t id = 0; id < g.nodes.size() && e.failure.empty(); ++id) {
    try {
      e.dense[id] = reference::evaluate_node(g, int(id), e.dense);
      e.values[id] = e.dense[id];
    } catch (const Error& err) {
      e.failure = fmt::format("node {} does not evaluate: {}: {}", id, error_kind_name(err.kind()),
                              escape_control_chars(err.what()));
    }
  }
  return e;
}

// "dtype shape", with a small constant's values and a reshape's target.
std::string value_text(const Node& n, const std::optional<Tensor>& value) {
  std::string text = value ? value_type(*value) : "?";
  if (n.kind == NodeKind::constant && n.value.numel() <= 4 && value) {
    std::vector<std::string> v;
    for (int64_t i = 0; i < n.value.numel(); ++i) {
      v.push_back(n.value.dtype() == DType::f32 ? fmt::format("{}", n.value.f32_at(i))
                                                : fmt::format("{}", n.value.int_at(i)));
    }
    text += fmt::format(" = [{}]", fmt::join(v, ", "));
  }
  if (n.kind == NodeKind::reshape) text += fmt::format(" (to {})", n.target_shape.str());
  return text;
}

using Detail = std::function<void(std::string_view label, const std::string& text)>;

// A quantize or dequantize node's params (as the reference reads them) and contract.
void quant_details(const Graph& g, int id, const Evaluation& e, const Detail& detail) {
  const Node& n = g.node(id);
  std::optional<int> legacy_axis;
  try {
    const QuantParams p = reference::node_quant_params(g, id, e.dense, &legacy_axis);
    const Shape data = *e.shape_of(n.input(0));
    if (legacy_axis) {
      detail("params", fmt::format("{} [{}, {}]: legacy per-channel, axis {} (normalized {}), scale {}",
                                   dtype_name(p.dtype), p.quant_min, p.quant_max, *n.spec.legacy_axis,
                                   *legacy_axis, p.scale.shape().str()));
    } else {
      detail("params", layout_text(p, data));
    }
    if (n.kind == NodeKind::quantize) detail("contract", std::string(contract_name(n.spec.contract)));
  } catch (const Error& err) {
    detail("params", fmt::format("invalid: {}", err.what()));
  }
}

// A fused node's operand and output params and its activation.
void fused_details(const Node& n, int id, const Evaluation& e, const Detail& detail) {
  const bool binary = n.kind == NodeKind::qadd || n.kind == NodeKind::qmul;
  const char* names[2] = {binary ? "a params" : "x params", binary ? "b params" : "w params"};
  for (int k = 0; k < 2; ++k) {
    if (const auto s = e.shape_of(n.input(size_t(k)))) detail(names[k], layout_text(n.params[size_t(k)], *s));
  }
  if (e.values[size_t(id)]) detail("out params", layout_text(n.out_params, e.values[size_t(id)]->shape()));
  if (n.activation.kind != ActivationKind::none) {
    detail("activation", fmt::format("{}{}", activation_name(n.activation.kind),
                                     n.activation.kind == ActivationKind::clamp
                                         ? fmt::format(" [{}, {}]", n.activation.lo, n.activation.hi)
                                         : ""));
  }
}

}  // namespace

std::string graph_listing(const GraphCase& c) {
  const Graph& g = c.graph;
  const Evaluation e = evaluate(c);
  std::string out = fmt::format("  {:>4}  {:<22} {:<12} {}\n", "node", "kind", "inputs", "value");
  const Detail detail = [&](std::string_view label, const std::string& text) {
    out += fmt::format("  {:>4}  {:<22} {:<12} {}: {}\n", "", "", "", label, text);
  };
  for (size_t id = 0; id < g.nodes.size(); ++id) {
    const Node& n = g.nodes[id];
    std::string kind(node_kind_name(n.kind));
    if (!n.name.empty()) kind += fmt::format(" \"{}\"", escape_control_chars(n.name));
    out += fmt::format("  {:>4}  {:<22} {:<12} {}\n", id, kind, inputs_text(n), value_text(n, e.values[id]));
    if ((n.kind == NodeKind::quantize || n.kind == NodeKind::dequantize) && e.values[id]) {
      quant_details(g, int(id), e, detail);
    }
    if (is_fused_kind(n.kind)) fused_details(n, int(id), e, detail);
  }
  std::vector<std::string> outs;
  for (int o : g.outputs) outs.push_back(fmt::format("node {}", o));
  out += fmt::format("  outputs: {}\n", fmt::join(outs, ", "));
  if (!e.failure.empty()) out += fmt::format("  {}\n", e.failure);
  return out;
}

}  // namespace qdiff::tools
