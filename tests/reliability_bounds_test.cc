// Bounded work per case (issue 20, items 2 and 4), as users meet it through
// the qdiff command (tests/qdiff_command.h):
// - the hostile graphs of the issue (corpus/regressions/bounds/: 84 KB
//   that grew past 11 GB RSS, 82 KB asking for an 8192^3 linear) end in
//   seconds with the typed error too_large, on both sides, and replay
//   counts that as agreement;
// - a legitimately slow case (in budget: a 1024 x 512 x 1024 linear, about
//   half a second in the reference) run with a tiny --case-timeout is a "timeout" finding
//   with its path, and the run goes on with the next case (replay, eval,
//   check's corpus replay).
// Each command runs under a safety net (`timeout`, and a 4 GiB address
// space limit outside ASan) so that a broken budget fails this test
// instead of exhausting a shared machine.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cases/case.h"
#include "core/graph_budget.h"
#include "properties/graph_generators.h"
#include "tests/qdiff_command.h"

namespace qdiff {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::ScratchDir;

const std::string kBounds = std::string(QDIFF_SOURCE_DIR) + "/corpus/regressions/bounds";

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

struct TimedResult {
  CommandResult r;
  double seconds = 0;
};

// qdiff ARGS under the safety net: killed after 60 s, and (outside ASan,
// whose shadow memory needs terabytes of address space) at most 4 GiB of
// address space, so a broken budget cannot take the machine's memory.
TimedResult run_bounded(const std::string& args) {
  const std::string limit = kAsan ? "" : "ulimit -v 4194304; ";
  const std::string command = fmt::format("sh -c '{}exec timeout -s KILL 60 {} {} 2>&1'", limit, QDIFF_BINARY, args);
  const auto start = std::chrono::steady_clock::now();
  TimedResult t;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return t;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) t.r.out.append(buffer, n);
  const int status = pclose(pipe);
  t.r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return t;
}

GraphWork work_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return graph_work(std::get<GraphCase>(parse_case_file(text).c).graph);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A limit that a check of shapes alone meets easily, even under the
// sanitizers on a loaded runner; the unbounded evaluation takes hours.
constexpr double kQuickSeconds = 8.0;

class HostileGraph : public ::testing::TestWithParam<const char*> {};

TEST_P(HostileGraph, EndsQuicklyWithTooLargeOnBothSides) {
  const std::string path = fmt::format("{}/{}.json", kBounds, GetParam());
  for (const char* side : {"reference", "optimized"}) {
    const TimedResult t = run_bounded(fmt::format("eval --impl {} {}", side, path));
    EXPECT_EQ(t.r.exit_code, 3) << side << "\n" << t.r.out;
    EXPECT_TRUE(contains(t.r.out, "\"kind\": \"too_large\"")) << side << "\n" << t.r.out;
    EXPECT_TRUE(contains(t.r.out, "graph needs")) << side << "\n" << t.r.out;
    EXPECT_LT(t.seconds, kQuickSeconds) << side;
  }
}

TEST_P(HostileGraph, ReplayCountsTooLargeOnBothSidesAsAgreement) {
  const TimedResult t = run_bounded(fmt::format("replay {}/{}.json", kBounds, GetParam()));
  EXPECT_EQ(t.r.exit_code, 0) << t.r.out;
  EXPECT_TRUE(contains(t.r.out, "1 case files, 0 failures")) << t.r.out;
  EXPECT_LT(t.seconds, kQuickSeconds);
}

INSTANTIATE_TEST_SUITE_P(Issue20, HostileGraph, ::testing::Values("hostile_memory", "hostile_linear"));

// Which budget each hostile file exceeds (and that the other one is not
// what stops the linear: its elements are in budget).
TEST(GraphBudget, HostileFilesExceedTheBudgetTheyTarget) {
  const GraphWork memory = work_of(kBounds + "/hostile_memory.json");
  EXPECT_GT(memory.elements, kGraphElementBudget);
  EXPECT_EQ(memory.multiply_adds, 0);
  const GraphWork linear = work_of(kBounds + "/hostile_linear.json");
  EXPECT_LE(linear.elements, kGraphElementBudget);
  EXPECT_EQ(linear.multiply_adds, int64_t{8192} * 8192 * 8192);
  EXPECT_EQ(linear.largest_node, 3);
}

// The derivation of core/graph_budget.h: the generated graphs need at most
// 2^18 elements and 2^24 multiply-adds (printed: the largest seen), far
// below the budgets. Fails when a generator grows past its derivation.
TEST(GraphBudget, GeneratedGraphsStayFarBelowTheBudget) {
  GraphWork largest;
  for (uint64_t seed = 1; seed <= 3000; ++seed) {
    props::PrngSource src(seed * 0x9E3779B97F4A7C15ull);
    const GraphWork w = graph_work(props::draw_graph_case(src).graph);
    largest.elements = std::max(largest.elements, w.elements);
    largest.multiply_adds = std::max(largest.multiply_adds, w.multiply_adds);
  }
  std::printf("largest of 3000 generated graphs: %lld elements, %lld multiply-adds\n",
              static_cast<long long>(largest.elements), static_cast<long long>(largest.multiply_adds));
  EXPECT_LE(largest.elements, int64_t{1} << 18);
  EXPECT_LE(largest.multiply_adds, int64_t{1} << 24);
  EXPECT_GT(largest.elements, 0);
}

