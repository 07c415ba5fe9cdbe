// Graph rewriting helpers (impl/graph/graph_edit.h).
#include "impl/graph/graph_edit.h"

#include <fmt/format.h>

#include "core/error.h"

namespace qdiff::impl::graph_edit {

std::vector<bool> live_nodes(const Graph& g) {
  std::vector<bool> live(g.nodes.size(), false);
  for (int out : g.outputs) {
    if (out >= 0 && size_t(out) < live.size()) live[size_t(out)] = true;
  }
  // Inputs are earlier ids (check_structure), so one backward pass suffices.
  for (size_t i = g.nodes.size(); i-- > 0;) {
    if (!live[i]) continue;
    for (int in : g.nodes[i].inputs) {
      if (in >= 0 && size_t(in) < i) live[size_t(in)] = true;
    }
  }
  return live;
}

std::vector<int> live_use_counts(const Graph& g) {
  const std::vector<bool> live = live_nodes(g);
  std::vector<int> counts(g.nodes.size(), 0);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!live[i]) continue;
    for (int in : g.nodes[i].inputs) {
      if (in >= 0 && size_t(in) < counts.size()) ++counts[size_t(in)];
    }
  }
  for (int out : g.outputs) {
    if (out >= 0 && size_t(out) < counts.size()) ++counts[size_t(out)];
  }
  return counts;
}

Rewriter::Rewriter(const Graph& original)
    : original_(original),
      live_(live_nodes(original)),
      uses_(live_use_counts(original)),
      map_(original.nodes.size(), kNoInput) {}

int Rewriter::mapped(int old_id) const {
  if (old_id < 0 || size_t(old_id) >= map_.size() || map_[size_t(old_id)] == kNoInput) {
    // A rule referred to a node that is not emitted yet: a bug of the pass.
    fail(ErrorKind::malformed_case, "graph rewrite: node {} has no rewritten id", old_id);
  }
  return map_[size_t(old_id)];
}

void Rewriter::materialize_prefix() {
  if (materialized_) return;
  materialized_ = true;
  out_.nodes.reserve(original_.nodes.size() + 8);  // a few replacement nodes, no regrowth
  origin_.reserve(original_.nodes.size() + 8);
  // Identity-mapped: the prefix's inputs are prefix ids, unchanged.
  out_.nodes.assign(original_.nodes.begin(), original_.nodes.begin() + unchanged_prefix_);
  for (int id = 0; id < unchanged_prefix_; ++id) origin_.push_back(id);
}

int Rewriter::emit(Node node) {
  materialize_prefix();
  out_.nodes.push_back(std::move(node));
  origin_.push_back(-1);
  return int(out_.nodes.size()) - 1;
}

int Rewriter::emit_constant(Tensor value, std::string name) {
  Node n;
  n.kind = NodeKind::constant;
  n.value = std::move(value);
  n.name = std::move(name);
  return emit(std::move(n));
}

void Rewriter::copy(int old_id) {
  if (!materialized_ && old_id == unchanged_prefix_) {
    map_[size_t(old_id)] = old_id;
    ++unchanged_prefix_;
    return;
  }
  materialize_prefix();
  Node n = original_.node(old_id);
  for (int& in : n.inputs) in = mapped_input(in);
  const int id = emit(std::move(n));
  origin_[size_t(id)] = old_id;
  map_[size_t(old_id)] = id;
}

void Rewriter::replace(int old_id, int new_id) { map_[size_t(old_id)] = new_id; }

Graph Rewriter::finish() && {
  materialize_prefix();
  Graph g = std::move(out_);
  g.outputs.clear();
  for (int out : original_.outputs) g.outputs.push_back(mapped(out));
  // Kept: live nodes, input nodes, nodes that were dead before the rewrite,
  // and whatever those read.
  std::vector<bool> keep = live_nodes(g);
  for (size_t i = g.nodes.size(); i-- > 0;) {
    const int origin = origin_[i];
    const bool was_dead = origin >= 0 && !live_[size_t(origin)];
    if (was_dead || g.nodes[i].kind == NodeKind::input) keep[i] = true;
    if (!keep[i]) continue;
    for (int in : g.nodes[i].inputs) {
      if (in >= 0) keep[size_t(in)] = true;
    }
  }
  std::vector<int> new_id(g.nodes.size(), kNoInput);
  Graph pruned;
  pruned.nodes.reserve(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!keep[i]) continue;
    Node n = std::move(g.nodes[i]);  // each node is read once, here
    for (int& in : n.inputs) {
      if (in != kNoInput) in = new_id[size_t(in)];
    }
    new_id[i] = int(pruned.nodes.size());
    pruned.nodes.push_back(std::move(n));
  }
  for (int out : g.outputs) pruned.outputs.push_back(new_id[size_t(out)]);
  return pruned;
}

std::optional<Graph> sweep(const Graph& g, const Rule& rule) {
  Rewriter rw(g);
  bool fired = false;
  for (int id = 0; id < int(g.nodes.size()); ++id) {
    if (rw.live(id) && rule(rw, id)) {
      fired = true;
      continue;
    }
    rw.copy(id);
  }
  if (!fired) return std::nullopt;
  return std::move(rw).finish();
}

Graph sweep_to_fixed_point(const Graph& g, const RuleFactory& make_rule) {
  std::optional<Graph> current = sweep(g, make_rule(g));
  if (!current) return g;
  // Each firing sweep removes a pattern's root from the live graph; more
  // sweeps than nodes (plus the ones it may add) would mean a rule that
  // re-fires on its own output, a bug: stop rather than loop.
  for (size_t round = 0; round < 4 * g.nodes.size() + 8; ++round) {
    std::optional<Graph> next = sweep(*current, make_rule(*current));
    if (!next) return *current;
    current = std::move(next);
  }
  fail(ErrorKind::malformed_case, "graph pass did not reach a fixed point");
}

Graph remove_dead_nodes(const Graph& g) {
  const std::vector<bool> live = live_nodes(g);
  std::vector<int> new_id(g.nodes.size(), kNoInput);
  Graph out;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!live[i] && g.nodes[i].kind != NodeKind::input) continue;
    Node n = g.nodes[i];
    for (int& in : n.inputs) {
      if (in != kNoInput) in = new_id[size_t(in)];
    }
    new_id[i] = int(out.nodes.size());
    out.nodes.push_back(std::move(n));
  }
  for (int o : g.outputs) out.outputs.push_back(new_id[size_t(o)]);
  return out;
}

}  // namespace qdiff::impl::graph_edit
