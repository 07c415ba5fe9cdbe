// The messages of the process-backend protocol (docs/process-protocol.md):
// one JSON document per line each way.
//
//   hello       {"qdiff": "hello", "version": 1}
//            -> {"qdiff": "hello", "version": 1, "name": "...",
//                "ops": ["quantize_affine", ...], "passes": ["...", ...],
//                "reads": ["qlinear_contract"]}   (optional: case members added
//                after version 1 that it reads; others get only their default)
//   an op       a case file (SPEC section 11, cases/case.h) on one line
//            -> a qdiff-result (outputs or error), or {"unsupported": "why"}
//   graph pass  {"qdiff": "graph-pass", "pass": NAME | "pipeline", "graph": GRAPH}
//            -> {"graph": GRAPH}, a qdiff-result error, or {"unsupported": "why"}
//
// Requests reuse the case writer (cases/), so a backend reads exactly what
// `qdiff eval` reads; answers are read with the case readers, so a backend
// writes exactly what `qdiff eval` prints.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cases/case_file.h"
#include "cases/case.h"
#include "core/graph.h"

namespace qdiff {

inline constexpr int kProcessProtocolVersion = 1;
// The graph-pass request's pass name for the whole pipeline, in order.
inline constexpr std::string_view kPipelinePass = "pipeline";

struct Hello {
  std::string name;
  std::vector<std::string> ops;     // case-file "op" values it answers
  std::vector<std::string> passes;  // graph passes, pipeline order
  std::vector<std::string> reads;   // later case members it reads (kReadsQLinearContract)
};
// The hello "reads" entry of a backend that reads qlinear / qconv2d's
// "qlinear_contract" member and declines the contracts it does not follow.
inline constexpr std::string_view kReadsQLinearContract = "qlinear_contract";

std::string hello_request();
std::string case_request(const Case& c);
std::string graph_pass_request(std::string_view pass, const Graph& g);

// Throw malformed_case naming what is wrong with the answer.
Hello parse_hello(std::string_view line);
struct Declined {
  std::string why;
};
using Answer = std::variant<CaseResult, Graph, Declined>;
Answer parse_answer(std::string_view line);

}  // namespace qdiff
