// Lowering an optimized graph to an integer-only LoweredProgram
// (core/lowered.h; SPEC section 8 "lowering"; decisions and error bounds in
// docs/impl-graph.md).
//
// Lowerable nodes (only the nodes an output needs as DATA are lowered;
// weights, biases and params are read from constants, also through
// reshape chains):
//   input                      a program input slot (declared type recorded)
//   constant (used as data)    a constant op
//   quantize / dequantize      quantize_input / dequantize_output: affine
//                              (legacy -> unsupported), constant params of any
//                              valid layout, run by the optimized kernels
//   reshape                    reshape
//   qlinear / qconv2d          integer GEMM: x params per-tensor; constant
//                              weights with int or none-domain params:
//                              per-tensor / per-channel -> fixed point
//                              (multiplier, shift, int32 bias), per-group
//                              (qlinear) -> f32 requantization; constant bias
//   qadd / qmul                the fused f32 contract (operand params kept)
// Anything else is `unsupported`, naming the node: float ops left (linear,
// conv2d, add, mul, relu), non-per-tensor x params, non-constant weights or
// bias, float-domain weights, conv weight scales other than per-tensor or
// per-output-channel, a multiplier M = s_x s_w[k] / s_out[k] whose
// normalized shift falls outside [-31, 30] (M outside about [2^-32, 2^30)),
// an int32 bias round(b / (s_x s_w)) out of range, or an accumulator that
// could exceed int32 (bound below).
// A node the graph evaluator would reject is rejected with the same error
// kind: fused nodes are validated by the fused ops' own validation (x
// checked by its type, the weights and bias by their values); q/dq params
// by the quantize core's.
//
// Accumulator bound (fixed point): for channel k,
//   A_k = max|qx - zx| * sum_j |qw[k, j] - zw[k]| + |bias_q[k]|,
// max|qx - zx| over the x dtype's whole storage range (the program's input
// may hold any stored value); lowering requires A_k * 2^max(e_k, 0) <= 2^31 - 1,
// so the accumulator and its left shift are exact in int32.
//
// Fault points consulted here: squeeze_compaction (compact_scales.h),
// requant_shift_wrong_sign (stores -e_k), int4_nibbles_swapped (packing),
// fixed_point_round_half_up (marks the ops' RoundingDivideByPOT).
#pragma once

#include "core/graph.h"
#include "core/lowered.h"
#include "impl/options.h"

namespace qdiff::impl {

LoweredProgram lower_graph(const Graph& optimized, const ImplOptions& options = {});

}  // namespace qdiff::impl
