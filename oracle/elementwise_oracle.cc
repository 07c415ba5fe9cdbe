// qadd's and qmul's oracle: the fused acceptance rule (oracle/fused_oracle.h)
// with the elementwise bound (oracle/fused_bound.h: two f32 roundings) and
// the output zero point added after rounding.
#include "oracle/fused_bound.h"
#include "oracle/fused_oracle.h"

namespace qdiff {

FusedBoundTerms qelementwise_bound_terms(const QElementwiseArgs&) {
  FusedBoundTerms t;
  t.relative = 2.0 * kBoundSecondOrder * kBoundU;
  t.absolute = kBoundTiny;
  return t;
}

Verdict check_qelementwise(const QElementwiseArgs& a, const Backend& backend) {
  return check_fused([&] { return reference::qelementwise(a); }, [&] { return backend.qelementwise(a); },
                     a.out_params, OutputZeroPoint::after_rounding, [&] { return qelementwise_bound_terms(a); });
}

}  // namespace qdiff
