// Result files (cases/case_file.h): outputs and errors round-trip, and
// malformed result files are rejected naming the field.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "cases/case_file.h"
#include "core/float_bits.h"

namespace qdiff {
namespace {

constexpr const char* kHeader = R"({"format": "qdiff-result", "version": 1, )";

void expect_malformed(const std::string& text, const std::string& part) {
  SCOPED_TRACE(text.substr(0, 200));
  try {
    parse_result(text);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::malformed_case) << e.what();
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(CaseResultFile, OutputRoundTripsBitExactly) {
  CaseResult r;
  r.outputs.emplace("output",
                    Tensor::of<float>({2, 3}, {-0.0f, f32_from_bits(1), 3.0f, 0.1f,
                                               std::numeric_limits<float>::infinity(),
                                               f32_from_bits(0x42FFFFFE)}));
  const std::string text = write_result(r);
  const CaseResult back = parse_result(text);
  EXPECT_FALSE(back.error_kind.has_value());
  ASSERT_EQ(back.outputs.size(), 1u);
  EXPECT_TRUE(back.outputs.at("output").bitwise_equal(r.outputs.at("output"))) << text;
  EXPECT_EQ(write_result(back), text);
}

TEST(CaseResultFile, ChooseQParamsOutputsRoundTrip) {
  CaseResult r;
  r.outputs.emplace("scale", Tensor::of<float>({2, 1}, {0.015686275f, 0.007843138f}));
  r.outputs.emplace("zero_point", Tensor::of<int32_t>({2, 1}, {64, std::numeric_limits<int32_t>::min()}));
  const std::string text = write_result(r);
  const CaseResult back = parse_result(text);
  ASSERT_EQ(back.outputs.size(), 2u);
  for (const auto& [name, t] : r.outputs) {
    EXPECT_TRUE(back.outputs.at(name).bitwise_equal(t)) << name;
  }
}

TEST(CaseResultFile, EveryErrorKindRoundTrips) {
  for (ErrorKind k : {ErrorKind::invalid_shape, ErrorKind::non_divisible_block,
                      ErrorKind::invalid_scale, ErrorKind::invalid_zero_point,
                      ErrorKind::invalid_range, ErrorKind::nan_input, ErrorKind::too_large,
                      ErrorKind::malformed_case, ErrorKind::unsupported}) {
    CaseResult r;
    r.error_kind = k;
    r.error_message = std::string(error_kind_name(k)) + ": \"quoted\"\n\ttab \\ back";
    const CaseResult back = parse_result(write_result(r));
    EXPECT_EQ(back.error_kind, k);
    EXPECT_EQ(back.error_message, r.error_message);
    EXPECT_TRUE(back.outputs.empty());
  }
}

TEST(CaseResultFile, ErrorWinsOverOutputsWhenWriting) {
  CaseResult r;
  r.error_kind = ErrorKind::nan_input;
  r.outputs.emplace("output", Tensor::of<float>({1}, {1.0f}));
  const std::string text = write_result(r);
  EXPECT_EQ(text.find("outputs"), std::string::npos) << text;
  EXPECT_EQ(parse_result(text).error_kind, ErrorKind::nan_input);
}

TEST(CaseResultFile, NonUtf8MessagesStillWriteValidJson) {
  CaseResult r;
  r.error_kind = ErrorKind::malformed_case;
  r.error_message = "bad byte \xff here";
  // U+FFFD (EF BF BD) replaces the byte that is not UTF-8.
  EXPECT_EQ(parse_result(write_result(r)).error_message, "bad byte \xEF\xBF\xBD here");
}

TEST(CaseResultFile, MalformedResults) {
  const std::string out = R"("outputs": {"output": {"dtype": "f32", "shape": [1], "data": [1]}})";
  const std::string err = R"("error": {"kind": "nan_input", "message": "m"})";
  EXPECT_NO_THROW(parse_result(kHeader + out + "}"));
  EXPECT_NO_THROW(parse_result(kHeader + err + "}"));
  expect_malformed("{\"format\": \"qdiff-case\", \"version\": 1, " + out + "}",
                   R"(field "format" must be "qdiff-result")");
  expect_malformed("{\"format\": \"qdiff-result\", \"version\": 3, " + out + "}",
                   R"(field "version" is 3)");
  expect_malformed(std::string(kHeader) + out + ", " + err + "}",
                   R"(field "error" cannot appear together with "outputs")");
  expect_malformed(R"({"format": "qdiff-result", "version": 1})",
                   R"(field "outputs" or "error" is required)");
  expect_malformed(kHeader + std::string(R"("outputs": {}})"),
                   R"(field "outputs" must hold at least one tensor)");
  expect_malformed(kHeader + std::string(R"("outputs": []})"),
                   R"(field "outputs" must be an object, got array)");
  expect_malformed(kHeader + std::string(R"("outputs": {"output": {"dtype": "f32", "shape": [2], "data": [1, "x"]}}})"),
                   R"(field "outputs.output.data[1]")");
  expect_malformed(kHeader + std::string(R"("outputs": {"scale": {"dtype": "f32", "shape": [1], "data": [1]}, "scale": {"dtype": "f32", "shape": [1], "data": [2]}}})"),
                   R"(field "outputs.scale" appears more than once)");
  expect_malformed(kHeader + std::string(R"("error": {"kind": "oops", "message": "m"}})"),
                   R"(field "error.kind" is not an error kind: "oops")");
  expect_malformed(kHeader + std::string(R"("error": {"message": "m"}})"),
                   R"(field "error.kind" is required)");
  expect_malformed(kHeader + std::string(R"("error": {"kind": "nan_input"}})"),
                   R"(field "error.message" is required)");
  expect_malformed(kHeader + std::string(R"("error": "nan_input"})"),
                   R"(field "error" must be an object, got string)");
  expect_malformed(std::string(kHeader) + out, "invalid JSON");
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += R"({"outputs":)";
  expect_malformed(deep, "nesting deeper than 64");
}

}  // namespace
}  // namespace qdiff
