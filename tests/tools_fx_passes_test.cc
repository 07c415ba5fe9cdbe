// The torch.fx port of the seed's passes (examples/fx_passes/,
// docs/real-backends.md) as users run it through the process protocol:
// without the seed's bug every graph property qdiff judges for a pass
// backend passes (judged, not declined); with QDIFF_FX_SEED_BUG=1 the [K]
// factor multiplied into the weight scale without its reshape is found,
// shrunk to K = 2 and saved, `qdiff explain` prints the saved case, and
// the corpus regression of the [K, 1] -> [K, K] outer product fails only
// with the bug. Registered only where Debian's python3-torch imports.
#include <regex>

#include <gtest/gtest.h>

#include "tests/pass_pipeline_findings.h"
#include "tests/qdiff_command.h"

namespace qdiff {
namespace {

using testing::python_backend_command;
using testing::run_qdiff;
using testing::ScratchDir;

constexpr const char* kPort = "examples/fx_passes/fx_passes.py";
const std::string kProperties = std::string(testing::kGraphPassProperties) +
                                " --property LegalFusionsAreApplied --property IllegalFusionsAreNotApplied";
const std::string kRegression = std::string(QDIFF_SOURCE_DIR) + "/corpus/regressions/fx_passes";

// The port's command (the seed's bug switched on through the shell) with a
// generous request timeout, the hello's too: importing torch on a loaded
// 2-core machine has taken more than qdiff's default 10 s.
std::string port(bool seed_bug) {
  const std::string cmd = python_backend_command(kPort);
  return (seed_bug ? "'QDIFF_FX_SEED_BUG=1 " + cmd.substr(1) : cmd) + " --backend-timeout 60";
}

testing::CommandResult check(bool seed_bug, const std::string& args, const ScratchDir& findings) {
  return run_qdiff("check --seed 1 --fuzz-seconds 0 --no-corpus " + args + " --backend-cmd " + port(seed_bug) +
                   " --findings " + findings.str());
}

TEST(FxPasses, PassesEveryGraphPropertyWithoutTheSeedBug) {
  ScratchDir findings("fx-passes");
  const auto r = check(false, "--cases 100 " + kProperties, findings);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  for (const char* name : {"FusionPreservesGraphOutputs", "ScalesStayValidAfterEveryPass",
                           "PassesNeverChangeOutputShapes", "PassesAreIdempotent", "LegalFusionsAreApplied",
                           "IllegalFusionsAreNotApplied"}) {
    EXPECT_TRUE(std::regex_search(r.out, std::regex(std::string("\\] ") + name + "  ok \\(100 cases")))
        << name << "\n" << r.out;
  }
}

// The run with the seed's bug, shared by the FxSeedBug tests: the two
// properties that see the bug (each stops at its first failure).
const testing::SharedRun& seed_bug() {
  static const testing::SharedRun run("fx-passes-seed-bug", [](const ScratchDir& findings) {
    return check(true, "--cases 200 --property FusionPreservesGraphOutputs --property ScalesStayValidAfterEveryPass",
                 findings);
  });
  return run;
}
std::string finding() { return seed_bug().finding("FusionPreservesGraphOutputs"); }

TEST(FxSeedBug, IsFoundShrunkToKEquals2WithTheScaleShapes) {
  testing::expect_fold_found_with_k2(seed_bug());
  // The per-tensor scale [] times the [2] factor: a [2] scale on the weight
  // of K = 2 rows ([2, 1] or [2, 2], whichever the reducer keeps).
  const std::string& out = seed_bug().result.out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(after pass fuse-mul-into-linear: the reference rejects the )"
                                                R"(transformed graph \(invalid_shape: node 3 \(dequantize\): scale )"
                                                R"(has rank 1 \(shape \[2\]\), input has rank 2 \(shape \[2, [12]\]\))")))
      << out;
}

TEST(FxSeedBug, ExplainPrintsTheSavedCaseAndTheVerdicts) {
  ASSERT_FALSE(finding().empty()) << seed_bug().result.out;
  const auto buggy = run_qdiff("explain " + finding() + " --backend-cmd " + port(true));
  EXPECT_EQ(buggy.exit_code, 0) << buggy.out;
  EXPECT_TRUE(std::regex_search(buggy.out, std::regex("constant \"W\" +- +i8 \\[2, [12]\\]"))) << buggy.out;
  EXPECT_TRUE(std::regex_search(buggy.out, std::regex("process:torch-fx-seed-passes-seed-bug +FAILS: after pass "
                                                      "fuse-mul-into-linear")))
      << buggy.out;
  const auto fixed = run_qdiff("explain " + finding() + " --backend-cmd " + port(false));
  EXPECT_TRUE(std::regex_search(fixed.out, std::regex("process:torch-fx-seed-passes +passes"))) << fixed.out;
}

// corpus/regressions/fx_passes: a [2, 1] per-channel scale and c = [1, 2];
// the unreshaped product is the [2, 2] outer product, per-group along In.
TEST(FxPasses, TheOuterProductRegressionFailsOnlyWithTheSeedBug) {
  const auto fixed = run_qdiff("replay " + kRegression + " --backend-cmd " + port(false));
  EXPECT_EQ(fixed.exit_code, 0) << fixed.out;
  EXPECT_NE(fixed.out.find("process:torch-fx-seed-passes: 1 case files, 0 failures"), std::string::npos) << fixed.out;
  const auto buggy = run_qdiff("replay " + kRegression + " --backend-cmd " + port(true));
  EXPECT_EQ(buggy.exit_code, 1) << buggy.out;
  EXPECT_NE(buggy.out.find("expected (reference): 0.03125 (0x3d000000)\n    actual:               0.046875"),
            std::string::npos)
      << buggy.out;
  EXPECT_NE(buggy.out.find("1 case files, 1 failures"), std::string::npos) << buggy.out;
}

// Compact-scale lowering is not in the protocol; the port's --lower mode
// shows it keeps a K = 1 per-group scale 2-D ([1, G], never squeezed to [G]).
TEST(FxPasses, CompactScaleLoweringKeepsKEquals1PerGroupTwoDimensional) {
  const auto r = testing::run_command("/usr/bin/python3 " + std::string(QDIFF_SOURCE_DIR) + "/" + kPort + " --lower " +
                                      QDIFF_SOURCE_DIR + "/examples/fx_passes/cases/k1_per_group_linear.json");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("fused node 0 (qlinear): weight [1, 4]: per_group, compact scale [1, 2]"), std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace qdiff
