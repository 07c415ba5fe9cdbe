// The harness proves it works: each realistic fault injected into impl/
// (impl/fault_points.h) must be found by the property suite within a case
// budget (1,000 for the quant core, 2,000 for the fused operators and
// graphs, as the issues ask), with a small shrunk counterexample.
//
// "Small" is derived from what each fault needs to show: one element for
// the value faults (a single x with the wrong q); a single element for the
// SIMD tail (the vector loop writes nothing for n < W); two channels for
// the axis and outer-product faults; one non-divisible dim for the
// block-size faults. 64 elements per operand is a generous ceiling; the
// [K, K] outer product must shrink to exactly K = 2 (K = 1 cannot show it).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "impl/options.h"
#include "properties/property.h"
#include "properties/rc_runner.h"

namespace qdiff::props {
namespace {

constexpr int64_t kSmallOperand = 64;

int budget(impl::FaultPoint f) {
  return f < impl::FaultPoint::missing_zero_point_correction ? 1000 : 2000;
}

// The largest operand of a case, in elements.
int64_t largest_operand(const Case& c) {
  if (const auto* a = std::get_if<AffineCase>(&c)) return a->input.numel();
  if (const auto* q = std::get_if<QLinearCase>(&c)) return std::max(q->args.x.numel(), q->args.w.numel());
  if (const auto* v = std::get_if<QConv2dCase>(&c)) return std::max(v->args.x.numel(), v->args.w.numel());
  if (const auto* e = std::get_if<QElementwiseCase>(&c)) return std::max(e->args.a.numel(), e->args.b.numel());
  return 0;
}

class FaultIsFound : public ::testing::TestWithParam<impl::FaultPoint> {};

TEST_P(FaultIsFound, WithinBudgetAndShrunk) {
  impl::ImplOptions options;
  options.threads = 1;
  options.faults = options.faults.with(GetParam());
  const auto backend = make_optimized_backend(options);
  for (const Property& p : all_properties()) {
    RcConfig config;
    config.seed = 1;
    config.cases = budget(GetParam());
    const RcReport r = run_rapidcheck(p, *backend, config);
    if (!r.failed) continue;
    ASSERT_TRUE(r.counterexample.has_value()) << r.rapidcheck_message;
    fmt::print("{} found by {} after {} cases ({} shrink + {} reduction steps)\n  {}\n  {}\n",
               impl::fault_point_name(GetParam()), p.name, r.cases, r.shrinks, r.reductions,
               case_summary(*r.counterexample), r.failure ? r.failure->headline : "");
    EXPECT_LE(largest_operand(*r.counterexample), kSmallOperand)
        << "shrunk counterexample is not small: " << case_summary(*r.counterexample);
    if (GetParam() == impl::FaultPoint::requant_scale_outer_product) {
      const auto* q = std::get_if<QLinearCase>(&*r.counterexample);
      ASSERT_NE(q, nullptr);
      EXPECT_EQ(q->args.w.shape()[0], 2) << "the [K, K] outer product must shrink to K = 2";
    }
    return;
  }
  FAIL() << "no property found fault " << impl::fault_point_name(GetParam()) << " within "
         << budget(GetParam()) << " cases";
}

// The graph fault points join once the graph properties exist (issue 4).
std::vector<impl::FaultPoint> all_faults() {
  std::vector<impl::FaultPoint> out;
  for (int f = 0; f < int(impl::kFirstGraphFaultPoint); ++f) out.push_back(impl::FaultPoint(f));
  return out;
}

INSTANTIATE_TEST_SUITE_P(Impl, FaultIsFound, ::testing::ValuesIn(all_faults()),
                         [](const ::testing::TestParamInfo<impl::FaultPoint>& info) {
                           return std::string(impl::fault_point_name(info.param));
                         });

}  // namespace
}  // namespace qdiff::props
