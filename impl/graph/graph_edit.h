// Graph rewriting helpers shared by the passes (impl/graph/passes.h):
// liveness, use counts over live nodes, a rewriter that copies a graph node
// by node while a rule replaces some nodes, and dead-node pruning.
//
// A sweep visits the nodes in id order. A rule sees the ORIGINAL graph
// (pattern matching never looks at half-rewritten state) and either copies
// the node or emits replacement nodes; the replacement's inputs are mapped
// ids (every pattern input is an earlier node, already emitted). Nodes a
// rewrite leaves without users are pruned afterwards, except input nodes
// (they define the order in which tensors are fed) and nodes that were
// already dead in the original graph (a pass only removes what it made
// dead; optimize_graph removes every dead node at the end).
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "core/graph.h"

namespace qdiff::impl::graph_edit {

// live[id]: the node contributes to an output.
std::vector<bool> live_nodes(const Graph& g);
// How many LIVE nodes (and outputs) use each value; dead users do not count,
// so a replaced pattern never blocks another fusion.
std::vector<int> live_use_counts(const Graph& g);

class Rewriter {
 public:
  explicit Rewriter(const Graph& original);

  const Graph& original() const { return original_; }
  // Liveness and live use counts of the ORIGINAL graph.
  bool live(int old_id) const { return live_[size_t(old_id)]; }
  int uses(int old_id) const { return uses_[size_t(old_id)]; }
  // The new id of an original node (after it was copied or replaced).
  int mapped(int old_id) const;
  // Maps an input slot value (kNoInput stays kNoInput).
  int mapped_input(int old_id) const { return old_id == kNoInput ? kNoInput : mapped(old_id); }
  // Appends a node whose inputs are already NEW ids; returns its new id.
  int emit(Node node);
  // Appends a constant node; returns its new id.
  int emit_constant(Tensor value, std::string name);
  // Copies original node `old_id` with mapped inputs.
  void copy(int old_id);
  // Records that original node `old_id` is now represented by new node `new_id`.
  void replace(int old_id, int new_id);
  // The graph with outputs mapped, newly dead nodes pruned. Consumes the
  // rewriter: the emitted nodes are moved, not copied (each copy of a node
  // allocates every tensor it holds, and sweeps dominate a graph's cost).
  Graph finish() &&;

 private:
  // Copies of the leading run of unchanged nodes are deferred: until a rule
  // first emits, nodes [0, unchanged_prefix_) stand for themselves (new id
  // == old id) and nothing is copied, so a sweep in which no rule fires
  // copies no node at all.
  void materialize_prefix();

  const Graph& original_;
  std::vector<bool> live_;
  std::vector<int> uses_;
  Graph out_;
  std::vector<int> map_;      // old id -> new id
  std::vector<int> origin_;   // new id -> old id it copies, or -1 (new node)
  int unchanged_prefix_ = 0;
  bool materialized_ = false;
};

// One sweep: rule(rewriter, id) is called for each LIVE node and returns
// true when it emitted a replacement for node id (and called replace),
// false to have the node copied (dead nodes are always copied). Returns the
// rewritten graph, or nullopt when no rule fired.
using Rule = std::function<bool(Rewriter&, int)>;
std::optional<Graph> sweep(const Graph& g, const Rule& rule);

// Sweeps until no rule fires; make_rule builds the rule for each graph
// swept (rules usually capture that graph's inferred types). Each firing
// sweep removes a pattern's root from the live graph, so this ends; a cap
// guards against a rule that re-fires on its own output. Returns g itself
// when nothing fired.
using RuleFactory = std::function<Rule(const Graph&)>;
Graph sweep_to_fixed_point(const Graph& g, const RuleFactory& make_rule);

// Every dead node removed except input nodes.
Graph remove_dead_nodes(const Graph& g);

}  // namespace qdiff::impl::graph_edit
