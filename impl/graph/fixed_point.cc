// Fixed-point requantization (impl/graph/fixed_point.h).
#include "impl/graph/fixed_point.h"

#include <cmath>
#include <limits>

namespace qdiff::impl {

std::optional<FixedPointMultiplier> quantize_multiplier(double real_multiplier) {
  if (!std::isfinite(real_multiplier) || !(real_multiplier > 0.0)) return std::nullopt;
  int e = 0;
  const double q = std::frexp(real_multiplier, &e);  // q in [0.5, 1)
  int64_t m = int64_t(std::round(q * double(int64_t{1} << 31)));  // in [2^30, 2^31]
  if (m == (int64_t{1} << 31)) {
    m /= 2;
    ++e;
  }
  if (e < -31 || e > 30) return std::nullopt;
  return FixedPointMultiplier{int32_t(m), e};
}

int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  const bool overflow = a == b && a == std::numeric_limits<int32_t>::min();
  const int64_t ab = int64_t(a) * int64_t(b);
  const int64_t nudge = ab >= 0 ? (int64_t{1} << 30) : (1 - (int64_t{1} << 30));
  const int32_t high = int32_t((ab + nudge) / (int64_t{1} << 31));  // truncates toward zero
  return overflow ? std::numeric_limits<int32_t>::max() : high;
}

int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = int32_t((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t rounding_divide_by_pot_half_up(int32_t x, int exponent) {
  // FAULT POINT fixed_point_round_half_up: replaces the threshold
  // `(mask >> 1) + (x < 0 ? 1 : 0)` by `mask >> 1` for every sign, so a
  // negative tie rounds up (-2.5 -> -2) instead of away from zero.
  const int32_t mask = int32_t((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = mask >> 1;
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t multiply_by_quantized_multiplier(int32_t acc, int32_t multiplier, int shift,
                                         bool rounding_half_up) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  // acc << left in 64 bits (left <= 31), saturated to int32.
  int64_t shifted = int64_t(acc) * (int64_t{1} << left);
  if (shifted > std::numeric_limits<int32_t>::max()) shifted = std::numeric_limits<int32_t>::max();
  if (shifted < std::numeric_limits<int32_t>::min()) shifted = std::numeric_limits<int32_t>::min();
  const int32_t high = saturating_rounding_doubling_high_mul(int32_t(shifted), multiplier);
  return rounding_half_up ? rounding_divide_by_pot_half_up(high, right) : rounding_divide_by_pot(high, right);
}

}  // namespace qdiff::impl
