// What the tests of the process-backend pass pipelines (the toy and the
// torch.fx port) share: one `qdiff` run whose findings several tests read,
// and the K of a shrunk fuse-mul-into-linear finding.
#pragma once

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "cases/case.h"
#include "cases/graph_case.h"
#include "tests/qdiff_command.h"

namespace qdiff::testing {

// The graph properties every pass backend is judged on (pass firing aside).
inline constexpr const char* kGraphPassProperties =
    "--property FusionPreservesGraphOutputs --property ScalesStayValidAfterEveryPass "
    "--property PassesNeverChangeOutputShapes --property PassesAreIdempotent";

// One qdiff run into its own findings directory, made once on first use
// (a function-local static), removed at exit.
struct SharedRun {
  template <typename Run>
  SharedRun(const std::string& tag, Run run) : findings(tag), result(run(findings)) {}
  std::string finding(const std::string& property) const { return saved_finding(findings.path(), property); }
  const ScratchDir findings;
  const CommandResult result;
};

// The K of a shrunk finding with one linear and one mul: the rows of the
// weight under the linear's dequantize, and the length of the mul's factor.
struct FoldShape {
  int64_t weight_rows = -1, factor_length = -1;
};

inline FoldShape fold_shape(const GraphCase& g) {
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

// The run failed FusionPreservesGraphOutputs and saved a finding shrunk to
// a fold with K = 2.
inline void expect_fold_found_with_k2(const SharedRun& run) {
  const CommandResult& r = run.result;
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("FusionPreservesGraphOutputs  FAILED"), std::string::npos) << r.out;
  const std::string path = run.finding("FusionPreservesGraphOutputs");
  ASSERT_FALSE(path.empty()) << r.out;
  const FoldShape s = fold_shape(std::get<GraphCase>(parse_case_file(read_text(path)).c));
  EXPECT_EQ(s.weight_rows, 2);
  // [2] or [1]: either factor, broadcast without the reshape, leaves the
  // per-tensor scale with a rank the weight does not have.
  EXPECT_GE(s.factor_length, 1);
  EXPECT_LE(s.factor_length, 2);
}

}  // namespace qdiff::testing
