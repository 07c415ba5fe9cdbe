// The harness proves it works: each realistic fault injected into impl/
// (impl/fault_points.h) must be found by the property suite within 1,000
// cases of some property, with a small shrunk counterexample.
//
// "Small" is derived from what each fault needs to show: one element for
// the value faults (a single x with the wrong q); a row of one element
// for the SIMD tail (the vector loop writes nothing for n < W); two
// channels for the axis fault; one non-divisible dim for the block-size
// faults. 64 elements is a generous ceiling for all of them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "impl/options.h"
#include "properties/property.h"
#include "properties/rc_runner.h"

namespace qdiff::props {
namespace {

constexpr int kCaseBudget = 1000;
constexpr int64_t kSmallCase = 64;

class FaultIsFound : public ::testing::TestWithParam<impl::FaultPoint> {};

TEST_P(FaultIsFound, WithinBudgetAndShrunk) {
  impl::ImplOptions options;
  options.threads = 1;
  options.faults = options.faults.with(GetParam());
  const auto backend = make_optimized_backend(options);
  for (const Property& p : all_properties()) {
    RcConfig config;
    config.seed = 1;
    config.cases = kCaseBudget;
    const RcReport r = run_rapidcheck(p, *backend, config);
    if (!r.failed) continue;
    ASSERT_TRUE(r.counterexample.has_value()) << r.rapidcheck_message;
    fmt::print("{} found by {} after {} cases ({} shrink + {} reduction steps)\n  {}\n  {}\n",
               impl::fault_point_name(GetParam()), p.name, r.cases, r.shrinks, r.reductions,
               case_summary(*r.counterexample), r.failure ? r.failure->headline : "");
    EXPECT_LE(r.cases, kCaseBudget);
    EXPECT_LE(std::get<AffineCase>(*r.counterexample).input.numel(), kSmallCase)
        << "shrunk counterexample is not small: " << case_summary(*r.counterexample);
    return;
  }
  FAIL() << "no property found fault " << impl::fault_point_name(GetParam()) << " within "
         << kCaseBudget << " cases";
}

std::vector<impl::FaultPoint> affine_faults() {
  std::vector<impl::FaultPoint> out;
  for (int f = 0; f < int(impl::FaultPoint::kCount); ++f) out.push_back(impl::FaultPoint(f));
  return out;
}

INSTANTIATE_TEST_SUITE_P(Affine, FaultIsFound, ::testing::ValuesIn(affine_faults()),
                         [](const ::testing::TestParamInfo<impl::FaultPoint>& info) {
                           return std::string(impl::fault_point_name(info.param));
                         });

}  // namespace
}  // namespace qdiff::props
