#include "properties/fused_generators.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "core/block_layout.h"
#include "core/float_bits.h"
#include "properties/scale_odometer.h"

namespace qdiff::props {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

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

// --- qlinear -------------------------------------------------------------

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

QLinearCase draw_qlinear(Source& src, const FusedLimits& limits) {
  QLinearArgs a;
  // Shapes: batch dims (rank 1..4 overall for x), K, In, within the budgets.
  // Batch dims 0..4 (x rank 1..5): "batch ranks 1..4" either way.
  src.label(ChoiceLabel::rank);
  const int batch_rank = int(src.weighted({5, 40, 25, 15, 15}));
  int64_t in = draw_reduction_size(src);
  int64_t k = draw_output_channels(src);
  Shape x_shape;
  for (int i = 0; i < batch_rank; ++i) x_shape.push_back(draw_small_dim(src));
  auto rows = [&] {
    int64_t m = 1;
    for (int i = 0; i < x_shape.rank(); ++i) m *= x_shape[i];
    return m;
  };
  while (k * in > limits.max_elements && in > 1) in = (in + 1) / 2;
  while (k * in > limits.max_elements && k > 1) k = (k + 1) / 2;
  for (int i = 0; i < x_shape.rank(); ++i) {
    while (rows() * in > limits.max_elements || rows() * k * in > limits.max_work) {
      if (x_shape[i] == 1) break;
      x_shape[i] = (x_shape[i] + 1) / 2;
    }
  }
  while (rows() * in > limits.max_elements || rows() * k * in > limits.max_work) in = std::max<int64_t>(1, in / 2);
  x_shape.push_back(in);

  // x params: per-tensor or per-row ([..., 1]).
  const QuantType xt = draw_operand_type(src, false);
  Shape x_scale;
  src.label(ChoiceLabel::layout);
  if (src.chance(35)) {
    x_scale = x_shape;
    x_scale[x_scale.rank() - 1] = 1;
  }
  src.label(ChoiceLabel::layout);
  a.x_params = draw_params(src, xt, src.chance(85) ? ZeroPointDomain::int_domain : ZeroPointDomain::none,
                           x_scale, std::nullopt);
  a.x = draw_operand_values(src, a.x_params, x_shape);

  // w params: every layout the SPEC names, and then some.
  const QuantType wt = draw_operand_type(src, true);
  src.label(ChoiceLabel::layout);
  const ZeroPointDomain wd = ZeroPointDomain(src.weighted({70, 15, 15}));
  Shape w_scale;
  std::optional<std::vector<int64_t>> w_blocks;
  src.label(ChoiceLabel::layout);
  switch (src.weighted({15, 30, 35, 10, 10})) {
    case 0: w_scale = src.boolean() ? Shape{} : Shape{1, 1}; break;   // per-tensor
    case 1: w_scale = Shape{k, 1}; break;                               // per-channel
    case 2: w_scale = Shape{k, in / draw_divisor(src, in)}; break;      // per-group
    case 3: w_scale = Shape{k / draw_divisor(src, k), in / draw_divisor(src, in)}; break;  // blockwise
    default: {                                                           // explicit partial groups
      const int64_t g = src.integer(1, std::max<int64_t>(1, in));
      w_blocks = std::vector<int64_t>{1, g};
      w_scale = Shape{k, in == 0 ? 1 : (in - 1) / g + 1};
    }
  }
  a.w_params = draw_params(src, wt, wd, w_scale, w_blocks);
  a.w = draw_operand_values(src, a.w_params, Shape{k, in});

  // Ideal magnitude, to size the bias, activation and output scale.
  const BlockLayout xl = BlockLayout::derive(a.x.shape(), a.x_params.scale.shape(), a.x_params.block_size);
  const BlockLayout wl = BlockLayout::derive(a.w.shape(), a.w_params.scale.shape(), a.w_params.block_size);
  const int64_t m = in == 0 ? 0 : a.x.numel() / in;  // rows of x (x_shape now ends in In)
  // Dequantize each operand once (not once per output: that made qlinear
  // generation cost O(m·k·in) index decompositions per case).
  const std::vector<double> xd = dequantized_values(a.x, a.x_params, xl);
  const std::vector<double> wd_values = dequantized_values(a.w, a.w_params, wl);
  double ymax = 0;
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t o = 0; o < k; ++o) {
      double acc = 0;
      for (int64_t j = 0; j < in; ++j) acc += xd[size_t(r * in + j)] * wd_values[size_t(o * in + j)];
      ymax = std::max(ymax, std::fabs(acc));
    }
  }
  src.label(ChoiceLabel::other);
  if (src.chance(60)) {
    Tensor b(DType::f32, Shape{k});
    auto bd = b.data<float>();
    const double unit = a.x_params.scale.f32_at(0) * a.w_params.scale.f32_at(0);
    fill_each(src, k, [&](auto& from, int64_t i) {
      bd[i] = from.chance(50) ? float(double(from.integer(-64, 64)) * unit / 2)  // ties with pow2 scales
                              : float(ymax * double(from.integer(-100, 100)) / 100.0);
    });
    a.bias = b;
  }
  Shape out_shape = a.x.shape();
  out_shape[out_shape.rank() - 1] = k;
  a.activation = draw_activation(src, ymax);
  a.out_params = draw_output_params(src, out_shape, out_shape.rank() - 1, ymax);
  a.contract = draw_qlinear_contract(src, a.bias && one_scale_per_channel(a.x_params, 1) &&
                                              one_scale_per_channel(a.w_params, k));
  return {std::move(a)};
}

