// Arguments of the fused quantized operators (SPEC section 8): qlinear,
// qconv2d, qadd, qmul. Every quantized operand carries its own QuantParams;
// the result is quantized once with the output params.
//
// Semantics (the IDEAL result, computed by reference/): dequantize every
// quantized operand (SPEC section 5), apply the float operator in exact real
// arithmetic, apply the activation, then
//   q = clamp(round_half_even(y / s_out) + z_out, out.quant_min, out.quant_max)
// with the output's own scale and zero point for that element. The
// quantize contract (core/contract.h) does not apply to this final step
// (true division, half to even); qlinear and qconv2d carry their own
// accumulation contract (core/qlinear_contract.h), whose default is this.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/qlinear_contract.h"
#include "core/quant_params.h"
#include "core/tensor.h"

namespace qdiff {

// Applied to the real result before the output quantization.
enum class ActivationKind { none, relu, clamp };
struct Activation {
  ActivationKind kind = ActivationKind::none;
  float lo = 0.0f;  // clamp only, in real units; lo <= hi
  float hi = 0.0f;
};
std::string_view activation_name(ActivationKind k);
std::optional<ActivationKind> parse_activation(std::string_view name);

// qlinear: x [..., In] (batch ranks 1..4 in the generators, any rank >= 1
// accepted), w [K, In], optional f32 bias [K];
//   y[..., k] = sum_j dq(x)[..., j] * dq(w)[k, j] + bias[k]
// Weight params: per-tensor, per-channel [K, 1], per-group [K, In / g] or
// any valid block layout. Input params: per-tensor or per-row [..., 1].
// Output params: per-tensor or per-channel along the last dim
// ([1, .., 1, K] at the output's rank).
struct QLinearArgs {
  Tensor x;
  QuantParams x_params;
  Tensor w;
  QuantParams w_params;
  std::optional<Tensor> bias;
  QuantParams out_params;
  Activation activation;
  QLinearContract contract;  // core/qlinear_contract.h; default: SPEC section 8
};

// qconv2d: x NCHW [N, C, H, W], w [O, C / groups, kh, kw], optional f32
// bias [O]; output [N, O, OH, OW] with
//   OH = (H + pad_top + pad_bottom - dilation_h * (kh - 1) - 1) / stride_h + 1
// (likewise OW); zero padding in the REAL domain (a padded input is 0.0,
// not the input zero point's dequantized value, which is also 0.0).
struct Conv2dAttrs {
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 4> padding{0, 0, 0, 0};  // top, left, bottom, right
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
};
struct QConv2dArgs {
  Tensor x;
  QuantParams x_params;
  Tensor w;
  QuantParams w_params;
  std::optional<Tensor> bias;
  QuantParams out_params;
  Conv2dAttrs attrs;
  Activation activation;
  QLinearContract contract;  // qlinear's: the same accumulation path
};

// qadd / qmul: numpy broadcasting of a and b (ranks 0..6), each with its
// own params for its own shape; out_params valid for the broadcast shape.
enum class ElementwiseOp { add, mul };
std::string_view elementwise_op_name(ElementwiseOp op);
struct QElementwiseArgs {
  ElementwiseOp op = ElementwiseOp::add;
  Tensor a;
  QuantParams a_params;
  Tensor b;
  QuantParams b_params;
  QuantParams out_params;
  Activation activation;
};

// Numpy broadcast of two shapes; throws invalid_shape naming the dims.
Shape broadcast_shapes(const Shape& a, const Shape& b);

}  // namespace qdiff
