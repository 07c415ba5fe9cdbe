// Small f32 helpers shared by every side: bit casts, neighbours, classes.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace qdiff {

inline uint32_t f32_bits(float x) { return std::bit_cast<uint32_t>(x); }
inline float f32_from_bits(uint32_t b) { return std::bit_cast<float>(b); }

// Finite, > 0 and normal (>= FLT_MIN): the validity rule for scales, which
// keeps 1/s finite.
inline bool is_valid_scale_value(float s) {
  return std::isfinite(s) && s >= std::numeric_limits<float>::min();
}

inline float next_up(float x) { return std::nextafter(x, std::numeric_limits<float>::infinity()); }
inline float next_down(float x) { return std::nextafter(x, -std::numeric_limits<float>::infinity()); }

}  // namespace qdiff
