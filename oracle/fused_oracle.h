// The oracle of the fused operators (SPEC section 9): every output equals
// the ideal quantized value, except where the ideal pre-rounding value lies
// within the derived bound (oracle/fused_bound.h) of a rounding boundary or
// clamp edge, where either neighbour is accepted. Shapes and dtypes are
// never tolerated; error kinds must agree. Verdict::tolerated counts the
// outputs that needed the bound.
#pragma once

#include <functional>

#include "core/fused_ops.h"
#include "oracle/backend_interface.h"
#include "oracle/fused_bound.h"
#include "oracle/verdict.h"
#include "reference/fused_ops.h"

namespace qdiff {

// One per op (oracle/<op>_oracle.cc).
Verdict check_qlinear(const QLinearArgs& args, const Backend& backend);
Verdict check_qconv2d(const QConv2dArgs& args, const Backend& backend);
Verdict check_qelementwise(const QElementwiseArgs& args, const Backend& backend);

// What they share (oracle/fused_oracle.cc): runs the reference's ideal
// result and the backend's output (an Error thrown by either is its
// outcome), then applies the acceptance rule with the op's bound terms
// (computed only when an output differs).
Verdict check_fused(const std::function<reference::IdealResult()>& ideal, const std::function<Tensor()>& output,
                    const QuantParams& out_params, OutputZeroPoint placement,
                    const std::function<FusedBoundTerms()>& terms_of);

}  // namespace qdiff
