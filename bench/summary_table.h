// The summary quantize_bench prints after the usual console output, from
// the medians of one (interleaved, repeated) run, as Markdown tables:
//   1. every roofline strategy, its median and its fastest repetition;
//      the roofline of a kind (read, traffic), op and size is the fastest
//      repetition of any of its strategies: the fastest the machine moved
//      those bytes in this run;
//   2. every qdiff case: Gelem/s (the median, as for every run that is not
//      a roofline), its ratios to the read and traffic rooflines of its op
//      and size, to per-tensor of the same op and
//      shape, to XNNPACK (per-tensor) and oneDNN (same layout) on the same
//      shape, to the reference (in cache), and its verdict against the
//      targets (docs/benchmarks.md);
//   3. the peers against the same rooflines;
//   4. two summary lines: targets met, and the self-check.
// The self-check: no run may beat a roofline (a ratio above 1.0 means the
// roofline is not the limit); such a row prints "baseline too weak"
// instead of a verdict and the self-check line says FAIL.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

namespace qdiff::bench {

class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;
  // False when a run beat a roofline (after Finalize).
  bool self_check_passed() const { return weak_rows_ == 0; }

 private:
  double rate(const std::string& name) const;  // 0 when not measured
  double best_roofline(const std::string& kind, const std::string& op, const std::string& size) const;
  void print_rooflines() const;
  void print_cases();
  void print_peers();

  std::map<std::string, double> rate_;  // items/s: median, or the only run
  std::map<std::string, double> max_;   // rooflines: fastest repetition
  std::set<std::string> medians_;
  int weak_rows_ = 0;
  int targets_ = 0;
  std::vector<std::string> unmet_;
};

}  // namespace qdiff::bench
