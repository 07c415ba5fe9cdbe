// Reference qconv2d (reference/fused_ops.h has the formula): one double
// sum per output over (c, i, j), zero padding in the real domain.
#include <cmath>
#include <cstdint>
#include <span>

#include "reference/conv2d_taps.h"
#include "reference/fused_output.h"
#include "reference/fused_validate.h"

namespace qdiff::reference {

IdealResult qconv2d(const QConv2dArgs& args) {
  const QConv2dPlan plan = validate_qconv2d(args);
  return weight_op_outputs(args, plan, /*channel_dim=*/1,
                           [&](const WeightOperands& ops, std::span<const int64_t> index,
                               int64_t, double& y, double& magnitude) {
    for_each_conv2d_tap(plan, args.attrs, index, [&](int64_t xi, int64_t wi) {
      const double term = double(ops.x[size_t(xi)]) * double(ops.w[size_t(wi)]);  // exact
      y += term;
      magnitude += std::fabs(term);
    });
  });
}

}  // namespace qdiff::reference
