// Executing graphs and lowered programs with the optimized implementation
// (never reference/).
//
// execute_graph: any graph (original or optimized), every node in id order
// like the reference interpreter (reference/graph_eval.h), so the same
// inputs give the same error kinds (a dead node's error included):
//   input            the fed tensor, checked: dtype (unsupported), shape (invalid_shape)
//   constant         its value
//   quantize / dequantize   impl quantize_affine / dequantize_affine with
//                    the node's contract; the legacy per-channel form natively
//                    (impl/graph/legacy_quant.h)
//   linear, conv2d, add, mul, relu   impl/graph/float_ops.h (f32; linear's
//                    GEMM in Eigen with f32 accumulation: within the harness's
//                    (n + 4) u sum|x w| per output)
//   reshape          same data, new shape (invalid_shape on a count mismatch)
//   qlinear, qconv2d, qadd, qmul     impl/ops/fused_ops.h (their arithmetic
//                    contract and bound)
// Before any node: Graph::check_structure (malformed_case), then the number
// of fed tensors (invalid_shape). Errors are qdiff::Error of the op's kind
// whose message starts with the node: `node 3 (quantize "q"): ...`.
// Values are released after their last use.
//
// execute_lowered: a LoweredProgram (impl/graph/lowering.h). The
// requantization of qlinear / qconv2d with per-tensor or per-channel weights
// is integer only (core/lowered.h: int32 accumulator, gemmlowp
// SaturatingRoundingDoublingHighMul + RoundingDivideByPOT, the activation
// folded into the clamp); per-group weights and qadd / qmul requantize in
// f32 as the fused ops do; int4 weights are unpacked low nibble first.
// quantize_input / dequantize_output run the optimized quantize kernels.
// Fed tensors are checked against the declared input types (unsupported /
// invalid_shape, as execute_graph); a program that is inconsistent (slots
// out of range or unset, weight sizes, compact shapes, multipliers or shifts
// out of range) is malformed_case; no program reads out of bounds. Errors
// name the op's source node.
#pragma once

#include <vector>

#include "core/graph.h"
#include "core/lowered.h"
#include "core/tensor.h"
#include "impl/options.h"

namespace qdiff::impl {

std::vector<Tensor> execute_graph(const Graph& g, const std::vector<Tensor>& inputs,
                                  const ImplOptions& options = {});

std::vector<Tensor> execute_lowered(const LoweredProgram& program, const std::vector<Tensor>& inputs,
                                    const ImplOptions& options = {});

}  // namespace qdiff::impl
