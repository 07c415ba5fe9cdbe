// Pass-firing properties (issue 16, "Passes fire where they may"). A pass
// that silently stops firing keeps every output correct, so the output
// properties (properties/graph_properties.cc) cannot see it; these judge
// the backend's whole pipeline (Backend::optimize_graph) against the fusion
// sites the generator recorded by construction (GraphCase::expected_fusions,
// cases/fusion_site.h), by the optimized graph's structure alone
// (properties/fusion_site_match.h), so they hold for any backend's passes:
// - LegalFusionsAreApplied: no site SPEC section 8 allows is left unfused;
// - IllegalFusionsAreNotApplied: no site it forbids is fused (the
//   fold_non_foldable_mul class; the output properties catch it by value
//   where the values tell, this says it directly).
// Graphs the reference rejects are outside the domain, as are graphs
// without a site of the kind judged. A backend is held only to the passes
// its pipeline has (Backend::graph_passes): a site whose pass it lacks is
// `may` (a pipeline without fuse-quantized-ops fuses no chain), while a
// must_not site stays must_not (no pass may fire there).
#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "cases/graph_case.h"
#include "core/error.h"
#include "properties/fusion_site_match.h"
#include "properties/graph_generators.h"
#include "properties/property.h"
#include "reference/graph_eval.h"

namespace qdiff::props {
namespace {

bool has_site(const std::vector<FusionSite>& sites, Firing f) {
  for (const FusionSite& s : sites) {
    if (s.firing == f) return true;
  }
  return false;
}

// "fuse-mul-into-linear" and "fuse_mul_into_linear" name the same pass.
std::string pass_key(std::string_view name) {
  std::string k(name);
  for (char& ch : k) {
    if (ch == '-') ch = '_';
  }
  return k;
}

// The case's sites, with `must` relaxed to `may` for a pass the backend lacks.
std::vector<FusionSite> sites_for(const GraphCase& c, const Backend& b) {
  std::vector<std::string> passes;
  for (const std::string& p : b.graph_passes()) passes.push_back(pass_key(p));
  std::vector<FusionSite> out = c.expected_fusions;
  for (FusionSite& s : out) {
    const bool runs = std::find(passes.begin(), passes.end(), pass_key(fusion_pass_name(s.kind))) != passes.end();
    if (s.firing == Firing::must && !runs) s.firing = Firing::may;
  }
  return out;
}

std::string site_list(const Graph& original, const std::vector<FusionSite>& sites) {
  std::string out;
  for (const FusionSite& s : sites) out += "\n  " + describe_site(original, s);
  return out;
}

// The optimized graph's verdict on the case's sites, or a CheckResult that
// ends the check (discarded, or a pipeline that failed on a valid graph).
CheckResult judge_firing(const Case& any, const Backend& b, Firing judged) {
  const GraphCase& c = std::get<GraphCase>(any);
  const std::vector<FusionSite> sites = sites_for(c, b);
  if (!has_site(sites, judged)) return CheckResult{{}, true};
  try {
    (void)reference::evaluate_graph(c.graph, c.inputs);
  } catch (const Error&) {
    return CheckResult{{}, true};
  }
  Graph optimized;
  try {
    optimized = b.optimize_graph(c.graph);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::unsupported) return CheckResult{{}, true};
    return CheckResult{Verdict::fail(fmt::format("the pass pipeline rejected a valid graph: {}: {}",
                                                 error_kind_name(e.kind()), e.what())),
                       false};
  }
  const FiringVerdict v = judge_fusion_sites(optimized, c.graph, sites);
  const std::vector<FusionSite>& wrong = judged == Firing::must ? v.left_unfused : v.wrongly_fused;
  if (wrong.empty()) return {};
  const std::string what = judged == Firing::must ? "legal fusion site(s) left unfused" : "illegal fusion site(s) fused";
  return CheckResult{Verdict::fail(fmt::format("{} {} after the pass pipeline ({} nodes -> {}):{}", wrong.size(), what,
                                               c.graph.nodes.size(), optimized.nodes.size(),
                                               site_list(c.graph, wrong))),
                     false};
}

Case draw_graph(Source& src) { return draw_graph_case(src); }

}  // namespace

std::vector<Property> pass_firing_properties() {
  return {
      {"LegalFusionsAreApplied", "graph", PropertyKind::invariant,
       "after the pass pipeline no fold, fusion or absorption SPEC section 8 allows is left undone", draw_graph,
       [](const Case& c, const Backend& b) { return judge_firing(c, b, Firing::must); }},
      {"IllegalFusionsAreNotApplied", "graph", PropertyKind::invariant,
       "the pass pipeline never folds a mul or absorbs a quantize SPEC section 8 forbids", draw_graph,
       [](const Case& c, const Backend& b) { return judge_firing(c, b, Firing::must_not); }},
  };
}

}  // namespace qdiff::props
