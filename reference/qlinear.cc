// Reference qlinear (reference/fused_ops.h has the formula): one double
// sum per output over In, then the shared output quantization.
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "reference/fused_output.h"
#include "reference/fused_validate.h"
#include "reference/nd_index.h"

namespace qdiff::reference {

IdealResult qlinear(const QLinearArgs& args) {
  const QLinearPlan plan = validate_qlinear(args);
  IdealResult result = empty_result(args.out_params, plan.out_shape);
  const WeightOperands ops = dequantize_weight_operands(args, plan);
  OutputWriter out{args.out_params, plan.out_layout, args.activation,
                   args.contract.output_zero_point, result};
  const int64_t in = plan.in;
  // One output per (row, k); visiting the output (not rows x K) never loops
  // over the rows of an empty output.
  for_each_index(plan.out_shape, [&](std::span<const int64_t> index, int64_t flat) {
    const int64_t k = index.back();
    const int64_t row = flat / plan.k;  // K >= 1: the output has elements
    double y = 0.0, magnitude = 0.0;
    for (int64_t j = 0; j < in; ++j) {
      // f32 x f32 is exact in double (24 + 24 significant bits).
      const double term = double(ops.x[size_t(row * in + j)]) * double(ops.w[size_t(k * in + j)]);
      y += term;
      magnitude += std::fabs(term);
    }
    ops.add_bias(k, y, magnitude);
    out.write(index, flat, y, magnitude);
  });
  return result;
}

}  // namespace qdiff::reference
