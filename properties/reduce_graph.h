// Structural reduction of a failing graph case (the graph half of
// properties/reduce.h; docs/graph.md "Reducing graph counterexamples").
//
// A greedy delta-debugger over GraphCase: it tries candidate edits, the
// cheap big ones first, and keeps each candidate that still fails.
//   1. prune: drop the nodes no output depends on, renumber ids densely;
//   2. reroute the output: one output of several, then an intermediate
//      operator node as the only output (drops whole trailing blocks);
//   3. skip blocks: replace every use of a node by an earlier node of the
//      same kind (the dequantize after block 2 by the one after block 1);
//      bypass a node: replace every use of it by one of its data inputs
//      or their data inputs (relu, mul, reshape, a quantize -> dequantize
//      pair, a linear with K == In, ...);
//   4. absent optional inputs (bias, zero point), constant-fold
//      reshape(constant), per-tensor quantize contracts to torchao;
//   5. shrink a size: every dim of size n in every tensor (input type and
//      fed data, constants, inline params, reshape targets) is sliced to
//      n' in {1, 2, n / 2, divisors of n}, first or last entries, all
//      together: a weight's K with its scale, zero point, bias and mul
//      constant; a batch with every activation-shaped constant;
//   6. drop a size-1 dim of the input (not its last) and of every
//      activation-space tensor of the same rank, fixing legacy axes;
//   7. simplify values: zero chunks of fed inputs and integer constants,
//      set f32 constants to powers of two, and remaining input values to 1,
//      0.5 or their nearest integer.
// Every candidate is pruned and must pass Graph::check_structure(). It must
// also keep the reference's judgement of the original: if the reference
// evaluates the original graph, it must evaluate the candidate; if it
// rejects the original with error kind E, it must reject the candidate with
// E. A candidate that merely makes the graph invalid would otherwise
// "fail" some properties (error parity) for an unrelated reason. And a
// candidate keeps an input node when the original has one (a graph of
// constants only feeds nothing: another kind of case).
// Expected fusion sites (GraphCase::expected_fusions) follow their nodes
// through pruning; on every candidate each site's firing is re-derived
// (properties/fusion_legality.h, site_firing) and a site whose nodes no
// longer form its pattern is dropped, so the expectation always describes
// the candidate (docs/graph.md).
// Deterministic (no randomness, fixed move order) and bounded: at most
// `max_attempts` calls of `still_fails` (structural rejects are free; the
// reference is run on at most 4 * max_attempts candidates; 8 rounds).
#pragma once

#include <cstdint>
#include <functional>

#include "cases/graph_case.h"
#include "properties/reduce.h"

namespace qdiff::props {

GraphCase reduce_graph_case(GraphCase c, const std::function<bool(const GraphCase&)>& still_fails,
                            ReduceStats& stats, int max_attempts);

// The case without the nodes no output depends on (a dead input node takes
// its fed tensor along), ids renumbered densely in the original order.
GraphCase prune_graph_case(const GraphCase& c);

// Size of a graph case, as the fault self-tests judge "small": operator
// nodes (every node but inputs and constants) on the path to an output,
// and the largest tensor, in elements, among fed inputs, constants, the
// fused nodes' inline params and (when the reference evaluates the graph)
// every value it computes.
struct GraphCaseSize {
  int operator_nodes = 0;
  int64_t largest_tensor = 0;
};
GraphCaseSize graph_case_size(const GraphCase& c);

}  // namespace qdiff::props
