// Reference fused quantized operators: naive loops over the output, sums in
// double, one rounding at the end (reference/fused_ops.h has the formulas).
#include "reference/fused_ops.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "reference/bias_grid.h"
#include "reference/dequantize.h"
#include "reference/fused_validate.h"
#include "reference/nd_index.h"

namespace qdiff::reference {
namespace {

// dq() of every element of a validated operand (SPEC section 5), row-major.
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

// Fills result.output[flat] and the diagnostics from the real value y (before
// the activation) and the unscaled magnitude sum |terms|.
struct OutputWriter {
  const QuantParams& params;
  const BlockLayout& layout;
  const Activation& activation;
  OutputZeroPoint placement;
  IdealResult& result;

  void write(std::span<const int64_t> index, int64_t flat, double y, double magnitude) {
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
};

IdealResult empty_result(const QuantParams& out_params, const Shape& out_shape) {
  IdealResult r;
  r.output = Tensor(out_params.dtype, out_shape);
  r.pre_rounding.assign(size_t(r.output.numel()), 0.0);
  r.magnitude.assign(size_t(r.output.numel()), 0.0);
  return r;
}

// Flat row-major offset of the element of `shape` that output `index`
// (of a rank >= shape.rank()) reads under numpy broadcasting: size-1 dims
// repeat, missing leading dims are ignored. Called only for a non-empty
// output, so every dim of `shape` is >= 1 and the offsets stay below its numel.
int64_t broadcast_offset(const Shape& shape, std::span<const int64_t> index) {
  const int lead = int(index.size()) - shape.rank();
  int64_t flat = 0;
  for (int d = 0; d < shape.rank(); ++d) {
    flat = flat * shape[d] + (shape[d] == 1 ? 0 : index[size_t(lead + d)]);
  }
  return flat;
}

// The bias term of each channel under the accumulation contract
// (reference/bias_grid.h); empty without a bias.
template <typename Args>
std::vector<double> biases(const Args& a) {
  if (!a.bias) return {};
  return bias_terms(a.contract, *a.bias, a.x_params, a.w_params);
}

}  // namespace

IdealResult qlinear(const QLinearArgs& args) {
  const QLinearPlan plan = validate_qlinear(args);
  IdealResult result = empty_result(args.out_params, plan.out_shape);
  const std::vector<float> x = dequantize_operand(args.x, args.x_params, plan.x_layout);
  const std::vector<float> w = dequantize_operand(args.w, args.w_params, plan.w_layout);
  const std::vector<double> bias = biases(args);
  OutputWriter out{args.out_params, plan.out_layout, args.activation,
                   args.contract.output_zero_point, result};
  const int64_t in = plan.in;
  // One output per (row, k); visiting the output (not rows x K) never loops
  // over the rows of an empty output.
  for_each_index(plan.out_shape, [&](std::span<const int64_t> index, int64_t flat) {
    const int64_t k = index.back();
    const int64_t row = flat / plan.k;  // K >= 1: the output has elements
    double y = 0.0, magnitude = 0.0;
    for (int64_t j = 0; j < in; ++j) {
      // f32 x f32 is exact in double (24 + 24 significant bits).
      const double term = double(x[size_t(row * in + j)]) * double(w[size_t(k * in + j)]);
      y += term;
      magnitude += std::fabs(term);
    }
    if (args.bias) {
      y += bias[size_t(k)];
      magnitude += std::fabs(bias[size_t(k)]);
    }
    out.write(index, flat, y, magnitude);
  });
  return result;
}

IdealResult qconv2d(const QConv2dArgs& args) {
  const QConv2dPlan plan = validate_qconv2d(args);
  IdealResult result = empty_result(args.out_params, plan.out_shape);
  const std::vector<float> x = dequantize_operand(args.x, args.x_params, plan.x_layout);
  const std::vector<float> w = dequantize_operand(args.w, args.w_params, plan.w_layout);
  const std::vector<double> bias = biases(args);
  OutputWriter out{args.out_params, plan.out_layout, args.activation,
                   args.contract.output_zero_point, result};
  const Conv2dAttrs& at = args.attrs;
  for_each_index(plan.out_shape, [&](std::span<const int64_t> index, int64_t flat) {
    const int64_t n = index[0], o = index[1], oh = index[2], ow = index[3];
    const int64_t group = o / plan.o_per_group;  // O >= 1 here, so o_per_group >= 1
    double y = 0.0, magnitude = 0.0;
    for (int64_t c = 0; c < plan.c_per_group; ++c) {
      const int64_t ci = group * plan.c_per_group + c;
      for (int64_t i = 0; i < plan.kh; ++i) {
        // 128-bit: stride, padding and dilation may each be near 2^63.
        const __int128 ih = __int128(oh) * at.stride[0] - at.padding[0] +
                            __int128(i) * at.dilation[0];
        if (ih < 0 || ih >= plan.h) continue;  // zero padding: a real 0.0 adds nothing
        for (int64_t j = 0; j < plan.kw; ++j) {
          const __int128 iw = __int128(ow) * at.stride[1] - at.padding[1] +
                              __int128(j) * at.dilation[1];
          if (iw < 0 || iw >= plan.w) continue;
          const int64_t xi = ((n * plan.c + ci) * plan.h + int64_t(ih)) * plan.w + int64_t(iw);
          const int64_t wi = ((o * plan.c_per_group + c) * plan.kh + i) * plan.kw + j;
          const double term = double(x[size_t(xi)]) * double(w[size_t(wi)]);
          y += term;
          magnitude += std::fabs(term);
        }
      }
    }
    if (args.bias) {
      y += bias[size_t(o)];
      magnitude += std::fabs(bias[size_t(o)]);
    }
    out.write(index, flat, y, magnitude);
  });
  return result;
}

IdealResult qelementwise(const QElementwiseArgs& args) {
  const QElementwisePlan plan = validate_qelementwise(args);
  IdealResult result = empty_result(args.out_params, plan.out_shape);
  const std::vector<float> a = dequantize_operand(args.a, args.a_params, plan.a_layout);
  const std::vector<float> b = dequantize_operand(args.b, args.b_params, plan.b_layout);
  OutputWriter out{args.out_params, plan.out_layout, args.activation,
                   OutputZeroPoint::after_rounding, result};
  for_each_index(plan.out_shape, [&](std::span<const int64_t> index, int64_t flat) {
    const double da = a[size_t(broadcast_offset(args.a.shape(), index))];
    const double db = b[size_t(broadcast_offset(args.b.shape(), index))];
    if (args.op == ElementwiseOp::add) {
      out.write(index, flat, da + db, std::fabs(da) + std::fabs(db));
    } else {
      const double y = da * db;  // exact in double
      out.write(index, flat, y, std::fabs(y));
    }
  });
  return result;
}

}  // namespace qdiff::reference
