#include "bench/summary_table.h"

#include <cstdio>

#include <fmt/format.h>

#include "bench/bench_cases.h"
#include "bench/rooflines.h"
#include "bench/run_rate.h"

namespace qdiff::bench {
namespace {

// Targets of issue 19 (docs/benchmarks.md, "Against the targets (issue 19)").
constexpr double kDramOfRoofline = 0.9;    // quantize /read, dequantize /traffic, at 64M
constexpr double kCacheOfPerTensor = 0.85;  // every layout, at 64K
constexpr double kOfXnnpack = 1.0;          // per-tensor, both sizes
// A ratio to a roofline above this fails the self-check.
constexpr double kRooflineLimit = 1.0;

std::string ratio(double num, double den) { return num > 0 && den > 0 ? fmt::format("{:.2f}", num / den) : "-"; }

struct Check {
  const char* name;
  double value;  // ratio; 0 when a side was not measured
  double target;
};

// "met", "baseline too weak", or "UNMET <names>"; counts into the totals.
std::string verdict(const std::vector<Check>& checks, bool weak, int& targets, std::vector<std::string>& unmet,
                    const std::string& row) {
  if (weak) return "baseline too weak";
  std::string failed;
  int counted = 0;
  for (const Check& c : checks) {
    if (c.value <= 0) continue;
    ++counted;
    if (c.value < c.target) failed += fmt::format("{}{} {:.3f}<{}", failed.empty() ? "" : ", ", c.name, c.value, c.target);
  }
  targets += counted;
  if (counted == 0) return "-";
  if (failed.empty()) return "met";
  unmet.push_back(row + ": " + failed);
  return "UNMET " + failed;
}

}  // namespace

void SummaryReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& r : runs) {
    const std::optional<double> ips = items_per_second(r);
    if (!ips) continue;
    const std::string name = r.run_name.str();
    if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "max") max_[name] = *ips;
    if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") {
      rate_[name] = *ips;
      medians_.insert(name);
    } else if (r.run_type == Run::RT_Iteration && !medians_.count(name)) {
      rate_[name] = *ips;
    }
  }
}

double SummaryReporter::rate(const std::string& name) const {
  const auto it = rate_.find(name);
  return it == rate_.end() ? 0 : it->second;
}

double SummaryReporter::best_roofline(const std::string& kind, const std::string& op, const std::string& size) const {
  double best = 0;
  const std::string tail = fmt::format("/{}/{}", op, size);
  for (const auto& [name, median] : rate_) {
    const bool same_case = name.size() > tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
    const auto max = max_.find(name);
    const double r = max == max_.end() ? median : max->second;
    if (same_case && roofline_kind(name) == kind && r > best) best = r;
  }
  return best;
}

void SummaryReporter::print_rooflines() const {
  std::printf("\n| roofline strategy | Gelem/s median | Gelem/s max | the roofline |\n|---|---|---|---|\n");
  for (const auto& [name, r] : rate_) {
    const std::string kind = roofline_kind(name);
    if (kind.empty()) continue;
    const size_t op_at = name.find('/') + 1;
    const std::string op = name.substr(op_at, name.rfind('/') - op_at);
    const std::string size = name.substr(name.rfind('/') + 1);
    const auto max = max_.find(name);
    const double best = max == max_.end() ? r : max->second;
    std::printf("| %s | %.2f | %.2f | %s |\n", name.c_str(), r / 1e9, best / 1e9,
                best == best_roofline(kind, op, size) ? "**yes**" : "");
  }
}

void SummaryReporter::print_cases() {
  std::printf(
      "\n| case (1 thread) | Gelem/s | /read | /traffic | /per-tensor | /XNNPACK | /oneDNN | /reference | verdict |\n"
      "|---|---|---|---|---|---|---|---|---|\n");
  for (const Op op_id : kOps) {
    const std::string op = op_name(op_id);
    for (const BenchShape& shape : bench_shapes()) {
      const double read = best_roofline("read", op, shape.size);
      const double traffic = best_roofline("traffic", op, shape.size);
      const double pt = rate(fmt::format("qdiff/{}/per_tensor/{}", op, shape.name));
      const double xnn = rate(fmt::format("xnnpack/{}/per_tensor/{}", op, shape.name));
      for (const BenchLayout& layout : bench_layouts()) {
        const std::string tail = fmt::format("{}/{}/{}", op, layout.name, shape.name);
        const double r = rate("qdiff/" + tail);
        if (r == 0) continue;
        const bool per_tensor = std::string(layout.name) == "per_tensor";
        const bool dram = shape.size == "64M";
        const bool weak = (read > 0 && r / read > kRooflineLimit) || (traffic > 0 && r / traffic > kRooflineLimit);
        weak_rows_ += weak;
        std::vector<Check> checks;
        if (dram && op_id == Op::quantize) checks.push_back({"/read", read > 0 ? r / read : 0, kDramOfRoofline});
        if (dram && op_id == Op::dequantize) checks.push_back({"/traffic", traffic > 0 ? r / traffic : 0, kDramOfRoofline});
        if (!dram && !per_tensor) checks.push_back({"/per-tensor", pt > 0 ? r / pt : 0, kCacheOfPerTensor});
        if (per_tensor) checks.push_back({"/XNNPACK", xnn > 0 ? r / xnn : 0, kOfXnnpack});
        const std::string v = verdict(checks, weak, targets_, unmet_, tail);
        std::printf("| %s | %.2f | %s | %s | %s | %s | %s | %s | %s |\n", tail.c_str(), r / 1e9, ratio(r, read).c_str(),
                    ratio(r, traffic).c_str(), per_tensor ? "1" : ratio(r, pt).c_str(), ratio(r, xnn).c_str(),
                    ratio(r, rate("onednn/" + tail)).c_str(), ratio(r, rate("reference/" + tail)).c_str(), v.c_str());
      }
    }
  }
}

// Peers are held to the same rooflines: a peer above one shows it is weak.
void SummaryReporter::print_peers() {
  std::printf("\n| peer run (1 thread) | Gelem/s | /read | /traffic | self-check |\n|---|---|---|---|---|\n");
  for (const auto& [name, r] : rate_) {
    if (name.rfind("xnnpack/", 0) != 0 && name.rfind("onednn/", 0) != 0) continue;
    const size_t op_at = name.find('/') + 1;
    const std::string op = name.substr(op_at, name.find('/', op_at) - op_at);
    const std::string shape = name.substr(name.rfind('/') + 1);
    const std::string size = shape.substr(0, shape.find('_'));
    const double read = best_roofline("read", op, size);
    const double traffic = best_roofline("traffic", op, size);
    const bool weak = (read > 0 && r / read > kRooflineLimit) || (traffic > 0 && r / traffic > kRooflineLimit);
    weak_rows_ += weak;
    std::printf("| %s | %.2f | %s | %s | %s |\n", name.c_str(), r / 1e9, ratio(r, read).c_str(),
                ratio(r, traffic).c_str(), weak ? "baseline too weak" : "ok");
  }
}

void SummaryReporter::Finalize() {
  ConsoleReporter::Finalize();
  print_rooflines();
  print_cases();
  print_peers();
  std::printf("\ntargets: %d of %d met\n", targets_ - int(unmet_.size()), targets_);
  for (const std::string& u : unmet_) std::printf("  unmet: %s\n", u.c_str());
  if (weak_rows_ == 0) {
    std::printf("self-check: PASS (no run above a roofline)\n");
  } else {
    std::printf("self-check: FAIL: %d run(s) above a roofline (baseline too weak)\n", weak_rows_);
  }
}

}  // namespace qdiff::bench
