// Pass names, dispatch, the pipeline, and the helpers the passes share
// (impl/graph/passes.h, impl/graph/pass_helpers.h).
#include "impl/graph/passes.h"

#include "core/error.h"
#include "impl/graph/graph_edit.h"
#include "impl/graph/pass_helpers.h"
#include "impl/quantize/validate.h"

namespace qdiff::impl {

std::string_view graph_pass_name(GraphPass pass) {
  switch (pass) {
    case GraphPass::legacy_to_affine: return "legacy_to_affine";
    case GraphPass::constant_folding: return "constant_folding";
    case GraphPass::fuse_mul_into_linear: return "fuse_mul_into_linear";
    case GraphPass::fuse_quantized_ops: return "fuse_quantized_ops";
    case GraphPass::quant_absorption: return "quant_absorption";
  }
  return "?";
}

std::optional<GraphPass> parse_graph_pass(std::string_view name) {
  std::string underscored(name);
  for (char& c : underscored) {
    if (c == '-') c = '_';
  }
  for (GraphPass p : kAllGraphPasses) {
    if (graph_pass_name(p) == underscored) return p;
  }
  return std::nullopt;
}

Graph run_pass(GraphPass pass, const Graph& g, const ImplOptions& options) {
  g.check_structure();
  switch (pass) {
    case GraphPass::legacy_to_affine: return passes::legacy_to_affine(g, options.faults);
    case GraphPass::constant_folding: return passes::constant_folding(g);
    case GraphPass::fuse_mul_into_linear: return passes::fuse_mul_into_linear(g, options.faults);
    case GraphPass::fuse_quantized_ops: return passes::fuse_quantized_ops(g, options.faults);
    case GraphPass::quant_absorption: return passes::quant_absorption(g, options.faults);
  }
  fail(ErrorKind::unsupported, "unknown graph pass {}", int(pass));
}

Graph optimize_graph(const Graph& g, const ImplOptions& options) {
  Graph current = g;
  for (GraphPass pass : kAllGraphPasses) current = run_pass(pass, current, options);
  current = run_pass(GraphPass::constant_folding, current, options);
  return graph_edit::remove_dead_nodes(current);
}

namespace passes {

const Tensor* constant_value(const Graph& g, int id) {
  if (id < 0 || size_t(id) >= g.nodes.size()) return nullptr;
  const Node& n = g.node(id);
  return n.kind == NodeKind::constant ? &n.value : nullptr;
}

std::optional<QuantParams> constant_params(const Graph& g, int id) {
  if (id < 0 || size_t(id) >= g.nodes.size()) return std::nullopt;
  const Node& n = g.node(id);
  if (n.kind != NodeKind::quantize && n.kind != NodeKind::dequantize) return std::nullopt;
  if (n.spec.legacy_axis) return std::nullopt;
  const Tensor* scale = constant_value(g, n.input(1));
  if (!scale) return std::nullopt;
  std::optional<Tensor> zero_point;
  if (n.input(2) != kNoInput) {
    const Tensor* zp = constant_value(g, n.input(2));
    if (!zp) return std::nullopt;
    zero_point = *zp;
  }
  return n.spec.params(*scale, zero_point);
}

bool params_valid_for_dequantize(const Shape& shape, const QuantParams& p) {
  try {
    (void)validate_affine(AffineCall::dequantize, p.dtype, shape, p, FaultSet{});
    return true;
  } catch (const Error&) {
    return false;
  }
}

const std::optional<ValueType>& type_of(const std::vector<std::optional<ValueType>>& types, int id) {
  static const std::optional<ValueType> kUnknown;
  if (id < 0 || size_t(id) >= types.size()) return kUnknown;
  return types[size_t(id)];
}

}  // namespace passes
}  // namespace qdiff::impl
