// The C ABI v2's operation entry points, end to end: `qdiff check --backend`
// on tests/abi_v2_conformance_plugin.cc (naive SPEC loops for a per-tensor
// subset, no qdiff code) judges choose_qparams, fake_quantize, qconv2d, qadd
// and qmul against the reference. Every field the harness marshals into the
// C structs reaches the plug-in's arithmetic, so a field passed wrongly
// fails these rows (checked by swapping qconv2d's strides in
// oracle/plugin_backend.cc: QConv2d fails).
#include <string>

#include <gtest/gtest.h>

#include "tests/qdiff_command.h"

namespace qdiff {
namespace {

TEST(AbiV2, EveryOperationEntryPointIsJudgedAndPasses) {
  testing::ScratchDir findings("abi-v2");
  const char* properties[] = {"ChooseQParamsOptimizedMatchesReference", "FakeQuantizeOptimizedMatchesReference",
                              "QConv2dOptimizedMatchesReference", "QAddOptimizedMatchesReference",
                              "QMulOptimizedMatchesReference"};
  std::string args = std::string("check --backend ") + QDIFF_V2_PLUGIN +
                     " --cases 300 --fuzz-seconds 0 --no-corpus --findings " + findings.str();
  for (const char* p : properties) args += std::string(" --property ") + p;
  const auto r = testing::run_qdiff(args);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  for (const char* p : properties) {
    // "ok (300 cases": judged, not declined as not applicable.
    EXPECT_NE(r.out.find(std::string(p) + "  ok (300 cases"), std::string::npos) << p << "\n" << r.out;
  }
}

}  // namespace
}  // namespace qdiff
