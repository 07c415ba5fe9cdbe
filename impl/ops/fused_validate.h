// The optimized fused operators' input validation (qlinear, qconv2d, qadd,
// qmul), in the canonical order of docs/validation-order.md ("Fused
// operators") so that error kinds agree with reference/ (SPEC section 9).
// The order, steps 1-4 (dtypes, caps, ranges, op shapes), the rules of 6
// and step 9 (the NaN bias) are core's (core/fused_validation.h), shared
// with reference/, so error parity does not test them. The layouts of 5,
// the predicates and bias grid of 6 and the values of 7-8 are written here,
// independently of reference/ and of core's BlockLayout, so that a defect
// in either is not silently shared:
//
//   5 invalid_shape /     each operand's block layout (shape errors of every
//     non_divisible_block dim before divisibility), then its zero point shape;
//                         the out params against the output shape
//   6 unsupported         layouts the op does not define; bias int32_acc's
//                         (impl/ops/bias_grid.h)
//   7 invalid_scale       scale values, operand by operand; the bias grid's
//   8 invalid_zero_point  zero points, operand by operand
// Within a step, operands are checked in argument order (x, w, bias, out /
// a, b, out), each completely before the next; messages name the operand.
#pragma once

#include <array>
#include <cstdint>

#include "core/fused_ops.h"
#include "core/fused_validation.h"
#include "core/shape.h"

namespace qdiff::impl {

// Which scale element each element of an operand uses (SPEC section 2):
// element [i0, .., ir-1] uses scale coordinate i_d / block[d] along every
// dim, flat index sum_d (i_d / block[d]) * scale_stride[d].
struct OperandLayout {
  int rank = 0;
  std::array<int64_t, kMaxRank> size{};
  // Elements per block; as in SPEC section 2, 0 for a zero-size dim in
  // derived mode (such a dim holds no element, so it is never divided by).
  std::array<int64_t, kMaxRank> block{};
  std::array<int64_t, kMaxRank> count{};         // scale dims at the operand's rank
  std::array<int64_t, kMaxRank> scale_stride{};  // row-major strides of `count`
  bool per_tensor = false;                       // one scale element
  int64_t scale_numel = 1;

  int64_t scale_index(const int64_t* index) const {
    int64_t s = 0;
    for (int d = 0; d < rank; ++d) {
      if (count[d] > 1) s += index[d] / block[d] * scale_stride[d];
    }
    return s;
  }
};

using QLinearGeometry = QLinearValidated<OperandLayout>;
using QConv2dGeometry = QConv2dValidated<OperandLayout>;
using QElementwiseGeometry = QElementwiseValidated<OperandLayout>;

// Per-channel along `dim`: per-tensor, or every other scale dim 1 and block 1 on `dim`.
bool is_per_channel_on(const OperandLayout& l, int dim);

QLinearGeometry validate_qlinear_args(const QLinearArgs& args);
QConv2dGeometry validate_qconv2d_args(const QConv2dArgs& args);
QElementwiseGeometry validate_qelementwise_args(const QElementwiseArgs& args);

}  // namespace qdiff::impl
