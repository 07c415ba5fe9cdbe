// Graph-level properties (issue 4, docs/graph.md). Every evaluation is
// judged against the envelope of the ORIGINAL graph (oracle/graph_envelope.h):
// the reference's values and, per element, every value a correct
// implementation may produce given each op's derived rounding slack.
// Graphs the reference rejects are outside these properties' domain
// (discarded); error parity for graphs is checked by
// OptimizedGraphExecutionMatchesReference on the unoptimized graph.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "cases/graph_case.h"
#include "core/block_layout.h"
#include "core/float_bits.h"
#include "oracle/affine_oracle.h"
#include "oracle/graph_envelope.h"
#include "oracle/graph_nan_parity.h"
#include "oracle/graph_oracle.h"
#include "properties/graph_generators.h"
#include "properties/property.h"
#include "reference/graph_eval.h"

namespace qdiff::props {
namespace {

const GraphCase& graph_case(const Case& c) { return std::get<GraphCase>(c); }

Case draw_graph(Source& src) { return draw_graph_case(src); }

CheckResult discard() { return CheckResult{{}, true}; }
CheckResult fail_with(Verdict v) { return CheckResult{std::move(v), false}; }

std::optional<GraphEnvelope> envelope_or_discard(const GraphCase& c, EnvelopeMode mode) {
  try {
    return graph_envelope(c.graph, c.inputs, mode);
  } catch (const Error&) {
    return std::nullopt;
  }
}

// The reference rejects a transformed graph with nan_input where rounding
// decides that NaN (oracle/graph_nan_parity.h: a pass reorders or rounds
// the arithmetic differently): not a failure of the pass. `env` is the
// original graph's envelope, computed here when the caller has none.
bool open_nan_rejection(const Error& e, const GraphCase& c, const GraphEnvelope* env = nullptr) {
  if (e.kind() != ErrorKind::nan_input) return false;
  if (env) return nan_rejection_is_open(e, *env);
  const auto computed = envelope_or_discard(c, EnvelopeMode::transformed);
  return computed && nan_rejection_is_open(e, *computed);
}

Verdict with_context(Verdict v, const std::string& where) {
  if (!v.ok) v.headline = where + ": " + v.headline;
  return v;
}

// --- FusionPreservesGraphOutputs ---------------------------------------------
// Each pass, applied in pipeline order, yields a graph whose reference
// evaluation lies in the original graph's envelope: the passes are exact,
// exact up to rounding, or (quant-absorption) bounded, as docs/graph.md
// states, and the envelope admits exactly that.
CheckResult fusion_preserves_outputs(const Case& any, const Backend& b) {
  const GraphCase& c = graph_case(any);
  const auto env = envelope_or_discard(c, EnvelopeMode::transformed);
  if (!env) return discard();
  Graph g = c.graph;
  for (const std::string& pass : b.graph_passes()) {
    g = b.run_graph_pass(pass, g);
    std::vector<Tensor> out;
    try {
      out = reference::evaluate_graph(g, c.inputs);
    } catch (const Error& e) {
      if (open_nan_rejection(e, c, &*env)) continue;
      return fail_with(Verdict::fail(fmt::format("after pass {}: the reference rejects the transformed graph "
                                                 "({}: {})", pass, error_kind_name(e.kind()), e.what())));
    }
    const Verdict v = judge_graph_outputs(*env, out);
    if (!v.ok) return fail_with(with_context(v, "after pass " + pass));
  }
  return {};
}

// --- PassesNeverChangeOutputShapes --------------------------------------------
CheckResult passes_keep_shapes(const Case& any, const Backend& b) {
  const GraphCase& c = graph_case(any);
  std::vector<Tensor> before;
  try {
    before = reference::evaluate_graph(c.graph, c.inputs);
  } catch (const Error&) {
    return discard();
  }
  Graph g = c.graph;
  for (const std::string& pass : b.graph_passes()) {
    g = b.run_graph_pass(pass, g);
    if (g.outputs.size() != before.size()) {
      return fail_with(Verdict::fail(fmt::format("pass {} changed the number of outputs from {} to {}", pass,
                                                 before.size(), g.outputs.size())));
    }
    std::vector<Tensor> after;
    try {
      after = reference::evaluate_graph(g, c.inputs);
    } catch (const Error& e) {
      if (open_nan_rejection(e, c)) return discard();
      return fail_with(Verdict::fail(fmt::format("after pass {}: {}", pass, e.what())));
    }
    for (size_t i = 0; i < before.size(); ++i) {
      if (after[i].shape() != before[i].shape() || after[i].dtype() != before[i].dtype()) {
        return fail_with(Verdict::fail(fmt::format("pass {} changed output {} from {} {} to {} {}", pass, i,
                                                   dtype_name(before[i].dtype()), before[i].shape().str(),
                                                   dtype_name(after[i].dtype()), after[i].shape().str())));
      }
    }
  }
  return {};
}

// --- ScalesStayValidAfterEveryPass ----------------------------------------------
// After every pass each QuantParams is valid for the tensor it quantizes
// (the reference evaluates every node), and no weight's scale gains blocks
// along the reduction: the number of per-group and blockwise weight layouts
// never grows (fuse-mul-into-linear may only turn per-tensor into
// per-channel; a [K] factor broadcast into a [K, 1] scale makes a [K, K]
// scale, which reads as per-group or is invalid).
// The layout class of every weight's scale, counted, and listed ("W [2, 2]:
// scale [2, 1] per_channel") so that a failure shows the shapes before and
// after the pass.
struct WeightLayouts {
  std::map<LayoutClass, int> count;
  std::vector<std::string> listed;
};

WeightLayouts weight_layouts(const Graph& g, const std::vector<Tensor>& values) {
  WeightLayouts out;
  const auto note = [&](const Tensor& w, const Shape& scale, LayoutClass k) {
    ++out.count[k];
    out.listed.push_back(fmt::format("W {}: scale {} {}", w.shape().str(), scale.str(), layout_class_name(k)));
  };
  for (int id = 0; id < int(g.nodes.size()); ++id) {
    const Node& n = g.node(id);
    if (n.kind == NodeKind::qlinear || n.kind == NodeKind::qconv2d) {
      const Tensor& w = values[size_t(n.input(1))];
      const Shape& s = n.params[1].scale.shape();
      note(w, s, BlockLayout::derive(w.shape(), s, n.params[1].block_size).classify());
    } else if ((n.kind == NodeKind::linear || n.kind == NodeKind::conv2d) &&
               g.node(n.input(1)).kind == NodeKind::dequantize) {
      const int dq = n.input(1);
      std::optional<int> legacy;
      const QuantParams p = reference::node_quant_params(g, dq, values, &legacy);
      const Tensor& w = values[size_t(dq)];
      note(w, p.scale.shape(),
           legacy ? LayoutClass::per_channel : BlockLayout::derive(w.shape(), p.scale.shape(), p.block_size).classify());
    }
  }
  return out;
}

CheckResult scales_stay_valid(const Case& any, const Backend& b) {
  const GraphCase& c = graph_case(any);
  std::vector<Tensor> values;
  try {
    values = reference::evaluate_graph_values(c.graph, c.inputs);
  } catch (const Error&) {
    return discard();
  }
  const auto before = weight_layouts(c.graph, values);
  Graph g = c.graph;
  for (const std::string& pass : b.graph_passes()) {
    g = b.run_graph_pass(pass, g);
    try {
      values = reference::evaluate_graph_values(g, c.inputs);
    } catch (const Error& e) {
      if (open_nan_rejection(e, c)) return discard();
      return fail_with(Verdict::fail(fmt::format("after pass {} a QuantParams is invalid: {}: {}", pass,
                                                 error_kind_name(e.kind()), e.what())));
    }
    const auto after = weight_layouts(g, values);
    for (LayoutClass k : {LayoutClass::per_group, LayoutClass::blockwise}) {
      const int was = before.count.count(k) ? before.count.at(k) : 0, now = after.count.count(k) ? after.count.at(k) : 0;
      if (now > was) {
        return fail_with(Verdict::fail(fmt::format(
            "after pass {} {} weight scale(s) are {} (before: {}): a scale gained blocks along the reduction\n"
            "  weight scales before: {}\n  weight scales after:  {}",
            pass, now, layout_class_name(k), was, fmt::join(before.listed, "; "), fmt::join(after.listed, "; "))));
      }
    }
  }
  return {};
}

// --- PassesAreIdempotent --------------------------------------------------------
CheckResult passes_idempotent(const Case& any, const Backend& b) {
  const GraphCase& c = graph_case(any);
  for (const std::string& pass : b.graph_passes()) {
    const Graph once = b.run_graph_pass(pass, c.graph);
    const Graph twice = b.run_graph_pass(pass, once);
    // Compared as written case files: every field of every node, nothing
    // to forget. The inputs are the same on both sides and not written.
    const std::string a = write_graph_case({once, {}}), t = write_graph_case({twice, {}});
    if (a != t) {
      return fail_with(Verdict::fail(fmt::format("pass {} is not idempotent: a second run changes the graph "
                                                 "({} nodes -> {} nodes)", pass, once.nodes.size(), twice.nodes.size())));
    }
  }
  return {};
}

// --- OptimizedGraphExecutionMatchesReference -------------------------------------
// The optimized executor on the original graph (error parity included) and
// on the optimized graph both lie in the original graph's envelope.
CheckResult optimized_execution(const Case& any, const Backend& b) {
  return CheckResult{check_graph(graph_case(any), b), false};
}

// --- LoweredExecutionMatchesReference ---------------------------------------------
// The integer-only executor running the lowered optimized graph lies in the
// original graph's envelope with the fixed-point slack. Graphs the lowering
// refuses (unsupported: float ops left, float-domain weights, ...) are
// outside the domain.
CheckResult lowered_execution(const Case& any, const Backend& b) {
  const GraphCase& c = graph_case(any);
  const auto env = envelope_or_discard(c, EnvelopeMode::lowered);
  if (!env) return discard();
  LoweredProgram program;
  try {
    program = b.lower_graph(b.optimize_graph(c.graph));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::unsupported) return discard();
    return fail_with(Verdict::fail(fmt::format("lowering a valid graph failed with {}: {}",
                                               error_kind_name(e.kind()), e.what())));
  }
  return CheckResult{with_context(judge_graph_outputs(*env, b.execute_lowered(program, c.inputs)),
                                  "executing the lowered program"),
                     false};
}

// --- CompactScaleRoundTrips ---------------------------------------------------------
// Every lowered weight's compact scale expands back to the fused node's
// full-rank scale: per-tensor [] -> the single value, per-channel [K] ->
// [K, 1], per-group [K, G] -> [K, G]; per-group compact scales are 2-D even
// when K == 1 or G == 1, per-channel ones 1-D even when K == 1. Lowered
// weights are matched to the optimized graph's qlinear/qconv2d nodes in
// order.
CheckResult compact_scales(const Case& any, const Backend& b) {
  const GraphCase& c = graph_case(any);
  Graph optimized;
  LoweredProgram program;
  try {
    reference::evaluate_graph(c.graph, c.inputs);
    optimized = b.optimize_graph(c.graph);
    program = b.lower_graph(optimized);
  } catch (const Error&) {
    return discard();
  }
  std::vector<const Node*> fused;
  for (const Node& n : optimized.nodes) {
    if (n.kind == NodeKind::qlinear || n.kind == NodeKind::qconv2d) fused.push_back(&n);
  }
  size_t next = 0;
  for (const LoweredOp& op : program.ops) {
    if (!op.weights) continue;
    if (next >= fused.size()) return fail_with(Verdict::fail("more lowered weights than fused nodes"));
    const Node& n = *fused[next++];
    const LoweredWeights& w = *op.weights;
    const Tensor& full = n.params[1].scale;
    const int64_t k = w.out_features;
    const Shape& cs = w.scale.shape();
    std::string problem;
    switch (w.granularity) {
      case WeightGranularity::per_tensor:
        if (cs.rank() != 0) problem = fmt::format("per-tensor compact scale has shape {}, expected []", cs.str());
        break;
      case WeightGranularity::per_channel:
        if (cs != Shape{k}) problem = fmt::format("per-channel compact scale has shape {}, expected [{}]", cs.str(), k);
        break;
      case WeightGranularity::per_group:
        if (cs.rank() != 2 || cs[0] != k) {
          problem = fmt::format("per-group compact scale has shape {}, expected [{}, G]", cs.str(), k);
        }
        break;
    }
    if (problem.empty()) {
      const int64_t per_k = k == 0 ? 0 : full.numel() / k;
      if (w.granularity != WeightGranularity::per_tensor && w.scale.numel() != full.numel()) {
        problem = fmt::format("compact scale has {} values, the node's scale {}", w.scale.numel(), full.numel());
      }
      for (int64_t i = 0; problem.empty() && i < full.numel(); ++i) {
        const float want = full.f32_at(i);
        const float got = w.granularity == WeightGranularity::per_tensor ? w.scale.f32_at(0) : w.scale.f32_at(i);
        if (f32_bits(want) != f32_bits(got)) {
          problem = fmt::format("compact scale value {} (row {}) is {}, the node's scale is {}", i,
                                per_k ? i / per_k : 0, got, want);
        }
      }
    }
    if (!problem.empty()) {
      return fail_with(Verdict::fail(fmt::format("lowered weights of node {} ({}): {}", next - 1,
                                                 node_kind_name(n.kind), problem)));
    }
  }
  return {};
}

}  // namespace

