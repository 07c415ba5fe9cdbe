// The bias of qlinear and qconv2d under their accumulation contract
// (core/qlinear_contract.h):
//   float:     term[k] = b[k]
//   int32_acc: s_acc[k] = f32(s_x * s_w[k])           (the product exact, one rounding)
//              bq[k]    = quantize_element(b[k], s_acc[k], no zero point, i32 range, torchao)
//                       = clamp(rne(f32(b[k] * f32(1 / s_acc[k]))), -2^31, 2^31 - 1)
//              term[k]  = bq[k] * s_x * s_w[k]          (real: the accumulator's unit)
// The validation the contract adds to docs/validation-order.md ("Fused
// operators"): step 6 (layouts with one accumulator scale per channel) and
// step 7 (s_acc[k] a valid scale).
#pragma once

#include <optional>
#include <vector>

#include "core/block_layout.h"
#include "core/fused_ops.h"

namespace qdiff::reference {

// Step 6: under int32_acc with a bias, x params per-tensor, w params
// per-tensor or per-channel on dim 0, neither in the float domain.
void check_bias_grid_layouts(const QLinearContract& c, const std::optional<Tensor>& bias,
                             const BlockLayout& x, const QuantParams& xp, const BlockLayout& w,
                             const QuantParams& wp);
// Step 7 (after the operands' scales): every s_acc[k] finite and normal.
void check_bias_grid_scales(const QLinearContract& c, const std::optional<Tensor>& bias,
                            const QuantParams& xp, const QuantParams& wp);

// term[k] for a validated call, in double: b[k], or bq[k] * s_x * s_w[k]
// (s_x * s_w exact in double, times bq one rounding of 2^-53 relative, far
// below the oracle's bound like the rest of the reference's sums).
std::vector<double> bias_terms(const QLinearContract& c, const Tensor& bias, const QuantParams& xp,
                               const QuantParams& wp);

}  // namespace qdiff::reference
