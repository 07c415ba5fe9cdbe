// Graph cases (SPEC sections 8 and 11, docs/case-file-format.md "Graphs"):
// a graph of core/graph.h plus the tensors fed to its input nodes, as a
// case file with "op": "graph":
//
//   {"format": "qdiff-case", "version": 1, "op": "graph",
//    "graph": {"nodes": [NODE, ...], "outputs": [id, ...]},
//    "inputs": {"x": TENSOR, ...},       // keyed by input node name
//    "expected_fusions": [SITE, ...]}    // optional (cases/fusion_site.h)
//
//   NODE = {"id": i, "kind": K, "name": "...", "inputs": [id | -1, ...], ...}
//   "id" equals the node's position; "name" is optional (default ""), but
//   input nodes need a unique non-empty one (they are fed by name);
//   "inputs" lists earlier node ids (-1: an absent optional input) and is
//   required for every kind that takes inputs. Per kind:
//     input       "dtype" (storage name), "shape"
//     constant    "value": TENSOR
//     quantize,   "dtype", "quant_min", "quant_max", "zero_point_domain",
//     dequantize  "block_size" (as in PARAMS, cases/params_json.h), "axis"
//                 (optional: the legacy per-channel form), "contract"
//                 (quantize only; optional, default torchao)
//     conv2d      "stride", "padding", "dilation", "groups" (cases/op_attrs_json.h)
//     reshape     "shape"
//     qlinear,    "x_params", "w_params", "out_params" (PARAMS), "activation";
//     qconv2d     qconv2d adds the conv attributes
//     qadd, qmul  "a_params", "b_params", "out_params", "activation"
//
// The parser rejects what the IR cannot hold and what is structurally
// broken (Graph::check_structure's rules, with the field's path:
// "graph.nodes[3].inputs[1]"), more than kMaxGraphNodes nodes, input nodes
// without a unique non-empty name, a missing fed tensor or one fed to no
// input node: malformed_case. Declared input types above the element cap,
// alone or together, are too_large (a declared type allocates, so a short
// file must not declare gigabytes). Semantic defects (shapes, dtypes,
// params) stay representable: the evaluator rejects them.
//
// The writer is canonical: one line per node with every input slot written
// (-1 for an absent optional one), every attribute of the kind (dequantize:
// no contract), the name only when non-empty; write(parse(write(c))) ==
// write(c).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cases/fusion_site.h"
#include "cases/json_fields.h"
#include "core/graph.h"
#include "core/tensor.h"

namespace qdiff {

inline constexpr size_t kMaxGraphNodes = 256;

struct GraphCase {
  Graph graph;
  std::vector<Tensor> inputs;  // fed to graph.input_ids(), in that order
  // Where the passes must (not) fire, as the generator built the graph
  // (cases/fusion_site.h); written as "expected_fusions" when not empty.
  std::vector<FusionSite> expected_fusions = {};
};

// Reads "graph", "inputs" and "expected_fusions" from the document root
// (after the header).
GraphCase read_graph_case_fields(const JsonObjectReader& root);
// Reads only the "graph" member of `root` (a graph-pass answer of the
// process protocol, docs/process-protocol.md, has no fed inputs).
Graph read_graph_field(const JsonObjectReader& root);
// The value of a case file's "graph" member: {"nodes": [...], "outputs": [...]},
// laid out as in the case file (one line per node). The process protocol
// and the C ABI v2's graph pass carry graphs in this form.
std::string write_graph_object(const Graph& g);
// The whole case file, canonical form.
std::string write_graph_case(const GraphCase& c);
// A graph object's JSON text alone (what write_graph_object writes: the C
// ABI v2's graph pass takes and returns it), read with the case reader's
// rules (paths start at "graph"); throws malformed_case.
Graph parse_graph_json(std::string_view text);

// "graph: 4 nodes (input 1, constant 1, quantize 1, dequantize 1), inputs
// [x f32 [2, 4]], outputs [node 3 (dequantize "y")]"
std::string graph_case_summary(const GraphCase& c);

// The name of the k-th graph output in a result file: "output0", "output1",
// ... (in graph.outputs order; docs/case-file-format.md, "Graphs").
std::string graph_output_name(size_t k);

}  // namespace qdiff
