// Reference fake_quantize_affine (SPEC section 7):
//   y = dequantize_affine(quantize_affine(x, params), params), all in f32,
//   no storage cast in between.
#pragma once

#include "core/contract.h"
#include "core/quant_params.h"
#include "core/tensor.h"

namespace qdiff::reference {

Tensor fake_quantize_affine(const Tensor& input, const QuantParams& params,
                            Contract contract = Contract::torchao);

}  // namespace qdiff::reference
