// The optimized fused operators' own input validation (qlinear, qconv2d,
// qadd, qmul), in the canonical order of docs/validation-order.md ("Fused
// operators") so that error kinds agree with reference/ (SPEC section 9).
// Written independently of reference/ and of core's BlockLayout, so that a
// defect in either is not silently shared:
//
//   1 unsupported         params dtype not integer; an operand of dtype i32;
//                         tensor dtype != params dtype; scale not f32; bias not
//                         f32; float zero-point domain on x / a / b / out
//   2 too_large           every tensor, scale, zero point, the bias
//   3 invalid_range       each params' range; clamp bounds (lo > hi or NaN)
//   4 invalid_shape       op shapes (qconv2d: groups >= 1 before C % groups,
//                         output dims in 128 bits); then too_large for the
//                         output shape
//   5 invalid_shape /     each operand's block layout (shape errors of every
//     non_divisible_block dim before divisibility), then its zero point shape;
//                         the out params against the output shape
//   6 unsupported         layouts the op does not define; bias int32_acc's
//                         (impl/ops/bias_grid.h)
//   7 invalid_scale       scale values, operand by operand; the bias grid's
//   8 invalid_zero_point  zero points, operand by operand
//   9 nan_input           a NaN in the bias
// Within a step, operands are checked in argument order (x, w, bias, out /
// a, b, out), each completely before the next; messages name the operand.
#pragma once

#include <array>
#include <cstdint>

#include "core/fused_ops.h"
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

struct QLinearGeometry {
  OperandLayout x, w, out;
  Shape out_shape;         // x.shape[:-1] + [K]
  int64_t rows = 0;        // product of x's leading dims
  int64_t in = 0, k = 0;
};

struct QConv2dGeometry {
  OperandLayout x, w, out;
  Shape out_shape;  // [N, O, OH, OW]
  int64_t n = 0, c = 0, h = 0, w_ = 0;
  int64_t o = 0, kh = 0, kw = 0;
  int64_t c_per_group = 0, o_per_group = 0;
  int64_t oh = 0, ow = 0;
};

struct QElementwiseGeometry {
  OperandLayout a, b, out;
  Shape out_shape;  // the numpy broadcast of a and b
};

// Per-channel along `dim`: per-tensor, or every other scale dim 1 and block 1 on `dim`.
bool is_per_channel_on(const OperandLayout& l, int dim);

QLinearGeometry validate_qlinear_args(const QLinearArgs& args);
QConv2dGeometry validate_qconv2d_args(const QConv2dArgs& args);
QElementwiseGeometry validate_qelementwise_args(const QElementwiseArgs& args);

}  // namespace qdiff::impl
