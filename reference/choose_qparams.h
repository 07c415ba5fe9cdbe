// Reference choose_qparams_affine (SPEC section 6). Per block, in f32:
//   mn, mx = block min, max;  min_neg = min(mn, 0);  max_pos = max(mx, 0)
//   symmetric:   amax = max(-min_neg, max_pos)
//                scale = max(f32(amax / f32((qmax - qmin) / 2)), eps)
//                zero_point = trunc((qmax + qmin + 1) / 2)
//   symmetric_no_clipping_err:
//                smin = min_neg / f32(qmin) (if qmin != 0),
//                smax = max_pos / f32(qmax) (if qmax != 0)
//                scale = max(max of the defined ones, eps); zero point as above
//   asymmetric:  scale = max(f32(f32(max_pos - min_neg) / f32(qmax - qmin)), eps)
//                zero_point = clamp(qmin - round_half_even(f32(min_neg / scale)),
//                                   qmin, qmax)
//   float domain (asymmetric only, torchao tinygemm; uses mn, mx unclipped):
//                scale = max(f32(f32(mx - mn) / f32(qmax - qmin)), eps)
//                zero_point = f32(mn + f32(scale * mid)),
//                mid = f32((qmax + qmin + 1) / 2)
// Output scale has shape input.shape[i] / block_size[i]; the zero point is
// i32 (int domain), f32 (float domain) or absent (none domain).
#pragma once

#include "core/quant_params.h"
#include "core/tensor.h"

namespace qdiff::reference {

ChosenQParams choose_qparams_affine(const Tensor& input, const ChooseQParamsArgs& args);

}  // namespace qdiff::reference
