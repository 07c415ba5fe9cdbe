// Reference f32 operators of the graph level (docs/graph.md, node table):
// the float nodes linear, conv2d, add, mul and relu.
//
//   linear:  y[.., k] = f32( sum_j x[.., j] * w[k, j] + bias[k] )
//            x [..., In] (rank >= 1), w [K, In], optional bias [K]
//   conv2d:  y[n, o, oh, ow] = f32( sum_{c, i, j} x[n, g*Cg + c, ih, iw] * w[o, c, i, j]
//                                    + bias[o] )
//            (ih = oh*stride_h - pad_top + i*dilation_h, zero outside; the
//            geometry of qconv2d, core/fused_ops.h)
//   add:     y = f32(a + b),  mul: y = f32(a * b)   (numpy broadcasting)
//   relu:    y = x < 0 ? 0 : x   (-0.0 stays -0.0, NaN stays NaN)
//
// Arithmetic: linear and conv2d accumulate in double, in the order written
// (j, or c then i then j, then the bias), and round ONCE to f32 at the end.
// Each product of two f32 values is exact in double (24 + 24 significant
// bits < 53, and the exponent range of double holds every product), so the
// double sum carries at most (n - 1) 2^-53 sum|terms| of error before the one
// f32 rounding; an implementation that accumulates in f32 may differ by far
// more (docs/graph.md gives the harness's bound). add and mul are one IEEE
// f32 operation each. NaN and +-inf propagate as IEEE says (inf * 0 = NaN);
// none of these ops rejects a value.
//
// Validation order (error kinds; messages name the operand):
//   1 unsupported    an operand (x, w, bias / a, b) whose dtype is not f32
//   2 invalid_shape  op shapes: linear as qlinear (x rank >= 1, w rank 2,
//                    x.shape[-1] == w.shape[1], bias [K]); conv2d as qconv2d
//                    (ranks 4, groups >= 1, C % groups, O % groups,
//                    w.shape[1] == C / groups, stride >= 1, dilation >= 1,
//                    padding >= 0, output H and W >= 1, bias [O]); add/mul:
//                    the shapes broadcast
//   3 too_large      the output above the element cap (an output dim beyond
//                    int64, conv2d with huge padding, included)
// Cost: one pass over the reduction per output; no work cap beyond the
// element cap of each tensor (as the reference fused ops).
#pragma once

#include <optional>

#include "core/fused_ops.h"
#include "core/tensor.h"

namespace qdiff::reference {

Tensor linear_f32(const Tensor& x, const Tensor& w, const std::optional<Tensor>& bias);
Tensor conv2d_f32(const Tensor& x, const Tensor& w, const std::optional<Tensor>& bias,
                  const Conv2dAttrs& attrs);
Tensor add_f32(const Tensor& a, const Tensor& b);
Tensor mul_f32(const Tensor& a, const Tensor& b);
Tensor relu_f32(const Tensor& x);

}  // namespace qdiff::reference
