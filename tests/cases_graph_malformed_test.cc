// Malformed graph case files (cases/graph_case.h): every structural defect
// (bad ids, forward references, unknown kinds, missing or extra inputs,
// duplicate or empty input names, too many nodes, wrong arity) and every
// unreadable field is malformed_case (or too_large over the element cap) with
// the field's path in the message; nothing crashes (run under ASan + UBSan too).
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cases/case_file.h"
#include "cases/case.h"
#include "core/limits.h"
#include "tests/reference_graph_test_util.h"

namespace qdiff {
namespace {

using ojson = nlohmann::ordered_json;
using graph_test::CapGuard;

// x -> quantize -> dequantize -> qlinear ... one node of most kinds:
//   0 input x, 1 constant s, 2 quantize, 3 dequantize, 4 constant w (i8),
//   5 qlinear, 6 conv2d, 7 reshape, 8 qadd, 9 linear
ojson base() {
  return ojson::parse(R"({
    "format": "qdiff-case", "version": 1, "op": "graph",
    "graph": {"nodes": [
      {"id": 0, "kind": "input", "name": "x", "dtype": "f32", "shape": [1, 2]},
      {"id": 1, "kind": "constant", "name": "s", "value": {"dtype": "f32", "shape": [], "data": [0.5]}},
      {"id": 2, "kind": "quantize", "inputs": [0, 1, -1], "dtype": "i8", "contract": "onnx"},
      {"id": 3, "kind": "dequantize", "inputs": [2, 1], "dtype": "i8", "axis": -1},
      {"id": 4, "kind": "constant", "value": {"dtype": "i8", "shape": [1, 2], "data": [1, 2]}},
      {"id": 5, "kind": "qlinear", "inputs": [2, 4, -1],
       "x_params": {"scale": {"dtype": "f32", "shape": [], "data": [0.5]}, "dtype": "i8"},
       "w_params": {"scale": {"dtype": "f32", "shape": [], "data": [1]}, "dtype": "i8"},
       "out_params": {"scale": {"dtype": "f32", "shape": [], "data": [1]}, "dtype": "i8"},
       "activation": {"kind": "relu"}},
      {"id": 6, "kind": "conv2d", "inputs": [3, 3], "stride": [1, 1], "padding": [0, 0]},
      {"id": 7, "kind": "reshape", "inputs": [6], "shape": [2, 1]},
      {"id": 8, "kind": "qadd", "inputs": [5, 2],
       "a_params": {"scale": {"dtype": "f32", "shape": [], "data": [1]}, "dtype": "i8"},
       "b_params": {"scale": {"dtype": "f32", "shape": [], "data": [0.5]}, "dtype": "i8"},
       "out_params": {"scale": {"dtype": "f32", "shape": [], "data": [1]}, "dtype": "i8"}},
      {"id": 9, "kind": "linear", "inputs": [3, 3]}],
     "outputs": [8, 7]},
    "inputs": {"x": {"dtype": "f32", "shape": [1, 2], "data": [1, -1]}}})");
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
    ADD_FAILURE() << "accepted: " << b.text.substr(0, 600);
  } catch (const Error& e) {
    EXPECT_EQ(error_kind_name(e.kind()), error_kind_name(b.kind)) << e.what();
    EXPECT_NE(std::string(e.what()).find(b.message_part), std::string::npos)
        << "message \"" << e.what() << "\" lacks \"" << b.message_part << "\"";
  }
}

Bad mutated(std::string label, const std::function<void(ojson&)>& edit, std::string part,
            ErrorKind kind = ErrorKind::malformed_case) {
  ojson j = base();
  edit(j);
  return {std::move(label), j.dump(), std::move(part), kind};
}

ojson& node(ojson& j, int i) { return j["graph"]["nodes"][size_t(i)]; }

TEST(GraphCaseMalformed, TheBaseParses) {
  const Case c = parse_case(base().dump());
  ASSERT_TRUE(std::holds_alternative<GraphCase>(c));
  EXPECT_EQ(std::get<GraphCase>(c).graph.nodes.size(), 10u);
}

