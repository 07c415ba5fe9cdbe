// Reference graph interpreter: what a graph (core/graph.h) computes, per the
// node table of docs/graph.md. Nodes are evaluated in id order, each into
// one tensor:
//
//   input        the fed tensor (checked against the node's declared type)
//   constant     node.value
//   quantize     reference::quantize_affine(x, params, spec.contract)
//   dequantize   reference::dequantize_affine(q, params)
//                params = (scale value, zero point value, spec) (SPEC 4, 5)
//   legacy form  spec.legacy_axis = a, scale [C]: element x[i0..ir-1] uses
//                scale[i_a'] (and zero_point[i_a']), a' = a < 0 ? a + rank : a,
//                computed natively with reference::quantize_element /
//                dequantize_element (not rewritten to the affine form)
//   linear, conv2d, add, mul, relu   reference/float_ops.h
//   reshape      same data, node.target_shape (equal element count)
//   qlinear, qconv2d, qadd, qmul     reference/fused_ops.h (the ideal result)
//
// Errors are the op's own kinds, raised as a qdiff::Error whose message
// starts with the node: `node 3 (quantize "q"): scale element 0 is 0; ...`.
// Before any node: Graph::check_structure (malformed_case), then the number
// of fed inputs must equal input_ids().size() (invalid_shape). An input node
// checks its fed tensor: dtype first (unsupported), then shape
// (invalid_shape). reshape with a different element count is invalid_shape.
//
// Legacy quantize / dequantize validate in the affine op's order
// (reference/validate.h, docs/validation-order.md) with step 4 replaced:
//   1 unsupported        spec.dtype not an integer type; data dtype wrong for
//                        the op (quantize f32, dequantize spec.dtype); scale
//                        not f32
//   2 too_large          data, scale, zero point above the element cap
//   3 invalid_range      not dtype_min <= quant_min <= quant_max <= dtype_max
//   4 invalid_shape      in this order: block_size given (the legacy form has
//                        none); axis outside [-rank, rank); scale not 1-D of
//                        size C = data.shape[a']; zero point not 1-D [C]
//   5 invalid_scale      6 invalid_zero_point      7 nan_input (quantize)
// C = 0 (an empty data dim with an empty [0] scale) is valid in the legacy
// form: there is no element to quantize.
//
// Memory: evaluate_graph_values keeps every node's value, so a graph of n
// nodes holds up to n times the element cap (core/limits.h); harnesses that
// evaluate untrusted graphs bound n (case files: 256 nodes) and the cap.
#pragma once

#include <optional>
#include <vector>

#include "core/graph.h"
#include "core/quant_params.h"
#include "core/tensor.h"

namespace qdiff::reference {

// Evaluates every node; returns one tensor per node (index = node id).
// Throws qdiff::Error (the op's error kind) for a semantic error; the
// message names the node id, its kind and name.
std::vector<Tensor> evaluate_graph_values(const Graph& g, const std::vector<Tensor>& inputs);

// The graph's outputs (g.outputs order).
std::vector<Tensor> evaluate_graph(const Graph& g, const std::vector<Tensor>& inputs);

// One node given the values of its inputs (values indexed by node id). For
// an input node, values[id] is the fed tensor, checked against the node's
// declared dtype and shape and returned. Errors name the node; a value that
// is missing (an id at or beyond values.size()) is malformed_case.
Tensor evaluate_node(const Graph& g, int id, const std::vector<Tensor>& values);

// QuantParams of a quantize/dequantize node from its scale/zero-point values
// and spec (legacy form included: returns the legacy 1-D scale unchanged and
// sets *legacy_axis to the normalized axis).
// Non-legacy nodes set *legacy_axis to nullopt. legacy_axis may be null.
// Only assembles: the params are not validated, except that a legacy axis
// outside [-rank, rank) of the data cannot be normalized (invalid_shape).
// A node of another kind is `unsupported`. Errors name the node.
QuantParams node_quant_params(const Graph& g, int id, const std::vector<Tensor>& values,
                              std::optional<int>* legacy_axis);

}  // namespace qdiff::reference
