// Input validation of the reference, in the canonical order every
// implementation must follow so that error kinds agree (error parity,
// SPEC section 9). The order is written down in docs/validation-order.md:
//
//  quantize / dequantize / fake_quantize:
//   1 unsupported         params.dtype not an integer type; input dtype wrong
//                         for the op (quantize: f32; dequantize: params.dtype);
//                         scale not f32
//   2 too_large           input, scale or zero point above the element cap
//   3 invalid_range       not dtype_min <= quant_min <= quant_max <= dtype_max
//   4 invalid_shape /     BlockLayout::derive (shape errors of all dims before
//     non_divisible_block divisibility errors); then zero point shape != scale
//                         shape is invalid_shape
//   5 invalid_scale       a scale value not finite, <= 0 or subnormal
//   6 invalid_zero_point  zero point with domain none; int domain: not an
//                         integer dtype or a value outside [qmin, qmax]; float
//                         domain: not f32 or not finite
//   7 nan_input           (quantize, fake_quantize) NaN in the input
//
//  choose_qparams:
//   1 unsupported         input not f32; dtype not integer; float domain with
//                         a mapping other than asymmetric
//   2 too_large           input above the element cap
//   3 invalid_range       range outside the dtype, or quant_min >= quant_max
//   4 invalid_shape /     BlockLayout::from_divisible_blocks
//     non_divisible_block
//   5 invalid_scale       eps not finite or not > 0
//   6 nan_input           NaN or +-inf in the input (a block min/max of inf
//                         gives no usable scale; documented choice)
#pragma once

#include <string_view>

#include "core/block_layout.h"
#include "core/quant_params.h"
#include "core/tensor.h"

namespace qdiff::reference {

enum class AffineOp { quantize, dequantize, fake_quantize };

// Runs steps 1-7 above; returns the validated layout.
BlockLayout validate_affine(AffineOp op, const Tensor& input, const QuantParams& params);

// Runs choose_qparams steps 1-6; returns the block layout.
BlockLayout validate_choose_qparams(const Tensor& input, const ChooseQParamsArgs& args);

// Per-operand pieces of steps 4-6 above, shared with the fused operators
// (reference/fused_validate.h), whose operands each carry their own params.
// A non-empty `operand` ("x", "w", "out") prefixes every message; the affine
// ops pass none, so their messages are unchanged. Steps 1-3 are core's
// (core/argument_checks.h), shared with impl/.
//   step 4: BlockLayout::derive of p against `shape`, then the zero point's shape
BlockLayout check_params_layout(const Shape& shape, const QuantParams& p,
                                std::string_view operand = {});
//   step 5: every scale value finite, positive and normal
void check_scale_values(const QuantParams& p, std::string_view operand = {});
//   step 6: the zero point against its domain, dtype and range
void check_zero_point_values(const QuantParams& p, std::string_view operand = {});

}  // namespace qdiff::reference
