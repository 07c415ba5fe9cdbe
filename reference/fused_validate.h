// Input validation of the reference fused operators (qlinear, qconv2d,
// qadd, qmul), in the canonical order of docs/validation-order.md,
// "Fused operators", so that error kinds agree with any implementation
// (error parity, SPEC section 9). The order, steps 1-4, the rules of 6 and
// step 9 are core's (core/fused_validation.h), shared with impl/, so error
// parity does not test them; the layouts of 5, the predicates and bias grid
// of 6 and the values of 7-8 are reference/'s own, written apart from
// impl/'s. Within a step, operands are checked in
// argument order (x, w, bias, out / a, b, out), each operand completely
// before the next; messages name the operand ("w scale element 2 ...").
//
//   1 unsupported        params dtype not integer; tensor dtype != params
//                        dtype; scale not f32; bias not f32; float zero-point
//                        domain on x / a / b / out (weights only)
//   2 too_large          every tensor, scale, zero point and the bias
//   3 invalid_range      each params' range (x, w, out); clamp activation
//                        with lo > hi or a NaN bound
//   4 invalid_shape      op shapes (qconv2d: groups >= 1 before C % groups);
//     too_large          then the output shape against the element cap (it
//                        exists only once the op shapes are valid)
//   5 invalid_shape /    each operand's block layout against its tensor, the
//     non_divisible_block out params against the output shape, zero point shapes
//   6 unsupported        layouts the op does not define (qlinear: x per-tensor
//                        or per-row, out per-tensor or per-channel on the last
//                        dim; qconv2d: x per-tensor, out per-tensor or [1, O, 1, 1]);
//                        bias int32_acc with a bias: reference/bias_grid.h
//   7 invalid_scale      scale values, operand by operand; then the bias grid's
//                        scales f32(s_x * s_w[k]) (int32_acc with a bias)
//   8 invalid_zero_point zero points, operand by operand
//   9 nan_input          a NaN in the bias
#pragma once

#include <cstdint>

#include "core/block_layout.h"
#include "core/fused_ops.h"
#include "core/fused_validation.h"

namespace qdiff::reference {

// What validation established, for the loops of reference/fused_ops.cc.
using QLinearPlan = QLinearValidated<BlockLayout>;
using QConv2dPlan = QConv2dValidated<BlockLayout>;
using QElementwisePlan = QElementwiseValidated<BlockLayout>;

QLinearPlan validate_qlinear(const QLinearArgs& args);
QConv2dPlan validate_qconv2d(const QConv2dArgs& args);
QElementwisePlan validate_qelementwise(const QElementwiseArgs& args);

// The layout rules of step 6, exposed for tests.
// Per-row input: per-tensor, or a scale that does not vary along the last
// dim and has block 1 on every leading dim of size >= 2 (dims of size 0 or
// 1 hold at most one row index, so any block is the same there).
bool is_per_row_layout(const BlockLayout& layout);
// Per-channel along `dim`: per-tensor, or scale dims all 1 except `dim`,
// which has block 1.
bool is_per_channel_layout_on(const BlockLayout& layout, int dim);

}  // namespace qdiff::reference
