// Expected fusion sites (cases/fusion_site.h) and the pass-firing
// properties (properties/pass_firing_properties.cc): the generator's
// record agrees with the rules re-derived on the built graph; the judge
// finds a site left unfused and a forbidden fold, by structure; the
// reducer drops a site whose nodes are gone and re-derives the firing of
// one whose nodes changed; case files keep the sites.
#include <map>

#include <gtest/gtest.h>

#include "cases/case.h"
#include "impl/options.h"
#include "adapters/optimized_backend.h"
#include "oracle/backend_interface.h"
#include "properties/fusion_legality.h"
#include "properties/fusion_site_match.h"
#include "properties/graph_generators.h"
#include "properties/property.h"
#include "properties/reduce_graph.h"
#include "properties/source.h"
#include "reference/graph_eval.h"

namespace qdiff::props {
namespace {

QuantSpec i8_spec() {
  QuantSpec s;
  s.dtype = DType::i8;
  s.quant_min = -128;
  s.quant_max = 127;
  return s;
}

Tensor scalar(float v) { return Tensor::of<float>(Shape{}, {v}); }

// x [2, 3] -> q/dq -> linear(dq(W [2, 3]), bias?) -> mul by c (either order) -> quantize.
// Sites: the mul (nodes mul, linear, W, c) and the chain (quantize, linear, W).
GraphCase mul_chain(const Tensor& c, bool constant_first, bool bias) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2, 3});
  const int s = b.constant(scalar(0.5f));
  const int xd = b.dequantize(b.quantize(x, s, std::nullopt, i8_spec()), s, std::nullopt, i8_spec());
  const int w = b.constant(Tensor::of<int8_t>({2, 3}, {1, 2, 3, -1, 0, 2}), "W");
  const int wd = b.dequantize(w, b.constant(Tensor::of<float>({2, 1}, {0.25f, 0.5f})), std::nullopt, i8_spec());
  const std::optional<int> bias_id = bias ? std::optional<int>(b.constant(Tensor::of<float>({2}, {1, -1}))) : std::nullopt;
  const int lin = b.linear(xd, wd, bias_id);
  const int cid = b.constant(c, "c");
  const int mul = constant_first ? b.mul(cid, lin) : b.mul(lin, cid);
  const int q = b.quantize(mul, b.constant(scalar(0.5f)), std::nullopt, i8_spec());
  b.output(q);
  GraphCase gc{b.build(), {Tensor::of<float>({2, 3}, {1, -2, 0.5f, 3, 1, -1})}};
  gc.expected_fusions = {{FusionKind::mul_into_linear, Firing::may, {mul, lin, w, cid}},
                         {FusionKind::quantized_linear, Firing::may, {q, lin, w}}};
  const std::vector<Tensor> values = reference::evaluate_graph_values(gc.graph, gc.inputs);
  const std::vector<int> uses = gc.graph.use_counts();
  for (FusionSite& site : gc.expected_fusions) {
    site.firing = *site_firing(gc.graph, [&](int id) { return std::optional<Shape>(values[size_t(id)].shape()); },
                               uses, site);
  }
  return gc;
}

CheckResult run(const char* property, const GraphCase& c, impl::FaultSet faults = {}) {
  impl::ImplOptions o;
  o.threads = 1;
  o.faults = faults;
  return check_property(*find_property(property), Case{c}, *make_optimized_backend(o));
}

TEST(FusionSites, RulesGiveMustForAChannelFactorAndMustNotForABatchOne) {
  const GraphCase good = mul_chain(Tensor::of<float>({2}, {2, 4}), true, true);
  EXPECT_EQ(good.expected_fusions[0].firing, Firing::must);
  EXPECT_EQ(good.expected_fusions[1].firing, Firing::must);
  // [K, 1] against an [N, K] output with N == K == 2 varies along the batch.
  const GraphCase batch = mul_chain(Tensor::of<float>({2, 1}, {2, 4}), false, false);
  EXPECT_EQ(batch.expected_fusions[0].firing, Firing::must_not);
  EXPECT_EQ(batch.expected_fusions[1].firing, Firing::may);
  // A negative factor cannot fold (it would need a negative scale).
  EXPECT_EQ(mul_chain(Tensor::of<float>({2}, {2, -1}), false, false).expected_fusions[0].firing, Firing::must_not);
}

TEST(FusionSites, LegalFusionsAreAppliedFindsMulOfConstantAndLinearLeft) {
  const GraphCase c = mul_chain(Tensor::of<float>({2}, {2, 4}), true, false);
  EXPECT_FALSE(run("LegalFusionsAreApplied", c).failed());
  const CheckResult bad = run("LegalFusionsAreApplied", c, impl::FaultSet(impl::FaultPoint::fold_linear_first_only));
  ASSERT_TRUE(bad.failed());
  // Both the fold and the chain behind it are left; the message names the nodes.
  EXPECT_NE(bad.verdict.headline.find("2 legal fusion site(s) left unfused"), std::string::npos) << bad.verdict.headline;
  EXPECT_NE(bad.verdict.headline.find("fuse_mul_into_linear must fire: mul = node 9 (mul)"), std::string::npos)
      << bad.verdict.headline;
  EXPECT_NE(bad.verdict.headline.find("(mul(c, linear))"), std::string::npos) << bad.verdict.headline;
  // mul(linear, c) still folds with that fault.
  EXPECT_FALSE(run("LegalFusionsAreApplied", mul_chain(Tensor::of<float>({2}, {2, 4}), false, false),
                   impl::FaultSet(impl::FaultPoint::fold_linear_first_only))
                   .failed());
}

