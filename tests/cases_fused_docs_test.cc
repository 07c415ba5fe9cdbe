// docs/case-file-format.md stays true for the fused ops: each fused example
// parses, round-trips, is summarised, and the reference gives the result
// documented right after it, worked by hand in the doc. The affine examples: cases_docs_test.cc.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cases/case_file.h"
#include "cases/case.h"
#include "reference/fused_ops.h"

namespace qdiff {
namespace {

struct Example {
  std::string case_text;
  std::string result_text;
};

// Every fused case block with the result block that follows it.
std::vector<Example> fused_examples() {
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
    if (blocks[i].find("\"qdiff-case\"") == std::string::npos) continue;
    const Case c = parse_case(blocks[i]);
    // Graph examples: cases_graph_docs_test.cc.
    if (!std::holds_alternative<AffineCase>(c) && !std::holds_alternative<GraphCase>(c)) {
      out.push_back({blocks[i], blocks[i + 1]});
    }
  }
  return out;
}

TEST(FusedCaseDocs, OneExamplePerFusedOpParsesAndRoundTrips) {
  const std::vector<Example> examples = fused_examples();
  std::vector<std::string> ops;
  for (const Example& e : examples) {
    SCOPED_TRACE(e.case_text);
    const Case c = parse_case(e.case_text);
    ops.push_back(case_op_name(c));
    const std::string written = write_case(c);
    EXPECT_EQ(write_case(parse_case(written)), written);
    EXPECT_EQ(case_summary(c).find("invalid"), std::string::npos) << case_summary(c);
    EXPECT_EQ(case_summary(c).find("unknown"), std::string::npos) << case_summary(c);
    const CaseResult documented = parse_result(e.result_text);
    EXPECT_FALSE(documented.error_kind.has_value());
    EXPECT_EQ(documented.outputs.size(), 1u);
    EXPECT_EQ(documented.outputs.count("output"), 1u);
  }
  EXPECT_EQ(ops, (std::vector<std::string>{"qlinear", "qconv2d", "qadd", "qmul"}));
}

// The summaries of the documented examples, checked against the layouts
// the doc's arithmetic assumes.
TEST(FusedCaseDocs, SummariesShowTheDocumentedLayouts) {
  const std::vector<Example> examples = fused_examples();
  ASSERT_EQ(examples.size(), 4u);
  const std::vector<std::vector<std::string>> expected = {
      {"w_params scale [2, 1] i8 [-8, 7] int: per_channel axis 0", "out [2, 2]",
       "out_params scale [1, 2] zp [1, 2] i8 [-8, 7] int: per_channel axis 1", "activation clamp [-2, 6]"},
      {"x_params scale [] zp [] u8 [0, 255] int: per_tensor", "out [1, 2, 2, 3]",
       "out_params scale [1, 2, 1, 1] zp [1, 2, 1, 1] u8 [0, 255] int: per_channel axis 1",
       "stride [2, 1] padding [1, 0, 0, 1] dilation [1, 1] groups 1", "activation relu"},
      {"a_params scale [2, 1] zp [2, 1] i8 [-128, 127] int: per_channel axis 0", "out [2, 3]",
       "activation none"},
      {"a i8 []", "a_params scale [] i8 [-128, 127] none: per_tensor",
       "b_params scale [1, 2] i8 [-128, 127] int: per_channel axis 1", "out [2, 2]",
       "activation clamp [-1, 6]"},
  };
  for (size_t i = 0; i < examples.size(); ++i) {
    const std::string s = case_summary(parse_case(examples[i].case_text));
    for (const std::string& part : expected[i]) {
      EXPECT_NE(s.find(part), std::string::npos) << "\"" << part << "\" not in: " << s;
    }
  }
}

TEST(FusedCaseDocs, DocumentedResultsMatchTheReference) {
  for (const Example& e : fused_examples()) {
    SCOPED_TRACE(e.case_text);
    const Case c = parse_case(e.case_text);
    Tensor actual;
    if (const auto* q = std::get_if<QLinearCase>(&c)) {
      actual = reference::qlinear(q->args).output;
    } else if (const auto* v = std::get_if<QConv2dCase>(&c)) {
      actual = reference::qconv2d(v->args).output;
    } else {
      actual = reference::qelementwise(std::get<QElementwiseCase>(c).args).output;
    }
    const CaseResult documented = parse_result(e.result_text);
    ASSERT_EQ(documented.outputs.count("output"), 1u);
    CaseResult got;
    got.outputs.emplace("output", actual);
    EXPECT_TRUE(actual.bitwise_equal(documented.outputs.at("output")))
        << "reference gives " << write_result(got);
  }
}

}  // namespace
}  // namespace qdiff
