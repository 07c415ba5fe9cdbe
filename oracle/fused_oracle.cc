#include "oracle/fused_oracle.h"

#include <cmath>
#include <functional>
#include <optional>

#include <fmt/format.h>

#include "core/block_layout.h"
#include "oracle/affine_oracle.h"
#include "oracle/fused_bound.h"

namespace qdiff {
namespace {

struct Outcome {
  std::optional<Tensor> output;
  std::optional<reference::IdealResult> ideal;
  std::optional<ErrorKind> error;
  std::string message;
};

template <typename F>
Outcome run(F&& f) {
  Outcome o;
  try {
    f(o);
  } catch (const Error& e) {
    o.error = e.kind();
    o.message = e.what();
  }
  return o;
}

// The quantized value the contract gives for the pre-rounding value p, in double:
//   after_rounding:  clamp(round_half_even(p - z) + z, qmin, qmax)
//   before_rounding: clamp(round_half_even(f32(p - z + f32(z))), qmin, qmax)
// Both are monotone in p, so the values reachable from [p - B, p + B] are
// exactly those between the images of the two ends.
double quantize_ideal(double p, double z, const QuantParams& out, OutputZeroPoint placement) {
  double q = std::nearbyint(p - z) + z;
  if (placement == OutputZeroPoint::before_rounding) {
    const double shifted = (p - z) + double(float(z));
    q = std::fabs(shifted) < 0x1p40 ? std::nearbyint(double(float(shifted))) : shifted;
  }
  if (q < double(out.quant_min)) q = double(out.quant_min);
  if (q > double(out.quant_max)) q = double(out.quant_max);
  return q;
}

// The bound under before_rounding, beyond B: the double roundings of
// p = v + z (the reference), p - z and + f32(z) (here) before the f32
// rounding the contract prescribes, each 2^-53 of a value below
// |p| + 2 |z| (1 + 2^-24): together below 2^-51 (|p| + |z|) output units.
double placement_slack(double p, double z, OutputZeroPoint placement) {
  return placement == OutputZeroPoint::before_rounding ? 0x1p-51 * (std::fabs(p) + std::fabs(z)) : 0.0;
}

Verdict compare(const Outcome& expected, const Outcome& actual, const QuantParams& out_params,
                OutputZeroPoint placement, const std::function<FusedBoundTerms()>& terms_of) {
  if (expected.error || actual.error) {
    if (expected.error && actual.error) {
      if (*expected.error == *actual.error) return Verdict::pass();
      return Verdict::fail(fmt::format("error parity: reference rejects with {}, backend with {}",
                                       error_kind_name(*expected.error), error_kind_name(*actual.error)),
                           fmt::format("  reference: {}\n  backend:   {}", expected.message, actual.message));
    }
    if (expected.error) {
      return Verdict::fail(fmt::format("error parity: reference rejects with {}, backend accepts",
                                       error_kind_name(*expected.error)),
                           "  reference: " + expected.message);
    }
    return Verdict::fail(fmt::format("error parity: backend rejects with {}, reference accepts",
                                     error_kind_name(*actual.error)),
                         "  backend: " + actual.message);
  }
  const Tensor& want = expected.ideal->output;
  const Tensor& got = *actual.output;
  if (got.shape() != want.shape()) {
    return Verdict::fail(fmt::format("output has shape {}, expected {}", got.shape().str(), want.shape().str()));
  }
  if (got.dtype() != want.dtype()) {
    return Verdict::fail(fmt::format("output has dtype {}, expected {}", dtype_name(got.dtype()),
                                     dtype_name(want.dtype())));
  }
  const BlockLayout layout =
      BlockLayout::derive(want.shape(), out_params.scale.shape(), out_params.block_size);
  std::optional<FusedBoundTerms> terms;
  Verdict v;
  int64_t mismatches = 0;
  std::optional<Mismatch> first;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const int64_t q = want.int_at(i), actual_q = got.int_at(i);
    if (q == actual_q) continue;
    const auto index = unflatten(want.shape(), i);
    const int64_t si = layout.scale_index(index);
    const double s = out_params.scale.f32_at(si);
    const double z = out_params.zero_point ? out_params.zero_point->value_at(si) : 0.0;
    const double p = expected.ideal->pre_rounding[size_t(i)];
    if (!terms) terms = terms_of();
    const double bound =
        fused_bound(*terms, expected.ideal->magnitude[size_t(i)], s) + placement_slack(p, z, placement);
    const double lo = quantize_ideal(p - bound, z, out_params, placement);
    const double hi = quantize_ideal(p + bound, z, out_params, placement);
    const bool reachable = !std::isnan(p) && lo <= double(actual_q) && double(actual_q) <= hi;
    if (reachable) {
      ++v.tolerated;
      continue;
    }
    ++mismatches;
    if (!first) {
      Mismatch m;
      m.output = "output";
      m.flat = i;
      m.index = index;
      m.expected = std::to_string(q);
      m.actual = std::to_string(actual_q);
      m.pre_rounding = p;
      m.context = fmt::format(
          "ideal pre-rounding {:.9g} (y / s_out + z_out), derived bound {:.3g} steps (magnitude {:.6g}); "
          "output scale {:.9g}, zero point {} ({} rounding); accepted [{}, {}]",
          p, bound, expected.ideal->magnitude[size_t(i)], s, z,
          placement == OutputZeroPoint::before_rounding ? "added before" : "added after", lo, hi);
      first = std::move(m);
    }
  }
  if (mismatches == 0) return v;
  Verdict f = Verdict::fail(fmt::format("output differs beyond the derived rounding bound in {} of {} elements",
                                        mismatches, want.numel()));
  f.mismatch = std::move(first);
  f.tolerated = v.tolerated;
  return f;
}

}  // namespace

Verdict check_fused(const std::function<reference::IdealResult()>& ideal, const std::function<Tensor()>& output,
                    const QuantParams& out_params, OutputZeroPoint placement,
                    const std::function<FusedBoundTerms()>& terms_of) {
  const Outcome e = run([&](Outcome& o) { o.ideal = ideal(); });
  const Outcome g = run([&](Outcome& o) { o.output = output(); });
  return compare(e, g, out_params, placement, terms_of);
}

}  // namespace qdiff
