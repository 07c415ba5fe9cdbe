// The pure parts of `qdiff faults` (tools/detection_power.h): the fault ->
// fuzz target table covers every fault point with real targets of the
// fault's level, the censored median counts misses as beyond the cap, and
// the report renders the cells as written here by hand.
#include <gtest/gtest.h>

#include <set>

#include "fuzz/fuzz_driver.h"
#include "impl/options.h"
#include "tools/detection_power.h"

namespace qdiff::tools {
namespace {

using impl::FaultLevel;
using impl::FaultPoint;

DetectionRun hit(double seconds, int64_t effort, std::string by = "P") {
  DetectionRun r;
  r.found = true;
  r.seconds = seconds;
  r.effort = effort;
  r.own_seconds = seconds / 10;  // the finder's share
  r.own_effort = effort / 10;
  r.by = std::move(by);
  return r;
}
DetectionRun miss(double seconds = 60, int64_t effort = 1000) {
  DetectionRun r;
  r.seconds = seconds;
  r.effort = effort;
  return r;
}

TEST(ToolsFaults, EveryFaultHasFuzzTargetsOfItsLevel) {
  const std::set<std::string_view> quant_core = {"quantize", "dequantize", "choose_qparams",
                                                 "fake_quantize", "layout"};
  const std::set<std::string_view> fused = {"qlinear", "qconv2d", "elementwise"};
  int count = 0;
  for (int f = 0; f < int(FaultPoint::kCount); ++f) {
    const FaultPoint fault = FaultPoint(f);
    const auto targets = fuzz_targets_for(fault);
    ASSERT_FALSE(targets.empty()) << impl::fault_point_name(fault);
    for (auto t : targets) {
      EXPECT_NE(fuzz::find_fuzz_target(t), nullptr) << impl::fault_point_name(fault) << ": " << t;
      switch (impl::fault_level(fault)) {
        case FaultLevel::quant_core: EXPECT_TRUE(quant_core.count(t)) << t; break;
        case FaultLevel::fused: EXPECT_TRUE(fused.count(t)) << t; break;
        case FaultLevel::graph: EXPECT_TRUE(t == "graph" || t == "lowering") << t; break;
      }
    }
    ++count;
  }
  EXPECT_GE(count, 25);  // issue 5: a catalogue of at least 25 realistic faults
  EXPECT_TRUE(fuzz_targets_for(FaultPoint::kCount).empty());
}

TEST(ToolsFaults, CensoredMedianCountsMissesAsBeyondTheCap) {
  const auto t = Measure::seconds;
  // odd count: the middle of the sorted values
  EXPECT_EQ(censored_median({hit(3, 30), hit(1, 10), hit(2, 20)}, t), 2.0);
  EXPECT_EQ(censored_median({hit(3, 30), hit(1, 10), hit(2, 20)}, Measure::effort), 20.0);
  EXPECT_EQ(censored_median({hit(3, 30), hit(1, 10), hit(2, 20)}, Measure::own_effort), 2.0);
  EXPECT_EQ(censored_median({hit(3, 30), hit(1, 10), hit(2, 20)}, Measure::own_seconds), 0.2);
  // one miss of three sorts last: the median is still a finding
  EXPECT_EQ(censored_median({miss(), hit(5, 50), hit(1, 10)}, t), 5.0);
  // two misses of three: the median is a miss
  EXPECT_EQ(censored_median({miss(), hit(5, 50), miss()}, t), std::nullopt);
  // even count: the mean of the two middles, (2 + 4) / 2 = 3
  EXPECT_EQ(censored_median({hit(4, 40), hit(1, 10), hit(2, 20), hit(8, 80)}, t), 3.0);
  // even count with the upper middle a miss
  EXPECT_EQ(censored_median({hit(1, 10), hit(2, 20), miss(), miss()}, t), std::nullopt);
  EXPECT_EQ(censored_median({}, t), std::nullopt);
}

TEST(ToolsFaults, FoundCountAndMostCommonFinder) {
  const std::vector<DetectionRun> runs = {hit(1, 1, "B"), miss(), hit(1, 1, "A"), hit(1, 1, "A")};
  EXPECT_EQ(found_count(runs), 3);
  EXPECT_EQ(most_common_finder(runs), "A");
  EXPECT_EQ(most_common_finder({hit(1, 1, "B"), hit(1, 1, "A")}), "B");  // tie: seed order
  EXPECT_EQ(most_common_finder({miss()}), "");
}

TEST(ToolsFaults, Cells) {
  EXPECT_EQ(seconds_cell(0.0042), "4.2 ms");
  EXPECT_EQ(seconds_cell(0.25), "0.25 s");
  EXPECT_EQ(seconds_cell(12.34), "12.3 s");
  EXPECT_EQ(median_cell({miss(), miss(), hit(1, 1)}, Measure::seconds, 60), "> 60 s");
  EXPECT_EQ(median_cell({miss(), miss(), hit(1, 1)}, Measure::effort, 0), "not found");
  EXPECT_EQ(median_cell({hit(1, 7), hit(1, 9), hit(1, 8)}, Measure::effort, 0), "8");
  EXPECT_EQ(median_cell({}, Measure::seconds, 60), "-");
  EXPECT_EQ(pair_cell({hit(1, 7), hit(3, 9), hit(2, 8)}, Measure::effort, Measure::seconds, 0), "8 / 2.00 s");
  EXPECT_EQ(pair_cell({miss(), miss(), hit(2, 8)}, Measure::effort, Measure::seconds, 60), "> 60 s");
}

FaultMeasurement example() {
  FaultMeasurement m;
  m.fault = FaultPoint::half_away_rounding;
  m.suite = {hit(0.5, 120, "QuantizeOptimizedMatchesReference"), hit(0.25, 40, "QuantizeOptimizedMatchesReference"),
             hit(1.0, 300, "QuantizeIsMonotoneWithinABlock")};
  m.targets = {"quantize"};
  m.fuzz_custom = {hit(1.5, 900), hit(2.0, 1000), miss(60, 50000)};
  m.fuzz_plain = {miss(60, 40000), hit(3.0, 2000), miss(60, 40000)};
  return m;
}

TEST(ToolsFaults, MarkdownTable) {
  ReportSettings st;
  st.seeds = 3;
  st.fuzz_seconds = 60;
  st.fuzz_measured = true;
  st.custom_mutator = true;
  // suite: cases 40, 120, 300 -> 120; times 0.25, 0.5, 1.0 -> 0.50 s; in
  // the finder a tenth of each (hit()): 12 / 0.05 s.
  // custom: execs 900, 1000, miss -> 1000; times 1.5, 2.0, miss -> 2.00 s.
  // plain: two misses of three -> "> 60 s".
  const std::string want =
      "| fault | level | suite found | suite median cases / time | in finder: cases / time | found by | "
      "fuzz target | fuzz found (custom) | fuzz median execs / time (custom) | fuzz found (plain) | "
      "fuzz median execs / time (plain) |\n"
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
      "| half_away_rounding | quant core | 3/3 | 120 / 0.50 s | 12 / 0.05 s | QuantizeOptimizedMatchesReference | "
      "quantize | 2/3 | 1000 / 2.00 s | 1/3 | > 60 s |\n";
  EXPECT_EQ(render_detection_table({example()}, st, true), want);

  // Without a custom mutator its columns say n/a.
  st.custom_mutator = false;
  const std::string no_custom = render_detection_table({example()}, st, true);
  EXPECT_NE(no_custom.find("| quantize | n/a | n/a | 1/3 | > 60 s |"), std::string::npos) << no_custom;
}

TEST(ToolsFaults, MutatorComparisonPoolsEveryRun) {
  ReportSettings st;
  st.seeds = 3;
  st.fuzz_seconds = 60;
  st.fuzz_measured = true;
  st.custom_mutator = true;
  // Fault a: custom 1, 2, 3 s (median 2) vs plain 10, 20, 30 (20): lower.
  // Fault b: custom 5, 5, 5 vs plain 5.2, 5.2, 5.2: within 10 %: equal.
  // Fault c: custom 8, 9, miss (9) vs plain 1, 1, 1 (1): higher.
  FaultMeasurement a, b, c;
  a.fuzz_custom = {hit(1, 100), hit(2, 200), hit(3, 300)};
  a.fuzz_plain = {hit(10, 1000), hit(20, 2000), hit(30, 3000)};
  b.fuzz_custom = {hit(5, 500), hit(5, 500), hit(5, 500)};
  b.fuzz_plain = {hit(5.2, 520), hit(5.2, 520), hit(5.2, 520)};
  c.fuzz_custom = {hit(8, 800), hit(9, 900), miss()};
  c.fuzz_plain = {hit(1, 100), hit(1, 100), hit(1, 100)};
  // Pooled custom times 1 2 3 5 5 5 8 9 miss: median 5 (execs 500);
  // plain 1 1 1 5.2 5.2 5.2 10 20 30: median 5.2 (execs 520).
  EXPECT_EQ(mutator_comparison({a, b, c}, st),
            "Custom mutator vs plain, all 9 fuzz runs of each pooled: found 8 vs 9; median executions / time "
            "500 / 5.00 s vs 520 / 5.20 s. Per fault, the custom median is lower on 1, within 10 % on 1, "
            "higher on 1.");
  st.custom_mutator = false;
  EXPECT_EQ(mutator_comparison({a, b, c}, st), "");
}

TEST(ToolsFaults, PlainTableWithoutFuzzColumns) {
  ReportSettings st;
  st.seeds = 3;
  const std::string text = render_detection_table({example()}, st, false);
  // header, rule, one row
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text;
  EXPECT_EQ(text.find("fuzz"), std::string::npos) << text;
  EXPECT_NE(text.find("half_away_rounding  quant core  3/3"), std::string::npos) << text;
}

}  // namespace
}  // namespace qdiff::tools
