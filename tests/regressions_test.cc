// Regression tests: cases qdiff found, pinned. `qdiff explain FILE` prints
// a test in exactly this form; paste it at the end of this file. Each case
// runs against the optimized implementation at every supported ISA with
// the property it failed (or the op's oracle).
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "cases/case.h"
#include "impl/options.h"
#include "adapters/optimized_backend.h"
#include "oracle/backend_interface.h"
#include "properties/property.h"
#include "tests/test_util.h"

namespace {

std::vector<std::unique_ptr<qdiff::Backend>> OptimizedBackendsForEveryIsa() {
  std::vector<std::unique_ptr<qdiff::Backend>> out;
  for (qdiff::impl::Isa isa : qdiff::test_util::supported_isas()) {
    qdiff::impl::ImplOptions options;
    options.isa = isa;
    out.push_back(qdiff::make_optimized_backend(options));
  }
  return out;
}

// Float domain: s * mid overflows, so min_val = inf and x - min_val is
// inf - inf = NaN for x = +inf; the result must saturate by the sign of x
// (docs/validation-order.md, Decisions). The optimized kernels mapped the
// NaN to quant_min for both signs; found by QuantizeOptimizedMatchesReference.
TEST(QdiffRegression, QuantizeAffine_FloatDomainInfMeetsOverflowedMinVal) {
  const qdiff::CaseFile f = qdiff::parse_case_file(R"json({
  "format": "qdiff-case",
  "version": 1,
  "op": "quantize_affine",
  "contract": "torchao",
  "input": {"dtype": "f32", "shape": [2], "data": ["inf", "-inf"]},
  "scale": {"dtype": "f32", "shape": [1], "data": [3.4028235e+38]},
  "dtype": "i8",
  "quant_min": -128,
  "quant_max": -127,
  "zero_point_domain": "float"
})json");
  for (const auto& optimized : OptimizedBackendsForEveryIsa()) {
    const qdiff::props::CheckResult r = qdiff::props::check_case_file(f, *optimized);
    EXPECT_FALSE(r.failed()) << optimized->name() << ": " << r.verdict.describe();
  }
}

}  // namespace