// --- qconv2d -------------------------------------------------------------

QConv2dCase draw_qconv2d(Source& src, const FusedLimits& limits) {
  QConv2dArgs a;
  src.label(ChoiceLabel::layout);
  const int64_t groups = src.pick<int64_t>({1, 1, 2, 3});
  const bool depthwise = src.chance(20);
  const int64_t cg = depthwise ? 1 : src.integer(1, 4);
  const int64_t og = src.integer(1, 3);
  const int64_t g = depthwise ? src.integer(1, 8) : groups;
  const int64_t c = g * cg, o = g * og;
  src.label(ChoiceLabel::dim_value);
  const int64_t n = src.integer(1, 2);
  int64_t h = src.integer(1, 9), w = src.integer(1, 9);
  const int64_t kh = src.integer(1, 3), kw = src.integer(1, 3);
  Conv2dAttrs& at = a.attrs;
  at.groups = g;
  src.label(ChoiceLabel::layout);
  at.stride = {src.integer(1, 3), src.integer(1, 3)};
  at.dilation = {src.integer(1, 2), src.integer(1, 2)};
  at.padding = {src.integer(0, 2), src.integer(0, 2), src.integer(0, 2), src.integer(0, 2)};
  // The kernel must fit: grow the input until OH, OW >= 1.
  while (h + at.padding[0] + at.padding[2] < at.dilation[0] * (kh - 1) + 1) ++h;
  while (w + at.padding[1] + at.padding[3] < at.dilation[1] * (kw - 1) + 1) ++w;
  const int64_t oh = (h + at.padding[0] + at.padding[2] - at.dilation[0] * (kh - 1) - 1) / at.stride[0] + 1;
  const int64_t ow = (w + at.padding[1] + at.padding[3] - at.dilation[1] * (kw - 1) - 1) / at.stride[1] + 1;
  (void)limits;

  const QuantType xt = draw_operand_type(src, false);
  src.label(ChoiceLabel::layout);
  a.x_params = draw_params(src, xt, src.chance(85) ? ZeroPointDomain::int_domain : ZeroPointDomain::none,
                           Shape{}, std::nullopt);
  a.x = draw_operand_values(src, a.x_params, Shape{n, c, h, w});
  const QuantType wt = draw_operand_type(src, true);
  Shape w_scale;
  std::optional<std::vector<int64_t>> w_blocks;
  src.label(ChoiceLabel::layout);
  switch (src.weighted({30, 50, 10, 10})) {
    case 0: w_scale = Shape{}; break;
    case 1: w_scale = Shape{o, 1, 1, 1}; break;
    case 2: w_scale = Shape{o, cg / draw_divisor(src, cg), 1, 1}; break;
    default:
      w_blocks = std::vector<int64_t>{1, 1, src.integer(1, kh), kw};
      w_scale = Shape{o, cg, (kh - 1) / (*w_blocks)[2] + 1, 1};
  }
  src.label(ChoiceLabel::layout);
  a.w_params = draw_params(src, wt, ZeroPointDomain(src.weighted({75, 15, 10})), w_scale, w_blocks);
  a.w = draw_operand_values(src, a.w_params, Shape{o, cg, kh, kw});
  // Output magnitude estimate: |x|max |w|max * reduction length.
  const BlockLayout xl = BlockLayout::derive(a.x.shape(), a.x_params.scale.shape(), std::nullopt);
  const BlockLayout wl = BlockLayout::derive(a.w.shape(), a.w_params.scale.shape(), a.w_params.block_size);
  const double xmax = max_magnitude(dequantized_values(a.x, a.x_params, xl));
  const double wmax = max_magnitude(dequantized_values(a.w, a.w_params, wl));
  const double ymax = xmax * wmax * double(cg * kh * kw) / 4.0;
  src.label(ChoiceLabel::other);
  if (src.chance(50)) {
    Tensor b(DType::f32, Shape{o});
    auto bd = b.data<float>();
    fill_each(src, o, [&](auto& from, int64_t i) { bd[i] = float(ymax * double(from.integer(-100, 100)) / 200.0); });
    a.bias = b;
  }
  a.activation = draw_activation(src, ymax);
  a.out_params = draw_output_params(src, Shape{n, o, oh, ow}, 1, ymax);
  a.contract = draw_qlinear_contract(src, a.bias && one_scale_per_channel(a.x_params, 1) &&
                                              one_scale_per_channel(a.w_params, o));
  return {std::move(a)};
}

