// Malformed case files: every one is rejected with malformed_case (or
// too_large for a shape over the element cap) and a message that names the
// field; nothing crashes, hangs or allocates without bound (run under
// ASan + UBSan too).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cases/case_file.h"
#include "core/limits.h"
#include "tests/test_util.h"

namespace qdiff {
namespace {

using ojson = nlohmann::ordered_json;

ojson base_quantize() {
  return ojson::parse(R"({
    "format": "qdiff-case", "version": 1, "op": "quantize_affine", "contract": "torchao",
    "input": {"dtype": "f32", "shape": [2, 4], "data": [1, 2, 3, 4, 5, 6, 7, 8]},
    "scale": {"dtype": "f32", "shape": [2, 1], "data": [0.5, 0.25]},
    "zero_point": {"dtype": "i8", "shape": [2, 1], "data": [0, 1]},
    "block_size": [1, 4], "dtype": "i8", "quant_min": -128, "quant_max": 127,
    "zero_point_domain": "int"})");
}

ojson base_choose() {
  return ojson::parse(R"({
    "format": "qdiff-case", "version": 1, "op": "choose_qparams_affine",
    "input": {"dtype": "f32", "shape": [2, 4], "data": [1, 2, 3, 4, 5, 6, 7, 8]},
    "dtype": "u8", "mapping": "asymmetric", "eps": 1e-6, "block_size": [1, 4]})");
}

// Dumps j with the string "@RAW@" replaced by raw JSON text (for number
// tokens ojson cannot hold, such as 1e30 as a dim).
std::string with_raw(const ojson& j, const std::string& raw) {
  std::string s = j.dump();
  const size_t at = s.find("\"@RAW@\"");
  EXPECT_NE(at, std::string::npos);
  return s.replace(at, 7, raw);
}

struct Bad {
  std::string label;
  std::string text;
  ErrorKind kind;
  std::string message_part;  // the field name, or what is wrong
};

void expect_rejected(const Bad& b) {
  SCOPED_TRACE(b.label);
  try {
    parse_affine_case(b.text);
    ADD_FAILURE() << "accepted: " << b.text.substr(0, 300);
  } catch (const Error& e) {
    EXPECT_EQ(error_kind_name(e.kind()), error_kind_name(b.kind)) << e.what();
    EXPECT_NE(std::string(e.what()).find(b.message_part), std::string::npos)
        << "message \"" << e.what() << "\" lacks \"" << b.message_part << "\"";
  }
}

Bad mutated(std::string label, const std::function<void(ojson&)>& edit, std::string part,
            ErrorKind kind = ErrorKind::malformed_case, ojson base = base_quantize()) {
  edit(base);
  return {std::move(label), base.dump(), kind, std::move(part)};
}

TEST(CaseMalformed, JsonSyntax) {
  const std::string good = base_quantize().dump();
  for (const Bad& b : std::vector<Bad>{
           {"empty", "", ErrorKind::malformed_case, "invalid JSON"},
           {"whitespace", "  \n", ErrorKind::malformed_case, "invalid JSON"},
           {"truncated", good.substr(0, good.size() / 2), ErrorKind::malformed_case,
            "invalid JSON"},
           {"missing last brace", good.substr(0, good.size() - 1), ErrorKind::malformed_case,
            "invalid JSON"},
           {"trailing garbage", good + " x", ErrorKind::malformed_case, "invalid JSON"},
           {"two documents", good + good, ErrorKind::malformed_case, "invalid JSON"},
           {"trailing comma", R"({"format": "qdiff-case",})", ErrorKind::malformed_case,
            "invalid JSON"},
           {"comment", "{/* c */}", ErrorKind::malformed_case, "invalid JSON"},
           {"NaN literal", R"({"eps": NaN})", ErrorKind::malformed_case, "invalid JSON"},
           {"number beyond double", R"({"eps": 1e400})", ErrorKind::malformed_case,
            "invalid JSON"},
           {"leading zero", R"({"version": 01})", ErrorKind::malformed_case, "invalid JSON"},
           {"NUL byte", std::string("{\"format\"\0: 1}", 14), ErrorKind::malformed_case,
            "invalid JSON"},
           {"non-UTF8 in string", "{\"op\": \"\xff\xfe\"}", ErrorKind::malformed_case,
            "invalid JSON"},
           {"non-UTF8 in key", "{\"\xc3\x28\": 1}", ErrorKind::malformed_case, "invalid JSON"},
           {"non-UTF8 outside strings", "{\xff}", ErrorKind::malformed_case, "invalid JSON"},
           {"overlong UTF8", "{\"op\": \"\xc0\xaf\"}", ErrorKind::malformed_case,
            "invalid JSON"},
           {"lone surrogate escape", R"({"op": "\ud800"})", ErrorKind::malformed_case,
            "invalid JSON"},
           {"root is an array", "[1, 2]", ErrorKind::malformed_case, "must be a JSON object"},
           {"root is a number", "1", ErrorKind::malformed_case, "must be a JSON object"},
       }) {
    expect_rejected(b);
  }
}

