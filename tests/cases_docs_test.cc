// docs/case-file-format.md stays true: every ```json block in it parses,
// and each example case, run through the reference, gives the result
// documented right after it (worked by hand in the doc).
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cases/case_file.h"
#include "cases/case.h"
#include "reference/choose_qparams.h"
#include "reference/dequantize.h"
#include "reference/fake_quantize.h"
#include "reference/quantize.h"

namespace qdiff {
namespace {

std::vector<std::string> json_blocks(const std::string& markdown) {
  std::vector<std::string> blocks;
  const std::string open = "```json\n", close = "\n```";
  for (size_t at = markdown.find(open); at != std::string::npos;
       at = markdown.find(open, at)) {
    at += open.size();
    const size_t end = markdown.find(close, at);
    if (end == std::string::npos) break;
    blocks.push_back(markdown.substr(at, end - at));
    at = end + close.size();
  }
  return blocks;
}

CaseResult run_reference(const AffineCase& c) {
  CaseResult r;
  try {
    switch (c.op) {
      case AffineOpKind::quantize:
        r.outputs.emplace("output", reference::quantize_affine(c.input, c.params, c.contract));
        break;
      case AffineOpKind::dequantize:
        r.outputs.emplace("output", reference::dequantize_affine(c.input, c.params, c.contract));
        break;
      case AffineOpKind::fake_quantize:
        r.outputs.emplace("output", reference::fake_quantize_affine(c.input, c.params, c.contract));
        break;
      case AffineOpKind::choose_qparams: {
        ChosenQParams q = reference::choose_qparams_affine(c.input, c.choose);
        r.outputs.emplace("scale", std::move(q.scale));
        if (q.zero_point) r.outputs.emplace("zero_point", std::move(*q.zero_point));
        break;
      }
    }
  } catch (const Error& e) {
    r.error_kind = e.kind();
    r.error_message = e.what();
  }
  return r;
}

TEST(CaseFileDocs, ExamplesParseAndMatchTheReference) {
  std::ifstream in(QDIFF_SOURCE_DIR "/docs/case-file-format.md");
  ASSERT_TRUE(in) << "docs/case-file-format.md not found";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::vector<std::string> blocks = json_blocks(ss.str());
  int cases = 0;
  bool ops_seen[4] = {};
  for (size_t i = 0; i < blocks.size(); ++i) {
    SCOPED_TRACE(blocks[i]);
    ASSERT_NE(blocks[i].find("\"qdiff-case\""), std::string::npos) << "expected a case block";
    const Case any = parse_case(blocks[i]);
    if (!std::holds_alternative<AffineCase>(any)) {  // cases_fused_docs_test.cc checks these
      ++i;
      continue;
    }
    const AffineCase& c = std::get<AffineCase>(any);
    ops_seen[int(c.op)] = true;
    ++cases;
    ASSERT_LT(i + 1, blocks.size()) << "a case block must be followed by its result";
    const CaseResult documented = parse_result(blocks[++i]);
    const CaseResult actual = run_reference(c);
    EXPECT_EQ(actual.error_kind, documented.error_kind) << actual.error_message;
    ASSERT_EQ(actual.outputs.size(), documented.outputs.size());
    for (const auto& [name, t] : documented.outputs) {
      ASSERT_TRUE(actual.outputs.count(name)) << name;
      EXPECT_TRUE(actual.outputs.at(name).bitwise_equal(t))
          << name << ": reference gives " << write_result(actual);
    }
  }
  EXPECT_GE(cases, 4);
  for (bool seen : ops_seen) EXPECT_TRUE(seen) << "one example per op";
}

}  // namespace
}  // namespace qdiff
