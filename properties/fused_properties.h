// The fused operators' properties, one file per op
// (properties/qlinear_properties.cc, qconv2d_properties.cc,
// elementwise_properties.cc); fused_properties() (property.h) lists them.
#pragma once

#include "core/fused_ops.h"
#include "properties/fused_generators.h"
#include "properties/property.h"

namespace qdiff::props {

inline const FusedLimits kFusedLimits{};

// The backend against the reference's IDEAL result (oracle/fused_oracle.h).
CheckResult fused_differential(const Case& c, const Backend& b);

Property qlinear_matches_reference();
Property qlinear_agrees_with_one_by_one_qconv2d();
Property qconv2d_matches_reference();
Property qelementwise_matches_reference(ElementwiseOp op);
Property qadd_and_qmul_are_commutative();

}  // namespace qdiff::props