TEST(CaseMalformed, DeepNestingIsBoundedNotRecursed) {
  expect_rejected({"100000 [", std::string(100000, '['), ErrorKind::malformed_case,
                   "nesting deeper than 64"});
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  expect_rejected({"100000 {", objects, ErrorKind::malformed_case, "nesting deeper than 64"});
  // Balanced, deep, inside an unknown field (which would otherwise be ignored).
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  std::string text = base_quantize().dump();
  text.insert(1, "\"unknown\": " + deep + ", ");
  expect_rejected({"deep unknown field", text, ErrorKind::malformed_case, "nesting deeper"});
  // The limit is exact: 64 levels (the root object plus 63 arrays) parse.
  text = base_quantize().dump();
  text.insert(1, "\"unknown\": " + std::string(63, '[') + std::string(63, ']') + ", ");
  EXPECT_NO_THROW(parse_affine_case(text));
  text = base_quantize().dump();
  text.insert(1, "\"unknown\": " + std::string(64, '[') + std::string(64, ']') + ", ");
  expect_rejected({"65 levels", text, ErrorKind::malformed_case, "nesting deeper than 64"});
}

TEST(CaseMalformed, HeaderFields) {
  for (const Bad& b : std::vector<Bad>{
           mutated("format missing", [](ojson& j) { j.erase("format"); },
                   R"(field "format" is required)"),
           mutated("format wrong", [](ojson& j) { j["format"] = "qdiff-result"; },
                   R"(field "format" must be "qdiff-case", got "qdiff-result")"),
           mutated("format not a string", [](ojson& j) { j["format"] = 1; },
                   R"(field "format" must be a string, got integer)"),
           mutated("version 2", [](ojson& j) { j["version"] = 2; },
                   R"(field "version" is 2; this build reads version 1)"),
           mutated("version 0", [](ojson& j) { j["version"] = 0; }, R"(field "version")"),
           mutated("version string", [](ojson& j) { j["version"] = "1"; },
                   R"(field "version" must be an integer, got string)"),
           mutated("version 1.0", [](ojson& j) { j["version"] = 1.0; },
                   R"(field "version" must be an integer, got number)"),
           mutated("version missing", [](ojson& j) { j.erase("version"); },
                   R"(field "version" is required)"),
           mutated("version null", [](ojson& j) { j["version"] = nullptr; },
                   R"(field "version" is required)"),
           mutated("op missing", [](ojson& j) { j.erase("op"); }, R"(field "op" is required)"),
           mutated("op unknown", [](ojson& j) { j["op"] = "qsoftmax"; },
                   R"(field "op" names an op this build does not know: "qsoftmax")"),
           mutated("op fused", [](ojson& j) { j["op"] = "qlinear"; },
                   R"(field "op" is "qlinear", a fused op: parse_affine_case reads the affine ops only)"),
           mutated("op array", [](ojson& j) { j["op"] = ojson::array(); },
                   R"(field "op" must be a string, got array)"),
           mutated("contract unknown", [](ojson& j) { j["contract"] = "tflite"; },
                   R"(field "contract" must be torchao, onnx, half_away or zp_before)"),
           mutated("contract bool", [](ojson& j) { j["contract"] = true; },
                   R"(field "contract" must be a string, got boolean)"),
       }) {
    expect_rejected(b);
  }
}

