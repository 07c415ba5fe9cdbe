// Argument checks that reference/ and impl/ share (docs/validation-order.md
// has the order): dtypes, element caps, quant ranges, the activation and the
// bias. One text on both sides, so error parity (SPEC section 9) does not
// test them; what each side still writes on its own (block layouts, scale
// and zero-point values, the op's layout rules) is listed in
// docs/architecture.md, "What reference/ and impl/ share".
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/fused_ops.h"
#include "core/limits.h"
#include "core/op_geometry.h"
#include "core/quant_params.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace qdiff {

// quantize / dequantize / fake_quantize steps 1-3 (unsupported, too_large,
// invalid_range), also the legacy per-channel form's. `op` names the call
// in messages ("quantize_affine"). `input_dtype` is unset when only shapes
// are known (impl's planning); its check is then skipped.
void check_affine_arguments(std::string_view op, bool dequantize,
                            std::optional<DType> input_dtype, const Shape& input,
                            const QuantParams& params);

// The legacy per-channel form's step 4 (docs/graph.md): no block_size, the
// axis inside [-rank, rank), scale and zero point of shape [C]. Returns the
// normalized axis.
int check_legacy_shapes(const Shape& data, const QuantParams& params, int64_t axis);
// a' = a < 0 ? a + rank : a, for a in [-rank, rank); invalid_shape otherwise.
int normalize_legacy_axis(int64_t axis, const Shape& data);

// choose_qparams steps 1-3; step 5 (eps) is check_eps.
void check_choose_qparams_arguments(const Tensor& input, const ChooseQParamsArgs& args);
void check_eps(float eps);

// Not dtype_min <= qmin <= qmax <= dtype_max (strict: also qmin < qmax) is
// invalid_range. A non-empty `operand` ("x", "w", "out") prefixes the
// message.
void check_quant_range(DType dtype, int64_t qmin, int64_t qmax, bool strict,
                       std::string_view operand = {});

// The zero point's shape must be the scale's (invalid_shape).
void check_zero_point_shape(const QuantParams& p, std::string_view operand = {});
// The first half of the zero-point step (invalid_zero_point): a zero point
// with domain none; an int-domain one of a non-integer dtype; a float-domain
// one not f32. Its values are each side's own check.
void check_zero_point_kind(const QuantParams& p, std::string_view operand = {});

// "x " for an operand of a fused op, "" for the affine ops.
std::string operand_prefix(std::string_view operand);

// An f32 operand of a float graph op (unsupported otherwise).
void check_f32_operand(const Tensor& t, std::string_view name, std::string_view op);
// The float graph ops linear and conv2d, steps 1-3 (reference/float_ops.h):
// f32 operands (x, w, bias), op shapes, then the output's element cap.
LinearGeometry check_linear_f32(const Tensor& x, const Tensor& w,
                                const std::optional<Tensor>& bias);
// add / mul: f32 a and b that broadcast; returns the output shape (capped).
Shape check_elementwise_f32(const Tensor& a, const Tensor& b, std::string_view op);
Conv2dGeometry check_conv2d_f32(const Tensor& x, const Tensor& w,
                                const std::optional<Tensor>& bias, const Conv2dAttrs& attrs);

// One quantized operand of a fused op: its tensor (none for the output,
// which does not exist yet) and its params.
struct QuantOperand {
  std::string_view name;
  const Tensor* tensor;
  const QuantParams* params;
  bool float_domain_allowed;  // weights only (torchao tinygemm)
};
using QuantOperands = std::array<QuantOperand, 3>;  // x, w, out / a, b, out

// Fused steps 1-3 (the bias sits between the second operand and the
// output), and step 9.
void check_fused_types_caps_ranges(const QuantOperands& ops, const std::optional<Tensor>* bias,
                                   const Activation& activation);
void check_bias_not_nan(const std::optional<Tensor>* bias);

// Throws unsupported: "x params have layout ...; qlinear defines x params
// per-tensor or per-row ([..., 1])".
[[noreturn]] void fail_undefined_layout(std::string_view op, std::string_view operand,
                                        const std::string& layout, std::string_view defined);

}  // namespace qdiff
