// The example process backends (examples/process_backend/, docs/process-protocol.md)
// as users run them: the Python and C++ kernels pass every property they
// implement and are "not applicable" to the rest; the toy pass pipeline
// passes the graph properties, and with its planted --bug the [K] -> [K, K]
// broadcast is found and shrunk to K = 2; replay and explain judge a
// process backend on a saved finding.
#include <regex>

#include <gtest/gtest.h>

#include "cases/fused_case.h"
#include "tests/qdiff_command.h"

namespace qdiff {
namespace {

using testing::python_backend_command;
using testing::read_text;
using testing::run_qdiff;
using testing::ScratchDir;

constexpr const char* kPipeline = "examples/process_backend/toy_pass_pipeline.py";
constexpr const char* kGraphProperties =
    "--property FusionPreservesGraphOutputs --property ScalesStayValidAfterEveryPass "
    "--property PassesNeverChangeOutputShapes --property PassesAreIdempotent";

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

// The K of the shrunk finding: rows of the weight under the linear's
// dequantize, and the length of the folded constant.
struct FoldShape {
  int64_t weight_rows = -1, factor_length = -1;
};
FoldShape fold_shape(const GraphCase& g) {
  FoldShape s;
  for (const Node& n : g.graph.nodes) {
    if (n.kind == NodeKind::linear) {
      const Node& dq = g.graph.node(n.input(1));
      s.weight_rows = g.graph.node(dq.input(0)).value.shape()[0];
    }
    if (n.kind == NodeKind::mul) {
      for (int in : n.inputs) {
        if (g.graph.node(in).kind == NodeKind::constant) s.factor_length = g.graph.node(in).value.numel();
      }
    }
  }
  return s;
}

class PlantedBug : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    findings_ = new ScratchDir("process-pipeline-bug");
    run_ = new testing::CommandResult(
        check(python_backend_command(kPipeline, "--bug"), std::string("--cases 200 ") + kGraphProperties, *findings_));
  }
  static void TearDownTestSuite() {
    delete run_;
    delete findings_;
  }
  static std::string finding() { return testing::saved_finding(findings_->path(), "FusionPreservesGraphOutputs"); }
  static ScratchDir* findings_;
  static testing::CommandResult* run_;
};
ScratchDir* PlantedBug::findings_ = nullptr;
testing::CommandResult* PlantedBug::run_ = nullptr;

TEST_F(PlantedBug, IsFoundAndShrunkToKEquals2) {
  EXPECT_EQ(run_->exit_code, 1) << run_->out;
  EXPECT_NE(run_->out.find("FusionPreservesGraphOutputs  FAILED"), std::string::npos) << run_->out;
  EXPECT_NE(run_->out.find("ScalesStayValidAfterEveryPass  FAILED"), std::string::npos) << run_->out;
  const CaseFile f = parse_case_file(read_text(finding()));
  const FoldShape s = fold_shape(std::get<GraphCase>(f.c));
  EXPECT_EQ(s.weight_rows, 2);
  // [2] or [1]: either factor, broadcast without the reshape, leaves the
  // per-tensor scale with a rank the weight does not have.
  EXPECT_GE(s.factor_length, 1);
  EXPECT_LE(s.factor_length, 2);
}

TEST_F(PlantedBug, ReplayFailsThroughTheBugAndPassesWithout) {
  const auto buggy = run_qdiff("replay " + finding() + " --backend-cmd " + python_backend_command(kPipeline, "--bug"));
  EXPECT_EQ(buggy.exit_code, 1) << buggy.out;
  EXPECT_NE(buggy.out.find("process:toy-pass-pipeline-bug: 1 case files, 1 failures"), std::string::npos) << buggy.out;
  const auto fixed = run_qdiff("replay " + finding() + " --backend-cmd " + python_backend_command(kPipeline));
  EXPECT_EQ(fixed.exit_code, 0) << fixed.out;
  EXPECT_NE(fixed.out.find("process:toy-pass-pipeline: 1 case files, 0 failures"), std::string::npos) << fixed.out;
}

TEST_F(PlantedBug, ExplainSaysWhetherTheBackendPasses) {
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