TEST(CaseMalformed, DuplicateFields) {
  std::string text = base_quantize().dump();
  text.insert(1, R"("format": "qdiff-case", )");
  expect_rejected({"format twice", text, ErrorKind::malformed_case,
                   R"(field "format" appears more than once)"});
  text = base_quantize().dump();
  const size_t at = text.find(R"("dtype":"f32")");
  ASSERT_NE(at, std::string::npos);
  text.insert(at, R"("dtype": "i8", )");
  expect_rejected({"input.dtype twice", text, ErrorKind::malformed_case,
                   R"(field "input.dtype" appears more than once)"});
}

TEST(CaseMalformed, TensorStructure) {
  for (const Bad& b : std::vector<Bad>{
           mutated("input missing", [](ojson& j) { j.erase("input"); },
                   R"(field "input" is required)"),
           mutated("input array", [](ojson& j) { j["input"] = {1, 2}; },
                   R"(field "input" must be an object, got array)"),
           mutated("scale missing", [](ojson& j) { j.erase("scale"); },
                   R"(field "scale" is required)"),
           mutated("scale string", [](ojson& j) { j["scale"] = "0.5"; },
                   R"(field "scale" must be an object, got string)"),
           mutated("zero_point number", [](ojson& j) { j["zero_point"] = 0; },
                   R"(field "zero_point" must be an object, got integer)"),
           mutated("dtype missing", [](ojson& j) { j["input"].erase("dtype"); },
                   R"(field "input.dtype" is required)"),
           mutated("dtype unknown", [](ojson& j) { j["input"]["dtype"] = "f64"; },
                   R"(field "input.dtype" must be a storage dtype)"),
           mutated("dtype sub-byte", [](ojson& j) { j["zero_point"]["dtype"] = "i4"; },
                   R"(field "zero_point.dtype" must be a storage dtype)"),
           mutated("shape missing", [](ojson& j) { j["input"].erase("shape"); },
                   R"(field "input.shape" is required)"),
           mutated("shape string", [](ojson& j) { j["input"]["shape"] = "2x4"; },
                   R"(field "input.shape" must be an array, got string)"),
           mutated("shape rank 9", [](ojson& j) { j["input"]["shape"] = {1, 1, 1, 1, 1, 1, 1, 1, 8}; },
                   R"(field "input.shape" has rank 9, the limit is 8)"),
           mutated("negative dim", [](ojson& j) { j["scale"]["shape"] = {2, -1}; },
                   R"(field "scale.shape[1]" must be a non-negative integer)"),
           mutated("fractional dim", [](ojson& j) { j["scale"]["shape"] = {2, 1.5}; },
                   R"(field "scale.shape[1]" must be a non-negative integer)"),
           mutated("dim 1.0", [](ojson& j) { j["scale"]["shape"] = {2.0, 1}; },
                   R"(field "scale.shape[0]" must be a non-negative integer)"),
           mutated("dim string", [](ojson& j) { j["input"]["shape"] = {2, "4"}; },
                   R"(field "input.shape[1]" must be a non-negative integer)"),
           mutated("dim null", [](ojson& j) { j["input"]["shape"] = {2, nullptr}; },
                   R"(field "input.shape[1]" must be a non-negative integer)"),
           mutated("dim array", [](ojson& j) { j["input"]["shape"] = {2, {4}}; },
                   R"(field "input.shape[1]" must be a non-negative integer)"),
           mutated("data missing", [](ojson& j) { j["input"].erase("data"); },
                   R"(field "input.data" is required)"),
           mutated("data object", [](ojson& j) { j["input"]["data"] = ojson::object(); },
                   R"(field "input.data" must be an array, got object)"),
           mutated("data too short", [](ojson& j) { j["input"]["data"].erase(7); },
                   R"(field "input.data" has 7 values, shape [2, 4] needs 8)"),
           mutated("data too long", [](ojson& j) { j["scale"]["data"].push_back(1); },
                   R"(field "scale.data" has 3 values, shape [2, 1] needs 2)"),
           mutated("scalar needs one value", [](ojson& j) {
                     j["scale"]["shape"] = ojson::array();
                     j["scale"]["data"] = ojson::array();
                   },
                   R"(field "scale.data" has 0 values, shape [] needs 1)"),
       }) {
    expect_rejected(b);
  }
  // Dims that are not int64 integers, as raw text.
  for (const char* dim : {"1e30", "1e3", "1000000000000000000000000000000",
                          "18446744073709551615", "-0.0"}) {
    ojson j = base_quantize();
    j["scale"]["shape"] = {"@RAW@", 1};
    expect_rejected({std::string("dim ") + dim, with_raw(j, dim), ErrorKind::malformed_case,
                     R"(field "scale.shape[0]" must be a non-negative integer)"});
  }
}

