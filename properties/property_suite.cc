// The RapidCheck property suite under GoogleTest: every property of the
// quant core against the optimized implementation at every supported ISA.
// Each test prints its seed, the command that replays it, and coverage
// tables of what it generated; a failure prints the shrunk counterexample
// and saves it as a case file.
//
// Environment: QDIFF_CASES (default 200 per property and ISA),
// QDIFF_SEED (default 1), QDIFF_FINDINGS_DIR (default ./qdiff-findings).
#include <cstdlib>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "adapters/optimized_backend.h"
#include "cases/durable_file.h"
#include "cases/finding_file.h"
#include "cases/case.h"
#include "impl/options.h"
#include "properties/property.h"
#include "properties/rc_runner.h"

namespace qdiff::props {
namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

// The finding's case file (cases/finding_file.h: named by content, so
// the ISA and thread rows of one property never overwrite each other), or
// the case in full when it cannot be saved.
std::string save_counterexample(const CaseFile& finding) {
  const char* dir = std::getenv("QDIFF_FINDINGS_DIR");
  try {
    const std::string saved = save_finding(dir ? dir : "qdiff-findings", finding);
    return "\nsaved: " + saved + "\nexplain: qdiff explain " + saved;
  } catch (const WriteError& e) {
    return std::string("\nNOT SAVED: ") + e.what() + "\nthe case file in full:\n" + write_case_file(finding);
  }
}

struct SuiteParam {
  std::string property;
  impl::Isa isa;
  int threads = 1;
};

std::vector<SuiteParam> all_params() {
  std::vector<SuiteParam> out;
  for (const auto& p : all_properties()) {
    for (impl::Isa isa : impl::kAllIsas) {
      if (impl::isa_supported(isa)) out.push_back({p.name, isa});
    }
  }
  return out;
}

// The production configuration: every property once more at the widest
// ISA with 3 threads (an odd count, so row and panel splits are uneven), a
// parallel threshold of 1 element so that even the generators' small cases
// are split, qlinear through prepacked weights and quantize / dequantize
// into preallocated outputs. Bit-exactness against
// the reference is the "results identical to single-threaded" check.
std::vector<SuiteParam> threaded_params() {
  std::vector<SuiteParam> out;
  for (const auto& p : all_properties()) out.push_back({p.name, impl::best_isa(), 3});
  return out;
}

class PropertySuite : public ::testing::TestWithParam<SuiteParam> {};

TEST_P(PropertySuite, Holds) {
  const Property* p = find_property(GetParam().property);
  ASSERT_NE(p, nullptr);
  impl::ImplOptions options;
  options.isa = GetParam().isa;
  options.threads = GetParam().threads;
  if (options.threads > 1) options.parallel_threshold = 1;
  OptimizedBackendConfig config;
  config.prepack_qlinear_weights = GetParam().threads > 1;
  config.preallocated_outputs = GetParam().threads > 1;
  const auto backend = make_optimized_backend(options, config);
  RcConfig rc;
  rc.seed = uint64_t(env_int("QDIFF_SEED", 1));
  rc.cases = env_int("QDIFF_CASES", 200);
  const RcReport r = run_rapidcheck(*p, *backend, rc);

  fmt::print("{} against {}: seed {}, {} cases, {} discarded, {:.2f} s\n", p->name, backend->name(),
             r.seed, r.cases, r.discarded, r.seconds);
  fmt::print("  replay: QDIFF_SEED={} QDIFF_CASES={} {} --gtest_filter='*{}*'\n", r.seed, rc.cases,
             ::testing::internal::GetArgvs().front(), p->name);
  for (const char* dim : {"layout", "rank", "dtype", "contract", "bias_grid", "output_zero_point", "domain",
                          "mapping"}) {
    if (r.coverage.distinct(dim)) fmt::print("  {:<9} {}\n", dim, r.coverage.line(dim));
  }
  EXPECT_FALSE(r.gave_up) << "too many discarded cases: " << r.rapidcheck_message;
  if (r.failed) {
    ADD_FAILURE() << (r.failure ? r.failure->describe() : r.rapidcheck_message)
                  << "\nshrunk case: " << (r.counterexample ? case_summary(*r.counterexample) : "?")
                  << (r.counterexample ? save_counterexample({*r.counterexample, p->name}) : "");
  }
}

INSTANTIATE_TEST_SUITE_P(Affine, PropertySuite, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<SuiteParam>& info) {
                           return info.param.property + "_" + std::string(impl::isa_name(info.param.isa));
                         });

INSTANTIATE_TEST_SUITE_P(Threaded, PropertySuite, ::testing::ValuesIn(threaded_params()),
                         [](const ::testing::TestParamInfo<SuiteParam>& info) {
                           return fmt::format("{}_{}_threads{}", info.param.property,
                                              impl::isa_name(info.param.isa), info.param.threads);
                         });

}  // namespace
}  // namespace qdiff::props
