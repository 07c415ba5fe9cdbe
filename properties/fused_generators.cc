// What the fused operators' generators share (properties/fused_draws.h).
#include "properties/fused_draws.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "core/block_layout.h"
#include "core/float_bits.h"
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

int64_t draw_small_dim(Source& src) {
  src.label(ChoiceLabel::dim);
  switch (src.weighted({30, 30, 25, 15})) {
    case 0: return 1;
    case 1: return src.integer(2, 4);
    case 2: return src.pick<int64_t>({7, 8, 9, 15, 16, 17});
    default: return src.integer(1, 40);
  }
}

// Output channels of a qlinear: mostly small, sometimes one or two whole
// 64-channel panels (+-1): the AVX-512 VNNI kernel fuses the epilogue
// only for full 4-vector panels, so K >= 64 is a code path of its own.
int64_t draw_output_channels(Source& src) {
  src.label(ChoiceLabel::dim);
  if (src.chance(8)) return src.pick<int64_t>({63, 64, 65, 127, 128, 129});
  return draw_small_dim(src);
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

QuantType draw_operand_type(Source& src, bool weights) {
  src.label(ChoiceLabel::dtype_range);
  switch (src.weighted({35, 20, weights ? 20 : 5, weights ? 15 : 5, 5, 10})) {
    case 0: return *parse_quant_type("i8");
    case 1: return *parse_quant_type("u8");
    case 2: return *parse_quant_type("i4");
    case 3: return *parse_quant_type("u4");
    case 4: return *parse_quant_type(src.boolean() ? "i16" : "u16");
    default: {  // a custom sub-range of i8/u8
      const DType st = src.boolean() ? DType::i8 : DType::u8;
      int64_t a = src.integer(dtype_min(st), dtype_max(st));
      int64_t b = src.integer(dtype_min(st), dtype_max(st));
      return {st, std::min(a, b), std::max(a, b)};
    }
  }
}

QuantType draw_output_type(Source& src) {
  src.label(ChoiceLabel::dtype_range);
  switch (src.weighted({45, 25, 10, 10, 5, 5})) {
    case 0: return *parse_quant_type("i8");
    case 1: return *parse_quant_type("u8");
    case 2: return *parse_quant_type("i4");
    case 3: return *parse_quant_type("i16");
    case 4: return *parse_quant_type("u4");
    default: return *parse_quant_type("i32");
  }
}

// Scales whose products stay normal: powers of two (products exact, so
// ideal values land on ties) or random mantissas in [2^-12, 2^3).
float draw_operand_scale(Source& src) {
  src.label(ChoiceLabel::scale);
  if (src.chance(40)) return std::ldexp(1.0f, int(src.integer(-10, 2)));
  const uint32_t m = src.bits32() & 0x7fffffu;
  return std::ldexp(f32_from_bits(0x3f800000u | m), int(src.integer(-12, 2)));
}

Tensor integer_tensor(DType dtype, const Shape& shape, const std::vector<int64_t>& values) {
  Tensor t(dtype, shape);
  visit_integer_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    auto d = t.data<T>();
    for (size_t i = 0; i < values.size(); ++i) d[i] = T(values[i]);
  });
  return t;
}

// Params of `qt` with a scale of shape `scale_shape` (and an explicit
// block_size when given); zero points per the domain.
QuantParams draw_params(Source& src, const QuantType& qt, ZeroPointDomain domain,
                        const Shape& scale_shape, std::optional<std::vector<int64_t>> block_size) {
  QuantParams p;
  p.dtype = qt.storage;
  p.quant_min = qt.quant_min;
  p.quant_max = qt.quant_max;
  p.zero_point_domain = domain;
  p.block_size = std::move(block_size);
  p.scale = Tensor(DType::f32, scale_shape);
  auto s = p.scale.data<float>();
  src.label(ChoiceLabel::layout);
  if (src.chance(25)) {
    std::fill(s.begin(), s.end(), draw_operand_scale(src));
  } else {
    fill_each(src, p.scale.numel(), [&](auto& from, int64_t i) { s[i] = draw_operand_scale(from); });
  }
  src.label(ChoiceLabel::layout);
  if (domain == ZeroPointDomain::int_domain && src.chance(75)) {
    std::vector<int64_t> z(size_t(p.scale.numel()));
    const int mode = int(src.weighted({30, 50, 20}));
    fill_each(src, p.scale.numel(), [&](auto& from, int64_t i) {
      from.label(ChoiceLabel::zero_point);
      z[size_t(i)] = mode == 0 ? std::clamp<int64_t>(0, qt.quant_min, qt.quant_max)
                     : mode == 1 ? from.integer(qt.quant_min, qt.quant_max)
                                 : (from.boolean() ? qt.quant_min : qt.quant_max);
    });
    src.label(ChoiceLabel::layout);
    p.zero_point = integer_tensor(src.chance(80) ? DType::i32 : qt.storage, scale_shape, z);
  } else if (domain == ZeroPointDomain::float_domain) {
    Tensor z(DType::f32, scale_shape);
    auto zd = z.data<float>();
    fill_each(src, z.numel(), [&](auto& from, int64_t i) {
      from.label(ChoiceLabel::zero_point);
      zd[i] = float(from.integer(-64, 64)) * 0.125f * s[size_t(i)];
    });
    p.zero_point = z;
  }
  return p;
}

Tensor draw_operand_values(Source& src, const QuantParams& p, const Shape& shape) {
  std::vector<int64_t> v(size_t(shape.numel()));
  fill_each(src, shape.numel(), [&](auto& from, int64_t i) {
    from.label(ChoiceLabel::qvalue);
    switch (from.weighted({75, 20, 5})) {
      case 0: v[size_t(i)] = from.integer(p.quant_min, p.quant_max); break;
      case 1: v[size_t(i)] = from.boolean() ? p.quant_min : p.quant_max; break;
      default: v[size_t(i)] = from.integer(dtype_min(p.dtype), dtype_max(p.dtype));  // outside the range
    }
  });
  return integer_tensor(p.dtype, shape, v);
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
  const QuantType qt = draw_output_type(src);
  Shape scale_shape = Shape::ones(shape.rank());
  src.label(ChoiceLabel::layout);
  const bool per_channel = axis >= 0 && axis < shape.rank() && shape[axis] > 0 && src.chance(40);
  if (per_channel) scale_shape[axis] = shape[axis];
  QuantParams p = draw_params(src, qt, src.chance(85) ? ZeroPointDomain::int_domain : ZeroPointDomain::none,
                              per_channel ? scale_shape : Shape{}, std::nullopt);
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
