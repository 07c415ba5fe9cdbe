// The optimized executor's f32 graph operators (docs/graph.md node table):
// linear, conv2d, add, mul, relu. Validation is core's, shared with the
// reference (core/argument_checks.h, core/op_geometry.h): 1 unsupported (an
// operand not f32), 2 invalid_shape (op shapes; conv2d as qconv2d),
// 3 too_large (the output).
//
// Arithmetic:
//   linear   Y = X W^T as an f32 GEMM (Eigen, no FMA: the build has no -mfma
//            and -ffp-contract=off), then y = f32(y + bias[k]). Any f32
//            summation order of In products is within (In - 1) u sum|x w|
//            plus u per product and per bias add: inside the harness's
//            (In + 4) u (sum|x w| + |b|) per output (docs/graph.md).
//   conv2d   direct loops, f32 accumulation over (c, i, j) in that order,
//            then + bias: the same bound with n = C/groups * kh * kw.
//   add, mul one IEEE f32 operation per element (numpy broadcasting): bit
//            exact with the reference. relu: x < 0 ? 0 : x (exact).
// Not covered by that bound: an f32 partial sum that overflows to +-inf
// where the exact sum is finite (terms near FLT_MAX that cancel); the
// reference accumulates in double. Inf and NaN otherwise propagate as IEEE.
#pragma once

#include <optional>

#include "core/fused_ops.h"
#include "core/tensor.h"

namespace qdiff::impl {

// Bit exact with reference/float_ops.h.
Tensor add_f32(const Tensor& a, const Tensor& b);
Tensor mul_f32(const Tensor& a, const Tensor& b);
Tensor relu_f32(const Tensor& x);

// Within the bound above.
Tensor linear_f32(const Tensor& x, const Tensor& w, const std::optional<Tensor>& bias);
Tensor conv2d_f32(const Tensor& x, const Tensor& w, const std::optional<Tensor>& bias,
                  const Conv2dAttrs& attrs);

}  // namespace qdiff::impl
