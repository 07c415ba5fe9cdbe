#include "tools/graph_listing.h"

#include <optional>
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

}  // namespace

std::string graph_listing(const GraphCase& c) {
  const Graph& g = c.graph;
  // Evaluate node by node so a graph that fails part-way still lists the
  // shapes up to the failing node.
  std::vector<std::optional<Tensor>> values(g.nodes.size());
  std::vector<Tensor> dense(g.nodes.size());
  const std::vector<int> input_ids = g.input_ids();
  for (size_t k = 0; k < input_ids.size() && k < c.inputs.size(); ++k) dense[size_t(input_ids[k])] = c.inputs[k];
  std::string failure;
  for (size_t id = 0; id < g.nodes.size() && failure.empty(); ++id) {
    try {
      dense[id] = reference::evaluate_node(g, int(id), dense);
      values[id] = dense[id];
    } catch (const Error& e) {
      failure = fmt::format("node {} does not evaluate: {}: {}", id, error_kind_name(e.kind()),
                            escape_control_chars(e.what()));
    }
  }
  const auto shape_of = [&](int id) -> std::optional<Shape> {
    if (id == kNoInput || !values[size_t(id)]) return std::nullopt;
    return values[size_t(id)]->shape();
  };

  std::string out = fmt::format("  {:>4}  {:<22} {:<12} {}\n", "node", "kind", "inputs", "value");
  for (size_t id = 0; id < g.nodes.size(); ++id) {
    const Node& n = g.nodes[id];
    std::string kind(node_kind_name(n.kind));
    if (!n.name.empty()) kind += fmt::format(" \"{}\"", escape_control_chars(n.name));
    std::string value = values[id] ? value_type(*values[id]) : "?";
    if (n.kind == NodeKind::constant && n.value.numel() <= 4 && values[id]) {
      std::vector<std::string> v;
      for (int64_t i = 0; i < n.value.numel(); ++i) {
        v.push_back(n.value.dtype() == DType::f32 ? fmt::format("{}", n.value.f32_at(int64_t(i)))
                                                  : fmt::format("{}", n.value.int_at(int64_t(i))));
      }
      value += fmt::format(" = [{}]", fmt::join(v, ", "));
    }
    if (n.kind == NodeKind::reshape) value += fmt::format(" (to {})", n.target_shape.str());
    out += fmt::format("  {:>4}  {:<22} {:<12} {}\n", id, kind, inputs_text(n), value);

    const auto detail = [&](std::string_view label, const std::string& text) {
      out += fmt::format("  {:>4}  {:<22} {:<12} {}: {}\n", "", "", "", label, text);
    };
    if ((n.kind == NodeKind::quantize || n.kind == NodeKind::dequantize) && values[id]) {
      std::optional<int> legacy_axis;
      try {
        const QuantParams p = reference::node_quant_params(g, int(id), dense, &legacy_axis);
        const Shape data = *shape_of(n.input(0));
        if (legacy_axis) {
          detail("params", fmt::format("{} [{}, {}]: legacy per-channel, axis {} (normalized {}), scale {}",
                                       dtype_name(p.dtype), p.quant_min, p.quant_max, *n.spec.legacy_axis,
                                       *legacy_axis, p.scale.shape().str()));
        } else {
          detail("params", layout_text(p, data));
        }
        if (n.kind == NodeKind::quantize) detail("contract", std::string(contract_name(n.spec.contract)));
      } catch (const Error& e) {
        detail("params", fmt::format("invalid: {}", e.what()));
      }
    }
    if (is_fused_kind(n.kind)) {
      const bool binary = n.kind == NodeKind::qadd || n.kind == NodeKind::qmul;
      const char* names[2] = {binary ? "a params" : "x params", binary ? "b params" : "w params"};
      for (int k = 0; k < 2; ++k) {
        if (const auto s = shape_of(n.input(size_t(k)))) detail(names[k], layout_text(n.params[size_t(k)], *s));
      }
      if (values[id]) detail("out params", layout_text(n.out_params, values[id]->shape()));
      if (n.activation.kind != ActivationKind::none) {
        detail("activation", fmt::format("{}{}", activation_name(n.activation.kind),
                                         n.activation.kind == ActivationKind::clamp
                                             ? fmt::format(" [{}, {}]", n.activation.lo, n.activation.hi)
                                             : ""));
      }
    }
  }
  std::vector<std::string> outs;
  for (int o : g.outputs) outs.push_back(fmt::format("node {}", o));
  out += fmt::format("  outputs: {}\n", fmt::join(outs, ", "));
  if (!failure.empty()) out += fmt::format("  {}\n", failure);
  return out;
}

}  // namespace qdiff::tools
