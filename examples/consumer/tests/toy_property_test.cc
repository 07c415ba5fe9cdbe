// RapidCheck, through qdiff's runner (<qdiff/properties/rc_runner.h>):
// the toy kernel against qdiff's reference, with this project's property
// (tests/toy_property.h) and with qdiff's own differential property. A
// failure prints the shrunk counterexample, the oracle's verdict and the
// case file that replays it.
//
// Environment: TOYQ_CASES (default 1000), TOYQ_SEED (default 1).
#include <cstdlib>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <qdiff/cases/case.h>
#include <qdiff/properties/rc_runner.h>

#include "tests/toy_backend.h"
#include "tests/toy_property.h"

namespace toyq {
namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

TEST(ToyQuantize, MatchesQdiffReference) {
  const auto backend = make_toy_backend();
  qdiff::props::RcConfig rc;
  rc.seed = uint64_t(env_int("TOYQ_SEED", 1));
  rc.cases = env_int("TOYQ_CASES", 1000);
  const qdiff::props::RcReport r = qdiff::props::run_rapidcheck(toy_quantize_property(), *backend, rc);
  fmt::print("{}: seed {}, {} cases, {} discarded, layouts {}\n", r.property, r.seed, r.cases,
             r.discarded, r.coverage.line("layout"));

  ASSERT_FALSE(r.gave_up) << "too many discarded cases: " << r.rapidcheck_message;
  ASSERT_FALSE(r.failed) << r.property << " failed (seed " << r.seed << ")\n"
                         << (r.failure ? r.failure->describe() : r.rapidcheck_message) << "\n"
                         << "counterexample:\n"
                         << (r.counterexample ? qdiff::write_case_file({*r.counterexample, r.property})
                                              : std::string("(none)"));
  // Every case was judged, and both layouts were drawn (a vacuous run must
  // not pass).
  EXPECT_GE(r.cases, rc.cases);
  EXPECT_GE(r.coverage.distinct("layout"), 2);
}


// qdiff's own differential property, unchanged, against the toy kernel: it
// draws every quantize case (all layouts, contracts, domains and invalid
// inputs for error parity), so most are declined and discarded (about 87 %
// at seed 1); hence the higher discard ratio.
TEST(ToyQuantize, QdiffDifferentialProperty) {
  const auto backend = make_toy_backend();
  const qdiff::props::Property* p = qdiff::props::find_property("QuantizeOptimizedMatchesReference");
  ASSERT_NE(p, nullptr);
  qdiff::props::RcConfig rc;
  rc.cases = env_int("TOYQ_CASES", 1000);
  rc.max_discard_ratio = 50;
  const qdiff::props::RcReport r = qdiff::props::run_rapidcheck(*p, *backend, rc);
  fmt::print("{}: seed {}, {} cases, {} discarded, gave up {}\n", r.property, r.seed, r.cases,
             r.discarded, r.gave_up);
  ASSERT_FALSE(r.gave_up) << "too many discarded cases: " << r.rapidcheck_message;
  ASSERT_FALSE(r.failed) << (r.failure ? r.failure->describe() : r.rapidcheck_message);
  EXPECT_GE(r.cases, rc.cases);
}

}  // namespace
}  // namespace toyq
