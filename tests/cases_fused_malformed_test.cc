// Malformed fused-op case files (cases/case.h): every defect the
// argument structs cannot hold is malformed_case (or too_large over the
// element cap) with a message naming the field by its path, nested PARAMS
// included ("w_params.scale.shape[0]"); nothing crashes or escapes as
// another error kind (run under ASan + UBSan too).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cases/case_file.h"
#include "cases/case.h"
#include "core/limits.h"
#include "tests/test_util.h"

namespace qdiff {
namespace {

using ojson = nlohmann::ordered_json;

ojson base_qlinear() {
  return ojson::parse(R"({
    "format": "qdiff-case", "version": 1, "op": "qlinear",
    "x": {"dtype": "i8", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]},
    "x_params": {"scale": {"dtype": "f32", "shape": [], "data": [0.5]},
                 "zero_point": {"dtype": "i32", "shape": [], "data": [1]}, "dtype": "i8"},
    "w": {"dtype": "i8", "shape": [4, 3], "data": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]},
    "w_params": {"scale": {"dtype": "f32", "shape": [4, 1], "data": [0.5, 0.25, 1, 2]},
                 "zero_point": {"dtype": "i8", "shape": [4, 1], "data": [0, 1, -1, 2]},
                 "block_size": [1, 3], "dtype": "i4", "quant_min": -8, "quant_max": 7,
                 "zero_point_domain": "int"},
    "bias": {"dtype": "f32", "shape": [4], "data": [0.5, -1, 0, "inf"]},
    "out_params": {"scale": {"dtype": "f32", "shape": [1, 4], "data": [1, 2, 3, 4]},
                   "dtype": "u8"},
    "activation": {"kind": "clamp", "lo": -1, "hi": 6}})");
}

ojson base_qconv2d() {
  return ojson::parse(R"({
    "format": "qdiff-case", "version": 1, "op": "qconv2d",
    "x": {"dtype": "u8", "shape": [1, 2, 3, 3], "data": [0, 1, 2, 3, 4, 5, 6, 7, 8,
                                                         9, 10, 11, 12, 13, 14, 15, 16, 17]},
    "x_params": {"scale": {"dtype": "f32", "shape": [], "data": [0.5]}, "dtype": "u8"},
    "w": {"dtype": "i8", "shape": [2, 1, 2, 2], "data": [1, 2, 3, 4, 5, 6, 7, 8]},
    "w_params": {"scale": {"dtype": "f32", "shape": [2, 1, 1, 1], "data": [0.5, 0.25]},
                 "dtype": "i8"},
    "bias": {"dtype": "f32", "shape": [2], "data": [1, 2]},
    "out_params": {"scale": {"dtype": "f32", "shape": [], "data": [1]}, "dtype": "i8"},
    "stride": [1, 2], "padding": [0, 1, 1, 0], "dilation": [1, 1], "groups": 2,
    "activation": {"kind": "relu"}})");
}

ojson base_elementwise(const char* op) {
  ojson j = ojson::parse(R"({
    "format": "qdiff-case", "version": 1, "op": "qadd",
    "a": {"dtype": "i8", "shape": [2, 1], "data": [1, 2]},
    "a_params": {"scale": {"dtype": "f32", "shape": [2, 1], "data": [0.5, 1]}, "dtype": "i8"},
    "b": {"dtype": "u8", "shape": [3], "data": [1, 2, 3]},
    "b_params": {"scale": {"dtype": "f32", "shape": [], "data": [0.25]},
                 "zero_point": {"dtype": "u8", "shape": [], "data": [128]}, "dtype": "u8"},
    "out_params": {"scale": {"dtype": "f32", "shape": [], "data": [1]}, "dtype": "i8"}})");
  j["op"] = op;
  return j;
}

std::vector<ojson> every_base() {
  return {base_qlinear(), base_qconv2d(), base_elementwise("qadd"), base_elementwise("qmul")};
}

// Dumps j with the string "@RAW@" replaced by raw JSON text (number tokens
// ojson cannot hold, such as 1e30 or integers beyond int64).
std::string with_raw(const ojson& j, const std::string& raw) {
  std::string s = j.dump();
  const size_t at = s.find("\"@RAW@\"");
  EXPECT_NE(at, std::string::npos);
  return s.replace(at, 7, raw);
}

struct Bad {
  std::string label;
  std::string text;
  std::string message_part;  // the field's path and what is wrong
  ErrorKind kind = ErrorKind::malformed_case;
};