// In budget but slow: x = column [1024, 1] + row [1, 1024], w = column
// [512, 1] + row, y = linear(x, w): 1024 * 512 * 1024 = 2^29 multiply-adds
// (half the budget), about half a second in the reference, ten times the
// 0.05 s deadline the tests give it.
std::string slow_case_text() {
  const auto ones = [](int n) {
    std::string s = "1.0";
    for (int i = 1; i < n; ++i) s += ", 1.0";
    return s;
  };
  return fmt::format(R"({{"format": "qdiff-case", "version": 1, "op": "graph",
 "graph": {{"nodes": [
  {{"id": 0, "kind": "constant", "value": {{"dtype": "f32", "shape": [1024, 1], "data": [{0}]}}}},
  {{"id": 1, "kind": "constant", "value": {{"dtype": "f32", "shape": [1, 1024], "data": [{0}]}}}},
  {{"id": 2, "kind": "add", "inputs": [0, 1]}},
  {{"id": 3, "kind": "constant", "value": {{"dtype": "f32", "shape": [512, 1], "data": [{1}]}}}},
  {{"id": 4, "kind": "add", "inputs": [3, 1]}},
  {{"id": 5, "kind": "linear", "inputs": [2, 4, -1]}}], "outputs": [5]}},
 "inputs": {{}}}}
)",
                     ones(1024), ones(512));
}

// A directory holding the slow case and a quick one (sorted after it, so
// the replay must go on past the timeout to reach it).
class CaseTimeout : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(slow()) << slow_case_text();
    fs::copy_file(std::string(QDIFF_SOURCE_DIR) + "/corpus/regressions/graph/fold_without_reshape.json", quick());
  }
  std::string slow() const { return (dir_.path() / "a_slow.json").string(); }
  std::string quick() const { return (dir_.path() / "b_quick.json").string(); }
  ScratchDir dir_{"case-timeout"};
};

TEST_F(CaseTimeout, TheSlowCaseIsInBudget) {
  const GraphWork w = work_of(slow());
  EXPECT_EQ(w.multiply_adds, int64_t{1} << 29);
  EXPECT_LE(w.multiply_adds, kGraphMultiplyAddBudget);
}

TEST_F(CaseTimeout, ReplayReportsTheTimeoutWithItsPathAndGoesOn) {
  const TimedResult t = run_bounded("replay --case-timeout 0.05 " + dir_.str());
  EXPECT_EQ(t.r.exit_code, 1) << t.r.out;
  EXPECT_TRUE(contains(t.r.out, "FAIL " + slow())) << t.r.out;
  EXPECT_TRUE(contains(t.r.out, "timeout: the case ran past 0.05 s")) << t.r.out;
  EXPECT_FALSE(contains(t.r.out, "FAIL " + quick())) << t.r.out;
  EXPECT_TRUE(contains(t.r.out, "2 case files, 1 failures")) << t.r.out;
  EXPECT_LT(t.seconds, kQuickSeconds);
}

TEST_F(CaseTimeout, EvalReportsTheTimeoutWithItsPath) {
  const TimedResult t = run_bounded("eval --impl reference --case-timeout 0.05 " + slow());
  EXPECT_EQ(t.r.exit_code, 1) << t.r.out;
  EXPECT_TRUE(contains(t.r.out, slow() + ": timeout: the case ran past 0.05 s")) << t.r.out;
  EXPECT_LT(t.seconds, kQuickSeconds);
}

TEST_F(CaseTimeout, EvalWithinTheDeadlinePrintsTheResult) {
  const TimedResult t = run_bounded("eval --impl reference --case-timeout 30 " + quick());
  EXPECT_EQ(t.r.exit_code, 0) << t.r.out;
  EXPECT_TRUE(contains(t.r.out, "\"format\": \"qdiff-result\"")) << t.r.out;
}

TEST_F(CaseTimeout, CheckCorpusReplayReportsTheTimeout) {
  ScratchDir corpus("case-timeout-corpus"), findings("case-timeout-findings");
  fs::create_directories(corpus.path() / "regressions");
  fs::copy_file(slow(), corpus.path() / "regressions" / "a_slow.json");
  fs::copy_file(quick(), corpus.path() / "regressions" / "b_quick.json");
  const TimedResult t = run_bounded("check --cases 1 --fuzz-seconds 0 --isa scalar --property "
                                    "QuantizeOptimizedMatchesReference --case-timeout 0.05 --corpus " +
                                    corpus.str() + " --findings " + findings.str());
  EXPECT_EQ(t.r.exit_code, 1) << t.r.out;
  EXPECT_TRUE(contains(t.r.out, "2 inputs  FAILED")) << t.r.out;  // the case files row
  EXPECT_TRUE(contains(t.r.out, (corpus.path() / "regressions" / "a_slow.json").string() +
                                    "\ntimeout: the case ran past 0.05 s"))
      << t.r.out;
  EXPECT_LT(t.seconds, 30.0);
}

}  // namespace
}  // namespace qdiff
