// Generators for the fused quantized operators (SPEC section 8), written
// against Source like the quant core's (properties/affine_generators.h).
//
// What they aim at:
// - qlinear: batch ranks 1..4; K = 1, In = 1, In and K around the vector
//   and register-tile widths (+-1); weights per-tensor, per-channel [K, 1],
//   per-group [K, In / g] with G = 1 (g = In) and g = 1, blockwise, and
//   explicit partial groups; i8/u8/i4/u4 and custom ranges; int, none and
//   float (tinygemm) weight domains; per-tensor or per-row inputs; bias;
//   per-tensor or per-channel outputs; relu and clamp;
// - qconv2d: stride, asymmetric padding, dilation, groups incl. depthwise,
//   per-output-channel weights;
// - qadd / qmul: numpy broadcasts of ranks 0..4 where an operand with
//   per-channel params is itself broadcast;
// - output scales picked from the ideal output range (so results are
//   spread over the grid, sometimes saturating) and power-of-two scale
//   products, which put ideal values exactly on rounding ties;
// - about 1 case in 8 invalid (every error kind of the validation table).
// The work per case is bounded (outputs x reduction <= 2^17).
#pragma once

#include "cases/case.h"
#include "properties/source.h"

namespace qdiff::props {

struct FusedLimits {
  int64_t max_elements = 4096;       // per operand tensor
  int64_t max_work = int64_t{1} << 17;  // outputs x reduction length
  int invalid_percent = 12;
};

QLinearCase draw_qlinear_case(Source& src, const FusedLimits& limits);
QConv2dCase draw_qconv2d_case(Source& src, const FusedLimits& limits);
QElementwiseCase draw_qelementwise_case(Source& src, ElementwiseOp op, const FusedLimits& limits);

// Always valid variants (metamorphic properties).
QLinearCase draw_valid_qlinear_case(Source& src, const FusedLimits& limits);
QElementwiseCase draw_valid_qelementwise_case(Source& src, ElementwiseOp op, const FusedLimits& limits);

}  // namespace qdiff::props
