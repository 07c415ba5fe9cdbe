// Generators for the quant core, written once against Source (so RapidCheck,
// libFuzzer bytes and a seeded PRNG all drive them).
//
// What they aim at (the places where shapes and rounding meet):
// - ranks 0..6; dims biased toward 0, 1, 2, vector widths +-1 and primes;
// - every layout class, including the misleading shapes: K = 1, G = 1,
//   g = In, per-channel on any axis, explicit blocks with a partial last
//   block, per-tensor scales of any rank;
// - scales from FLT_MIN to near FLT_MAX, powers of two, decimal fractions
//   (0.9, 0.1, ...) where x * f32(1/s) and x / s round differently;
// - values on the grid, exact rounding ties (k + 0.5) * s and their float
//   neighbours, clamp edges, +-inf, -0.0, huge magnitudes, denormals;
// - every storage dtype and sub-byte range, custom sub-ranges, every
//   contract and zero-point domain;
// - invalid inputs of every error kind (about 1 case in 8), sometimes two
//   defects at once, for error parity.
// The first option of every draw is the simplest, so shrinking leads to
// small, readable counterexamples.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "cases/affine_case.h"
#include "core/dtype.h"
#include "properties/source.h"

namespace qdiff::props {

struct GenLimits {
  int max_rank = 6;
  int64_t max_elements = 4096;  // per tensor
  // Percent of cases made deliberately invalid (error parity).
  int invalid_percent = 12;
};

// The intended layout; the harness reports BlockLayout's own classification.
enum class LayoutIntent { per_tensor, per_channel, per_group, blockwise, explicit_blocks, any };

struct DrawnLayout {
  Shape input;
  Shape scale;
  std::optional<std::vector<int64_t>> block_size;  // explicit mode
};

DrawnLayout draw_layout(Source& src, const GenLimits& limits,
                        LayoutIntent intent = LayoutIntent::any);
// Divisible block sizes for choose_qparams (scale shape = input / block).
DrawnLayout draw_divisible_layout(Source& src, const GenLimits& limits);

// What a law needs of its cases, applied while drawing: the zero points and
// inputs are then drawn for the restricted params, never repaired after.
struct AffineDomain {
  bool float_zero_points = true;     // the float (tinygemm) zero-point domain
  bool none_zero_points = true;      // the none domain
  int64_t range_limit = 0;           // > 0: quant_min and quant_max within [-limit, limit]
  int64_t max_span = 0;              // > 0: quant_max - quant_min below it
  int max_scale_exponent = 128;      // ScaleValues::any
  bool stored_outside_range = true;  // dequantize inputs outside [quant_min, quant_max]
  bool equal_blocks = false;         // one scale and one zero point for every block
};

// A valid or (with limits.invalid_percent) invalid case of the given op.
AffineCase draw_affine_case(Source& src, AffineOpKind op, const GenLimits& limits);
// Always valid, with the given layout intent, inside `domain`.
AffineCase draw_valid_affine_case(Source& src, AffineOpKind op, const GenLimits& limits,
                                  LayoutIntent intent = LayoutIntent::any,
                                  const AffineDomain& domain = {});

}  // namespace qdiff::props
