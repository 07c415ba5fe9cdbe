// Reference qconv2d (reference/fused_ops.h has the formula): one double
// sum per output over (c, i, j), zero padding in the real domain.
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "reference/fused_output.h"
#include "reference/fused_validate.h"
#include "reference/nd_index.h"

namespace qdiff::reference {

IdealResult qconv2d(const QConv2dArgs& args) {
  const QConv2dPlan plan = validate_qconv2d(args);
  IdealResult result = empty_result(args.out_params, plan.out_shape);
  const std::vector<float> x = dequantize_operand(args.x, args.x_params, plan.x_layout);
  const std::vector<float> w = dequantize_operand(args.w, args.w_params, plan.w_layout);
  const std::vector<double> bias = biases(args);
  OutputWriter out{args.out_params, plan.out_layout, args.activation,
                   args.contract.output_zero_point, result};
  const Conv2dAttrs& at = args.attrs;
  for_each_index(plan.out_shape, [&](std::span<const int64_t> index, int64_t flat) {
    const int64_t n = index[0], o = index[1], oh = index[2], ow = index[3];
    const int64_t group = o / plan.o_per_group;  // O >= 1 here, so o_per_group >= 1
    double y = 0.0, magnitude = 0.0;
    for (int64_t c = 0; c < plan.c_per_group; ++c) {
      const int64_t ci = group * plan.c_per_group + c;
      for (int64_t i = 0; i < plan.kh; ++i) {
        // 128-bit: stride, padding and dilation may each be near 2^63.
        const __int128 ih = __int128(oh) * at.stride[0] - at.padding[0] +
                            __int128(i) * at.dilation[0];
        if (ih < 0 || ih >= plan.h) continue;  // zero padding: a real 0.0 adds nothing
        for (int64_t j = 0; j < plan.kw; ++j) {
          const __int128 iw = __int128(ow) * at.stride[1] - at.padding[1] +
                              __int128(j) * at.dilation[1];
          if (iw < 0 || iw >= plan.w) continue;
          const int64_t xi = ((n * plan.c + ci) * plan.h + int64_t(ih)) * plan.w + int64_t(iw);
          const int64_t wi = ((o * plan.c_per_group + c) * plan.kh + i) * plan.kw + j;
          const double term = double(x[size_t(xi)]) * double(w[size_t(wi)]);
          y += term;
          magnitude += std::fabs(term);
        }
      }
    }
    if (args.bias) {
      y += bias[size_t(o)];
      magnitude += std::fabs(bias[size_t(o)]);
    }
    out.write(index, flat, y, magnitude);
  });
  return result;
}

}  // namespace qdiff::reference
