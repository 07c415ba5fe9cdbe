// The example process backends (examples/process_backend/, docs/process-protocol.md)
// as users run them: the Python and C++ kernels pass every property they
// implement and are "not applicable" to the rest; the toy pass pipeline
// passes the graph properties, and with its planted --bug the [K] -> [K, K]
// broadcast is found and shrunk to K = 2; replay and explain judge a
// process backend on a saved finding.
#include <regex>

#include <gtest/gtest.h>

#include "cases/case.h"
#include "tests/pass_pipeline_findings.h"
#include "tests/qdiff_command.h"

namespace qdiff {
namespace {

using testing::python_backend_command;
using testing::run_qdiff;
using testing::ScratchDir;

constexpr const char* kPipeline = "examples/process_backend/toy_pass_pipeline.py";
constexpr const char* kGraphProperties = testing::kGraphPassProperties;

testing::CommandResult check(const std::string& backend_command, const std::string& args, const ScratchDir& findings) {
  return run_qdiff("check --fuzz-seconds 0 --no-corpus --backend-cmd " + backend_command + " " + args +
                   " --findings " + findings.str());
}

// Every property row either passed or was not applicable; `ok` are the
// rows that must have been judged and passed.
void expect_passes(const testing::CommandResult& r, const std::vector<std::string>& ok) {
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("all checks passed"), std::string::npos) << r.out;
  for (const auto& name : ok) {
    EXPECT_TRUE(std::regex_search(r.out, std::regex("\\] " + name + "  ok \\(\\d+ cases"))) << name << "\n" << r.out;
  }
}

TEST(ProcessBackendExamples, PythonKernelPasses) {
  ScratchDir findings("process-python");
  const auto r = check(python_backend_command("examples/process_backend/python_backend.py"), "--cases 50", findings);
  expect_passes(r, {"QuantizeOptimizedMatchesReference", "DequantizeOptimizedMatchesReference",
                    "QuantizeIsMonotoneWithinABlock", "DequantizeThenQuantizeIsIdentityOnTheGrid"});
  EXPECT_NE(r.out.find("QLinearOptimizedMatchesReference  not applicable"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FakeQuantizeOptimizedMatchesReference  not applicable"), std::string::npos) << r.out;
}

// Corpus replay (regressions, seeds, case-file seeds) through a backend
// that declines most of it: declined inputs are no failures.
TEST(ProcessBackendExamples, PythonKernelPassesTheCorpusReplay) {
  ScratchDir findings("process-python-corpus");
  const auto r = run_qdiff("check --fuzz-seconds 0 --cases 20 --property QuantizeOptimizedMatchesReference "
                           "--backend-cmd " + python_backend_command("examples/process_backend/python_backend.py") +
                           " --findings " + findings.str());
  expect_passes(r, {"QuantizeOptimizedMatchesReference"});
  EXPECT_NE(r.out.find("replay seeds: case_file"), std::string::npos) << r.out;
}

TEST(ProcessBackendExamples, CppKernelPasses) {
  ScratchDir findings("process-cpp");
  const auto r = check(QDIFF_CPP_BACKEND, "--cases 100", findings);
  expect_passes(r, {"QuantizeOptimizedMatchesReference", "DequantizeOptimizedMatchesReference",
                    "FakeQuantizeOptimizedMatchesReference", "RoundTripErrorIsAtMostHalfAStep"});
  EXPECT_NE(r.out.find("FusionPreservesGraphOutputs  not applicable"), std::string::npos) << r.out;
}

TEST(ProcessBackendExamples, ToyPassPipelinePassesTheGraphProperties) {
  ScratchDir findings("process-pipeline");
  const auto r = check(python_backend_command(kPipeline), std::string("--cases 200 ") + kGraphProperties, findings);
  expect_passes(r, {"FusionPreservesGraphOutputs", "ScalesStayValidAfterEveryPass", "PassesNeverChangeOutputShapes",
                    "PassesAreIdempotent"});
}

// The run with the planted bug, shared by the PlantedBug tests.
const testing::SharedRun& planted_bug() {
  static const testing::SharedRun run("process-pipeline-bug", [](const ScratchDir& findings) {
    return check(python_backend_command(kPipeline, "--bug"), std::string("--cases 200 ") + kGraphProperties, findings);
  });
  return run;
}
std::string finding() { return planted_bug().finding("FusionPreservesGraphOutputs"); }

TEST(PlantedBug, IsFoundAndShrunkToKEquals2) {
  testing::expect_fold_found_with_k2(planted_bug());
  const std::string& out = planted_bug().result.out;
  EXPECT_NE(out.find("ScalesStayValidAfterEveryPass  FAILED"), std::string::npos) << out;
}

TEST(PlantedBug, ReplayFailsThroughTheBugAndPassesWithout) {
  const auto buggy = run_qdiff("replay " + finding() + " --backend-cmd " + python_backend_command(kPipeline, "--bug"));
  EXPECT_EQ(buggy.exit_code, 1) << buggy.out;
  EXPECT_NE(buggy.out.find("process:toy-pass-pipeline-bug: 1 case files, 1 failures"), std::string::npos) << buggy.out;
  const auto fixed = run_qdiff("replay " + finding() + " --backend-cmd " + python_backend_command(kPipeline));
  EXPECT_EQ(fixed.exit_code, 0) << fixed.out;
  EXPECT_NE(fixed.out.find("process:toy-pass-pipeline: 1 case files, 0 failures"), std::string::npos) << fixed.out;
}

TEST(PlantedBug, ExplainSaysWhetherTheBackendPasses) {
  const auto buggy = run_qdiff("explain " + finding() + " --backend-cmd " + python_backend_command(kPipeline, "--bug"));
  EXPECT_EQ(buggy.exit_code, 0) << buggy.out;
  EXPECT_TRUE(std::regex_search(buggy.out, std::regex("process:toy-pass-pipeline-bug +FAILS: after pass "
                                                      "fuse-mul-into-linear")))
      << buggy.out;
  const auto fixed = run_qdiff("explain " + finding() + " --backend-cmd " + python_backend_command(kPipeline));
  EXPECT_TRUE(std::regex_search(fixed.out, std::regex("process:toy-pass-pipeline +passes"))) << fixed.out;
}

}  // namespace
}  // namespace qdiff
