// A bit-exact model of the integer-only executor's fixed-point qlinear
// (SPEC section 8: gemmlowp / TFLite), per output element:
//   acc = sum_j (qx - zx) (qw - zw) + bias_q[k]                 (exact)
//   a = sat32(sat32(acc) * 2^max(e, 0))
//   high = floor((a m + 2^30) / 2^31)     SaturatingRoundingDoublingHighMul
//   t = sign(high) floor((|high| + 2^(r-1)) / 2^r), r = max(-e, 0)   (r >= 1;
//       t = high for r = 0): RoundingDivideByPOT, ties away from zero
//   q = clamp(t + z_out[k], act_min[k], act_max[k]), then to the output dtype
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/lowered.h"
#include "core/tensor.h"

namespace qdiff::reference {

// Every element of a fixed-point qlinear's output for the quantized input
// qx, row-major [rows, K], or nullopt when the op is not a fixed-point
// qlinear or its data are inconsistent (the executor rejects those).
std::optional<std::vector<int64_t>> fixed_point_qlinear(const LoweredOp& op, const Tensor& qx);

}  // namespace qdiff::reference