TEST(CaseMalformed, ShapesOverTheElementCapAreTooLargeBeforeAllocation) {
  for (const Bad& b : std::vector<Bad>{
           mutated("dim 1e12", [](ojson& j) { j["input"]["shape"] = {int64_t{1000000000000}}; },
                   "input shape [1000000000000] has more than", ErrorKind::too_large),
           mutated("numel overflows int64",
                   [](ojson& j) {
                     j["scale"]["shape"] = {int64_t{1} << 40, int64_t{1} << 40};
                   },
                   "scale shape [1099511627776, 1099511627776]", ErrorKind::too_large),
           mutated("zero_point over the cap",
                   [](ojson& j) { j["zero_point"]["shape"] = {int64_t{1} << 27}; },
                   "zero_point shape", ErrorKind::too_large),
       }) {
    expect_rejected(b);
  }
  // A lowered cap applies to a shape whose data is actually present.
  const test_util::CapGuard guard(4);
  expect_rejected({"cap 4, 8 elements", base_quantize().dump(), ErrorKind::too_large,
                   "input shape [2, 4] has more than 4 elements"});
}

TEST(CaseMalformed, DataValues) {
  for (const Bad& b : std::vector<Bad>{
           mutated("f32 bad string", [](ojson& j) { j["input"]["data"][3] = "abc"; },
                   R"(field "input.data[3]" must be a number, "nan", "inf", "-inf" or a hex float)"),
           mutated("f32 decimal string", [](ojson& j) { j["input"]["data"][0] = "1.5"; },
                   R"(field "input.data[0]")"),
           mutated("f32 NaN spelling", [](ojson& j) { j["input"]["data"][0] = "NaN"; },
                   R"(field "input.data[0]")"),
           mutated("f32 bool", [](ojson& j) { j["input"]["data"][7] = true; },
                   R"(field "input.data[7]" must be a number, got boolean)"),
           mutated("f32 null", [](ojson& j) { j["input"]["data"][1] = nullptr; },
                   R"(field "input.data[1]" must be a number, got null)"),
           mutated("f32 nested array", [](ojson& j) { j["scale"]["data"][1] = {0.5}; },
                   R"(field "scale.data[1]" must be a number, got array)"),
           mutated("i8 over", [](ojson& j) { j["zero_point"]["data"][1] = 128; },
                   R"(field "zero_point.data[1]" must be an integer in [-128, 127] for i8, got 128)"),
           mutated("i8 under", [](ojson& j) { j["zero_point"]["data"][0] = -129; },
                   R"(field "zero_point.data[0]" must be an integer in [-128, 127] for i8, got -129)"),
           mutated("u8 negative",
                   [](ojson& j) {
                     j["zero_point"]["dtype"] = "u8";
                     j["zero_point"]["data"][0] = -1;
                   },
                   R"(field "zero_point.data[0]" must be an integer in [0, 255] for u8, got -1)"),
           mutated("u16 over",
                   [](ojson& j) {
                     j["zero_point"]["dtype"] = "u16";
                     j["zero_point"]["data"][1] = 65536;
                   },
                   R"(field "zero_point.data[1]" must be an integer in [0, 65535])"),
           mutated("i32 over",
                   [](ojson& j) {
                     j["zero_point"]["dtype"] = "i32";
                     j["zero_point"]["data"][1] = int64_t{2147483648};
                   },
                   R"(field "zero_point.data[1]" must be an integer in [-2147483648, 2147483647])"),
           mutated("int fraction", [](ojson& j) { j["zero_point"]["data"][0] = 0.5; },
                   R"(field "zero_point.data[0]" must be an integer in [-128, 127] for i8, got number)"),
           mutated("int 1.0", [](ojson& j) { j["zero_point"]["data"][0] = 1.0; },
                   R"(field "zero_point.data[0]")"),
           mutated("int as string", [](ojson& j) { j["zero_point"]["data"][0] = "1"; },
                   R"(field "zero_point.data[0]" must be an integer in [-128, 127] for i8, got string)"),
       }) {
    expect_rejected(b);
  }
  for (const char* huge : {"99999999999999999999", "-99999999999999999999",
                           "18446744073709551615", "9223372036854775808"}) {
    ojson j = base_quantize();
    j["zero_point"]["dtype"] = "i32";
    j["zero_point"]["data"][0] = "@RAW@";
    expect_rejected({std::string("huge int ") + huge, with_raw(j, huge),
                     ErrorKind::malformed_case,
                     R"(field "zero_point.data[0]" must be an integer in [-2147483648, 2147483647] for i32, got an integer beyond int64)"});
  }
}

