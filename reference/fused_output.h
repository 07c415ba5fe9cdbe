// What the reference fused operators share (reference/fused_ops.cc): the
// dequantized operands, the bias terms and the output quantization with its
// diagnostics. Each op's loops are in reference/<op>.cc.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "core/block_layout.h"
#include "core/fused_ops.h"
#include "reference/bias_grid.h"
#include "reference/fused_ops.h"
#include "reference/nd_index.h"

namespace qdiff::reference {

// dq() of every element of a validated operand (SPEC section 5), row-major.
std::vector<float> dequantize_operand(const Tensor& q, const QuantParams& p,
                                      const BlockLayout& layout);

// Fills result.output[flat] and the diagnostics from the real value y (before
// the activation) and the unscaled magnitude sum |terms|.
struct OutputWriter {
  const QuantParams& params;
  const BlockLayout& layout;
  const Activation& activation;
  OutputZeroPoint placement;
  IdealResult& result;

  void write(std::span<const int64_t> index, int64_t flat, double y, double magnitude);
};

// The result of `out_shape`, with room for the diagnostics.
IdealResult empty_result(const QuantParams& out_params, const Shape& out_shape);

// qlinear's and qconv2d's dequantized x and w and the bias term of each
// channel under the accumulation contract (reference/bias_grid.h; none
// without a bias).
struct WeightOperands {
  std::vector<float> x, w;
  std::vector<double> bias;

  // Adds channel c's bias term to y and to the magnitude sum |terms|.
  void add_bias(int64_t c, double& y, double& magnitude) const {
    if (bias.empty()) return;
    y += bias[size_t(c)];
    magnitude += std::fabs(bias[size_t(c)]);
  }
};

template <typename Args, typename Plan>
WeightOperands dequantize_weight_operands(const Args& a, const Plan& plan) {
  WeightOperands o{dequantize_operand(a.x, a.x_params, plan.x_layout),
                   dequantize_operand(a.w, a.w_params, plan.w_layout), {}};
  if (a.bias) o.bias = bias_terms(a.contract, *a.bias, a.x_params, a.w_params);
  return o;
}

// The loop every qlinear / qconv2d output shares: `sum(ops, index, y,
// magnitude)` adds the products of output `index`, then the bias term of
// channel index[channel_dim] and the output quantization.
template <typename Args, typename Plan, typename Sum>
IdealResult weight_op_outputs(const Args& args, const Plan& plan, int channel_dim, Sum&& sum) {
  IdealResult result = empty_result(args.out_params, plan.out_shape);
  const WeightOperands ops = dequantize_weight_operands(args, plan);
  OutputWriter out{args.out_params, plan.out_layout, args.activation,
                   args.contract.output_zero_point, result};
  // Visiting the output never loops over the rows of an empty one.
  for_each_index(plan.out_shape, [&](std::span<const int64_t> index, int64_t flat) {
    double y = 0.0, magnitude = 0.0;
    sum(ops, index, flat, y, magnitude);
    ops.add_bias(index[size_t(channel_dim)], y, magnitude);
    out.write(index, flat, y, magnitude);
  });
  return result;
}

}  // namespace qdiff::reference
