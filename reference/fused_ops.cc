// What the reference fused operators share (reference/fused_output.h): the
// dequantized operands, the activation and the output quantization. The
// ops are reference/qlinear.cc, qconv2d.cc and elementwise.cc
// (reference/fused_ops.h has the formulas).
#include "reference/fused_output.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "reference/dequantize.h"
#include "reference/nd_index.h"

namespace qdiff::reference {
namespace {

// relu and clamp keep a NaN a NaN (the comparisons are false), so the NaN
// rule below sees it whatever the activation.
double activate(double y, const Activation& a) {
  switch (a.kind) {
    case ActivationKind::none:
      return y;
    case ActivationKind::relu:
      return y < 0.0 ? 0.0 : y;
    case ActivationKind::clamp:
      if (y < double(a.lo)) return a.lo;
      if (y > double(a.hi)) return a.hi;
      return y;
  }
  return y;
}

// The output quantization of SPEC section 8 for one element:
//   pre = y / s + z;  q = clamp(round_half_even(y / s) + z, qmin, qmax)
// y / s is a double quotient (nearbyint rounds half to even in the default
// rounding mode, which qdiff never changes); +-inf saturate through the
// comparisons. NaN y (only from inf - inf or inf * 0, when an operand
// dequantized to +-inf or the bias is +-inf) quantizes as the real value 0,
// i.e. to the zero point clamped to the range: what saturating float-to-int
// conversions (Java, Rust, WebAssembly, ARM FCVT*) do with NaN, and it keeps
// the ops total, so error parity depends on the validation table alone.
// No NaN or out-of-range double ever reaches the integer conversion.
// Under output_zero_point before_rounding, t = rne(f32(v + f32(z))): the
// double v + f32(z) rounded to f32 (beyond 2^40 it saturates first, so the
// f32 conversion never overflows); rounding the double rather than the
// exact real is one more 2^-53 |v + f32(z)|, which the oracle adds to its
// bound for this contract.
int64_t quantize_output(double y, float s, double z, const QuantParams& p, OutputZeroPoint placement,
                        double& pre) {
  const double qmin = double(p.quant_min), qmax = double(p.quant_max);
  if (std::isnan(y)) {
    pre = std::numeric_limits<double>::quiet_NaN();
    return z < qmin ? p.quant_min : z > qmax ? p.quant_max : int64_t(z);
  }
  const double v = y / double(s);
  pre = v + z;
  double t = std::nearbyint(v) + z;  // exact while |t| < 2^53; beyond, it saturates
  if (placement == OutputZeroPoint::before_rounding) {
    const double shifted = v + double(float(z));
    t = std::fabs(shifted) < 0x1p40 ? std::nearbyint(double(float(shifted))) : shifted;
  }
  if (t < qmin) return p.quant_min;
  if (t > qmax) return p.quant_max;
  return int64_t(t);
}

}  // namespace

std::vector<float> dequantize_operand(const Tensor& q, const QuantParams& p,
                                      const BlockLayout& layout) {
  std::vector<float> out(size_t(q.numel()));
  const auto scale = p.scale.data<float>();
  for_each_index(q.shape(), [&](std::span<const int64_t> index, int64_t flat) {
    const int64_t si = layout.scale_index(index);
    const double z = p.zero_point ? p.zero_point->value_at(si) : 0.0;
    out[size_t(flat)] = dequantize_element(double(q.int_at(flat)), scale[si], z, p);
  });
  return out;
}

void OutputWriter::write(std::span<const int64_t> index, int64_t flat, double y, double magnitude) {
  const int64_t si = layout.scale_index(index);
  const float s = params.scale.data<float>()[size_t(si)];
  const double z = params.zero_point ? params.zero_point->value_at(si) : 0.0;
  double pre = 0.0;
  const int64_t q = quantize_output(activate(y, activation), s, z, params, placement, pre);
  visit_integer_dtype(params.dtype, [&](auto tag) {
    using Q = decltype(tag);
    result.output.data<Q>()[size_t(flat)] = Q(q);  // q is within [qmin, qmax] ⊆ Q
  });
  result.pre_rounding[size_t(flat)] = pre;
  result.magnitude[size_t(flat)] = magnitude / double(s);
}

IdealResult empty_result(const QuantParams& out_params, const Shape& out_shape) {
  IdealResult r;
  r.output = Tensor(out_params.dtype, out_shape);
  r.pre_rounding.assign(size_t(r.output.numel()), 0.0);
  r.magnitude.assign(size_t(r.output.numel()), 0.0);
  return r;
}

}  // namespace qdiff::reference
