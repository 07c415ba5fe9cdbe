// Measured detection power of the fault catalogue (impl/fault_points.h):
// the vocabulary and the pure parts of `qdiff faults` (tools/faults_command.cc),
// kept apart from the running so tests/tools_faults_test.cc checks them.
//
//  - which fuzz target(s) should find each fault (a static table, one
//    entry per fault point, checked against fuzz/fuzz_driver.cc's targets);
//  - a median that counts misses as "beyond the cap" (a censored sample:
//    dropping the misses would flatter a fault found by one seed of five);
//  - the report table, as plain text for the terminal and as Markdown for
//    docs/detection-power.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "impl/fault_points.h"

namespace qdiff::tools {

struct FaultsOptions {
  int seeds = 3;                    // RapidCheck and libFuzzer seeds 1..seeds
  int cases = 2000;                 // RapidCheck cases per property (the self-test budget)
  int fuzz_seconds = 60;            // libFuzzer cap per run, CPU seconds; 0: no fuzzing
  std::string fuzz_build_dir;       // *_fuzz binaries (or a build tree with fuzz/); default:
                                    // default_fuzz_build_dir() (tools/fuzzing/fuzz_command.h)
  std::vector<std::string> only;    // fault names (exact); empty: every fault
  std::string markdown;             // write the report as Markdown here
};

// The fuzz targets whose properties exercise the code a fault changes
// (names of fuzz/fuzz_driver.cc's property_fuzz_targets()).
std::vector<std::string_view> fuzz_targets_for(impl::FaultPoint fault);
std::string_view fault_level_name(impl::FaultLevel level);

// One run to the first detection, or to the budget / time cap.
struct DetectionRun {
  bool found = false;
  double seconds = 0;      // to the finding, or the whole run when not found
  int64_t effort = 0;      // RapidCheck cases or libFuzzer executions, likewise
  // The property suite: the part spent in the property that found it
  // (what one ctest shard per property, as property_suite runs, waits).
  double own_seconds = 0;
  int64_t own_effort = 0;
  std::string by;          // the property or fuzz target that found it
  std::string note;        // e.g. a crash that is not a qdiff finding
};

enum class Measure { seconds, effort, own_seconds, own_effort };
bool is_time(Measure m);

// Median of the runs' measure, a miss counting as larger than any finding.
// nullopt when the median falls on a miss (more than half missed, or, for
// an even count, the upper middle missed).
std::optional<double> censored_median(const std::vector<DetectionRun>& runs, Measure measure);
int found_count(const std::vector<DetectionRun>& runs);
// The property / target that found the fault most often ("" if none).
std::string most_common_finder(const std::vector<DetectionRun>& runs);

struct FaultMeasurement {
  impl::FaultPoint fault{};
  std::vector<DetectionRun> suite;         // one per seed
  std::vector<std::string_view> targets;   // fuzz targets tried
  std::vector<DetectionRun> fuzz_custom;   // one per seed; empty: not measured
  std::vector<DetectionRun> fuzz_plain;    // one per seed, QDIFF_MUTATOR=plain
};

struct ReportSettings {
  int seeds = 0;
  int cases = 0;
  int fuzz_seconds = 0;
  bool fuzz_measured = false;      // a fuzz build was found and fuzzing was asked for
  bool custom_mutator = false;     // the fuzz binaries have LLVMFuzzerCustomMutator
};

// Cells: "0.12 s", "1234 / 0.40 s", "> 60 s", "3/3".
std::string seconds_cell(double seconds);
std::string median_cell(const std::vector<DetectionRun>& runs, Measure measure, int cap_seconds);
// "<median effort> / <median time>" of one pair of measures; "> cap" or
// "not found" when the median is a miss.
std::string pair_cell(const std::vector<DetectionRun>& runs, Measure effort, Measure time,
                      int cap_seconds);

// The table, one row per fault, plain text (tools/table.h) or Markdown.
std::string render_detection_table(const std::vector<FaultMeasurement>& rows,
                                   const ReportSettings& settings, bool markdown);

// The custom mutator against plain mutation over the whole catalogue:
// every fuzz run of every fault pooled (misses beyond the cap), its
// censored median time and executions, and per fault whether the custom
// median is lower, equal (within 10 %) or higher. "" when not measured.
std::string mutator_comparison(const std::vector<FaultMeasurement>& rows, const ReportSettings& settings);

}  // namespace qdiff::tools
