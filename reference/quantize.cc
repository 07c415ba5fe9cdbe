#include "reference/quantize.h"

#include <cmath>

#include "core/block_layout.h"
#include "reference/nd_index.h"
#include "reference/validate.h"

namespace qdiff::reference {
namespace {

// Both assume the default rounding mode (round to nearest even); qdiff never
// changes it.
float round_half_even(float v) { return std::nearbyint(v); }
float round_half_away(float v) { return std::round(v); }

float round_per_contract(float v, Contract c) {
  return c == Contract::half_away ? round_half_away(v) : round_half_even(v);
}

float scale_per_contract(float x, float s, Contract c) {
  if (scales_by_reciprocal(c)) {
    const float inv = 1.0f / s;
    return x * inv;
  }
  return x / s;
}

int64_t clamp_to_range(double t, const QuantParams& p) {
  if (t < double(p.quant_min)) return p.quant_min;
  if (t > double(p.quant_max)) return p.quant_max;
  return int64_t(t);
}

// mid = f32((quant_max + quant_min + 1) / 2), true division.
float float_domain_mid(const QuantParams& p) {
  return float(double(p.quant_max + p.quant_min + 1) / 2.0);
}

}  // namespace

QuantizeTrace quantize_element(float x, float s, double z, const QuantParams& p,
                               Contract contract) {
  switch (p.zero_point_domain) {
    case ZeroPointDomain::float_domain: {
      const float mid = float_domain_mid(p);
      const float min_val = float(z) - s * mid;
      const float v = (x - min_val) / s;
      // x = ±inf minus a min_val that overflowed to the same infinity is
      // NaN: ±inf saturate (SPEC section 4), and NaN must never reach the
      // integer conversion in clamp_to_range (UB).
      if (std::isnan(v)) return {v, x > 0.0f ? p.quant_max : p.quant_min};
      return {v, clamp_to_range(round_half_even(v), p)};
    }
    case ZeroPointDomain::none: {
      const float v = scale_per_contract(x, s, contract);
      return {v, clamp_to_range(round_per_contract(v, contract), p)};
    }
    case ZeroPointDomain::int_domain: {
      const float v = scale_per_contract(x, s, contract);
      if (contract == Contract::zp_before) {
        const float shifted = v + float(z);
        return {v, clamp_to_range(round_half_even(shifted), p)};
      }
      return {v, clamp_to_range(double(round_per_contract(v, contract)) + z, p)};
    }
  }
  return {0.0f, 0};
}

Tensor quantize_affine(const Tensor& input, const QuantParams& p, Contract contract) {
  const BlockLayout layout = validate_affine(AffineOp::quantize, input, p);
  Tensor out(p.dtype, input.shape());
  const auto x = input.data<float>();
  const auto scale = p.scale.data<float>();
  visit_integer_dtype(p.dtype, [&](auto tag) {
    using Q = decltype(tag);
    auto q = out.data<Q>();
    for_each_index(input.shape(), [&](std::span<const int64_t> index, int64_t flat) {
      const int64_t si = layout.scale_index(index);
      const double z = p.zero_point ? p.zero_point->value_at(si) : 0.0;
      q[flat] = Q(quantize_element(x[flat], scale[si], z, p, contract).q);
    });
  });
  return out;
}

}  // namespace qdiff::reference
