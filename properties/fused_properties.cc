// The fused operators' properties (registry in property order; each op's
// live in properties/<op>_properties.cc). Differential ones compare the
// backend with the reference's IDEAL result under the derived rounding bound
// (oracle/fused_oracle.h); metamorphic ones check laws that hold exactly
// under the arithmetic contract (impl/ops/fused_ops.h).
#include "properties/fused_properties.h"

#include "oracle/case_oracle.h"

namespace qdiff::props {

CheckResult fused_differential(const Case& c, const Backend& b) {
  return CheckResult{check_case(c, b), false};
}

// The order is part of the fuzz targets' encoding (the property choice), so
// recorded seeds depend on it.
std::vector<Property> fused_properties() {
  return {
      qlinear_matches_reference(),
      qconv2d_matches_reference(),
      qelementwise_matches_reference(ElementwiseOp::add),
      qelementwise_matches_reference(ElementwiseOp::mul),
      qlinear_agrees_with_one_by_one_qconv2d(),
      qadd_and_qmul_are_commutative(),
  };
}

}  // namespace qdiff::props