TEST(CaseMalformed, ParamFields) {
  for (const Bad& b : std::vector<Bad>{
           mutated("dtype missing", [](ojson& j) { j.erase("dtype"); },
                   R"(field "dtype" is required)"),
           mutated("dtype unknown", [](ojson& j) { j["dtype"] = "i9"; },
                   R"(field "dtype" must be a storage dtype (i8, u8, i16, u16, i32, f32) or a quantized type name)"),
           mutated("dtype u0", [](ojson& j) { j["dtype"] = "u0"; }, R"(field "dtype")"),
           mutated("dtype number", [](ojson& j) { j["dtype"] = 8; },
                   R"(field "dtype" must be a string, got integer)"),
           mutated("f32 dtype without range",
                   [](ojson& j) {
                     j["dtype"] = "f32";
                     j.erase("quant_max");
                   },
                   R"(field "quant_max" is required when dtype is "f32")"),
           mutated("quant_min string", [](ojson& j) { j["quant_min"] = "-128"; },
                   R"(field "quant_min" must be an integer, got string)"),
           mutated("quant_max fraction", [](ojson& j) { j["quant_max"] = 127.5; },
                   R"(field "quant_max" must be an integer, got number)"),
           mutated("domain unknown", [](ojson& j) { j["zero_point_domain"] = "fp"; },
                   R"(field "zero_point_domain" must be int, float or none, got "fp")"),
           mutated("domain number", [](ojson& j) { j["zero_point_domain"] = 0; },
                   R"(field "zero_point_domain" must be a string, got integer)"),
           mutated("block_size string", [](ojson& j) { j["block_size"] = "1,4"; },
                   R"(field "block_size" must be an array, got string)"),
           mutated("block_size fraction", [](ojson& j) { j["block_size"] = {1, 2.5}; },
                   R"(field "block_size[1]" must be an integer, got number)"),
           mutated("block_size object", [](ojson& j) { j["block_size"] = {{"a", 1}}; },
                   R"(field "block_size" must be an array, got object)"),
       }) {
    expect_rejected(b);
  }
  for (const char* huge : {"99999999999999999999", "-9223372036854775809"}) {
    ojson j = base_quantize();
    j["quant_min"] = "@RAW@";
    expect_rejected({std::string("quant_min ") + huge, with_raw(j, huge),
                     ErrorKind::malformed_case,
                     R"(field "quant_min" must be an integer within the int64 range)"});
  }
}

