// constant folding (docs/graph.md): reshape(constant) -> constant, also
// through chains reshape(reshape(.. constant)). Only reshapes: no arithmetic
// is folded, so no value changes. A reshape whose element count differs
// (an invalid_shape at evaluation) is left alone.
//
// Numerical contract: exact (same bytes, new shape).
#include "core/error.h"
#include "impl/graph/graph_edit.h"
#include "impl/graph/pass_helpers.h"

namespace qdiff::impl::passes {
namespace {

// The constant at the end of a chain of reshapes ending at `id`, if every
// reshape on the way keeps the element count.
const Tensor* folded_source(const Graph& g, int id) {
  int cur = id;
  while (g.node(cur).kind == NodeKind::reshape) {
    const int in = g.node(cur).input(0);
    if (in < 0) return nullptr;
    cur = in;
  }
  const Tensor* value = constant_value(g, cur);
  if (!value) return nullptr;
  for (int r = id; r != cur; r = g.node(r).input(0)) {
    const auto count = g.node(r).target_shape.checked_numel();
    if (!count || *count != value->numel()) return nullptr;
  }
  return value;
}

bool fold_rule(graph_edit::Rewriter& rw, int id) {
  const Graph& g = rw.original();
  const Node& n = g.node(id);
  if (n.kind != NodeKind::reshape) return false;
  const Tensor* value = folded_source(g, id);
  if (!value) return false;
  rw.replace(id, rw.emit_constant(value->reshaped(n.target_shape), n.name));
  return true;
}

}  // namespace

Graph constant_folding(const Graph& g) {
  return graph_edit::sweep_to_fixed_point(g, [](const Graph&) -> graph_edit::Rule { return fold_rule; });
}

}  // namespace qdiff::impl::passes