TEST(GraphCaseMalformed, Ids) {
  for (const Bad& b : std::vector<Bad>{
           mutated("id off by one", [](ojson& j) { node(j, 3)["id"] = 4; },
                   R"(field "graph.nodes[3].id" is 4, must equal the node's position 3)"),
           mutated("ids swapped", [](ojson& j) { node(j, 0)["id"] = 1; },
                   R"(field "graph.nodes[0].id" is 1, must equal the node's position 0)"),
           mutated("id missing", [](ojson& j) { node(j, 5).erase("id"); },
                   R"(field "graph.nodes[5].id" is required)"),
           mutated("id string", [](ojson& j) { node(j, 5)["id"] = "5"; },
                   R"(field "graph.nodes[5].id" must be an integer, got string)"),
           mutated("id huge", [](ojson& j) { node(j, 5)["id"] = 4294967301LL; },
                   R"(field "graph.nodes[5].id" is 4294967301, must equal the node's position 5)"),
       }) {
    expect_rejected(b);
  }
}

TEST(GraphCaseMalformed, References) {
  for (const Bad& b : std::vector<Bad>{
           mutated("forward reference", [](ojson& j) { node(j, 2)["inputs"][1] = 3; },
                   R"(field "graph.nodes[2].inputs[1]" is 3, must be an earlier node's id (0..1))"),
           mutated("self reference", [](ojson& j) { node(j, 7)["inputs"][0] = 7; },
                   R"(field "graph.nodes[7].inputs[0]" is 7, must be an earlier node's id (0..6))"),
           mutated("far forward", [](ojson& j) { node(j, 9)["inputs"][0] = 1000; },
                   R"(field "graph.nodes[9].inputs[0]" is 1000)"),
           mutated("absent required input", [](ojson& j) { node(j, 6)["inputs"][0] = -1; },
                   R"(field "graph.nodes[6].inputs[0]" is -1, must be an earlier node's id (0..5))"),
           mutated("-2 for an optional input", [](ojson& j) { node(j, 2)["inputs"][2] = -2; },
                   R"(field "graph.nodes[2].inputs[2]" is -2, must be an earlier node's id (0..1) or -1 (absent))"),
           mutated("input of node 0", [](ojson& j) { node(j, 0)["inputs"] = {0}; },
                   R"(field "graph.nodes[0].inputs" has 1 entries, input takes none)"),
           mutated("inputs not integers", [](ojson& j) { node(j, 9)["inputs"][1] = 1.5; },
                   R"(field "graph.nodes[9].inputs[1]" must be an integer, got number)"),
           mutated("inputs not an array", [](ojson& j) { node(j, 9)["inputs"] = 3; },
                   R"(field "graph.nodes[9].inputs" must be an array, got integer)"),
       }) {
    expect_rejected(b);
  }
}

TEST(GraphCaseMalformed, KindsAndArity) {
  for (const Bad& b : std::vector<Bad>{
           mutated("unknown kind", [](ojson& j) { node(j, 9)["kind"] = "softmax"; },
                   R"(field "graph.nodes[9].kind" must be one of input, constant, quantize, )"
                   R"(dequantize, linear, conv2d, add, mul, relu, reshape, qlinear, qconv2d, qadd, )"
                   R"(qmul, got "softmax")"),
           mutated("kind case", [](ojson& j) { node(j, 9)["kind"] = "Linear"; },
                   R"(got "Linear")"),
           mutated("kind missing", [](ojson& j) { node(j, 9).erase("kind"); },
                   R"(field "graph.nodes[9].kind" is required)"),
           mutated("quantize without inputs", [](ojson& j) { node(j, 2).erase("inputs"); },
                   R"(field "graph.nodes[2].inputs" is required: quantize takes inputs (x, scale, zero_point?))"),
           mutated("relu with null inputs",
                   [](ojson& j) {
                     node(j, 9) = ojson::parse(R"({"id": 9, "kind": "relu", "inputs": null})");
                   },
                   R"(field "graph.nodes[9].inputs" is required: relu takes inputs (x))"),
           mutated("quantize with one input", [](ojson& j) { node(j, 2)["inputs"] = {0}; },
                   R"(field "graph.nodes[2].inputs" has 1 entries, quantize takes 2 to 3 (x, scale, zero_point?))"),
           mutated("dequantize with four", [](ojson& j) { node(j, 3)["inputs"] = {2, 1, -1, -1}; },
                   R"(field "graph.nodes[3].inputs" has 4 entries, dequantize takes 2 to 3)"),
           mutated("qadd with three", [](ojson& j) { node(j, 8)["inputs"] = {5, 2, -1}; },
                   R"(field "graph.nodes[8].inputs" has 3 entries, qadd takes 2 (a, b))"),
           mutated("reshape with two", [](ojson& j) { node(j, 7)["inputs"] = {6, 6}; },
                   R"(field "graph.nodes[7].inputs" has 2 entries, reshape takes 1 (x))"),
           mutated("linear with none", [](ojson& j) { node(j, 9)["inputs"] = ojson::array(); },
                   R"(field "graph.nodes[9].inputs" has 0 entries, linear takes 2 to 3 (x, w, bias?))"),
           mutated("constant with an input", [](ojson& j) { node(j, 4)["inputs"] = {0}; },
                   R"(field "graph.nodes[4].inputs" has 1 entries, constant takes none)"),
           mutated("node not an object", [](ojson& j) { node(j, 4) = 4; },
                   R"(field "graph.nodes[4]" must be an object, got integer)"),
       }) {
    expect_rejected(b);
  }
}