TEST(FusionSites, LegalFusionsAreAppliedFindsALinearWithABiasLeft) {
  const impl::FaultSet fault(impl::FaultPoint::fused_bias_wrong_input);
  const GraphCase with_bias = mul_chain(Tensor::of<float>({2}, {2, 4}), false, true);
  EXPECT_FALSE(run("LegalFusionsAreApplied", with_bias).failed());
  const CheckResult bad = run("LegalFusionsAreApplied", with_bias, fault);
  ASSERT_TRUE(bad.failed());
  EXPECT_NE(bad.verdict.headline.find("fuse_quantized_ops must fire"), std::string::npos) << bad.verdict.headline;
  EXPECT_FALSE(run("LegalFusionsAreApplied", mul_chain(Tensor::of<float>({2}, {2, 4}), false, false), fault).failed());
}

// x [1, 1, 2, 2] -> q/dq -> conv2d(dq(W [1, 1, 1, 1]), bias [1]) -> quantize.
GraphCase conv_chain() {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {1, 1, 2, 2});
  const int s = b.constant(scalar(0.5f));
  const int xd = b.dequantize(b.quantize(x, s, std::nullopt, i8_spec()), s, std::nullopt, i8_spec());
  const int w = b.constant(Tensor::of<int8_t>({1, 1, 1, 1}, {3}), "W");
  const int wd = b.dequantize(w, b.constant(scalar(0.25f)), std::nullopt, i8_spec());
  const int conv = b.conv2d(xd, wd, b.constant(Tensor::of<float>({1}, {0.5f})), Conv2dAttrs{});
  const int q = b.quantize(conv, b.constant(scalar(0.5f)), std::nullopt, i8_spec());
  b.output(q);
  GraphCase gc{b.build(), {Tensor::of<float>({1, 1, 2, 2}, {1, -2, 0.5f, 3})}};
  gc.expected_fusions = {{FusionKind::quantized_conv2d, Firing::may, {q, conv, w}}};
  const std::vector<Tensor> values = reference::evaluate_graph_values(gc.graph, gc.inputs);
  gc.expected_fusions[0].firing =
      *site_firing(gc.graph, [&](int id) { return std::optional<Shape>(values[size_t(id)].shape()); },
                   gc.graph.use_counts(), gc.expected_fusions[0]);
  return gc;
}

TEST(FusionSites, LegalFusionsAreAppliedFindsAConvWithABiasLeft) {
  const GraphCase c = conv_chain();
  ASSERT_EQ(c.expected_fusions[0].firing, Firing::must);
  EXPECT_FALSE(run("LegalFusionsAreApplied", c).failed());
  const CheckResult bad = run("LegalFusionsAreApplied", c, impl::FaultSet(impl::FaultPoint::fused_bias_wrong_input));
  ASSERT_TRUE(bad.failed());
  EXPECT_NE(bad.verdict.headline.find("fuse_quantized_ops must fire: quantize = node 10 (quantize), conv2d = node 8"),
            std::string::npos)
      << bad.verdict.headline;
}

TEST(FusionSites, IllegalFusionsAreNotAppliedFindsABatchConstantFolded) {
  const GraphCase c = mul_chain(Tensor::of<float>({2, 1}, {2, 4}), false, false);
  const CheckResult good = run("IllegalFusionsAreNotApplied", c);
  EXPECT_FALSE(good.discarded);
  EXPECT_FALSE(good.failed()) << good.verdict.describe();
  const CheckResult bad = run("IllegalFusionsAreNotApplied", c, impl::FaultSet(impl::FaultPoint::fold_non_foldable_mul));
  ASSERT_TRUE(bad.failed());
  EXPECT_NE(bad.verdict.headline.find("fuse_mul_into_linear must not fire"), std::string::npos) << bad.verdict.headline;
}

TEST(FusionSites, WithoutASiteOfItsKindTheCaseIsDiscarded) {
  GraphCase c = mul_chain(Tensor::of<float>({2}, {2, 4}), false, false);
  EXPECT_TRUE(run("IllegalFusionsAreNotApplied", c).discarded);  // only must sites
  c.expected_fusions.clear();
  EXPECT_TRUE(run("LegalFusionsAreApplied", c).discarded);
}

