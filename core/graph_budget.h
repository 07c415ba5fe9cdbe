// The work budget of one graph evaluation (SPEC section 10: no input may
// hang or allocate without bound). The element cap of core/limits.h holds
// per tensor only, so a small graph file can still chain many cap-sized
// tensors (an 84 KB case grew past 11 GB RSS) or ask for one huge product
// (an 82 KB case: an 8192^3 linear, hours of work). Both evaluators,
// reference/ and impl/, call check_graph_budget() on the graph they are
// given BEFORE evaluating any node, so they decide identically (the same
// function on the same graph) and a rejected graph costs only the shape
// inference.
//
// What is counted, from the static value types of core/graph_shapes.h (a
// value whose type is unknown counts nothing: evaluation stops with an
// error at or before that node, and the per-tensor cap still bounds it):
//   elements:      the sum over ALL nodes of their value's elements (the
//                  reference keeps every value alive until the end, so the
//                  sum is its peak memory in elements);
//   multiply-adds: linear / qlinear: output elements * In;
//                  conv2d / qconv2d: output elements * (C / groups) * kh * kw.
// Elementwise ops, quantize and dequantize cost O(elements), which the
// first sum already bounds.
#pragma once

#include <cstdint>

#include "core/graph.h"

namespace qdiff {

// Derivation (docs/reliability.md, "Bounded work", "Budget numbers"):
//
// Elements, 2^28. The largest generated graph (properties/graph_generators.h:
// at most 2048 elements per tensor; the input's quantize / dequantize pair
// is at most 6 values, and each of at most 3 blocks at most 20: weight,
// scale constants and their reshapes, zero points, bias, the op, the mul
// constant, relu, the quantize and a dequantize -> quantize pair) holds at
// most 66 * 2048 < 2^18 elements; the largest of 3000 drawn graphs held
// 119,906 (tests/reliability_bounds_test.cc checks the 2^18). The corpus'
// graphs hold far fewer. 2^28 is four tensors at the default per-tensor
// cap (2^26), so a graph that quantizes and dequantizes a cap-sized input
// (3 * 2^26 plus its params) stays legal: 2^10 times the generated bound.
// Memory at the budget: 2^28 * 4 bytes (the widest dtype, f32 / i32) =
// 1 GiB of values in the reference.
inline constexpr int64_t kGraphElementBudget = int64_t{1} << 28;

// Multiply-adds, 2^30. A generated linear has rows * In <= 2048 and
// K * In <= 2048, so rows * In * K <= 2048 * 2048 = 2^22, and at most 3 of
// them per graph: < 2^24 (conv blocks are smaller: x <= 2 * 4 * 7 * 7);
// the largest of 3000 drawn graphs needed 203,280 (< 2^18). Time at the
// budget, measured on a 1024 x 1024 x 1024 linear
// (docs/reliability.md, "Bounded work"): about 1 s of CPU in the reference and
// 3 s for one replay of the case against one ISA (the envelope oracle plus
// both executions), so a graph at the budget stays inside the 10 s default
// case deadline (tools/case_deadline.h) on a runner loaded 3x.
// 2^6 times the generated bound.
inline constexpr int64_t kGraphMultiplyAddBudget = int64_t{1} << 30;

struct GraphWork {
  int64_t elements = 0;       // saturates at INT64_MAX
  int64_t multiply_adds = 0;  // saturates at INT64_MAX
  int largest_node = -1;      // the node with the most multiply-adds, else elements
};

// What evaluating g needs (counted as above). Never throws.
GraphWork graph_work(const Graph& g);

// Throws too_large when graph_work(g) exceeds either budget, naming the
// totals, the budget and the largest node.
void check_graph_budget(const Graph& g);

}  // namespace qdiff
