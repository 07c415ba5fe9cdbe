// What the reference fused operators share (reference/fused_ops.cc): the
// dequantized operands, the bias terms and the output quantization with its
// diagnostics. Each op's loops are in reference/<op>.cc.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/block_layout.h"
#include "core/fused_ops.h"
#include "reference/bias_grid.h"
#include "reference/fused_ops.h"

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

// The bias term of each channel under the accumulation contract
// (reference/bias_grid.h); empty without a bias.
template <typename Args>
std::vector<double> biases(const Args& a) {
  if (!a.bias) return {};
  return bias_terms(a.contract, *a.bias, a.x_params, a.w_params);
}

}  // namespace qdiff::reference
