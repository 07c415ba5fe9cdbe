// What the fused operators' generators share (properties/fused_draws.h).
#include "properties/fused_draws.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "core/block_layout.h"
#include "properties/scale_odometer.h"

namespace qdiff::props::fused_draw {

// Reduction and output sizes: 1, small, around the vector widths and the
// register tiles (+-1), odd ones.
int64_t draw_reduction_size(Source& src) {
  src.label(ChoiceLabel::dim);
  switch (src.weighted({20, 20, 30, 15, 15})) {
    case 0: return src.pick<int64_t>({1, 2, 3});
    case 1: return src.integer(1, 24);
    case 2: return src.pick<int64_t>({7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65});
    case 3: return src.pick<int64_t>({127, 128, 129, 255, 256, 257});
    default: return src.integer(1, 300);
  }
}

// Output channels of a qlinear: mostly small, sometimes one or two whole
// 64-channel panels (+-1): the AVX-512 VNNI kernel fuses the epilogue
// only for full 4-vector panels, so K >= 64 is a code path of its own.
int64_t draw_output_channels(Source& src) {
  src.label(ChoiceLabel::dim);
  if (src.chance(8)) return src.pick<int64_t>({63, 64, 65, 127, 128, 129});
  return draw_small_dim(src, kFusedDims);
}

std::vector<int64_t> divisors(int64_t n) {
  std::vector<int64_t> d;
  for (int64_t i = 1; i <= n; ++i) {
    if (n % i == 0) d.push_back(i);
  }
  return d;
}

int64_t draw_divisor(Source& src, int64_t n) {
  const auto d = divisors(std::max<int64_t>(n, 1));
  // Favour the edges: 1 (elementwise) and n (one block), then any.
  src.label(ChoiceLabel::layout);
  switch (src.weighted({15, 20, 65})) {
    case 0: return d.front();
    case 1: return d.back();
    default: return d[src.index(d.size())];
  }
}

// dq() of every element, as SPEC section 5 (used only to size output
// scales), walking the elements in order (ScaleOdometer: no index
// decomposition per element).
std::vector<double> dequantized_values(const Tensor& q, const QuantParams& p, const BlockLayout& l) {
  std::vector<double> out(size_t(q.numel()));
  const double float_mid = double(p.quant_max + p.quant_min + 1) / 2.0;
  ScaleOdometer it(l);
  for (int64_t flat = 0; flat < q.numel(); ++flat, it.next()) {
    const int64_t si = it.scale_index();
    const double s = p.scale.f32_at(si);
    const double z = p.zero_point ? p.zero_point->value_at(si) : 0.0;
    const double v = q.value_at(flat);
    if (p.zero_point_domain == ZeroPointDomain::float_domain) {
      out[size_t(flat)] = (v - float_mid) * s + z;
    } else {
      out[size_t(flat)] = (v - (p.zero_point_domain == ZeroPointDomain::int_domain ? z : 0.0)) * s;
    }
  }
  return out;
}

double max_magnitude(const std::vector<double>& values) {
  double m = 0;
  for (double v : values) m = std::max(m, std::fabs(v));
  return m;
}

// Output params for `shape` whose scale spreads outputs of magnitude up to
// `ymax` over the range (factor 1), or saturates some (factor < 1), or
// uses few steps (factor > 1); per-tensor or per-channel along `axis`.
QuantParams draw_output_params(Source& src, const Shape& shape, int axis, double ymax) {
  const QuantType qt = draw_quant_type(src, output_quant_types());
  Shape scale_shape = Shape::ones(shape.rank());
  src.label(ChoiceLabel::layout);
  const bool per_channel = axis >= 0 && axis < shape.rank() && shape[axis] > 0 && src.chance(40);
  if (per_channel) scale_shape[axis] = shape[axis];
  QuantParams p = draw_operand_params(src, qt, src.chance(85) ? ZeroPointDomain::int_domain : ZeroPointDomain::none,
                                      per_channel ? scale_shape : Shape{}, std::nullopt, kOperandScales);
  const double half_range = std::max(1.0, double(qt.quant_max - qt.quant_min) / 2.0);
  src.label(ChoiceLabel::other);
  const double factor = src.pick<double>({1.0, 1.0, 0.5, 2.0, 0.25, 8.0});
  const bool pow2 = src.chance(40);
  for (float& s : p.scale.data<float>()) {
    double want = std::max(ymax, 1e-6) / half_range * factor;
    if (src.chance(20)) want *= double(src.integer(50, 150)) / 100.0;
    if (pow2) want = std::exp2(std::round(std::log2(want)));
    s = float(std::clamp(want, 0x1p-60, 0x1p60));
  }
  return p;
}

Activation draw_activation(Source& src, double ymax) {
  Activation a;
  src.label(ChoiceLabel::other);
  switch (src.weighted({60, 20, 20})) {
    case 0: break;
    case 1: a.kind = ActivationKind::relu; break;
    default: {
      a.kind = ActivationKind::clamp;
      const double lo = -ymax * double(src.integer(0, 100)) / 100.0;
      const double hi = ymax * double(src.integer(0, 100)) / 100.0;
      a.lo = float(lo);
      a.hi = std::max(a.lo, float(hi));
    }
  }
  return a;
}

// --- qlinear and qconv2d -------------------------------------------------

// The accumulation contract (core/qlinear_contract.h), drawn last so that a
// seed's earlier draws stay as they were; the lowest draw is the default.
// Each setting is even odds, as quantize's contracts are uniform: an outside
// backend that follows one setting of each (torch, oneDNN) declines the rest.
// int32_acc only where it is defined (a bias, one x scale, one w scale per
// output channel, no float domain): elsewhere both sides reject it, which
// judges validation, not the contract (tests/reference_fused_errors_test.cc
// covers that).
QLinearContract draw_qlinear_contract(Source& src, bool int32_bias_defined) {
  QLinearContract c;
  src.label(ChoiceLabel::contract);
  if (int32_bias_defined && src.boolean()) c.bias = BiasGrid::int32_acc;
  src.label(ChoiceLabel::contract);
  if (src.boolean()) c.output_zero_point = OutputZeroPoint::before_rounding;
  return c;
}

bool one_scale_per_channel(const QuantParams& p, int64_t channels) {
  const Shape& s = p.scale.shape();
  if (p.zero_point_domain == ZeroPointDomain::float_domain) return false;
  if (s.numel() == 1) return true;
  for (int d = 1; d < s.rank(); ++d) {
    if (s[d] != 1) return false;
  }
  return !p.block_size && s.rank() >= 1 && s[0] == channels;
}

// --- invalid inputs ---------------------------------------------------------

void corrupt_params(Source& src, QuantParams& p) {
  src.label(ChoiceLabel::validity);
  switch (src.integer(0, 4)) {
    case 0: if (p.scale.numel()) p.scale.data<float>()[0] = src.pick<float>({0.0f, -1.0f, kNaN, 1e-40f}); break;
    case 1: p.quant_min = p.quant_max + 1; break;
    case 2: p.dtype = DType::i32; break;
    case 3: p.zero_point = Tensor::of<int32_t>(Shape{}, {int32_t(p.quant_max + 1 > INT32_MAX ? p.quant_min - 1 : p.quant_max + 1)}); p.scale = p.scale.numel() ? Tensor::of<float>(Shape{}, {p.scale.f32_at(0)}) : p.scale; p.block_size.reset(); break;
    default: {
      Shape s = p.scale.shape();
      s.push_back(3);
      if (s.rank() <= kMaxRank) {
        p.scale = Tensor(DType::f32, s);
        std::fill(p.scale.data<float>().begin(), p.scale.data<float>().end(), 1.0f);
        p.zero_point.reset();
      }
    }
  }
}

}  // namespace qdiff::props::fused_draw