void expect_rejected(const Bad& b) {
  SCOPED_TRACE(b.label);
  try {
    parse_case(b.text);
    ADD_FAILURE() << "accepted: " << b.text.substr(0, 400);
  } catch (const Error& e) {
    EXPECT_EQ(error_kind_name(e.kind()), error_kind_name(b.kind)) << e.what();
    EXPECT_NE(std::string(e.what()).find(b.message_part), std::string::npos)
        << "message \"" << e.what() << "\" lacks \"" << b.message_part << "\"";
  }
}

Bad mutated(ojson base, std::string label, const std::function<void(ojson&)>& edit,
            std::string part, ErrorKind kind = ErrorKind::malformed_case) {
  edit(base);
  return {std::move(label), base.dump(), std::move(part), kind};
}

TEST(FusedCaseMalformed, TheBasesParse) {
  for (const ojson& base : every_base()) EXPECT_NO_THROW(parse_case(base.dump())) << base["op"];
}

TEST(FusedCaseMalformed, OpField) {
  expect_rejected(mutated(base_qlinear(), "unknown op", [](ojson& j) { j["op"] = "qsoftmax"; },
                          R"(field "op" names an op this build does not know: "qsoftmax" )"
                          R"((known: quantize_affine, dequantize_affine, choose_qparams_affine, )"
                          R"(fake_quantize_affine, qlinear, qconv2d, qadd, qmul, graph))"));
  expect_rejected(mutated(base_qlinear(), "op case matters", [](ojson& j) { j["op"] = "QLinear"; },
                          R"(field "op" names an op this build does not know: "QLinear")"));
  expect_rejected(mutated(base_qlinear(), "op number", [](ojson& j) { j["op"] = 1; },
                          R"(field "op" must be a string, got integer)"));
  expect_rejected(mutated(base_qlinear(), "version 2", [](ojson& j) { j["version"] = 2; },
                          R"(field "version" is 2; this build reads version 1)"));
  // parse_affine_case names the fused op it refuses.
  for (const ojson& base : every_base()) {
    const std::string op = base["op"];
    try {
      parse_affine_case(base.dump());
      ADD_FAILURE() << op << " accepted by parse_affine_case";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::malformed_case);
      EXPECT_NE(std::string(e.what()).find("field \"op\" is \"" + op + "\", a fused op"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(FusedCaseMalformed, RequiredFieldsOfEveryOp) {
  const std::vector<std::pair<ojson, std::vector<const char*>>> required = {
      {base_qlinear(), {"x", "x_params", "w", "w_params", "out_params"}},
      {base_qconv2d(), {"x", "x_params", "w", "w_params", "out_params"}},
      {base_elementwise("qadd"), {"a", "a_params", "b", "b_params", "out_params"}},
      {base_elementwise("qmul"), {"a", "a_params", "b", "b_params", "out_params"}},
  };
  for (const auto& [base, keys] : required) {
    for (const char* key : keys) {
      const std::string label = std::string(base["op"]) + " without " + key;
      const std::string part = std::string("field \"") + key + "\" is required";
      expect_rejected(mutated(base, label, [&](ojson& j) { j.erase(key); }, part));
      expect_rejected(mutated(base, label + " (null)", [&](ojson& j) { j[key] = nullptr; }, part));
      expect_rejected(mutated(base, label + " (array)", [&](ojson& j) { j[key] = {1}; },
                              std::string("field \"") + key + "\" must be an object, got array"));
    }
  }
}

// Every field of a nested PARAMS object, addressed by its path.
TEST(FusedCaseMalformed, NestedParamsFieldsNameTheirPath) {
  const ojson l = base_qlinear();
  for (const Bad& b : std::vector<Bad>{
           mutated(l, "scale missing", [](ojson& j) { j["w_params"].erase("scale"); },
                   R"(field "w_params.scale" is required)"),
           mutated(l, "scale string", [](ojson& j) { j["x_params"]["scale"] = "0.5"; },
                   R"(field "x_params.scale" must be an object, got string)"),
           mutated(l, "scale dim negative",
                   [](ojson& j) { j["w_params"]["scale"]["shape"][0] = -4; },
                   R"(field "w_params.scale.shape[0]" must be a non-negative integer)"),
           mutated(l, "scale dtype", [](ojson& j) { j["w_params"]["scale"]["dtype"] = "f16"; },
                   R"(field "w_params.scale.dtype" must be a storage dtype)"),
           mutated(l, "scale data count",
                   [](ojson& j) { j["out_params"]["scale"]["data"].erase(3); },
                   R"(field "out_params.scale.data" has 3 values, shape [1, 4] needs 4)"),
           mutated(l, "scale data value",
                   [](ojson& j) { j["out_params"]["scale"]["data"][2] = "x"; },
                   R"(field "out_params.scale.data[2]" must be a number, "nan", "inf", "-inf" or a hex float)"),
           mutated(l, "zero point value",
                   [](ojson& j) { j["w_params"]["zero_point"]["data"][3] = 200; },
                   R"(field "w_params.zero_point.data[3]" must be an integer in [-128, 127] for i8, got 200)"),
           mutated(l, "zero point not an object",
                   [](ojson& j) { j["x_params"]["zero_point"] = 1; },
                   R"(field "x_params.zero_point" must be an object, got integer)"),
           mutated(l, "dtype missing", [](ojson& j) { j["out_params"].erase("dtype"); },
                   R"(field "out_params.dtype" is required)"),
           mutated(l, "dtype unknown", [](ojson& j) { j["x_params"]["dtype"] = "i9"; },
                   R"(field "x_params.dtype" must be a storage dtype (i8, u8, i16, u16, i32, f32) or a quantized type name)"),
           mutated(l, "dtype number", [](ojson& j) { j["w_params"]["dtype"] = 4; },
                   R"(field "w_params.dtype" must be a string, got integer)"),
           mutated(l, "f32 without range", [](ojson& j) { j["x_params"]["dtype"] = "f32"; },
                   R"(field "x_params.quant_min" is required when dtype is "f32")"),
           mutated(l, "f32 without quant_max",
                   [](ojson& j) {
                     j["out_params"]["dtype"] = "f32";
                     j["out_params"]["quant_min"] = 0;
                   },
                   R"(field "out_params.quant_max" is required when dtype is "f32")"),
           mutated(l, "quant_min string", [](ojson& j) { j["w_params"]["quant_min"] = "-8"; },
                   R"(field "w_params.quant_min" must be an integer, got string)"),
           mutated(l, "quant_max fraction", [](ojson& j) { j["w_params"]["quant_max"] = 7.5; },
                   R"(field "w_params.quant_max" must be an integer, got number)"),
           mutated(l, "domain unknown",
                   [](ojson& j) { j["w_params"]["zero_point_domain"] = "fp"; },
                   R"(field "w_params.zero_point_domain" must be int, float or none, got "fp")"),
           mutated(l, "domain bool", [](ojson& j) { j["x_params"]["zero_point_domain"] = true; },
                   R"(field "x_params.zero_point_domain" must be a string, got boolean)"),
           mutated(l, "block_size fraction",
                   [](ojson& j) { j["w_params"]["block_size"][1] = 1.5; },
                   R"(field "w_params.block_size[1]" must be an integer, got number)"),
           mutated(l, "block_size object",
                   [](ojson& j) { j["w_params"]["block_size"] = ojson::object(); },
                   R"(field "w_params.block_size" must be an array, got object)"),
       }) {
    expect_rejected(b);
  }
  // The elementwise params objects too.
  const ojson e = base_elementwise("qmul");
  expect_rejected(mutated(e, "a_params.scale.shape", [](ojson& j) {
                            j["a_params"]["scale"]["shape"][1] = "1";
                          },
                          R"(field "a_params.scale.shape[1]" must be a non-negative integer)"));
  expect_rejected(mutated(e, "b_params.zero_point.data", [](ojson& j) {
                            j["b_params"]["zero_point"]["data"][0] = -1;
                          },
                          R"(field "b_params.zero_point.data[0]" must be an integer in [0, 255] for u8, got -1)"));
  expect_rejected(mutated(e, "out_params string", [](ojson& j) { j["out_params"] = "i8"; },
                          R"(field "out_params" must be an object, got string)"));
  // Integers beyond int64 in a nested range.
  ojson j = base_qlinear();
  j["w_params"]["quant_min"] = "@RAW@";
  expect_rejected({"quant_min beyond int64", with_raw(j, "-9223372036854775809"),
                   R"(field "w_params.quant_min" must be an integer within the int64 range)"});
}

TEST(FusedCaseMalformed, DuplicateFieldsInNestedObjects) {
  std::string text = base_qlinear().dump();
  size_t at = text.find(R"("w_params":{)");
  ASSERT_NE(at, std::string::npos);
  at += std::string(R"("w_params":{)").size();
  text.insert(at, R"("dtype": "i8", )");
  expect_rejected({"w_params.dtype twice", text,
                   R"(field "w_params.dtype" appears more than once)"});
  text = base_qconv2d().dump();
  text.insert(1, R"("stride": [1, 1], )");
  expect_rejected({"stride twice", text, R"(field "stride" appears more than once)"});
  text = base_qlinear().dump();
  at = text.find(R"("activation":{)") + std::string(R"("activation":{)").size();
  text.insert(at, R"("lo": 0, )");
  expect_rejected({"activation.lo twice", text,
                   R"(field "activation.lo" appears more than once)"});
}

TEST(FusedCaseMalformed, OperandTensors) {
  const ojson l = base_qlinear();
  for (const Bad& b : std::vector<Bad>{
           mutated(l, "x dim", [](ojson& j) { j["x"]["shape"][1] = 1.5; },
                   R"(field "x.shape[1]" must be a non-negative integer)"),
           mutated(l, "w data count", [](ojson& j) { j["w"]["data"].push_back(1); },
                   R"(field "w.data" has 13 values, shape [4, 3] needs 12)"),
           mutated(l, "w data out of range", [](ojson& j) { j["w"]["data"][5] = 128; },
                   R"(field "w.data[5]" must be an integer in [-128, 127] for i8, got 128)"),
           mutated(l, "bias not an object", [](ojson& j) { j["bias"] = {0.5, 1.0}; },
                   R"(field "bias" must be an object, got array)"),
           mutated(l, "bias dtype", [](ojson& j) { j["bias"]["dtype"] = "f64"; },
                   R"(field "bias.dtype" must be a storage dtype)"),
           mutated(l, "bias value", [](ojson& j) { j["bias"]["data"][1] = "-Infinity"; },
                   R"(field "bias.data[1]" must be a number, "nan", "inf", "-inf" or a hex float)"),
           mutated(l, "bias shape missing", [](ojson& j) { j["bias"].erase("shape"); },
                   R"(field "bias.shape" is required)"),
       }) {
    expect_rejected(b);
  }
  const ojson e = base_elementwise("qadd");
  expect_rejected(mutated(e, "a rank 9", [](ojson& j) {
                            j["a"]["shape"] = {1, 1, 1, 1, 1, 1, 1, 1, 2};
                          },
                          R"(field "a.shape" has rank 9, the limit is 8)"));
  expect_rejected(mutated(e, "b data bool", [](ojson& j) { j["b"]["data"][2] = false; },
                          R"(field "b.data[2]" must be an integer in [0, 255] for u8, got boolean)"));
}

TEST(FusedCaseMalformed, Activation) {
  const ojson l = base_qlinear();
  for (const Bad& b : std::vector<Bad>{
           mutated(l, "string shorthand", [](ojson& j) { j["activation"] = "relu"; },
                   R"(field "activation" must be an object, got string)"),
           mutated(l, "kind missing", [](ojson& j) { j["activation"].erase("kind"); },
                   R"(field "activation.kind" is required)"),
           mutated(l, "kind unknown", [](ojson& j) { j["activation"]["kind"] = "gelu"; },
                   R"(field "activation.kind" must be none, relu or clamp, got "gelu")"),
           mutated(l, "kind number", [](ojson& j) { j["activation"]["kind"] = 2; },
                   R"(field "activation.kind" must be a string, got integer)"),
           mutated(l, "clamp without lo", [](ojson& j) { j["activation"].erase("lo"); },
                   R"(field "activation.lo" is required)"),
           mutated(l, "clamp without hi", [](ojson& j) { j["activation"].erase("hi"); },
                   R"(field "activation.hi" is required)"),
           mutated(l, "clamp lo null", [](ojson& j) { j["activation"]["lo"] = nullptr; },
                   R"(field "activation.lo" is required)"),
           mutated(l, "clamp lo text", [](ojson& j) { j["activation"]["lo"] = "-1"; },
                   R"(field "activation.lo" must be a number, "nan", "inf", "-inf" or a hex float such as "0x1.8p-3", got "-1")"),
           mutated(l, "clamp hi bool", [](ojson& j) { j["activation"]["hi"] = true; },
                   R"(field "activation.hi" must be a number, got boolean)"),
           mutated(l, "clamp hi array", [](ojson& j) { j["activation"]["hi"] = {6}; },
                   R"(field "activation.hi" must be a number, got array)"),
       }) {
    expect_rejected(b);
  }
  // Every op reads the same activation field.
  for (ojson base : every_base()) {
    base["activation"] = {{"kind", "clamp"}, {"hi", 1}};
    expect_rejected({std::string(base["op"]) + " clamp without lo", base.dump(),
                     R"(field "activation.lo" is required)"});
  }
}

TEST(FusedCaseMalformed, QLinearContract) {
  const ojson l = base_qlinear();
  for (const Bad& b : std::vector<Bad>{
           mutated(l, "string shorthand", [](ojson& j) { j["qlinear_contract"] = "int32_acc"; },
                   R"(field "qlinear_contract" must be an object, got string)"),
           mutated(l, "bias unknown", [](ojson& j) { j["qlinear_contract"]["bias"] = "int8"; },
                   R"(field "qlinear_contract.bias" must be float or int32_acc, got "int8")"),
           mutated(l, "zero point unknown",
                   [](ojson& j) { j["qlinear_contract"]["output_zero_point"] = "before"; },
                   R"(field "qlinear_contract.output_zero_point" must be after_rounding or before_rounding, got "before")"),
           mutated(l, "bias number", [](ojson& j) { j["qlinear_contract"]["bias"] = 1; },
                   R"(field "qlinear_contract.bias" must be a string, got integer)"),
       }) {
    expect_rejected(b);
  }
}

TEST(FusedCaseMalformed, Conv2dAttributes) {
  const ojson c = base_qconv2d();
  for (const Bad& b : std::vector<Bad>{
           mutated(c, "stride string", [](ojson& j) { j["stride"] = "1,1"; },
                   R"(field "stride" must be an array, got string)"),
           mutated(c, "stride scalar", [](ojson& j) { j["stride"] = 2; },
                   R"(field "stride" must be an array, got integer)"),
           mutated(c, "stride 3 entries", [](ojson& j) { j["stride"] = {1, 1, 1}; },
                   R"(field "stride" must have 2 entries [sh, sw], got 3)"),
           mutated(c, "stride 1 entry", [](ojson& j) { j["stride"] = {2}; },
                   R"(field "stride" must have 2 entries [sh, sw], got 1)"),
           mutated(c, "stride fraction", [](ojson& j) { j["stride"] = {1, 1.5}; },
                   R"(field "stride[1]" must be an integer, got number)"),
           mutated(c, "stride element string", [](ojson& j) { j["stride"] = {"1", 1}; },
                   R"(field "stride[0]" must be an integer, got string)"),
           mutated(c, "padding 3 entries", [](ojson& j) { j["padding"] = {1, 1, 1}; },
                   R"(field "padding" must have 4 entries [top, left, bottom, right] or 2 [ph, pw], got 3)"),
           mutated(c, "padding empty", [](ojson& j) { j["padding"] = ojson::array(); },
                   R"(field "padding" must have 4 entries [top, left, bottom, right] or 2 [ph, pw], got 0)"),
           mutated(c, "padding 1 entry", [](ojson& j) { j["padding"] = {1}; },
                   R"(field "padding" must have 4 entries [top, left, bottom, right] or 2 [ph, pw], got 1)"),
           mutated(c, "padding 5 entries", [](ojson& j) { j["padding"] = {0, 0, 0, 0, 0}; },
                   R"(field "padding" must have 4 entries [top, left, bottom, right] or 2 [ph, pw], got 5)"),
           mutated(c, "padding element null", [](ojson& j) { j["padding"][2] = nullptr; },
                   R"(field "padding[2]" must be an integer, got null)"),
           mutated(c, "padding object", [](ojson& j) { j["padding"] = {{"top", 1}}; },
                   R"(field "padding" must be an array, got object)"),
           mutated(c, "dilation 1 entry", [](ojson& j) { j["dilation"] = {1}; },
                   R"(field "dilation" must have 2 entries [dh, dw], got 1)"),
           mutated(c, "dilation nested", [](ojson& j) { j["dilation"] = {{1}, 1}; },
                   R"(field "dilation[0]" must be an integer, got array)"),
           mutated(c, "groups fraction", [](ojson& j) { j["groups"] = 2.5; },
                   R"(field "groups" must be an integer, got number)"),
           mutated(c, "groups string", [](ojson& j) { j["groups"] = "2"; },
                   R"(field "groups" must be an integer, got string)"),
           mutated(c, "groups array", [](ojson& j) { j["groups"] = {2}; },
                   R"(field "groups" must be an integer, got array)"),
       }) {
    expect_rejected(b);
  }
  // Integers that are not int64: exponent forms and tokens beyond the range.
  for (const auto& [key, raw, part] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"groups", "1e3", R"(field "groups" must be an integer, got number)"},
           {"groups", "9223372036854775808",
            R"(field "groups" must be an integer within the int64 range)"},
           {"groups", "-9223372036854775809",
            R"(field "groups" must be an integer within the int64 range)"},
       }) {
    ojson j = base_qconv2d();
    j[key] = "@RAW@";
    expect_rejected({key + " " + raw, with_raw(j, raw), part});
  }
  for (const char* raw : {"18446744073709551616", "1e2", "-0.0"}) {
    ojson j = base_qconv2d();
    j["padding"] = {0, "@RAW@", 0, 0};
    expect_rejected({std::string("padding[1] ") + raw, with_raw(j, raw),
                     R"(field "padding[1]" must be an integer)"});
  }
}

TEST(FusedCaseMalformed, ShapesOverTheElementCapAreTooLarge) {
  for (const Bad& b : std::vector<Bad>{
           mutated(base_qlinear(), "w over the cap",
                   [](ojson& j) { j["w"]["shape"] = {int64_t{1000000000000}}; },
                   "w shape [1000000000000] has more than", ErrorKind::too_large),
           mutated(base_qlinear(), "bias numel overflows",
                   [](ojson& j) { j["bias"]["shape"] = {int64_t{1} << 40, int64_t{1} << 40}; },
                   "bias shape [1099511627776, 1099511627776]", ErrorKind::too_large),
           mutated(base_qconv2d(), "nested scale over the cap",
                   [](ojson& j) { j["w_params"]["scale"]["shape"] = {int64_t{1} << 27}; },
                   "w_params.scale shape [134217728] has more than", ErrorKind::too_large),
           mutated(base_elementwise("qadd"), "nested zero point over the cap",
                   [](ojson& j) { j["b_params"]["zero_point"]["shape"] = {int64_t{1} << 30}; },
                   "b_params.zero_point shape", ErrorKind::too_large),
       }) {
    expect_rejected(b);
  }
  // A zero dim keeps any shape within the cap, whatever the other dims.
  ojson j = base_elementwise("qmul");
  j["a"]["shape"] = {0, int64_t{1000000000000000000}};
  j["a"]["data"] = ojson::array();
  EXPECT_NO_THROW(parse_case(j.dump()));
  // A lowered cap applies to every operand.
  const test_util::CapGuard guard(8);
  expect_rejected({"cap 8, 12-element w", base_qlinear().dump(),
                   "w shape [4, 3] has more than 8 elements", ErrorKind::too_large});
}

// Robustness sweep: every prefix of each valid fused file and deterministic
// single-byte edits (fixed-seed LCG) either parse or fail with
// malformed_case / too_large; nothing else escapes, nothing crashes.
TEST(FusedCaseMalformed, PrefixesAndByteEditsNeverEscapeAsOtherErrors) {
  int rejected = 0, accepted = 0;
  auto check = [&](const std::string& text) {
    try {
      const Case c = parse_case(text);
      ++accepted;
      // Whatever parses writes a file that parses back to the same text.
      const std::string once = write_case(c);
      EXPECT_EQ(write_case(parse_case(once)), once);
      EXPECT_EQ(case_summary(c).find('\n'), std::string::npos);
    } catch (const Error& e) {
      ++rejected;
      EXPECT_TRUE(e.kind() == ErrorKind::malformed_case || e.kind() == ErrorKind::too_large)
          << error_kind_name(e.kind()) << ": " << e.what();
    }
  };
  for (const ojson& base : every_base()) {
    const std::string good = base.dump(1);
    for (size_t n = 0; n < good.size(); ++n) check(good.substr(0, n));
    uint64_t state = 6789;
    const char interesting[] = "{}[]\",:-0123456789.eE+ \x00\xff\\ntruefalsnul";
    for (int i = 0; i < 5000; ++i) {
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
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace qdiff