// --- qadd / qmul -----------------------------------------------------------

// An operand's shape broadcasting to `out`: drops some leading dims and
// sets some dims to 1.
Shape broadcast_operand_shape(Source& src, const Shape& out) {
  src.label(ChoiceLabel::rank);
  const int drop = out.rank() ? int(src.integer(0, src.chance(70) ? 0 : out.rank())) : 0;
  Shape s;
  for (int i = drop; i < out.rank(); ++i) { src.label(ChoiceLabel::dim); s.push_back(src.chance(35) ? 1 : out[i]); }
  return s;
}

QuantParams draw_elementwise_params(Source& src, const Shape& shape) {
  const QuantType qt = draw_operand_type(src, false);
  // int or none: the float domain is defined for weights only.
  src.label(ChoiceLabel::layout);
  const ZeroPointDomain d = src.chance(85) ? ZeroPointDomain::int_domain : ZeroPointDomain::none;
  Shape scale;
  std::vector<int> candidates;
  for (int i = 0; i < shape.rank(); ++i) {
    if (shape[i] > 1) candidates.push_back(i);
  }
  switch (src.weighted({40, 45, 15})) {
    case 0: break;  // per-tensor
    case 1:         // per-channel along one of its own dims
      if (!candidates.empty()) {
        scale = Shape::ones(shape.rank());
        const int axis = candidates[src.index(candidates.size())];
        scale[axis] = shape[axis];
      }
      break;
    default:  // elementwise or blocks: any divisor per dim
      scale = Shape::ones(shape.rank());
      for (int i = 0; i < shape.rank(); ++i) scale[i] = shape[i] == 0 ? 1 : shape[i] / draw_divisor(src, shape[i]);
  }
  return draw_params(src, qt, d, scale, std::nullopt);
}