TEST(CaseMalformed, ChooseQParamsFields) {
  const ojson base = base_choose();
  EXPECT_NO_THROW(parse_affine_case(base.dump()));
  for (const Bad& b : std::vector<Bad>{
           mutated("mapping missing", [](ojson& j) { j.erase("mapping"); },
                   R"(field "mapping" is required)", ErrorKind::malformed_case, base),
           mutated("mapping unknown", [](ojson& j) { j["mapping"] = "sym"; },
                   R"(field "mapping" must be symmetric, symmetric_no_clipping_err or asymmetric, got "sym")",
                   ErrorKind::malformed_case, base),
           mutated("eps string", [](ojson& j) { j["eps"] = "tiny"; },
                   R"(field "eps" must be a number, "nan", "inf", "-inf" or a hex float)",
                   ErrorKind::malformed_case, base),
           mutated("eps array", [](ojson& j) { j["eps"] = ojson::array(); },
                   R"(field "eps" must be a number, got array)", ErrorKind::malformed_case, base),
           mutated("block_size negative is fine, fraction is not",
                   [](ojson& j) { j["block_size"] = {-1, 0.5}; },
                   R"(field "block_size[1]" must be an integer)", ErrorKind::malformed_case, base),
           mutated("input missing", [](ojson& j) { j.erase("input"); },
                   R"(field "input" is required)", ErrorKind::malformed_case, base),
       }) {
    expect_rejected(b);
  }
}

TEST(CaseMalformed, LongStringsAreShortenedInMessages) {
  ojson j = base_quantize();
  j["op"] = std::string(100000, 'q');
  try {
    parse_affine_case(j.dump());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_LT(std::string(e.what()).size(), 400u);
    EXPECT_NE(std::string(e.what()).find("qqq...\""), std::string::npos) << e.what();
  }
}

// Robustness sweep: every prefix of a valid file and deterministic single
// byte edits (fixed-seed LCG) either parse or fail with malformed_case /
// too_large; nothing else escapes and nothing crashes.
TEST(CaseMalformed, PrefixesAndByteEditsNeverEscapeAsOtherErrors) {
  int rejected = 0, accepted = 0;
  auto check = [&](const std::string& text) {
    try {
      parse_affine_case(text);
      ++accepted;
    } catch (const Error& e) {
      ++rejected;
      EXPECT_TRUE(e.kind() == ErrorKind::malformed_case || e.kind() == ErrorKind::too_large)
          << error_kind_name(e.kind()) << ": " << e.what();
    }
  };
  for (const ojson& base : {base_quantize(), base_choose()}) {
    const std::string good = base.dump(1);
    for (size_t n = 0; n < good.size(); ++n) check(good.substr(0, n));
    uint64_t state = 12345;
    const char interesting[] = "{}[]\",:-0123456789.eE+ \x00\xff\\ntruefalsnul";
    for (int i = 0; i < 20000; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      std::string text = good;
      const size_t at = size_t(state >> 33) % text.size();
      const char c = interesting[(state >> 20) % (sizeof interesting - 1)];
      switch ((state >> 10) % 3) {
        case 0: text[at] = c; break;
        case 1: text.insert(text.begin() + long(at), c); break;
        default: text.erase(at, 1); break;
      }
      check(text);
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(accepted, 0);  // some edits (e.g. digits in data) stay valid
}

}  // namespace
}  // namespace qdiff