TEST(GraphCaseMalformed, InputNamesAndFedTensors) {
  for (const Bad& b : std::vector<Bad>{
           mutated("input name missing", [](ojson& j) { node(j, 0).erase("name"); },
                   R"(field "graph.nodes[0].name" must be a non-empty string: input nodes are fed by name)"),
           mutated("input name empty", [](ojson& j) { node(j, 0)["name"] = ""; },
                   R"(field "graph.nodes[0].name" must be a non-empty string)"),
           mutated("name not a string", [](ojson& j) { node(j, 9)["name"] = 9; },
                   R"(field "graph.nodes[9].name" must be a string, got integer)"),
           mutated("duplicate input names",
                   [](ojson& j) {
                     node(j, 9) = ojson::parse(
                         R"({"id": 9, "kind": "input", "name": "x", "dtype": "i8", "shape": []})");
                   },
                   R"(field "graph.nodes[9].name" is "x", the name of input node 0 too: input names must be unique)"),
           mutated("fed tensor missing", [](ojson& j) { j["inputs"].erase("x"); },
                   R"(field "inputs.x" is required)"),
           mutated("inputs missing", [](ojson& j) { j.erase("inputs"); },
                   R"(field "inputs" is required: the graph has 1 input node(s))"),
           mutated("inputs an array", [](ojson& j) { j["inputs"] = {1}; },
                   R"(field "inputs" must be an object, got array)"),
           mutated("a tensor for no input", [](ojson& j) { j["inputs"]["y"] = j["inputs"]["x"]; },
                   R"(field "inputs.y" names no input node of the graph)"),
           mutated("fed tensor unreadable", [](ojson& j) { j["inputs"]["x"]["shape"][0] = -1; },
                   R"(field "inputs.x.shape[0]" must be a non-negative integer)"),
           mutated("fed data count", [](ojson& j) { j["inputs"]["x"]["data"] = {1}; },
                   R"(field "inputs.x.data" has 1 values, shape [1, 2] needs 2)"),
           mutated("input dtype", [](ojson& j) { node(j, 0)["dtype"] = "i4"; },
                   R"(field "graph.nodes[0].dtype" must be a storage dtype (f32, i8, u8, i16, u16, i32), got "i4")"),
           mutated("input shape", [](ojson& j) { node(j, 0)["shape"] = {1, -2}; },
                   R"(field "graph.nodes[0].shape[1]" must be a non-negative integer)"),
           mutated("input shape rank 9", [](ojson& j) { node(j, 0)["shape"] = {1, 1, 1, 1, 1, 1, 1, 1, 1}; },
                   R"(field "graph.nodes[0].shape" has rank 9, the limit is 8)"),
       }) {
    expect_rejected(b);
  }
  // Fed by name: the member order of "inputs" does not matter, and a tensor of
  // another dtype or shape than declared is representable (the evaluator
  // rejects it).
  ojson j = base();
  j["inputs"]["x"] = ojson::parse(R"({"dtype": "i8", "shape": [3], "data": [1, 2, 3]})");
  EXPECT_NO_THROW(parse_case(j.dump()));
}

