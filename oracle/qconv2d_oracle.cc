// qconv2d's oracle: the fused acceptance rule (oracle/fused_oracle.h) with
// the dot-product bound over Cg x kh x kw products (oracle/fused_bound.h).
#include "oracle/fused_bound.h"
#include "oracle/fused_oracle.h"

namespace qdiff {

FusedBoundTerms qconv2d_bound_terms(const QConv2dArgs& a) {
  int64_t in = 1;
  for (int d = 1; d < a.w.shape().rank(); ++d) in *= a.w.shape()[d];
  return dot_product_terms(a.x, a.x_params, a.w, a.w_params, in);
}

Verdict check_qconv2d(const QConv2dArgs& a, const Backend& backend) {
  return check_fused([&] { return reference::qconv2d(a); }, [&] { return backend.qconv2d(a); }, a.out_params,
                     a.contract.output_zero_point, [&] { return qconv2d_bound_terms(a); });
}

}  // namespace qdiff