QElementwiseCase draw_elementwise(Source& src, ElementwiseOp op, const FusedLimits& limits) {
  QElementwiseArgs a;
  a.op = op;
  src.label(ChoiceLabel::rank);
  const int rank = int(src.weighted({8, 22, 35, 20, 15}));
  Shape out;
  for (int i = 0; i < rank; ++i) { src.label(ChoiceLabel::layout); out.push_back(src.chance(4) ? 0 : draw_small_dim(src)); }
  for (int i = 0; i < out.rank(); ++i) {
    while (out.numel() > limits.max_elements && out[i] > 1) out[i] = (out[i] + 1) / 2;
  }
  const Shape as = broadcast_operand_shape(src, out);
  const Shape bs = broadcast_operand_shape(src, out);
  a.a_params = draw_elementwise_params(src, as);
  a.a = draw_operand_values(src, a.a_params, as);
  a.b_params = draw_elementwise_params(src, bs);
  a.b = draw_operand_values(src, a.b_params, bs);
  const Shape result = broadcast_shapes(as, bs);
  const double amax = std::max(1.0, double(a.a_params.quant_max - a.a_params.quant_min)) * a.a_params.scale.f32_at(0);
  const double bmax = std::max(1.0, double(a.b_params.quant_max - a.b_params.quant_min)) * a.b_params.scale.f32_at(0);
  const double ymax = op == ElementwiseOp::add ? amax + bmax : amax * bmax;
  a.activation = draw_activation(src, ymax);
  src.label(ChoiceLabel::layout);
  a.out_params = draw_output_params(src, result, result.rank() ? int(src.integer(0, result.rank() - 1)) : -1,
                                    ymax);
  src.label(ChoiceLabel::layout);
  if (src.chance(15) && result.rank() > 0) {  // out params with blocks of any shape
    a.out_params = draw_elementwise_params(src, result);
    a.out_params.zero_point_domain = a.out_params.zero_point_domain == ZeroPointDomain::float_domain
                                         ? ZeroPointDomain::int_domain : a.out_params.zero_point_domain;
    if (a.out_params.zero_point && a.out_params.zero_point->dtype() == DType::f32) a.out_params.zero_point.reset();
  }
  return {std::move(a)};
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

void corrupt(Source& src, QLinearArgs& a) {
  src.label(ChoiceLabel::validity);
  switch (src.integer(0, 7)) {
    case 0: corrupt_params(src, a.x_params); break;
    case 1: corrupt_params(src, a.w_params); break;
    case 2: corrupt_params(src, a.out_params); break;
    case 3: a.w = Tensor(a.w.dtype(), Shape{a.w.shape()[0], a.w.shape()[1] + 1}); break;  // In mismatch
    case 4: a.bias = Tensor::of<float>(Shape{1}, {src.boolean() ? kNaN : 1.0f}); break;   // shape or NaN
    case 5: a.activation = {ActivationKind::clamp, 1.0f, src.boolean() ? -1.0f : kNaN}; break;
    case 6: {  // x params per-channel along In: not a layout qlinear defines
      Shape s = Shape::ones(a.x.shape().rank());
      s[s.rank() - 1] = a.x.shape()[s.rank() - 1];
      a.x_params.scale = Tensor(DType::f32, s);
      std::fill(a.x_params.scale.data<float>().begin(), a.x_params.scale.data<float>().end(), 0.5f);
      a.x_params.zero_point.reset();
      break;
    }
    default: a.w = Tensor(a.w.dtype(), Shape{a.w.shape()[0], a.w.shape()[1], 1}); break;  // rank 3
  }
}

void corrupt(Source& src, QConv2dArgs& a) {
  src.label(ChoiceLabel::validity);
  switch (src.integer(0, 5)) {
    case 0: corrupt_params(src, a.x_params); break;
    case 1: corrupt_params(src, a.w_params); break;
    case 2: corrupt_params(src, a.out_params); break;
    case 3: a.attrs.groups = src.pick<int64_t>({0, a.attrs.groups + 1}); break;
    case 4: a.attrs.stride[src.index(2)] = 0; break;
    default: a.attrs.padding[src.index(4)] = -1; break;
  }
}

void corrupt(Source& src, QElementwiseArgs& a) {
  src.label(ChoiceLabel::validity);
  switch (src.integer(0, 3)) {
    case 0: corrupt_params(src, a.a_params); break;
    case 1: corrupt_params(src, a.b_params); break;
    case 2: corrupt_params(src, a.out_params); break;
    default: {  // shapes that do not broadcast
      Shape s = a.b.shape();
      s.push_back(a.a.shape().rank() ? a.a.shape()[a.a.shape().rank() - 1] + 1 : 2);
      if (s.rank() <= kMaxRank) a.b = Tensor(a.b.dtype(), s);
    }
  }
}

template <typename C, typename Draw>
C maybe_invalid(Source& src, const FusedLimits& limits, Draw&& draw) {
  src.label(ChoiceLabel::validity);
  const bool invalid = src.integer(0, 99) >= 100 - limits.invalid_percent;
  C c = draw();
  if (invalid) corrupt(src, c.args);
  return c;
}

}  // namespace

QLinearCase draw_valid_qlinear_case(Source& src, const FusedLimits& limits) { return draw_qlinear(src, limits); }
QElementwiseCase draw_valid_qelementwise_case(Source& src, ElementwiseOp op, const FusedLimits& limits) {
  return draw_elementwise(src, op, limits);
}

QLinearCase draw_qlinear_case(Source& src, const FusedLimits& limits) {
  return maybe_invalid<QLinearCase>(src, limits, [&] { return draw_qlinear(src, limits); });
}
QConv2dCase draw_qconv2d_case(Source& src, const FusedLimits& limits) {
  return maybe_invalid<QConv2dCase>(src, limits, [&] { return draw_qconv2d(src, limits); });
}
QElementwiseCase draw_qelementwise_case(Source& src, ElementwiseOp op, const FusedLimits& limits) {
  return maybe_invalid<QElementwiseCase>(src, limits, [&] { return draw_elementwise(src, op, limits); });
}

}  // namespace qdiff::props
