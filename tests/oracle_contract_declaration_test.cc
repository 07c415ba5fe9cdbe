// A process backend is sent a qlinear case under a non-default accumulation
// contract only if its hello lists "qlinear_contract" in "reads"
// (docs/process-protocol.md): one written before the member existed would
// silently compute its own contract. The backends here are shell scripts
// that answer every op request with the same result, so a request that is
// sent returns, and one that is not throws NotApplicable.
#include <gtest/gtest.h>

#include <string>

#include "oracle/plugin_backend.h"
#include "oracle/process_backend.h"
#include "tests/qlinear_contract_vectors.h"

namespace qdiff {
namespace {

using namespace qlinear_contract_vectors;

std::unique_ptr<Backend> script_backend(const std::string& hello_extra) {
  const std::string answer =
      R"({"format": "qdiff-result", "version": 1, "outputs": {"output": {"dtype": "i8", "shape": [1, 2], "data": [32, 24]}}})";
  const std::string script = "read l; echo '{\"qdiff\": \"hello\", \"version\": 1, \"ops\": [\"qlinear\"]" +
                             hello_extra + "}'; while read l; do echo '" + answer + "'; done";
  ProcessBackendOptions o;
  o.command = script;  // run as /bin/sh -c COMMAND
  return start_process_backend(o);
}

QLinearArgs int32_bias_case() {
  QLinearArgs a = bias_tie_case();
  a.contract = contract(BiasGrid::int32_acc);
  return a;
}

TEST(ContractDeclaration, ABackendThatDoesNotReadTheContractGetsOnlyTheDefault) {
  const auto b = script_backend("");
  EXPECT_NO_THROW(b->qlinear(bias_tie_case()));
  EXPECT_THROW(b->qlinear(int32_bias_case()), NotApplicable);
}

TEST(ContractDeclaration, ABackendThatReadsTheContractGetsEveryContract) {
  const auto b = script_backend(", \"reads\": [\"qlinear_contract\"]");
  EXPECT_NO_THROW(b->qlinear(bias_tie_case()));
  EXPECT_NO_THROW(b->qlinear(int32_bias_case()));
}

}  // namespace
}  // namespace qdiff
