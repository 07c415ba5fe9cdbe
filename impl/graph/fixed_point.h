// Fixed-point requantization (gemmlowp fixedpoint.h, TFLite
// QuantizeMultiplier / MultiplyByQuantizedMultiplier), as the integer-only
// executor runs it (core/lowered.h):
//
//   M ~= m * 2^(e - 31),  m in [2^30, 2^31), e in [-31, 30]
//   t = SaturatingRoundingDoublingHighMul(acc << max(e, 0), m)
//   t = RoundingDivideByPOT(t, max(-e, 0))
//
// SaturatingRoundingDoublingHighMul(a, b) = the int32 nearest a * b / 2^31,
//   computed as (a * b + nudge) / 2^31 with nudge = 2^30 (a b >= 0) or
//   1 - 2^30 (a b < 0) and C++ division truncating toward zero: that is
//   floor(a b / 2^31 + 1/2), ties toward +inf; the one overflow case
//   a = b = INT32_MIN saturates to INT32_MAX.
// RoundingDivideByPOT(x, n) = x / 2^n rounded to nearest, ties AWAY from
//   zero (threshold = mask >> 1, plus 1 when x < 0): (5, 1) -> 3, (-5, 1) -> -3.
//
// Error of one requantization, in output units (the harness's lowered bound
// must hold it, docs/impl-graph.md): with r = max(-e, 0),
//   |t - acc M| <= |acc| M 2^-31          (m is M 2^(31-e) rounded: |dm| <= 1/2,
//                                          relative 2^-31 as m >= 2^30)
//                 + 2^-(r+1) [if r >= 1]  (the high-mul rounds to units of 2^-r
//                                          of an output step before the shift)
//                 + 1/2                   (the final rounding)
// so the result is the nearest integer to a value within
// |acc| M 2^-31 + (r >= 1 ? 2^-(r+1) : 0) of acc M. (For r = 0 the high-mul
// IS the final rounding, ties toward +inf.)
#pragma once

#include <cstdint>
#include <optional>

namespace qdiff::impl {

struct FixedPointMultiplier {
  int32_t multiplier = 0;  // m in [2^30, 2^31)
  int shift = 0;           // e in [-31, 30]
};

// TFLite's QuantizeMultiplier: frexp(M) = q 2^e, q in [0.5, 1); m = round(q
// 2^31) (half away from zero), m == 2^31 renormalized to 2^30 with e + 1.
// nullopt when M is not finite and > 0 or e falls outside [-31, 30]
// (M < 2^-32 or M >= 2^30, roughly): such a requantization is unsupported.
std::optional<FixedPointMultiplier> quantize_multiplier(double real_multiplier);

int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b);
// exponent in [0, 31].
int32_t rounding_divide_by_pot(int32_t x, int exponent);
// The fault point fixed_point_round_half_up's variant: ties toward +inf.
int32_t rounding_divide_by_pot_half_up(int32_t x, int exponent);

// The whole requantization of one accumulator (before the zero point):
// acc << max(e, 0) saturates to int32 (lowering proves it fits; a faulty or
// hand-made program must still not overflow), then the two steps above.
int32_t multiply_by_quantized_multiplier(int32_t acc, int32_t multiplier, int shift,
                                         bool rounding_half_up = false);

}  // namespace qdiff::impl
