#include "impl/quantize/validate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/argument_checks.h"
#include "core/error.h"
#include "core/limits.h"

namespace qdiff::impl {
namespace {

// Step 4 of validate_affine: the block size of every dim, derived from the
// scale's shape or given explicitly (SPEC section 2).
BlockGeometry derive_blocks(const Shape& input, const Shape& scale,
                            const std::optional<std::vector<int64_t>>& explicit_blocks,
                            FaultSet faults) {
  BlockGeometry g;
  g.rank = input.rank();
  g.numel = input.checked_numel().value_or(0);  // checked against the cap in step 2
  for (int d = 0; d < g.rank; ++d) g.size[d] = input[d];
  if (explicit_blocks && int(explicit_blocks->size()) != g.rank) {
    fail(ErrorKind::invalid_shape, "block_size has {} entries, input has rank {}",
         explicit_blocks->size(), g.rank);
  }
  const int64_t scale_numel = scale.checked_numel().value_or(0);  // capped in step 2
  if (!explicit_blocks && scale_numel == 1) {
    // Per-tensor: any scale rank, one block spanning every dim.
    g.per_tensor = true;
    g.scale_numel = 1;
    for (int d = 0; d < g.rank; ++d) {
      g.block[d] = g.size[d];
      g.count[d] = 1;
    }
    return g;
  }
  if (scale.rank() != g.rank) {
    fail(ErrorKind::invalid_shape,
         "scale has rank {} (shape {}), input has rank {} (shape {}); a non-scalar "
         "scale must have the input's rank",
         scale.rank(), scale.str(), g.rank, input.str());
  }
  // Every shape error (all dims) before any divisibility error.
  for (int d = 0; d < g.rank; ++d) {
    if (scale[d] < 1) {
      fail(ErrorKind::invalid_shape, "scale dim {} has size {}, must be >= 1", d, scale[d]);
    }
    if (explicit_blocks) {
      const int64_t b = (*explicit_blocks)[d];
      if (b < 1) fail(ErrorKind::invalid_shape, "block_size[{}] is {}, must be >= 1", d, b);
      // ceil(n / b); a zero-size dim still has one (empty) block.
      const int64_t blocks = input[d] == 0 ? 1 : (input[d] - 1) / b + 1;
      if (scale[d] != blocks) {
        fail(ErrorKind::invalid_shape,
             "scale dim {} has size {}, expected ceil({} / {}) = {} for block_size[{}] = {}",
             d, scale[d], input[d], b, blocks, d, b);
      }
    }
  }
  for (int d = 0; d < g.rank; ++d) {
    g.count[d] = scale[d];
    if (explicit_blocks) {
      g.block[d] = (*explicit_blocks)[d];
      continue;
    }
    if (input[d] == 0 && scale[d] != 1) {
      fail(ErrorKind::non_divisible_block,
           "input dim {} has size 0, which needs scale dim {} of size 1, got {}", d, d,
           scale[d]);
    }
    if (faults.has(FaultPoint::floor_block_division)) {
      // FAULT POINT floor_block_division: replaces the divisibility check
      // below and `block = n / c` of a divisible dim. A block of 0 (n < c)
      // would divide by zero, so it becomes 1; the loop nest clamps block
      // indices to the scale extent, so the wrong blocks stay in bounds.
      g.block[d] = input[d] / scale[d] > 0 ? input[d] / scale[d] : 1;
      continue;
    }
    if (input[d] % scale[d] != 0) {
      fail(ErrorKind::non_divisible_block,
           "input dim {} (size {}) is not divisible by scale dim {} (size {})", d, input[d],
           d, scale[d]);
    }
    g.block[d] = input[d] / scale[d];
  }
  g.scale_numel = scale_numel;
  g.per_tensor = scale_numel == 1;
  return g;
}

}  // namespace

// Values only (the kind is core's): integer zero points as a min / max
// scan first (a loop that vectorizes), the index only on failure.
void check_zero_point_values(const QuantParams& p, std::string_view operand) {
  if (!p.zero_point) return;
  check_zero_point_kind(p, operand);
  const Tensor& zp = *p.zero_point;
  if (p.zero_point_domain == ZeroPointDomain::float_domain) {
    const auto z = zp.data<float>();
    const auto bad = std::find_if(z.begin(), z.end(), [](float v) { return !std::isfinite(v); });
    if (bad != z.end()) {
      fail(ErrorKind::invalid_zero_point, "{}zero_point element {} is {}",
           operand_prefix(operand), bad - z.begin(), *bad);
    }
    return;
  }
  visit_integer_dtype(zp.dtype(), [&](auto tag) {
    using Z = decltype(tag);
    const auto z = zp.data<Z>();
    // The range in Z (quant_min / quant_max may lie beyond it) and a count
    // of elements outside: two compares an element, which the baseline
    // (SSE2) build vectorizes, where a min / max pass needed blends.
    const Z lo = Z(std::max<int64_t>(p.quant_min, std::numeric_limits<Z>::min()));
    const Z hi = Z(std::min<int64_t>(p.quant_max, std::numeric_limits<Z>::max()));
    uint32_t outside = 0;  // the element cap keeps it below 2^31
    for (Z v : z) outside += uint32_t(int(v < lo) | int(v > hi));
    if (outside == 0 && (p.quant_min <= int64_t(std::numeric_limits<Z>::max()) &&
                         p.quant_max >= int64_t(std::numeric_limits<Z>::min()))) {
      return;
    }
    for (size_t i = 0; i < z.size(); ++i) {
      if (int64_t(z[i]) < p.quant_min || int64_t(z[i]) > p.quant_max) {
        fail(ErrorKind::invalid_zero_point, "{}zero_point element {} is {}, outside [{}, {}]",
             operand_prefix(operand), i, int64_t(z[i]), p.quant_min, p.quant_max);
      }
    }
  });
}

// Finite and >= FLT_MIN (so 1/s is finite). A branch-free pass first (NaN
// fails both comparisons); the index only on failure.
void check_scale_values(const QuantParams& p, std::string_view operand) {
  const auto scale = p.scale.data<float>();
  auto valid_scale = [](float s) {
    // Bitwise on purpose (no short-circuit branch, so the loop vectorizes).
    return bool(int(s >= std::numeric_limits<float>::min()) & int(s <= std::numeric_limits<float>::max()));
  };
  uint32_t valid = 0;  // the cap keeps counts below 2^31; a counting loop vectorizes
  for (float s : scale) valid += uint32_t(valid_scale(s));
  if (valid == scale.size()) return;
  for (size_t i = 0; i < scale.size(); ++i) {
    if (!valid_scale(scale[i])) {
      fail(ErrorKind::invalid_scale,
           "{}scale element {} is {}; scales must be finite, positive and normal",
           operand_prefix(operand), i, scale[i]);
    }
  }
}

BlockGeometry validate_affine(AffineCall call, std::optional<DType> input_dtype,
                              const Shape& input, const QuantParams& p, FaultSet faults) {
  // 1-3 unsupported, too_large, invalid_range (shared with reference/)
  const bool dequantize = call == AffineCall::dequantize;
  check_affine_arguments(dequantize ? "dequantize_affine" : "quantize_affine", dequantize,
                         input_dtype, input, p);
  // 4 shapes
  BlockGeometry g = derive_blocks(input, p.scale.shape(), p.block_size, faults);
  check_zero_point_shape(p);
  // 5 scale values
  check_scale_values(p);
  // 6 zero point
  check_zero_point_values(p);
  return g;
}

BlockGeometry validate_choose_qparams(const Tensor& input, const ChooseQParamsArgs& a) {
  // 1-3 unsupported, too_large, invalid_range (shared with reference/)
  check_choose_qparams_arguments(input, a);
  const Shape& shape = input.shape();
  // 4 shapes: given block sizes must divide their dims; absent means one
  // block covering the tensor (a zero-size dim takes block 1)
  BlockGeometry g;
  g.rank = shape.rank();
  g.numel = shape.checked_numel().value_or(0);  // capped in step 2
  if (a.block_size && int(a.block_size->size()) != g.rank) {
    fail(ErrorKind::invalid_shape, "block_size has {} entries, input has rank {}",
         a.block_size->size(), g.rank);
  }
  for (int d = 0; d < g.rank; ++d) {
    g.size[d] = shape[d];
    g.block[d] = a.block_size ? (*a.block_size)[d] : (shape[d] == 0 ? 1 : shape[d]);
    if (g.block[d] < 1) {
      fail(ErrorKind::invalid_shape, "block_size[{}] is {}, must be >= 1", d, g.block[d]);
    }
  }
  g.scale_numel = 1;
  for (int d = 0; d < g.rank; ++d) {
    if (g.size[d] % g.block[d] != 0) {
      fail(ErrorKind::non_divisible_block,
           "input dim {} (size {}) is not divisible by block_size[{}] = {}", d, g.size[d], d,
           g.block[d]);
    }
    g.count[d] = g.size[d] / g.block[d];
  }
  // count[d] <= size[d], so the product is at most numel; with a zero-size
  // dim it is 0 (and other dims may be huge, so do not multiply them).
  for (int d = 0; d < g.rank && g.numel > 0; ++d) g.scale_numel *= g.count[d];
  if (g.numel == 0) g.scale_numel = 0;
  g.per_tensor = g.scale_numel == 1;
  // 5 eps
  check_eps(a.eps);
  return g;
}

}  // namespace qdiff::impl
