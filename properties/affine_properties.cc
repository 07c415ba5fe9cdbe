// The quant core's properties. Each is a claim about the backend under
// test, checked on drawn cases: differential ones compare it with the
// reference (SPEC section 9: bit-exact, error parity), metamorphic ones
// check a law the spec implies (round trips, monotonicity, invariance).
// Tolerances, where a law is not exact, are derived beside the check.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <cstring>
#include <numeric>

#include <fmt/format.h>

#include "core/block_layout.h"
#include "core/float_bits.h"
#include "oracle/affine_oracle.h"
#include "properties/affine_generators.h"
#include "properties/property.h"

namespace qdiff::props {
namespace {

const GenLimits kLimits{};

const AffineCase& affine(const Case& c) { return std::get<AffineCase>(c); }

CheckResult fail_with(Verdict v) { return CheckResult{std::move(v), false}; }

CheckResult differential(const Case& c, const Backend& backend) {
  return CheckResult{check_affine(affine(c), backend), false};
}

// Quantized types whose grid offsets q - z are exact in f32 and small
// enough for the round-trip laws below (|q - z| <= 2^17), int or none
// zero-point domain (the float domain's min_val cancellation needs its own
// analysis and is covered by the differential properties).
constexpr AffineDomain kSmallGrid{.float_zero_points = false, .range_limit = int64_t{1} << 16};

Tensor quantize_on(const Backend& b, const AffineCase& c) {
  return b.quantize_affine(c.input, c.params, c.contract);
}


// First flat index where two tensors of equal shape and dtype differ.
int64_t first_difference(const Tensor& a, const Tensor& b) {
  int64_t i = 0;
  while (i < a.numel() && format_element(a, i) == format_element(b, i)) ++i;
  return i;
}

// --- DequantizeThenQuantizeIsIdentityOnTheGrid ------------------------------
// For q in [qmin, qmax], quantize(dequantize(q)) == q under every contract.
// Derivation (torchao, the worst case): q - z is exact in f32 (|q - z| <=
// 2^17 < 2^24); y = f32((q - z) s) = (q - z) s (1 + e1); inv = f32(1/s) =
// (1/s)(1 + e2); v = f32(y inv) = (q - z)(1 + e1)(1 + e2)(1 + e3), |ei| <=
// 2^-24, so |v - (q - z)| <= 2^17 * 3.1 * 2^-24 < 0.025 and v rounds to
// q - z (zp_before: f32(v + z) adds at most ulp(2^17)/2 = 2^-7 more; onnx and
// half_away have one rounding fewer). Domain (made by the draw): s in
// [FLT_MIN, 2^100] so 1/s is normal and y finite; y is normal because
// |q - z| >= 1 or y == 0; int or none zero-point domain.
Case draw_grid_case(Source& src) {
  // Scales up to 2^100: 1/s stays normal and (q - z) s finite.
  AffineDomain grid = kSmallGrid;
  grid.max_scale_exponent = 100;
  grid.stored_outside_range = false;
  return draw_valid_affine_case(src, AffineOpKind::dequantize, kLimits, LayoutIntent::any, grid);
}

CheckResult dequantize_then_quantize(const Case& any, const Backend& b) {
  const AffineCase& c = affine(any);
  const Tensor y = b.dequantize_affine(c.input, c.params, c.contract);
  const Tensor q2 = b.quantize_affine(y, c.params, c.contract);
  if (q2.bitwise_equal(c.input)) return {};
  const int64_t i = first_difference(q2, c.input);
  return fail_with(Verdict::fail(fmt::format(
      "quantize(dequantize(q)) != q at flat {}: q = {}, dequantized {}, requantized {}", i,
      c.input.int_at(i), format_element(y, i), q2.int_at(i))));
}

// --- QuantizeIsMonotoneWithinABlock ------------------------------------------
// Within one block (same scale and zero point) x1 <= x2 implies q1 <= q2:
// each step (scale by a positive factor, round, add z, clamp) is monotone.
CheckResult monotone_within_block(const Case& any, const Backend& b) {
  const AffineCase& c = affine(any);
  const Tensor q = quantize_on(b, c);
  const BlockLayout layout = BlockLayout::derive(c.input.shape(), c.params.scale.shape(),
                                                 c.params.block_size);
  std::vector<std::vector<int64_t>> members(size_t(layout.scale_numel()));
  for (int64_t flat = 0; flat < c.input.numel(); ++flat) {
    members[size_t(layout.scale_index(element_index(c.input.shape(), flat)))].push_back(flat);
  }
  const auto x = c.input.data<float>();
  for (auto& m : members) {
    std::sort(m.begin(), m.end(), [&](int64_t a, int64_t bb) { return x[a] < x[bb]; });
    for (size_t i = 1; i < m.size(); ++i) {
      const int64_t lo = m[i - 1], hi = m[i];
      if (q.int_at(lo) > q.int_at(hi) || (x[lo] == x[hi] && q.int_at(lo) != q.int_at(hi))) {
        return fail_with(Verdict::fail(fmt::format(
            "not monotone: x[{}] = {} -> {} but x[{}] = {} -> {} (same block)", lo, x[lo],
            q.int_at(lo), hi, x[hi], q.int_at(hi))));
      }
    }
  }
  return {};
}

// --- PerChannelWithEqualScalesEqualsPerTensor --------------------------------
// A per-channel layout whose scales (and zero points) are all equal gives
// exactly the per-tensor result: the layout only selects which scale.
Case draw_equal_scales_case(Source& src) {
  const AffineOpKind op = src.pick<AffineOpKind>(
      {AffineOpKind::quantize, AffineOpKind::dequantize, AffineOpKind::fake_quantize});
  return draw_valid_affine_case(src, op, kLimits, LayoutIntent::per_channel, {.equal_blocks = true});
}

CheckResult per_channel_equal_scales(const Case& any, const Backend& b) {
  const AffineCase& c = affine(any);
  AffineCase flat = c;
  flat.params.block_size.reset();
  flat.params.scale = Tensor::of<float>(Shape{}, {c.params.scale.numel() ? c.params.scale.f32_at(0) : 1.0f});
  if (c.params.zero_point) {
    Tensor z(c.params.zero_point->dtype(), Shape{});
    if (c.params.zero_point->numel()) std::memcpy(z.raw(), c.params.zero_point->raw(), dtype_size(z.dtype()));
    flat.params.zero_point = z;
  }
  const CaseResult per_channel = evaluate_affine(c, b);
  const CaseResult per_tensor = evaluate_affine(flat, b);
  if (per_channel.error_kind || per_tensor.error_kind) {
    if (per_channel.error_kind && per_tensor.error_kind) return CheckResult{{}, true};
    return fail_with(Verdict::fail("per-channel and per-tensor forms disagree on validity",
                                   per_channel.error_message + per_tensor.error_message));
  }
  const Tensor& a = per_channel.outputs.at("output");
  const Tensor& t = per_tensor.outputs.at("output");
  if (a.bitwise_equal(t)) return {};
  const int64_t i = first_difference(a, t);
  return fail_with(Verdict::fail(fmt::format(
      "per-channel with equal scales ({}) differs from per-tensor at flat {}: {} vs {}",
      flat.params.scale.f32_at(0), i, format_element(a, i), format_element(t, i))));
}

// --- BlockLayoutRoundTrips ---------------------------------------------------
// derived -> explicit -> scale shape: the block sizes derived from a scale
// shape, given back as an explicit block_size, describe the same scale
// shape, the same classification and the same element -> scale map, and
// the backend computes the same result in both modes.
Case draw_derived_case(Source& src) {
  return draw_valid_affine_case(src, AffineOpKind::quantize, kLimits,
                                src.pick<LayoutIntent>({LayoutIntent::per_tensor,
                                                        LayoutIntent::per_channel,
                                                        LayoutIntent::per_group,
                                                        LayoutIntent::blockwise}));
}

CheckResult block_layout_round_trips(const Case& any, const Backend& b) {
  const AffineCase& c = affine(any);
  if (c.params.block_size) return CheckResult{{}, true};  // the law starts from derived mode
  const BlockLayout derived =
      BlockLayout::derive(c.input.shape(), c.params.scale.shape(), std::nullopt);
  std::vector<int64_t> blocks(derived.block_size().begin(), derived.block_size().end());
  for (auto& bs : blocks) bs = std::max<int64_t>(bs, 1);  // zero-size dims: any block
  AffineCase ex = c;
  ex.params.block_size = blocks;
  ex.params.scale = c.params.scale.reshaped(derived.scale_shape());
  if (ex.params.zero_point) ex.params.zero_point = ex.params.zero_point->reshaped(derived.scale_shape());
  const BlockLayout explicit_layout =
      BlockLayout::derive(c.input.shape(), ex.params.scale.shape(), blocks);
  if (explicit_layout.scale_shape() != derived.scale_shape() ||
      explicit_layout.classify() != derived.classify()) {
    return fail_with(Verdict::fail(fmt::format("layout does not round-trip: derived {} vs explicit {}",
                                               derived.describe(), explicit_layout.describe())));
  }
  for (int64_t flat = 0; flat < c.input.numel(); ++flat) {
    const ElementIndex element = element_index(c.input.shape(), flat);
    const std::span<const int64_t> index = element;
    if (derived.scale_index(index) != explicit_layout.scale_index(index)) {
      return fail_with(Verdict::fail(fmt::format("element [{}] maps to scale {} derived, {} explicit",
                                                 fmt::join(index, ", "), derived.scale_index(index),
                                                 explicit_layout.scale_index(index))));
    }
  }
  const Tensor q1 = quantize_on(b, c);
  const Tensor q2 = quantize_on(b, ex);
  if (q1.bitwise_equal(q2)) return {};
  const int64_t i = first_difference(q1, q2);
  return fail_with(Verdict::fail(fmt::format(
      "derived and explicit block_size [{}] quantize differently at flat {}: {} vs {}",
      fmt::join(blocks, ", "), i, q1.int_at(i), q2.int_at(i))));
}

// --- RoundTripErrorIsAtMostHalfAStep -----------------------------------------
// For x inside the representable window [(qmin - z) s, (qmax - z) s],
// |fake_quantize(x) - x| <= s/2 + slop, with r = x / s:
//   scaling: v = r (1 + d), |d| <= 2^-23 + 2^-48 (reciprocal: two roundings)
//   zp_before: f32(v + z) adds <= (|v| + |z|) 2^-24
//   rounding picks k with |k - v| <= 1/2; clamp cannot bite inside the
//   window when |r| < 2^20 (then |v - r| < 1/8)
//   y = f32(k s) (k = q - z exact in f32) adds <= |k| s 2^-24
// so |y - x| <= s/2 + s (|r| + |z| + 1) 2^-21, generously. Elements with
// |r| >= 2^20 or |x| + s >= 2^126 are not checked; the float domain is left
// to the differential property (made by the draw).
Case draw_round_trip_case(Source& src) {
  return draw_valid_affine_case(src, AffineOpKind::fake_quantize, kLimits, LayoutIntent::any, kSmallGrid);
}

CheckResult round_trip_error(const Case& any, const Backend& b) {
  const AffineCase& c = affine(any);
  if (c.params.zero_point_domain == ZeroPointDomain::float_domain) return CheckResult{{}, true};
  const Tensor y = b.fake_quantize_affine(c.input, c.params, c.contract);
  const BlockLayout layout = BlockLayout::derive(c.input.shape(), c.params.scale.shape(),
                                                 c.params.block_size);
  const auto x = c.input.data<float>();
  const auto out = y.data<float>();
  for (int64_t flat = 0; flat < c.input.numel(); ++flat) {
    const int64_t si = layout.scale_index(element_index(c.input.shape(), flat));
    const double s = c.params.scale.f32_at(si);
    const double z = c.params.zero_point ? c.params.zero_point->value_at(si) : 0.0;
    const double xi = x[flat];
    const double r = xi / s;
    if (!std::isfinite(xi) || std::fabs(r) >= 0x1p20 || std::fabs(xi) + s >= 0x1p126) continue;
    if (r < double(c.params.quant_min) - z || r > double(c.params.quant_max) - z) continue;
    const double bound = s / 2 + s * (std::fabs(r) + std::fabs(z) + 1) * 0x1p-21;
    const double err = std::fabs(double(out[flat]) - xi);
    if (!(err <= bound)) {
      return fail_with(Verdict::fail(fmt::format(
          "|fake_quantize(x) - x| = {:.9g} exceeds s/2 + slop = {:.9g} at flat {}: x = {:.9g}, "
          "y = {:.9g}, s = {:.9g}, z = {}",
          err, bound, flat, xi, out[flat], s, z)));
    }
  }
  return {};
}

// --- ChooseQParamsCoversEachBlock --------------------------------------------
// The chosen (scale, zero point) make each block's [min_neg, max_pos]
// representable up to the clipping the mapping allows by design. With
// W = [(qmin - z) s, (qmax - z) s] and span = qmax - qmin:
//   asymmetric: W.lo = round(min_neg / s) s is within s/2 of min_neg and
//     W has width span * s >= max_pos - min_neg, so each end is uncovered
//     by at most s/2.
//   symmetric: amax <= (span / 2) s; z = trunc((qmax + qmin + 1) / 2) leaves
//     qmax - z >= span/2 - 1/2 and z - qmin >= span/2 when qmax + qmin + 1 >= 0
//     (uncovered <= s/2), and >= span/2 - 1 otherwise (uncovered <= s).
//   symmetric_no_clipping_err with z == 0: s >= max_pos / qmax and
//     s >= min_neg / qmin, so nothing is uncovered.
// Plus rounding slop (range - s * span computed in f32: three roundings):
// (max_pos - min_neg) 2^-20, and (span + 1) 2^-149 for subnormal scales,
// whose rounding error is absolute (half of 2^-149) rather than relative. Checked for int-domain results with spans
// below 2^20 (wider ranges let the zero point clamp) and finite scales.
Case draw_choose_case(Source& src) {
  constexpr AffineDomain kIntDomainNarrowSpan{
      .float_zero_points = false, .none_zero_points = false, .max_span = int64_t{1} << 20};
  return draw_valid_affine_case(src, AffineOpKind::choose_qparams, kLimits, LayoutIntent::any,
                                kIntDomainNarrowSpan);
}

CheckResult choose_covers_each_block(const Case& any, const Backend& b) {
  const AffineCase& c = affine(any);
  const ChooseQParamsArgs& a = c.choose;
  if (a.zero_point_domain != ZeroPointDomain::int_domain ||
      a.quant_max - a.quant_min >= (int64_t{1} << 20)) {
    return CheckResult{{}, true};
  }
  ChosenQParams chosen;
  try {
    chosen = b.choose_qparams_affine(c.input, a);
  } catch (const Error&) {
    // Rejected input (e.g. a mutated case file with an empty range): outside
    // this property's domain; error parity is OptimizedMatchesReference's.
    return CheckResult{{}, true};
  }
  std::vector<int64_t> blocks = a.block_size.value_or(
      std::vector<int64_t>(c.input.shape().begin(), c.input.shape().end()));
  for (auto& bs : blocks) bs = std::max<int64_t>(bs, 1);
  const BlockLayout layout = BlockLayout::from_divisible_blocks(c.input.shape(), blocks);
  if (chosen.scale.shape() != layout.scale_shape() || !chosen.zero_point ||
      chosen.zero_point->shape() != layout.scale_shape()) {
    return fail_with(Verdict::fail(fmt::format("chosen scale shape {} (zero point {}), expected {}",
                                               chosen.scale.shape().str(),
                                               chosen.zero_point ? chosen.zero_point->shape().str() : "absent",
                                               layout.scale_shape().str())));
  }
  const int64_t nb = layout.scale_numel();
  std::vector<double> mn(size_t(nb), 0.0), mx(size_t(nb), 0.0);  // min_neg, max_pos
  const auto x = c.input.data<float>();
  for (int64_t flat = 0; flat < c.input.numel(); ++flat) {
    const int64_t bi = layout.scale_index(element_index(c.input.shape(), flat));
    mn[size_t(bi)] = std::min(mn[size_t(bi)], double(x[flat]));
    mx[size_t(bi)] = std::max(mx[size_t(bi)], double(x[flat]));
  }
  const double span = double(a.quant_max - a.quant_min);
  for (int64_t bi = 0; bi < nb; ++bi) {
    const double s = chosen.scale.f32_at(bi);
    const double z = double(chosen.zero_point->int_at(bi));
    if (!std::isfinite(s) || !std::isfinite(span * s)) continue;
    constexpr double kUnchecked = std::numeric_limits<double>::infinity();
    double allowed_under = 0, allowed_over = 0;
    switch (a.mapping) {
      case Mapping::asymmetric: allowed_under = allowed_over = s / 2; break;
      case Mapping::symmetric:
        allowed_under = allowed_over = (a.quant_max + a.quant_min + 1 >= 0) ? s / 2 : s;
        break;
      case Mapping::symmetric_no_clipping_err:
        // A side whose divisor is 0 (qmin == 0 or qmax == 0) takes no part in
        // the scale, so nothing is promised for it.
        if (z != 0) continue;
        allowed_under = a.quant_min != 0 ? 0 : kUnchecked;
        allowed_over = a.quant_max != 0 ? 0 : kUnchecked;
        break;
    }
    // Relative rounding of the f32 scale arithmetic, plus, for a subnormal
    // scale (tiny eps), its absolute rounding (<= 2^-150) times the span.
    const double slop = (mx[size_t(bi)] - mn[size_t(bi)]) * 0x1p-20 + (span + 1) * 0x1p-149;
    const double lo = (double(a.quant_min) - z) * s, hi = (double(a.quant_max) - z) * s;
    const double under = lo - mn[size_t(bi)], over = mx[size_t(bi)] - hi;
    if (under > allowed_under + slop || over > allowed_over + slop) {
      return fail_with(Verdict::fail(fmt::format(
          "block {} ([{:.9g}, {:.9g}]) not covered by scale {:.9g}, zero point {}: window "
          "[{:.9g}, {:.9g}] misses {:.9g} below (allowed {:.9g}) and {:.9g} above (allowed {:.9g})",
          bi, mn[size_t(bi)], mx[size_t(bi)], s, z, lo, hi, under, allowed_under + slop, over,
          allowed_over + slop)));
    }
  }
  return {};
}

// --- ClassificationAgreesWithChannelAxis --------------------------------------
// SPEC section 2's classification, channel_axis() and group axes are
// consistent with each other, and the backend's specialized loop (when it
// reports one) is the one the classification calls for.
std::string expected_kernel_path(const BlockLayout& l, int64_t numel) {
  if (numel == 0) return "empty";
  const int rank = l.input_shape().rank();
  switch (l.classify()) {
    case LayoutClass::per_tensor: return "per_tensor";
    case LayoutClass::per_channel: {
      const int axis = *l.channel_axis();
      if (axis == rank - 1) return "per_channel_inner";
      return axis == 0 ? "per_channel_outer" : "per_channel_middle";
    }
    case LayoutClass::per_group: {
      const auto g = *l.group_axes();
      return g.first == rank - 2 && g.second == rank - 1 ? "per_group_last" : "blockwise";
    }
    case LayoutClass::blockwise: return "blockwise";
  }
  return "?";
}

CheckResult classification_agrees(const Case& any, const Backend& b) {
  const AffineCase& c = affine(any);
  const BlockLayout l = BlockLayout::derive(c.input.shape(), c.params.scale.shape(),
                                            c.params.block_size);
  const auto u = l.varying_dims();
  const auto axis = l.channel_axis();
  std::string problem;
  switch (l.classify()) {
    case LayoutClass::per_tensor:
      if (c.params.scale.numel() != 1 || axis != 0) problem = "per_tensor needs one scale and axis 0";
      break;
    case LayoutClass::per_channel:
      if (u.size() != 1 || axis != u[0] || l.block(u[0]) != 1) {
        problem = "per_channel needs exactly one varying dim, block 1, channel_axis() on it";
      }
      break;
    case LayoutClass::per_group: {
      const auto g = l.group_axes();
      if (u.size() != 2 || axis || !g || l.block(g->first) != 1 || l.block(g->second) <= 1) {
        problem = "per_group needs two varying dims (block 1 and block > 1) and no channel_axis()";
      }
      break;
    }
    case LayoutClass::blockwise:
      if (u.size() == 1 && l.block(u[0]) == 1) problem = "a per-channel layout was called blockwise";
      if (axis && u.size() != 1 && !u.empty()) problem = "channel_axis() set for several varying dims";
      break;
  }
  if (problem.empty()) {
    if (const auto path = b.kernel_path(c.input.shape(), c.params)) {
      const std::string want = expected_kernel_path(l, c.input.numel());
      if (*path != want) {
        problem = fmt::format("backend takes kernel path {}, classification calls for {}", *path, want);
      }
    }
  }
  if (problem.empty()) return {};
  return fail_with(Verdict::fail(fmt::format("{} ({})", problem, l.describe())));
}


Case draw_valid_quantize(Source& src) {
  return draw_valid_affine_case(src, AffineOpKind::quantize, kLimits);
}

template <AffineOpKind op>
Case draw_any(Source& src) {
  return draw_affine_case(src, op, kLimits);
}

}  // namespace

std::vector<Property> affine_properties() {
  return {
      {"QuantizeOptimizedMatchesReference", "quantize", PropertyKind::differential,
       "quantize_affine is bit-exact with the reference, same error kinds",
       draw_any<AffineOpKind::quantize>, differential},
      {"DequantizeOptimizedMatchesReference", "dequantize", PropertyKind::differential,
       "dequantize_affine is bit-exact with the reference, same error kinds",
       draw_any<AffineOpKind::dequantize>, differential},
      {"ChooseQParamsOptimizedMatchesReference", "choose_qparams", PropertyKind::differential,
       "choose_qparams_affine is bit-exact with the reference, same error kinds",
       draw_any<AffineOpKind::choose_qparams>, differential},
      {"FakeQuantizeOptimizedMatchesReference", "fake_quantize", PropertyKind::differential,
       "fake_quantize_affine is bit-exact with the reference, same error kinds",
       draw_any<AffineOpKind::fake_quantize>, differential},
      {"DequantizeThenQuantizeIsIdentityOnTheGrid", "round_trip", PropertyKind::round_trip,
       "quantize(dequantize(q)) == q for q in range, |q - z| <= 2^17", draw_grid_case,
       dequantize_then_quantize},
      {"QuantizeIsMonotoneWithinABlock", "quantize", PropertyKind::invariant, "x1 <= x2 in one block gives q1 <= q2",
       draw_valid_quantize, monotone_within_block},
      {"PerChannelWithEqualScalesEqualsPerTensor", "layout", PropertyKind::invariant,
       "per-channel with equal scales and zero points equals per-tensor", draw_equal_scales_case,
       per_channel_equal_scales},
      {"BlockLayoutRoundTrips", "layout", PropertyKind::round_trip,
       "derived <-> explicit block_size <-> scale shape, same results", draw_derived_case,
       block_layout_round_trips},
      {"RoundTripErrorIsAtMostHalfAStep", "round_trip", PropertyKind::round_trip,
       "|fake_quantize(x) - x| <= s/2 + derived slop inside the window", draw_round_trip_case,
       round_trip_error},
      {"ChooseQParamsCoversEachBlock", "choose_qparams", PropertyKind::invariant,
       "each block's [min, max] is representable up to the mapping's designed clipping",
       draw_choose_case, choose_covers_each_block},
      {"ClassificationAgreesWithChannelAxis", "layout", PropertyKind::invariant,
       "classification, channel_axis() and the backend's kernel path agree", draw_valid_quantize,
       classification_agrees},
  };
}

}  // namespace qdiff::props
