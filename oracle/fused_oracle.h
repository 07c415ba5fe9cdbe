// The oracle of the fused operators (SPEC section 9): every output equals
// the ideal quantized value, except where the ideal pre-rounding value lies
// within the derived bound (oracle/fused_bound.h) of a rounding boundary or
// clamp edge, where either neighbour is accepted. Shapes and dtypes are
// never tolerated; error kinds must agree. Verdict::tolerated counts the
// outputs that needed the bound.
#pragma once

#include "core/fused_ops.h"
#include "oracle/backend_interface.h"
#include "oracle/verdict.h"

namespace qdiff {

Verdict check_qlinear(const QLinearArgs& args, const Backend& backend);
Verdict check_qconv2d(const QConv2dArgs& args, const Backend& backend);
Verdict check_qelementwise(const QElementwiseArgs& args, const Backend& backend);

}  // namespace qdiff
