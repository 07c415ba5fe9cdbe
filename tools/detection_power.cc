#include "tools/detection_power.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "tools/table.h"

namespace qdiff::tools {

using impl::FaultPoint;

// One target per fault (impl/fault_points.h's catalogue): one property
// family owns the code it changes, and every run is a full fuzzing process.
std::vector<std::string_view> fuzz_targets_for(FaultPoint fault) {
  if (fault >= FaultPoint::kCount) return {};
  return {impl::fault_info(fault).fuzz_target};
}

std::string_view fault_level_name(impl::FaultLevel level) {
  switch (level) {
    case impl::FaultLevel::quant_core: return "quant core";
    case impl::FaultLevel::fused: return "fused";
    case impl::FaultLevel::graph: return "graph";
  }
  return "?";
}

bool is_time(Measure m) { return m == Measure::seconds || m == Measure::own_seconds; }

namespace {

double value_of(const DetectionRun& r, Measure m) {
  switch (m) {
    case Measure::seconds: return r.seconds;
    case Measure::effort: return double(r.effort);
    case Measure::own_seconds: return r.own_seconds;
    case Measure::own_effort: return double(r.own_effort);
  }
  return 0;
}

}  // namespace

std::optional<double> censored_median(const std::vector<DetectionRun>& runs, Measure measure) {
  if (runs.empty()) return std::nullopt;
  constexpr double kMiss = std::numeric_limits<double>::infinity();
  std::vector<double> v;
  for (const auto& r : runs) v.push_back(r.found ? value_of(r, measure) : kMiss);
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double m = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
  if (std::isinf(m)) return std::nullopt;
  return m;
}

int found_count(const std::vector<DetectionRun>& runs) {
  return int(std::count_if(runs.begin(), runs.end(), [](const DetectionRun& r) { return r.found; }));
}

std::string most_common_finder(const std::vector<DetectionRun>& runs) {
  std::map<std::string, int> count;
  std::string best;
  int best_count = 0;
  for (const auto& r : runs) {
    if (!r.found) continue;
    // first to reach the top count wins ties: seed order, deterministic
    if (++count[r.by] > best_count) {
      best_count = count[r.by];
      best = r.by;
    }
  }
  return best;
}

std::string seconds_cell(double seconds) {
  if (seconds < 0.01) return fmt::format("{:.1f} ms", seconds * 1000.0);
  if (seconds < 10.0) return fmt::format("{:.2f} s", seconds);
  return fmt::format("{:.1f} s", seconds);
}

std::string median_cell(const std::vector<DetectionRun>& runs, Measure measure, int cap_seconds) {
  if (runs.empty()) return "-";
  const auto m = censored_median(runs, measure);
  if (!m) return is_time(measure) && cap_seconds > 0 ? fmt::format("> {} s", cap_seconds) : "not found";
  return is_time(measure) ? seconds_cell(*m) : fmt::format("{:.0f}", *m);
}

std::string pair_cell(const std::vector<DetectionRun>& runs, Measure effort, Measure time,
                      int cap_seconds) {
  if (runs.empty()) return "-";
  const auto e = censored_median(runs, effort);
  if (!e) return median_cell(runs, time, cap_seconds);
  return fmt::format("{:.0f} / {}", *e, median_cell(runs, time, cap_seconds));
}

namespace {

std::string found_cell(const std::vector<DetectionRun>& runs) {
  if (runs.empty()) return "-";
  return fmt::format("{}/{}", found_count(runs), runs.size());
}

std::string join(const std::vector<std::string_view>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + std::string(x);
  return s;
}

}  // namespace

std::string render_detection_table(const std::vector<FaultMeasurement>& rows,
                                   const ReportSettings& st, bool markdown) {
  std::vector<std::string> header = {"fault", "level", "suite found", "suite median cases / time",
                                     "in finder: cases / time", "found by"};
  if (st.fuzz_measured) {
    header.insert(header.end(), {"fuzz target", "fuzz found (custom)", "fuzz median execs / time (custom)",
                                 "fuzz found (plain)", "fuzz median execs / time (plain)"});
  }
  std::vector<std::vector<std::string>> body;
  for (const auto& m : rows) {
    std::vector<std::string> r = {std::string(impl::fault_point_name(m.fault)),
                                  std::string(fault_level_name(impl::fault_level(m.fault))),
                                  found_cell(m.suite),
                                  pair_cell(m.suite, Measure::effort, Measure::seconds, 0),
                                  pair_cell(m.suite, Measure::own_effort, Measure::own_seconds, 0),
                                  most_common_finder(m.suite)};
    if (st.fuzz_measured) {
      const bool custom = st.custom_mutator && !m.fuzz_custom.empty();
      r.insert(r.end(),
               {join(m.targets), custom ? found_cell(m.fuzz_custom) : "n/a",
                custom ? pair_cell(m.fuzz_custom, Measure::effort, Measure::seconds, st.fuzz_seconds) : "n/a",
                found_cell(m.fuzz_plain),
                pair_cell(m.fuzz_plain, Measure::effort, Measure::seconds, st.fuzz_seconds)});
    }
    body.push_back(std::move(r));
  }
  if (!markdown) {
    Table t(header);
    for (auto& r : body) t.add_row(std::move(r));
    return t.render();
  }
  auto line = [](const std::vector<std::string>& cells) {
    std::string s = "|";
    for (const auto& c : cells) s += " " + c + " |";
    return s + "\n";
  };
  std::string out = line(header);
  out += line(std::vector<std::string>(header.size(), "---"));
  for (const auto& r : body) out += line(r);
  return out;
}

std::string mutator_comparison(const std::vector<FaultMeasurement>& rows, const ReportSettings& st) {
  if (!st.fuzz_measured || !st.custom_mutator) return "";
  std::vector<DetectionRun> custom, plain;
  int lower = 0, equal = 0, higher = 0;
  for (const auto& m : rows) {
    if (m.fuzz_custom.empty() || m.fuzz_plain.empty()) continue;
    custom.insert(custom.end(), m.fuzz_custom.begin(), m.fuzz_custom.end());
    plain.insert(plain.end(), m.fuzz_plain.begin(), m.fuzz_plain.end());
    // A median beyond the cap counts as infinite: two misses compare equal.
    constexpr double kMiss = std::numeric_limits<double>::infinity();
    const double c = censored_median(m.fuzz_custom, Measure::seconds).value_or(kMiss);
    const double p = censored_median(m.fuzz_plain, Measure::seconds).value_or(kMiss);
    if (c == p || (std::isfinite(p) && std::fabs(c - p) <= 0.1 * p)) {
      ++equal;
    } else if (c < p) {
      ++lower;
    } else {
      ++higher;
    }
  }
  if (custom.empty()) return "";
  return fmt::format(
      "Custom mutator vs plain, all {} fuzz runs of each pooled: found {} vs {}; median executions / time {} vs "
      "{}. Per fault, the custom median is lower on {}, within 10 % on {}, higher on {}.",
      custom.size(), found_count(custom), found_count(plain),
      pair_cell(custom, Measure::effort, Measure::seconds, st.fuzz_seconds),
      pair_cell(plain, Measure::effort, Measure::seconds, st.fuzz_seconds), lower, equal, higher);
}

}  // namespace qdiff::tools
