#include "properties/domains.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "core/float_bits.h"

namespace qdiff::props {

// ---- quant types -----------------------------------------------------------

QuantType draw_quant_type(Source& src, std::span<const QuantTypeOption> menu) {
  std::vector<int> weights;
  for (const auto& o : menu) weights.push_back(o.weight);
  src.label(ChoiceLabel::dtype_range);
  const QuantTypeOption& o = menu[src.weighted(std::span<const int>(weights))];
  switch (o.kind) {
    case QuantTypeOption::Kind::one_of:
      return o.types.size() == 1 ? o.types[0] : src.pick(std::span<const QuantType>(o.types));
    case QuantTypeOption::Kind::sub_byte: {
      const bool is_signed = src.boolean();
      const int bits = int(src.integer(1, 7));
      return *parse_quant_type(std::string(is_signed ? "i" : "u") + std::to_string(bits));
    }
    case QuantTypeOption::Kind::sub_range: break;
  }
  const DType st = src.pick(std::span<const QuantType>(o.types)).storage;
  const int64_t a = src.integer(dtype_min(st), dtype_max(st));
  int64_t b = src.integer(dtype_min(st), dtype_max(st));
  if (o.close_bounds && src.chance(50)) {
    b = std::clamp<int64_t>(a + src.integer(0, 20), dtype_min(st), dtype_max(st));
  }
  return {st, std::min(a, b), std::max(a, b)};
}

namespace {

using namespace quant_types;
using Kind = QuantTypeOption::Kind;

QuantTypeOption one(int weight, QuantType qt) { return {Kind::one_of, weight, {qt}}; }

}  // namespace

std::span<const QuantTypeOption> any_quant_types() {
  static const std::vector<QuantTypeOption> menu = {
      one(30, kI8), one(15, kU8), one(10, kI4), one(8, kU4), one(6, kI16), one(4, kU16), one(5, kI32),
      {Kind::sub_byte, 10, {}},
      {Kind::sub_range, 12, {kI8, kU8, kI16, kU16, kI32}, /*close_bounds=*/true},
  };
  return menu;
}

std::span<const QuantTypeOption> operand_quant_types(bool weights) {
  auto menu_of = [](int i4_weight, int u4_weight) {
    return std::vector<QuantTypeOption>{
        one(35, kI8), one(20, kU8), one(i4_weight, kI4), one(u4_weight, kU4),
        {Kind::one_of, 5, {kU16, kI16}},
        {Kind::sub_range, 10, {kU8, kI8}},
    };
  };
  static const std::vector<QuantTypeOption> for_weights = menu_of(20, 15);
  static const std::vector<QuantTypeOption> for_activations = menu_of(5, 5);
  return weights ? for_weights : for_activations;
}

std::span<const QuantTypeOption> output_quant_types() {
  static const std::vector<QuantTypeOption> menu = {
      one(45, kI8), one(25, kU8), one(10, kI4), one(10, kI16), one(5, kU4), one(5, kI32),
  };
  return menu;
}

// ---- scale values ----------------------------------------------------------

float random_mantissa(Source& src, int exponent) {
  const uint32_t m = src.bits32() & 0x7fffffu;
  return std::ldexp(f32_from_bits(0x3f800000u | m), exponent);
}

namespace {

float any_scale(Source& src) {
  switch (src.weighted({10, 15, 15, 35, 7, 8, 10})) {
    case 0: return 1.0f;
    case 1: return std::ldexp(1.0f, int(src.integer(-24, 24)));
    case 2: return src.pick<float>({0.9f, 0.1f, 0.3f, 0.7f, 1.0f / 3.0f, 0.2f, 0.05f, 0.01f,
                                    0.6f, 1.1f, 2.5f / 255.0f, 6.0f / 127.0f});
    case 3: return random_mantissa(src, int(src.integer(-20, 20)));
    case 4: {  // near FLT_MIN: 1/s is close to 2^126
      return src.boolean() ? FLT_MIN : random_mantissa(src, int(src.integer(-126, -110)));
    }
    case 5: {  // large: 1/s is subnormal
      return src.chance(20) ? FLT_MAX : random_mantissa(src, int(src.integer(100, 127)));
    }
    default: return random_mantissa(src, int(src.integer(-126, 127)));
  }
}

}  // namespace

float draw_scale(Source& src, const ScaleValues& v) {
  src.label(ChoiceLabel::scale);
  if (v.whole_range) {
    const float s = any_scale(src);
    return s > std::ldexp(1.0f, v.max_exponent) ? std::ldexp(s, -40) : s;
  }
  if (src.chance(v.pow2_percent)) return std::ldexp(1.0f, int(src.integer(v.pow2_lo, v.pow2_hi)));
  const uint32_t m = src.bits32() & 0x7fffffu;
  return std::ldexp(f32_from_bits(0x3f800000u | m), int(src.integer(v.lo, v.hi)));
}

float draw_scale_near(Source& src, float base) {
  src.label(ChoiceLabel::scale);
  return base * src.pick<float>({1.0f, 0.5f, 2.0f, 0.75f, 1.3f, 0.9f, 1.0f / 3.0f, 1.7f});
}

Tensor draw_scale_tensor(Source& src, const Shape& scale_shape, const ScaleTensorDomain& domain) {
  Tensor t(DType::f32, scale_shape);
  auto s = t.data<float>();
  src.label(ChoiceLabel::layout);
  if ((t.numel() > 1 || domain.all_equal_for_any_size) && src.chance(domain.all_equal_percent)) {
    std::fill(s.begin(), s.end(), draw_scale(src, domain.values));
    return t;
  }
  fill_each(src, t.numel(), [&](auto& from, int64_t i) { s[i] = draw_scale(from, domain.values); });
  return t;
}

// ---- params and operand values ---------------------------------------------

QuantParams params_of(const QuantType& qt, ZeroPointDomain domain, Tensor scale,
                      std::optional<std::vector<int64_t>> block_size) {
  QuantParams p;
  p.dtype = qt.storage;
  p.quant_min = qt.quant_min;
  p.quant_max = qt.quant_max;
  p.zero_point_domain = domain;
  p.block_size = std::move(block_size);
  p.scale = std::move(scale);
  return p;
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

QuantParams draw_operand_params(Source& src, const QuantType& qt, ZeroPointDomain domain,
                                const Shape& scale_shape, std::optional<std::vector<int64_t>> block_size,
                                const ScaleValues& scales) {
  QuantParams p = params_of(qt, domain, draw_scale_tensor(src, scale_shape, {scales, 25, true}),
                            std::move(block_size));
  const auto s = p.scale.data<float>();
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

Tensor draw_qvalues(Source& src, const QuantParams& p, const Shape& shape, const QValueWeights& w) {
  int weights[] = {w.in_range, w.range_ends, w.storage, w.storage_ends};
  size_t n = 4;
  while (n > 1 && weights[n - 1] == 0) --n;
  const std::span<const int> categories(weights, n);
  std::vector<int64_t> v(size_t(shape.numel()));
  fill_each(src, shape.numel(), [&](auto& from, int64_t i) {
    from.label(ChoiceLabel::qvalue);
    switch (from.weighted(categories)) {
      case 0: v[size_t(i)] = from.integer(p.quant_min, p.quant_max); break;
      case 1: v[size_t(i)] = from.boolean() ? p.quant_min : p.quant_max; break;
      case 2: v[size_t(i)] = from.integer(dtype_min(p.dtype), dtype_max(p.dtype)); break;
      default: v[size_t(i)] = from.boolean() ? dtype_min(p.dtype) : dtype_max(p.dtype);
    }
  });
  return integer_tensor(p.dtype, shape, v);
}

// ---- shapes ----------------------------------------------------------------

int64_t draw_small_dim(Source& src, const SmallDims& d) {
  src.label(ChoiceLabel::dim);
  switch (src.weighted({d.one, d.two_to_four, d.vector_edges, d.any})) {
    case 0: return 1;
    case 1: return src.integer(2, 4);
    case 2: return src.pick<int64_t>({7, 8, 9, 15, 16, 17});
    default: return src.integer(1, d.max);
  }
}

Shape draw_broadcast_operand(Source& src, const Shape& out) {
  src.label(ChoiceLabel::rank);
  const int drop = out.rank() ? int(src.integer(0, src.chance(70) ? 0 : out.rank())) : 0;
  Shape s;
  for (int i = drop; i < out.rank(); ++i) {
    src.label(ChoiceLabel::dim);
    s.push_back(src.chance(35) ? 1 : out[i]);
  }
  return s;
}

}  // namespace qdiff::props
