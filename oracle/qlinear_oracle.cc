// qlinear's oracle: the fused acceptance rule (oracle/fused_oracle.h) with
// the dot-product bound over In products (oracle/fused_bound.h).
#include "oracle/fused_bound.h"
#include "oracle/fused_oracle.h"

namespace qdiff {

FusedBoundTerms qlinear_bound_terms(const QLinearArgs& a) {
  const int64_t in = a.w.shape().rank() == 2 ? a.w.shape()[1] : 0;
  return dot_product_terms(a.x, a.x_params, a.w, a.w_params, in);
}

Verdict check_qlinear(const QLinearArgs& a, const Backend& backend) {
  return check_fused([&] { return reference::qlinear(a); }, [&] { return backend.qlinear(a); }, a.out_params,
                     a.contract.output_zero_point, [&] { return qlinear_bound_terms(a); });
}

}  // namespace qdiff
