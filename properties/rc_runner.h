// Runs a Property under RapidCheck with an explicit seed and case count,
// collects coverage of the generated (not shrunk) cases, and on failure
// returns the shrunk counterexample as a case, ready to be saved.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "oracle/backend_interface.h"
#include "oracle/verdict.h"
#include "properties/coverage.h"
#include "properties/property.h"

namespace qdiff::props {

struct RcConfig {
  uint64_t seed = 1;
  int cases = 300;
  bool shrink = true;
  bool reduce = true;  // structural reduction after shrinking (properties/reduce.h)
  // Discarded cases allowed per judged case before RapidCheck gives up;
  // plug-in backends decline most cases outside what they cover.
  int max_discard_ratio = 10;
  // Called after each generated case (not during shrinking) with the count.
  std::function<void(int)> on_case;
  // Asked after each case: true ends the run there (`qdiff check` on
  // SIGINT/SIGTERM), as `stopped`. A failure found is still shrunk (each
  // shrink step is then declined, so that ends at once) and reported.
  std::function<bool()> stop;
};

struct RcReport {
  std::string property;
  uint64_t seed = 0;
  int cases = 0;          // cases that ran to completion (incl. the failing one)
  int discarded = 0;
  bool failed = false;
  bool gave_up = false;   // too many discards
  bool stopped = false;   // RcConfig::stop ended the run before its budget
  int shrinks = 0;        // accepted shrink steps
  int reductions = 0;     // accepted structural reduction steps
  double seconds = 0;
  Coverage coverage;
  std::optional<Verdict> failure;          // verdict of the shrunk case
  std::optional<Case> counterexample;
  std::string rapidcheck_message;          // RapidCheck's own summary
};

RcReport run_rapidcheck(const Property& property, const Backend& backend, const RcConfig& config);

// The suite's two rounds (`qdiff check`, `qdiff faults`): a quick round of
// this many cases per property, same seed, then the full budget. 0 when the
// budget is that small already (one round). RapidCheck ramps the case size
// over the budget, so the quick round reaches large cases too, 20 times
// sooner. Running `--cases` equal to this reproduces the quick round.
constexpr int kQuickRoundCases = 100;
inline int quick_round_cases(int cases) { return cases > kQuickRoundCases ? kQuickRoundCases : 0; }

}  // namespace qdiff::props
