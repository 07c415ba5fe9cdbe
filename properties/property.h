// Property: a named claim, checked on drawn cases against a backend.
//
// A property has two halves, FuzzTest-style: `draw` turns a stream of
// choices (Source) into a Case, and `check` judges one Case against a
// backend. The same pair runs under RapidCheck (properties/rc_runner.h),
// libFuzzer (fuzz/), and case-file replay, which stores the case together
// with the property's name (cases/case.h CaseFile); and the reducer
// (properties/reduce.h) can shrink a failing case structurally because it
// only needs `check`.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cases/case.h"
#include "oracle/backend_interface.h"
#include "oracle/verdict.h"
#include "properties/source.h"

namespace qdiff::props {

// The judgement of one case. `discarded`: the case is outside the
// property's domain (its precondition does not hold), so it says nothing.
struct CheckResult {
  Verdict verdict;
  bool discarded = false;
  bool failed() const { return !discarded && !verdict.ok; }
};

// What a property compares, which says where it runs:
//  differential  one op of a backend against the reference on the same case
//                (each ISA has its own kernels: `qdiff check` runs these at
//                every ISA the CPU has);
//  pipeline      a graph's passes, executors or lowering against the
//                reference or an independent model (ISA-independent code
//                over kernels the differential properties judge);
//  round_trip    an op composed with its inverse, or a form and its re-encoding;
//  invariant     a law one backend must obey on its own (monotone,
//                commutative, a pass fires where it may, ...).
enum class PropertyKind { differential, pipeline, round_trip, invariant };

struct Property {
  std::string name;    // reads as a sentence: QuantizeIsMonotoneWithinABlock
  std::string family;  // row group in reports: quantize, dequantize, ...
  PropertyKind kind;
  std::string claim;   // one line: what it checks and on which domain
  std::function<Case(Source&)> draw;
  std::function<CheckResult(const Case&, const Backend&)> check;
};

// One execution: draw, then check (exceptions escaping the backend become
// failures, never crashes).
struct PropertyRun {
  std::optional<Case> reproducer;
  CheckResult result;
};
PropertyRun run_property(const Property& p, Source& src, const Backend& backend);
CheckResult check_property(const Property& p, const Case& c, const Backend& backend);

// Replays a case file: its property's check when it names one, else the
// op's oracle (check_case). An unknown property name is a failure.
CheckResult check_case_file(const CaseFile& f, const Backend& backend);

// Every property of this build (quant core and fused operators).
const std::vector<Property>& all_properties();
const Property* find_property(std::string_view name);

// Registries of the families (properties/*_properties.cc).
std::vector<Property> affine_properties();
std::vector<Property> fused_properties();
std::vector<Property> graph_properties();
std::vector<Property> pass_firing_properties();

}  // namespace qdiff::props