// Shrinking the weight's K from 2 to 1 turns the [K, 1] batch constant
// into a [1, 1] one, which folds: the reducer re-derives must_not -> must.
// A site whose mul is bypassed is gone (its nodes no longer form the pattern).
TEST(FusionSites, TheReducerReDerivesOrDropsSites) {
  const GraphCase c = mul_chain(Tensor::of<float>({2, 1}, {2, 4}), false, false);
  ReduceStats stats;
  // "Still fails" = some mul site is must: reachable only by cutting the size 2.
  const auto has_must_mul = [](const GraphCase& g) {
    for (const FusionSite& s : g.expected_fusions) {
      if (s.kind == FusionKind::mul_into_linear && s.firing == Firing::must) return true;
    }
    return false;
  };
  const GraphCase reduced = reduce_graph_case(c, has_must_mul, stats, 200);
  EXPECT_TRUE(has_must_mul(reduced)) << write_graph_case(reduced);
  // Prune renumbers ids and sites follow: every site's nodes still form its pattern.
  for (const FusionSite& s : reduced.expected_fusions) {
    const std::vector<Tensor> values = reference::evaluate_graph_values(reduced.graph, reduced.inputs);
    EXPECT_EQ(site_firing(reduced.graph, [&](int id) { return std::optional<Shape>(values[size_t(id)].shape()); },
                          reduced.graph.use_counts(), s),
              s.firing);
  }
  // Rerouting the output to the linear prunes the mul and quantize: both sites go.
  GraphCase cut = c;
  cut.graph.outputs = {c.expected_fusions[0].nodes[1]};
  EXPECT_TRUE(prune_graph_case(cut).expected_fusions.empty());
}

TEST(FusionSites, CaseFilesKeepTheSites) {
  const GraphCase c = mul_chain(Tensor::of<float>({2}, {2, 4}), true, true);
  const CaseFile back = parse_case_file(write_case_file(CaseFile{Case{c}, "LegalFusionsAreApplied"}));
  EXPECT_EQ(std::get<GraphCase>(back.c).expected_fusions, c.expected_fusions);
  std::string text = write_case_file(CaseFile{Case{c}, ""});
  const std::string ids = "\"nodes\": [10, 8, 4, 9]";
  ASSERT_NE(text.find(ids), std::string::npos) << text;
  text.replace(text.find(ids), ids.size(), "\"nodes\": [10, 8, 99, 9]");
  try {
    (void)parse_case_file(text);
    FAIL() << "an out-of-range node id was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::malformed_case);
    EXPECT_NE(std::string(e.what()).find("expected_fusions[0].nodes[2]"), std::string::npos) << e.what();
  }
}

// The generator's record equals the rules re-derived with the reference's
// shapes, and the draws hold every kind of site with each firing the
// properties judge (else they could not fail).
TEST(FusionSites, GeneratedSitesAgreeWithTheRulesAndCoverEveryJudgedFiring) {
  std::map<std::pair<FusionKind, Firing>, int> seen;
  int judged_graphs = 0;
  for (uint64_t seed = 1; seed <= 1500; ++seed) {
    PrngSource src(seed);
    const GraphCase c = draw_graph_case(src);
    std::vector<Tensor> values;
    try {
      values = reference::evaluate_graph_values(c.graph, c.inputs);
    } catch (const Error&) {
      continue;
    }
    ++judged_graphs;
    const std::vector<int> uses = c.graph.use_counts();
    for (const FusionSite& s : c.expected_fusions) {
      ++seen[{s.kind, s.firing}];
      EXPECT_EQ(site_firing(c.graph, [&](int id) { return std::optional<Shape>(values[size_t(id)].shape()); }, uses, s),
                s.firing)
          << "seed " << seed << ": " << describe_site(c.graph, s);
    }
  }
  EXPECT_GT(judged_graphs, 750);
  EXPECT_GT((seen[{FusionKind::quantized_elementwise, Firing::must}]), 10);
  for (FusionKind k : kAllFusionKinds) EXPECT_GT((seen[{k, Firing::must}]), 10) << fusion_kind_name(k);
  EXPECT_GT((seen[{FusionKind::mul_into_linear, Firing::must_not}]), 10);
  EXPECT_GT((seen[{FusionKind::absorption, Firing::must_not}]), 5);
}

// The matcher sees every pattern where the generator put it: judged
// against the graph before any pass, every must site is "left unfused" and
// no must_not site is "fused".
TEST(FusionSites, TheUnoptimizedGraphLeavesEveryMustSite) {
  int must_sites = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    PrngSource src(seed);
    const GraphCase c = draw_graph_case(src);
    const FiringVerdict v = judge_fusion_sites(c.graph, c.graph, c.expected_fusions);
    int must = 0;
    for (const FusionSite& s : c.expected_fusions) must += s.firing == Firing::must;
    EXPECT_EQ(int(v.left_unfused.size()), must) << "seed " << seed;
    EXPECT_TRUE(v.wrongly_fused.empty()) << "seed " << seed;
    must_sites += must;
  }
  EXPECT_GT(must_sites, 100);
}

}  // namespace
}  // namespace qdiff::props
