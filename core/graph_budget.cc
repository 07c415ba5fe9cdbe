// The work budget of a graph evaluation (core/graph_budget.h).
#include "core/graph_budget.h"

#include <limits>
#include <optional>
#include <vector>

#include "core/error.h"
#include "core/graph_shapes.h"

namespace qdiff {
namespace {

constexpr int64_t kSaturated = std::numeric_limits<int64_t>::max();

// a + b, at most INT64_MAX (a, b >= 0).
int64_t saturating_add(int64_t a, __int128 b) {
  const __int128 sum = __int128(a) + b;
  return sum > kSaturated ? kSaturated : int64_t(sum);
}

// Multiply-adds of one node: output elements times the reduction length
// (linear: In = w[1]; conv: w[1] * kh * kw = (C / groups) * kh * kw).
// Every factor is a known shape's dim or element count, below 2^63, and the
// reduction is below the per-tensor cap: the 128-bit product cannot overflow.
__int128 node_multiply_adds(const Graph& g, int id, const std::vector<std::optional<ValueType>>& types) {
  const Node& n = g.node(id);
  const bool linear = n.kind == NodeKind::linear || n.kind == NodeKind::qlinear;
  const bool conv = n.kind == NodeKind::conv2d || n.kind == NodeKind::qconv2d;
  if (!linear && !conv) return 0;
  const int w_id = n.input(1);
  if (!types[size_t(id)] || w_id < 0 || size_t(w_id) >= types.size() || !types[size_t(w_id)]) return 0;
  const Shape& w = types[size_t(w_id)]->shape;
  const __int128 reduction = linear ? __int128(w[1]) : __int128(w[1]) * w[2] * w[3];
  return __int128(types[size_t(id)]->shape.numel()) * reduction;
}

}  // namespace

GraphWork graph_work(const Graph& g) {
  GraphWork work;
  const std::vector<std::optional<ValueType>> types = infer_value_types(g);
  __int128 largest = -1;
  for (int id = 0; id < int(g.nodes.size()); ++id) {
    if (!types[size_t(id)]) continue;
    const int64_t elements = types[size_t(id)]->shape.numel();
    const __int128 macs = node_multiply_adds(g, id, types);
    work.elements = saturating_add(work.elements, elements);
    work.multiply_adds = saturating_add(work.multiply_adds, macs);
    // Rank nodes by multiply-adds, then elements (a multiply-add costs
    // about as much as producing one element).
    if (macs + elements > largest) {
      largest = macs + elements;
      work.largest_node = id;
    }
  }
  return work;
}

void check_graph_budget(const Graph& g) {
  const GraphWork w = graph_work(g);
  if (w.elements <= kGraphElementBudget && w.multiply_adds <= kGraphMultiplyAddBudget) return;
  fail(ErrorKind::too_large,
       "graph needs {} elements of values (budget {}) and {} multiply-adds (budget {}); the largest "
       "is {}",
       w.elements, kGraphElementBudget, w.multiply_adds, kGraphMultiplyAddBudget,
       describe_node(g, w.largest_node));
}

}  // namespace qdiff
