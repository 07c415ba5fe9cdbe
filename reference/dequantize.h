// Reference dequantize_affine (SPEC section 5). Output f32, input's shape.
//   int domain:   y = f32(f32(f32(q) - f32(z)) * s)
//   none domain:  y = f32(f32(q) * s)
//   float domain: y = f32(f32(f32(f32(q) - mid) * s) + z),
//                 mid = f32((quant_max + quant_min + 1) / 2)
// Stored values outside [quant_min, quant_max] are used as they are.
// The contract does not change dequantization; it is accepted for symmetry.
#pragma once

#include "core/contract.h"
#include "core/quant_params.h"
#include "core/tensor.h"

namespace qdiff::reference {

Tensor dequantize_affine(const Tensor& input, const QuantParams& params,
                         Contract contract = Contract::torchao);

float dequantize_element(double q, float scale, double zero_point,
                         const QuantParams& params);

}  // namespace qdiff::reference
