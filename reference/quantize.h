// Reference quantize_affine (SPEC sections 3 and 4).
//
// For each element x with scale s and zero point z (0 when absent):
//   int domain:   v = x * f32(1/s)  (torchao, zp_before)  |  x / s  (onnx, half_away)
//                 t = round(v) + z                  (exact, in double)
//                 t = round(f32(v + f32(z)))        (zp_before)
//                 q = clamp(t, quant_min, quant_max)
//   none domain:  q = clamp(round(v), quant_min, quant_max)
//   float domain: mid = f32((quant_max + quant_min + 1) / 2)
//                 min_val = f32(z - f32(s * mid))
//                 q = clamp(round_half_even(f32(f32(x - min_val) / s)), qmin, qmax)
//                 (torchao's tinygemm formula; the contract does not apply)
// round = half to even, or half away from zero under `half_away`.
// NaN input is `nan_input`; +-inf and huge |v| saturate.
#pragma once

#include "core/contract.h"
#include "core/quant_params.h"
#include "core/tensor.h"

namespace qdiff::reference {

// Output has params.dtype and the input's shape.
Tensor quantize_affine(const Tensor& input, const QuantParams& params,
                       Contract contract = Contract::torchao);

// One element, for diagnostics: the pre-rounding value (v, or for the
// float domain f32(x - min_val) / s) and the final quantized value.
struct QuantizeTrace {
  float pre_rounding;
  int64_t q;
};
QuantizeTrace quantize_element(float x, float scale, double zero_point,
                               const QuantParams& params, Contract contract);

}  // namespace qdiff::reference
