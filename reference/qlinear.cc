// Reference qlinear (reference/fused_ops.h has the formula): one double
// sum per output over In, then the shared output quantization.
#include <cmath>
#include <cstdint>
#include <span>

#include "reference/fused_output.h"
#include "reference/fused_validate.h"

namespace qdiff::reference {

IdealResult qlinear(const QLinearArgs& args) {
  const QLinearPlan plan = validate_qlinear(args);
  const int64_t in = plan.in;
  const int channel_dim = plan.out_shape.rank() - 1;  // k
  return weight_op_outputs(args, plan, channel_dim,
                           [&](const WeightOperands& ops, std::span<const int64_t> index,
                               int64_t flat, double& y, double& magnitude) {
    const int64_t k = index.back();
    const int64_t row = flat / plan.k;  // K >= 1: the output has elements
    for (int64_t j = 0; j < in; ++j) {
      // f32 x f32 is exact in double (24 + 24 significant bits).
      const double term = double(ops.x[size_t(row * in + j)]) * double(ops.w[size_t(k * in + j)]);
      y += term;
      magnitude += std::fabs(term);
    }
  });
}

}  // namespace qdiff::reference