Property lowered_fixed_point_property();  // properties/lowered_fixed_point_property.cc
Property lowering_domain_property();      // properties/lowering_domain_property.cc

std::vector<Property> graph_properties() {
  return {
      {"FusionPreservesGraphOutputs", "graph", PropertyKind::pipeline,
       "each pass keeps the reference's outputs inside the original graph's envelope", draw_graph,
       fusion_preserves_outputs},
      {"OptimizedGraphExecutionMatchesReference", "graph", PropertyKind::pipeline,
       "the optimized executor (original and optimized graph) stays inside the envelope; error parity",
       draw_graph, optimized_execution},
      {"LoweredExecutionMatchesReference", "graph", PropertyKind::pipeline,
       "the integer-only executor stays inside the envelope with fixed-point slack", draw_graph,
       lowered_execution},
      {"ScalesStayValidAfterEveryPass", "graph", PropertyKind::invariant,
       "every QuantParams stays valid; weight scales never gain reduction blocks", draw_graph,
       scales_stay_valid},
      {"PassesNeverChangeOutputShapes", "graph", PropertyKind::invariant, "output shapes and dtypes survive every pass", draw_graph,
       passes_keep_shapes},
      {"CompactScaleRoundTrips", "graph", PropertyKind::round_trip,
       "lowered compact scales expand back to the fused node's scales, 2-D per-group always", draw_graph,
       compact_scales},
      {"PassesAreIdempotent", "graph", PropertyKind::invariant, "running a pass twice changes nothing the second time", draw_graph,
       passes_idempotent},
      lowered_fixed_point_property(),
      lowering_domain_property(),
  };
}

}  // namespace qdiff::props