TEST(GraphCaseMalformed, GraphAndOutputs) {
  for (const Bad& b : std::vector<Bad>{
           mutated("graph missing", [](ojson& j) { j.erase("graph"); }, R"(field "graph" is required)"),
           mutated("graph an array", [](ojson& j) { j["graph"] = {1}; },
                   R"(field "graph" must be an object, got array)"),
           mutated("nodes missing", [](ojson& j) { j["graph"].erase("nodes"); },
                   R"(field "graph.nodes" is required)"),
           mutated("nodes an object", [](ojson& j) { j["graph"]["nodes"] = ojson::object(); },
                   R"(field "graph.nodes" must be an array, got object)"),
           mutated("outputs missing", [](ojson& j) { j["graph"].erase("outputs"); },
                   R"(field "graph.outputs" is required)"),
           mutated("outputs empty", [](ojson& j) { j["graph"]["outputs"] = ojson::array(); },
                   R"(field "graph.outputs" must name at least one node)"),
           mutated("output out of range", [](ojson& j) { j["graph"]["outputs"][1] = 10; },
                   R"(field "graph.outputs[1]" is 10, not a node id (0..9))"),
           mutated("output negative", [](ojson& j) { j["graph"]["outputs"][0] = -1; },
                   R"(field "graph.outputs[0]" is -1, not a node id (0..9))"),
           mutated("output string", [](ojson& j) { j["graph"]["outputs"][0] = "8"; },
                   R"(field "graph.outputs[0]" must be an integer, got string)"),
           mutated("no nodes",
                   [](ojson& j) {
                     j["graph"]["nodes"] = ojson::array();
                     j.erase("inputs");
                   },
                   R"(field "graph.outputs[0]" is 8, not a node id (the graph has no nodes))"),
       }) {
    expect_rejected(b);
  }
}

// More than 256 nodes is malformed_case; 256 is accepted.
TEST(GraphCaseMalformed, NodeLimit) {
  const auto chain = [](int count) {
    ojson j = base();
    ojson nodes = ojson::array();
    nodes.push_back(j["graph"]["nodes"][0]);
    for (int i = 1; i < count; ++i) {
      nodes.push_back({{"id", i}, {"kind", "relu"}, {"inputs", {i - 1}}});
    }
    j["graph"]["nodes"] = nodes;
    j["graph"]["outputs"] = {count - 1};
    return j.dump();
  };
  EXPECT_NO_THROW(parse_case(chain(256)));
  expect_rejected({"257 nodes", chain(257), R"(field "graph.nodes" has 257 nodes, the limit is 256)"});
  expect_rejected({"100000 nodes", chain(100000), R"(field "graph.nodes" has 100000 nodes)"});
}

