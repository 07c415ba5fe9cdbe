// The shape checks and output geometry of linear / qlinear and conv2d /
// qconv2d (SPEC section 8, docs/graph.md), in the order of
// docs/validation-order.md. reference/ and impl/ both call these: one text,
// so error parity does not test them (docs/architecture.md, "What reference/
// and impl/ share"). The arithmetic that uses the geometry stays on each side.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/fused_ops.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace qdiff {

struct LinearGeometry {
  Shape out_shape;  // x.shape[:-1] + [K]
  int64_t rows = 0;  // product of x's leading dims; 0 when the output is empty
  int64_t in = 0, k = 0;
};

// x [..., In] (rank >= 1), w [K, In], bias [K]; throws invalid_shape (too_large
// for a non-empty output of more than 2^63 rows).
// `op` ("linear", "qlinear") names the operator in messages.
LinearGeometry linear_geometry(const Shape& x, const Shape& w, const std::optional<Tensor>& bias,
                               std::string_view op);

struct Conv2dGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input
  int64_t o = 0, kh = 0, kw = 0;       // weight
  int64_t c_per_group = 0, o_per_group = 0;
  int64_t oh = 0, ow = 0;  // output spatial dims
};

// x NCHW, w [O, C / groups, kh, kw], bias [O]; ranks, groups >= 1 before
// C % groups, stride and dilation >= 1, padding >= 0, OH and OW >= 1
// (invalid_shape), then an output dim beyond int64 (too_large).
Conv2dGeometry conv2d_geometry(const Shape& x, const Shape& w, const Conv2dAttrs& attrs,
                               const std::optional<Tensor>& bias, std::string_view op);

// bias [channels] where `what` names the dim ("K", "O"); throws invalid_shape.
void check_bias_shape(const std::optional<Tensor>& bias, int64_t channels, const char* what);

}  // namespace qdiff
