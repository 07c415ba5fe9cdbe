// docs/case-file-format.md stays true for graphs: each graph example is in
// the canonical form the writer produces, round-trips, and evaluates with the
// reference graph interpreter to the result documented right after it
// (worked by hand in the doc), outputs or error alike.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cases/case_file.h"
#include "cases/case.h"
#include "reference/graph_eval.h"

namespace qdiff {
namespace {

struct Example {
  std::string case_text;
  std::string result_text;
};

std::vector<Example> graph_examples() {
  std::ifstream in(QDIFF_SOURCE_DIR "/docs/case-file-format.md");
  EXPECT_TRUE(in) << "docs/case-file-format.md not found";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string markdown = ss.str();
  std::vector<std::string> blocks;
  const std::string open = "```json\n", close = "\n```";
  for (size_t at = markdown.find(open); at != std::string::npos; at = markdown.find(open, at)) {
    at += open.size();
    const size_t end = markdown.find(close, at);
    if (end == std::string::npos) break;
    blocks.push_back(markdown.substr(at, end - at));
    at = end + close.size();
  }
  std::vector<Example> out;
  for (size_t i = 0; i + 1 < blocks.size(); ++i) {
    if (blocks[i].find("\"op\": \"graph\"") != std::string::npos) out.push_back({blocks[i], blocks[i + 1]});
  }
  return out;
}

CaseResult run_reference(const GraphCase& c) {
  CaseResult r;
  try {
    const std::vector<Tensor> outputs = reference::evaluate_graph(c.graph, c.inputs);
    for (size_t k = 0; k < outputs.size(); ++k) r.outputs.emplace(graph_output_name(k), outputs[k]);
  } catch (const Error& e) {
    r.error_kind = e.kind();
    r.error_message = e.what();
  }
  return r;
}

TEST(GraphCaseDocs, ExamplesAreCanonicalAndMatchTheReference) {
  const std::vector<Example> examples = graph_examples();
  ASSERT_EQ(examples.size(), 2u);
  for (const Example& e : examples) {
    SCOPED_TRACE(e.case_text);
    const Case any = parse_case(e.case_text);
    ASSERT_TRUE(std::holds_alternative<GraphCase>(any));
    EXPECT_EQ(write_case(any), e.case_text + "\n");  // the doc shows the canonical form
    const CaseResult documented = parse_result(e.result_text);
    const CaseResult actual = run_reference(std::get<GraphCase>(any));
    EXPECT_EQ(actual.error_kind, documented.error_kind) << actual.error_message;
    EXPECT_EQ(actual.error_message, documented.error_message);
    ASSERT_EQ(actual.outputs.size(), documented.outputs.size());
    for (const auto& [name, t] : documented.outputs) {
      ASSERT_TRUE(actual.outputs.count(name)) << name;
      EXPECT_TRUE(actual.outputs.at(name).bitwise_equal(t))
          << name << ": reference gives " << write_result(actual);
    }
  }
}

}  // namespace
}  // namespace qdiff
