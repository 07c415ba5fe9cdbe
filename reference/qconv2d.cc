// Reference qconv2d (reference/fused_ops.h has the formula): one double
// sum per output over (c, i, j), zero padding in the real domain.
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "reference/conv2d_taps.h"
#include "reference/fused_output.h"
#include "reference/fused_validate.h"
#include "reference/nd_index.h"

namespace qdiff::reference {

IdealResult qconv2d(const QConv2dArgs& args) {
  const QConv2dPlan plan = validate_qconv2d(args);
  IdealResult result = empty_result(args.out_params, plan.out_shape);
  const WeightOperands ops = dequantize_weight_operands(args, plan);
  OutputWriter out{args.out_params, plan.out_layout, args.activation,
                   args.contract.output_zero_point, result};
  for_each_index(plan.out_shape, [&](std::span<const int64_t> index, int64_t flat) {
    double y = 0.0, magnitude = 0.0;
    for_each_conv2d_tap(plan, args.attrs, index, [&](int64_t xi, int64_t wi) {
      const double term = double(ops.x[size_t(xi)]) * double(ops.w[size_t(wi)]);  // exact
      y += term;
      magnitude += std::fabs(term);
    });
    ops.add_bias(index[1], y, magnitude);
    out.write(index, flat, y, magnitude);
  });
  return result;
}

}  // namespace qdiff::reference
