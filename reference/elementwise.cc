// Reference qadd / qmul (reference/fused_ops.h has the formula): numpy
// broadcasting, one exact double operation per output.
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "reference/fused_output.h"
#include "reference/fused_validate.h"
#include "reference/nd_index.h"

namespace qdiff::reference {

IdealResult qelementwise(const QElementwiseArgs& args) {
  const QElementwisePlan plan = validate_qelementwise(args);
  IdealResult result = empty_result(args.out_params, plan.out_shape);
  const std::vector<float> a = dequantize_operand(args.a, args.a_params, plan.a_layout);
  const std::vector<float> b = dequantize_operand(args.b, args.b_params, plan.b_layout);
  OutputWriter out{args.out_params, plan.out_layout, args.activation,
                   OutputZeroPoint::after_rounding, result};
  for_each_index(plan.out_shape, [&](std::span<const int64_t> index, int64_t flat) {
    const double da = a[size_t(broadcast_offset(args.a.shape(), index))];
    const double db = b[size_t(broadcast_offset(args.b.shape(), index))];
    if (args.op == ElementwiseOp::add) {
      out.write(index, flat, da + db, std::fabs(da) + std::fabs(db));
    } else {
      const double y = da * db;  // exact in double
      out.write(index, flat, y, std::fabs(y));
    }
  });
  return result;
}

}  // namespace qdiff::reference
