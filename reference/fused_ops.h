// Reference fused quantized operators (SPEC sections 8 and 9): the IDEAL
// result, plus per-output diagnostics for the rounding-aware oracle.
//
//   qlinear:  y[.., k] = sum_j dq(x)[.., j] * dq(w)[k, j] + bias[k]
//   qconv2d:  y[n, o, oh, ow] = sum_{c, i, j} dq(x)[n, g*Cg + c, ih, iw] *
//                               dq(w)[o, c, i, j] + bias[o]
//             (ih = oh*stride_h - pad_top + i*dilation_h, zero outside)
//   qadd:     y = dq(a) + dq(b)   (numpy broadcasting)
//   qmul:     y = dq(a) * dq(b)
// then y = act(y) (relu: max(y, 0); clamp: min(max(y, lo), hi)) and
//   pre = y / s_out + z_out        (exact real arithmetic, see below)
//   q   = clamp(round_half_even(y / s_out) + z_out, qmin, qmax)
// dq() is dequantize_affine (SPEC section 5) of each operand, in f32.
// qlinear / qconv2d follow their accumulation contract (core/qlinear_contract.h):
//   bias int32_acc:                bias[k] above is bq[k] * s_x * s_w[k] (reference/bias_grid.h)
//   output_zero_point before_rounding: q = clamp(round_half_even(f32(y / s_out + f32(z_out))), qmin, qmax)
//
// Arithmetic: the sums are in double. Each product dq(a) * dq(b) of two
// f32 values is exact in double (24 + 24 bits < 53); a sum of n terms
// carries at most (n - 1) 2^-53 sum|terms| of error, and the final
// division one more 2^-53 relative: the reference's own error is below
// (n + 1) 2^-53 * magnitude, a factor 2^-29 under any f32 implementation's
// bound (oracle/fused_oracle.h), so it is ignored there.
//
// Infinities and NaN: dq() is finite unless (q - z) * s overflows f32, and
// the bias may be +-inf. An infinite y saturates (to qmin or qmax). A NaN y
// (inf - inf, or inf * 0 in a product) quantizes as the real value 0: the
// output is the zero point clamped to [qmin, qmax], as saturating float-to-int
// conversions (Java, Rust, WebAssembly, ARM FCVT) map NaN to 0; the ops stay
// total, so error parity rests on the validation table alone. relu and clamp
// pass NaN through, so the rule applies after the activation. That output's
// pre_rounding is NaN (an oracle must then demand exact equality), and its
// magnitude is NaN or inf.
//
// Validation: reference/fused_validate.h (docs/validation-order.md, "Fused
// operators"). Cost: one pass over the reduction per output, no work cap
// beyond the element cap of each tensor.
#pragma once

#include <vector>

#include "core/fused_ops.h"

namespace qdiff::reference {

struct IdealResult {
  Tensor output;                   // quantized, out_params.dtype, output shape
  std::vector<double> pre_rounding;  // y / s_out + z_out, before rounding and clamping
  // sum of |terms| / s_out for each output: for qlinear/qconv2d
  // (sum_j |dq(x) * dq(w)| + |bias|) / s_out; for qadd (|dq(a)| + |dq(b)|) / s_out;
  // for qmul |dq(a) * dq(b)| / s_out. Implementations' error bounds scale with it.
  std::vector<double> magnitude;
};

IdealResult qlinear(const QLinearArgs& args);
IdealResult qconv2d(const QConv2dArgs& args);
IdealResult qelementwise(const QElementwiseArgs& args);

}  // namespace qdiff::reference