// Node attributes are addressed by their path, nested PARAMS included.
TEST(GraphCaseMalformed, NodeAttributesNameTheirPath) {
  for (const Bad& b : std::vector<Bad>{
           mutated("constant value missing", [](ojson& j) { node(j, 1).erase("value"); },
                   R"(field "graph.nodes[1].value" is required)"),
           mutated("constant data", [](ojson& j) { node(j, 4)["value"]["data"][1] = 300; },
                   R"(field "graph.nodes[4].value.data[1]" must be an integer in [-128, 127] for i8, got 300)"),
           mutated("quantize dtype", [](ojson& j) { node(j, 2)["dtype"] = "i9"; },
                   R"(field "graph.nodes[2].dtype" must be a storage dtype (i8, u8, i16, u16, i32, f32) or a quantized type name)"),
           mutated("quantize dtype missing", [](ojson& j) { node(j, 2).erase("dtype"); },
                   R"(field "graph.nodes[2].dtype" is required)"),
           mutated("quantize range", [](ojson& j) { node(j, 2)["quant_min"] = "0"; },
                   R"(field "graph.nodes[2].quant_min" must be an integer, got string)"),
           mutated("quantize domain", [](ojson& j) { node(j, 2)["zero_point_domain"] = "fp"; },
                   R"(field "graph.nodes[2].zero_point_domain" must be int, float or none, got "fp")"),
           mutated("quantize contract", [](ojson& j) { node(j, 2)["contract"] = "tflite"; },
                   R"(field "graph.nodes[2].contract" must be torchao, onnx, half_away or zp_before, got "tflite")"),
           mutated("block_size", [](ojson& j) { node(j, 2)["block_size"] = {1, "2"}; },
                   R"(field "graph.nodes[2].block_size[1]" must be an integer, got string)"),
           mutated("axis fraction", [](ojson& j) { node(j, 3)["axis"] = 0.5; },
                   R"(field "graph.nodes[3].axis" must be an integer, got number)"),
           mutated("x_params missing", [](ojson& j) { node(j, 5).erase("x_params"); },
                   R"(field "graph.nodes[5].x_params" is required)"),
           mutated("w_params scale dim", [](ojson& j) { node(j, 5)["w_params"]["scale"]["shape"] = {-1}; },
                   R"(field "graph.nodes[5].w_params.scale.shape[0]" must be a non-negative integer)"),
           mutated("activation kind", [](ojson& j) { node(j, 5)["activation"]["kind"] = "gelu"; },
                   R"(field "graph.nodes[5].activation.kind" must be none, relu or clamp, got "gelu")"),
           mutated("clamp without lo", [](ojson& j) { node(j, 8)["activation"] = {{"kind", "clamp"}, {"hi", 1}}; },
                   R"(field "graph.nodes[8].activation.lo" is required)"),
           mutated("b_params missing", [](ojson& j) { node(j, 8).erase("b_params"); },
                   R"(field "graph.nodes[8].b_params" is required)"),
           mutated("padding 3 entries", [](ojson& j) { node(j, 6)["padding"] = {1, 2, 3}; },
                   R"(field "graph.nodes[6].padding" must have 4 entries [top, left, bottom, right] or 2 [ph, pw], got 3)"),
           mutated("stride 1 entry", [](ojson& j) { node(j, 6)["stride"] = {1}; },
                   R"(field "graph.nodes[6].stride" must have 2 entries [sh, sw], got 1)"),
           mutated("groups string", [](ojson& j) { node(j, 6)["groups"] = "1"; },
                   R"(field "graph.nodes[6].groups" must be an integer, got string)"),
           mutated("reshape shape missing", [](ojson& j) { node(j, 7).erase("shape"); },
                   R"(field "graph.nodes[7].shape" is required)"),
           mutated("reshape shape -1", [](ojson& j) { node(j, 7)["shape"] = {-1, 2}; },
                   R"(field "graph.nodes[7].shape[0]" must be a non-negative integer)"),
       }) {
    expect_rejected(b);
  }
  std::string twice = base().dump();
  const std::string key = R"("kind":"linear")";
  twice.replace(twice.find(key), key.size(), key + R"(,"kind":"relu")");
  expect_rejected({"field twice", twice, R"(field "graph.nodes[9].kind" appears more than once)"});
}

// Declared input types allocate: one above the cap, or several together, are
// too_large before anything is allocated.
TEST(GraphCaseMalformed, DeclaredInputsAreCapped) {
  expect_rejected(mutated("declared too large",
                          [](ojson& j) { node(j, 0)["shape"] = {1000000000000LL}; },
                          "graph.nodes[0] shape [1000000000000] has more than",
                          ErrorKind::too_large));
  ojson j = base();
  node(j, 9) = ojson::parse(R"({"id": 9, "kind": "input", "name": "y", "dtype": "f32", "shape": [6]})");
  j["inputs"]["y"] = ojson::parse(R"({"dtype": "f32", "shape": [6], "data": [1, 2, 3, 4, 5, 6]})");
  EXPECT_NO_THROW(parse_case(j.dump()));
  CapGuard cap(7);  // x declares 2, y 6: 8 in all
  expect_rejected({"declared together", j.dump(),
                   "graph.nodes[9] shape [6]: the graph's input nodes declare 8 elements in all, "
                   "more than the element cap 7",
                   ErrorKind::too_large});
}

}  // namespace
}  // namespace qdiff
