// qlinear / qconv2d under bias int32_acc (core/qlinear_contract.h): the
// bias quantized to the accumulator's grid, handed to the output stage as
// the f32 it contributes, so the rest of the arithmetic contract
// (impl/ops/fused_ops.h) is unchanged:
//   s_acc[k] = f32(s_x * s_w[k])                  (one f32 multiply)
//   bq[k]    = clamp(rne(f32(b[k] * f32(1 / s_acc[k]))), -2^31, 2^31 - 1)
//   bias[k]  = f32(f32(bq[k]) * s_acc[k])           (step 3 then adds it in f32)
// Written apart from reference/bias_grid.h (impl never calls reference).
#pragma once

#include <optional>
#include <vector>

#include "core/fused_ops.h"
#include "impl/ops/fused_validate.h"

namespace qdiff::impl {

// Validation step 6 (int32_acc with a bias: x per-tensor, w per-tensor or
// per-channel on dim 0, neither in the float domain) and the end of step 7
// (every s_acc[k] finite and normal); docs/validation-order.md.
void check_bias_grid_layouts(const QLinearContract& c, const std::optional<Tensor>& bias,
                             const OperandLayout& x, const QuantParams& xp,
                             const OperandLayout& w, const QuantParams& wp);
void check_bias_grid_scales(const QLinearContract& c, const std::optional<Tensor>& bias,
                            const QuantParams& xp, const QuantParams& wp);

// The f32 bias the output stage adds: args.bias as it is under `float`,
// the dequantized int32 bias under int32_acc; empty without a bias.
std::vector<float> output_stage_bias(const QLinearContract& c, const std::optional<Tensor>& bias,
                                     const QuantParams& xp, const QuantParams& wp);

}  // namespace qdiff::impl
