#include "properties/affine_generators.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "core/block_layout.h"
#include "core/float_bits.h"
#include "properties/domains.h"
#include "properties/scale_odometer.h"

namespace qdiff::props {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Sizes around the vector widths (AVX2: 8 f32, AVX-512: 16 f32, 64 i8).
constexpr int64_t kVectorEdges[] = {7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65};
constexpr int64_t kPrimes[] = {3, 5, 7, 11, 13, 17, 19, 23};

// A dim size: 1, 2, 0 (rare), vector edge, prime, small random.
int64_t draw_count(Source& src, bool allow_zero) {
  src.label(ChoiceLabel::dim);
  switch (src.weighted({30, 20, allow_zero ? 3 : 0, 15, 12, 20})) {
    case 0: return 1;
    case 1: return 2;
    case 2: return 0;
    case 3: return src.pick(std::span<const int64_t>(kVectorEdges));
    case 4: return src.pick(std::span<const int64_t>(kPrimes));
    default: return src.integer(1, 24);
  }
}

// A block size > 1 (group sizes people use, plus odd ones).
int64_t draw_block(Source& src) {
  src.label(ChoiceLabel::block_size);
  switch (src.weighted({30, 30, 20, 20})) {
    case 0: return 2;
    case 1: return src.pick<int64_t>({4, 8, 16, 32, 64, 128});
    case 2: return src.pick(std::span<const int64_t>(kPrimes));
    default: return src.integer(2, 40);
  }
}

int draw_rank(Source& src, int min_rank, int max_rank) {
  // Weighted toward 1-3; rank 0 is a scalar.
  static constexpr int kWeights[] = {6, 20, 34, 20, 10, 5, 5, 2, 2};
  min_rank = std::min(min_rank, max_rank);
  int total = 0;
  for (int r = min_rank; r <= max_rank; ++r) total += kWeights[r];
  src.label(ChoiceLabel::rank);
  src.categories(std::span<const int>(kWeights + min_rank, size_t(max_rank - min_rank + 1)));
  int64_t x = src.integer(0, total - 1);
  for (int r = min_rank; r <= max_rank; ++r) {
    if (x < kWeights[r]) return r;
    x -= kWeights[r];
  }
  return max_rank;
}

enum class DimMode { whole, element, blocked, partial };

struct DimDraw {
  DimMode mode;
  int64_t n;      // input size
  int64_t block;  // explicit/derived block
};

int64_t scale_dim(const DimDraw& d) {
  switch (d.mode) {
    case DimMode::whole: return 1;
    case DimMode::element: return d.n;
    case DimMode::blocked: return d.n / d.block;
    case DimMode::partial: return d.n == 0 ? 1 : (d.n - 1) / d.block + 1;
  }
  return 1;
}

DimDraw draw_dim(Source& src, DimMode mode) {
  switch (mode) {
    case DimMode::whole: {
      const int64_t n = draw_count(src, /*allow_zero=*/true);
      return {mode, n, n};
    }
    case DimMode::element: return {mode, std::max<int64_t>(1, draw_count(src, false)), 1};
    case DimMode::blocked: {
      const int64_t b = draw_block(src);
      const int64_t c = std::max<int64_t>(1, draw_count(src, false));
      return {mode, b * c, b};
    }
    case DimMode::partial: {
      const int64_t n = draw_count(src, /*allow_zero=*/true);
      src.label(ChoiceLabel::block_size);
      const int64_t b = src.chance(20) ? 1 : draw_block(src);
      return {mode, n, b};
    }
  }
  return {DimMode::whole, 1, 1};
}

// Halves the largest dim until the tensor fits the element budget,
// keeping each dim's mode (and divisibility) intact.
void fit_budget(std::vector<DimDraw>& dims, int64_t budget) {
  auto numel = [&] {
    int64_t n = 1;
    for (const auto& d : dims) n *= d.n;
    return n;
  };
  while (numel() > budget) {
    auto it = std::max_element(dims.begin(), dims.end(),
                               [](const DimDraw& a, const DimDraw& b) { return a.n < b.n; });
    DimDraw& d = *it;
    if (d.mode == DimMode::blocked) {
      const int64_t c = d.n / d.block;
      if (c > 1) {
        d.n = (c / 2) * d.block;
      } else {
        d.block = std::max<int64_t>(1, d.block / 2);
        d.n = d.block;
        if (d.block == 1) d.mode = DimMode::element;
      }
    } else {
      d.n = std::max<int64_t>(1, d.n / 2);
      if (d.mode == DimMode::whole) d.block = d.n;
    }
  }
}

DrawnLayout assemble(const std::vector<DimDraw>& dims, bool explicit_mode) {
  DrawnLayout l;
  std::vector<int64_t> blocks;
  for (const auto& d : dims) {
    l.input.push_back(d.n);
    l.scale.push_back(scale_dim(d));
    blocks.push_back(d.mode == DimMode::whole ? std::max<int64_t>(1, d.n) : d.block);
  }
  if (explicit_mode) l.block_size = blocks;
  return l;
}

int64_t draw_zero_point_value(Source& from, const QuantType& qt) {
  from.label(ChoiceLabel::zero_point);
  switch (from.weighted({30, 40, 10, 10, 10})) {
    case 0: return std::clamp<int64_t>(0, qt.quant_min, qt.quant_max);
    case 1: return from.integer(qt.quant_min, qt.quant_max);
    case 2: return qt.quant_min;
    case 3: return qt.quant_max;
    default: return qt.quant_min + (qt.quant_max - qt.quant_min) / 2;
  }
}

float draw_float_zero_point_value(Source& from) {
  from.label(ChoiceLabel::zero_point);
  switch (from.weighted({25, 50, 25})) {
    case 0: return 0.0f;
    case 1: return float(from.integer(-2000, 2000)) / 16.0f;
    default: {
      // Sequenced (source.h): the magnitude's draws, then the sign.
      const float m = random_mantissa(from, int(from.integer(-20, 20)));
      return from.boolean() ? -m : m;
    }
  }
}

// equal_blocks: one value for every block (int domain: always the
// all-equal branch; float domain: one draw).
std::optional<Tensor> draw_zero_point(Source& src, ZeroPointDomain domain, const QuantType& qt,
                                      const Shape& shape, bool equal_blocks) {
  if (domain == ZeroPointDomain::none) return std::nullopt;
  src.label(ChoiceLabel::layout);
  if (domain == ZeroPointDomain::int_domain) {
    if (src.chance(25)) return std::nullopt;
    // i32 mostly; sometimes the storage dtype itself.
    const DType zdt = src.chance(80) ? DType::i32 : qt.storage;
    std::vector<int64_t> values(size_t(shape.numel()));
    if (shape.numel() > 1 && src.chance(equal_blocks ? 100 : 20)) {
      std::fill(values.begin(), values.end(), draw_zero_point_value(src, qt));
    } else {
      fill_each(src, shape.numel(), [&](auto& from, int64_t i) {
        values[size_t(i)] = draw_zero_point_value(from, qt);
      });
    }
    return integer_tensor(zdt, shape, values);
  }
  // float domain (tinygemm): a real-valued zero point.
  if (src.chance(15)) return std::nullopt;
  Tensor t(DType::f32, shape);
  auto d = t.data<float>();
  if (equal_blocks) {
    std::fill(d.begin(), d.end(), draw_float_zero_point_value(src));
    return t;
  }
  fill_each(src, t.numel(), [&](auto& from, int64_t i) { d[i] = draw_float_zero_point_value(from); });
  return t;
}

float draw_input_value_unchecked(Source& from, float s, double z, const QuantParams& p);

// An input value for an element with scale s and zero point z. Never NaN:
// a grid origin or window that overflows (huge s, float-domain min_val)
// can make inf - inf, which becomes 0.
float draw_input_value(Source& from, float s, double z, const QuantParams& p) {
  from.label(ChoiceLabel::value_f32);
  const float x = draw_input_value_unchecked(from, s, z, p);
  return std::isnan(x) ? 0.0f : x;
}

float draw_input_value_unchecked(Source& from, float s, double z, const QuantParams& p) {
  const double qmin = double(p.quant_min), qmax = double(p.quant_max);
  // Grid origin: 0 for int/none domains; min_val for the float domain.
  double origin = 0.0, kmin = qmin - z, kmax = qmax - z;
  if (p.zero_point_domain == ZeroPointDomain::float_domain) {
    const float mid = float(double(p.quant_max + p.quant_min + 1) / 2.0);
    origin = double(float(float(z) - s * mid));
    kmin = qmin;
    kmax = qmax;
  } else if (p.zero_point_domain == ZeroPointDomain::none) {
    kmin = qmin;
    kmax = qmax;
  }
  // Grid index near the clamp window (i32 ranges are huge: keep k moderate
  // most of the time so the values stay meaningful).
  auto draw_k = [&]() -> double {
    const int64_t lo = int64_t(std::max(kmin, -1e9)) - 2;
    const int64_t hi = int64_t(std::min(kmax, 1e9)) + 2;
    switch (from.weighted({60, 15, 15, 10})) {
      case 0: return double(from.integer(std::max<int64_t>(lo, -300), std::min<int64_t>(hi, 300)));
      case 1: return double(lo + from.integer(0, 3));
      case 2: return double(hi - from.integer(0, 3));
      default: return double(from.integer(lo, hi));
    }
  };
  switch (from.weighted({15, 22, 18, 25, 8, 6, 6})) {
    case 0: return float(origin + draw_k() * s);                      // on the grid
    case 1: return float(origin + (draw_k() + 0.5) * s);              // exact tie target
    case 2: {                                                          // tie neighbours
      float x = float(origin + (draw_k() + 0.5) * s);
      const int64_t steps = from.integer(1, 2);
      for (int64_t i = 0; i < steps; ++i) x = from.boolean() ? next_up(x) : next_down(x);
      return x;
    }
    case 3: {                                                          // inside the window
      const double lo = origin + (std::max(kmin, -1e6) - 3) * s;
      const double hi = origin + (std::min(kmax, 1e6) + 3) * s;
      const double u = double(from.integer(0, 1 << 24)) / double(1 << 24);
      return float(lo + (hi - lo) * u);
    }
    case 4: {                                                          // specials
      static constexpr float kSpecials[] = {0.0f, -0.0f, kInf, -kInf, FLT_MAX, -FLT_MAX,
                                            1e38f, -1e38f, FLT_MIN, -FLT_MIN,
                                            std::numeric_limits<float>::denorm_min(),
                                            -std::numeric_limits<float>::denorm_min()};
      return from.pick(std::span<const float>(kSpecials));
    }
    case 5: {                                                          // huge powers of two
      return std::ldexp(from.boolean() ? 1.0f : -1.0f, int(from.integer(20, 127)));
    }
    default: {                                                         // any finite bits
      const float x = f32_from_bits(from.bits32());
      return std::isfinite(x) ? x : 0.5f;
    }
  }
}

Tensor draw_quantize_input(Source& src, const Shape& shape,
                           const QuantParams& p) {
  Tensor x(DType::f32, shape);
  const BlockLayout layout = BlockLayout::derive(shape, p.scale.shape(), p.block_size);
  auto xs = x.data<float>();
  const auto scale = p.scale.data<float>();
  // Per element: the block's scale and zero point steer ties and windows.
  // draw_elements visits the elements in order, as the odometer walks.
  ScaleOdometer it(layout);
  fill_each(src, x.numel(), [&](auto& from, int64_t flat) {
    const int64_t si = it.scale_index();
    const double z = p.zero_point ? p.zero_point->value_at(si) : 0.0;
    xs[flat] = draw_input_value(from, scale[si], z, p);
    it.next();
  });
  return x;
}

Tensor draw_choose_input(Source& src, const Shape& shape) {
  Tensor x(DType::f32, shape);
  auto xs = x.data<float>();
  // Case-level magnitude and sign pattern, so blocks are all-positive,
  // all-negative, all-zero or mixed.
  src.label(ChoiceLabel::other);
  const int exponent = int(src.integer(-20, 20));
  const int sign_mode = int(src.weighted({50, 20, 20, 10}));  // mixed, >= 0, <= 0, zeros
  fill_each(src, x.numel(), [&](auto& from, int64_t i) {
    from.label(ChoiceLabel::value_any);
    if (sign_mode == 3 || from.chance(8)) {
      xs[i] = from.chance(30) ? -0.0f : 0.0f;
      return;
    }
    float v;
    switch (from.weighted({70, 10, 10, 10})) {
      case 0: v = random_mantissa(from, exponent - int(from.integer(0, 6))); break;
      case 1: v = float(from.integer(-128, 127)) * std::ldexp(1.0f, exponent - 7); break;
      case 2: v = std::numeric_limits<float>::denorm_min() * float(from.integer(1, 100)); break;
      default: v = random_mantissa(from, int(from.integer(60, 120))); break;  // huge
    }
    if (sign_mode == 2 || (sign_mode == 0 && from.boolean())) v = -v;
    xs[i] = v;
  });
  return x;
}

// ---- invalid inputs -------------------------------------------------------

// invalid_shape / non_divisible_block: a scale dim off by one.
void scale_dim_off_by_one(Source& src, QuantParams& p) {
  Shape s = p.scale.shape();
  if (s.rank() == 0) {
    p.scale = Tensor::of<float>(Shape{2}, {1.0f, 1.0f});
  } else {
    const int d = int(src.integer(0, s.rank() - 1));
    s[d] = s[d] + 1;
    p.scale = Tensor(DType::f32, s);
    std::fill(p.scale.data<float>().begin(), p.scale.data<float>().end(), 0.5f);
  }
  if (p.zero_point) p.zero_point = std::nullopt;
}

// An explicit block_size of the wrong length or with a zero.
void bad_block_size(Source& src, AffineCase& c) {
  QuantParams& p = c.params;
  std::vector<int64_t> b = p.block_size.value_or(std::vector<int64_t>(
      size_t(c.input.shape().rank()), 1));
  if (b.empty() || src.boolean()) {
    b.push_back(1);
  } else {
    b[size_t(src.integer(0, int64_t(b.size()) - 1))] = 0;
  }
  p.block_size = b;
}

// invalid_scale: one scale element zero, negative, infinite, NaN or subnormal.
void bad_scale_value(Source& src, QuantParams& p) {
  auto s = p.scale.dtype() == DType::f32 ? p.scale.data<float>() : std::span<float>{};
  if (s.empty()) return;
  s[size_t(src.integer(0, int64_t(s.size()) - 1))] =
      src.pick<float>({0.0f, -0.0f, -1.0f, kInf, kNaN, 1e-40f, -kInf, FLT_MIN / 2});
}

// invalid_zero_point: a value out of range, non-finite, or any zero point
// with domain none.
void bad_zero_point_value(Source& src, QuantParams& p) {
  if (p.zero_point_domain == ZeroPointDomain::int_domain) {
    Tensor z(DType::i32, p.scale.shape());
    auto d = z.data<int32_t>();
    for (auto& v : d) v = int32_t(std::clamp<int64_t>(0, p.quant_min, p.quant_max));
    if (!d.empty()) {
      d[size_t(src.integer(0, int64_t(d.size()) - 1))] =
          p.quant_max < INT32_MAX ? int32_t(p.quant_max + 1) : int32_t(p.quant_min - 1);
    }
    p.zero_point = z;
  } else if (p.zero_point_domain == ZeroPointDomain::float_domain) {
    Tensor z(DType::f32, p.scale.shape());
    // Anywhere, as for the int domain: a check that skips the first or
    // the last element must be seen (a mutant of validate.cc's loop).
    if (z.numel()) z.data<float>()[size_t(src.integer(0, z.numel() - 1))] = src.boolean() ? kNaN : kInf;
    p.zero_point = z;
  } else {
    p.zero_point = Tensor(DType::i32, p.scale.shape());  // zp with domain none
  }
}

void corrupt_params(Source& src, AffineCase& c) {
  QuantParams& p = c.params;
  src.label(ChoiceLabel::validity);
  switch (src.integer(0, 13)) {
    case 0: {  // unsupported: wrong input dtype
      if (c.op == AffineOpKind::dequantize) {
        c.input = Tensor(DType::f32, c.input.shape());
      } else {
        c.input = Tensor(DType::i32, c.input.shape());
      }
      break;
    }
    case 1: p.scale = Tensor(DType::i32, p.scale.shape()); break;  // unsupported scale dtype
    case 2: std::swap(p.quant_min, p.quant_max); p.quant_min += 1; break;  // invalid_range
    case 3: p.quant_max = dtype_max(p.dtype) + src.integer(1, 1000); break;
    case 4: {  // invalid_shape: scale rank mismatch
      Shape s = p.scale.shape();
      if (s.rank() < kMaxRank) s.push_back(2);
      p.scale = Tensor(DType::f32, s);
      std::fill(p.scale.data<float>().begin(), p.scale.data<float>().end(), 1.0f);
      break;
    }
    case 5: scale_dim_off_by_one(src, p); break;
    case 6: bad_block_size(src, c); break;
    case 7:
    case 8: bad_scale_value(src, p); break;
    case 9: bad_zero_point_value(src, p); break;
    case 10: {  // invalid_zero_point: wrong dtype for the domain
      p.zero_point = Tensor(p.zero_point_domain == ZeroPointDomain::float_domain ? DType::i32
                                                                                 : DType::f32,
                            p.scale.shape());
      break;
    }
    case 11: {  // invalid_shape: zero point shape differs
      Shape s = p.scale.shape();
      s.push_back(1);
      if (s.rank() <= kMaxRank) p.zero_point = Tensor(DType::i32, s);
      break;
    }
    case 12: p.dtype = DType::f32; break;  // unsupported quantized dtype
    default: {  // nan_input
      if (c.input.dtype() == DType::f32 && c.input.numel() > 0) {
        c.input.data<float>()[size_t(src.integer(0, c.input.numel() - 1))] = kNaN;
      } else {
        p.quant_min = p.quant_max + 1;  // something else invalid instead
      }
      break;
    }
  }
}

void corrupt_choose(Source& src, AffineCase& c) {
  ChooseQParamsArgs& a = c.choose;
  src.label(ChoiceLabel::validity);
  switch (src.integer(0, 9)) {
    case 0: c.input = Tensor(DType::i32, c.input.shape()); break;
    case 1: a.dtype = DType::f32; break;
    case 2: a.zero_point_domain = ZeroPointDomain::float_domain;
            a.mapping = Mapping::symmetric; break;
    case 3: a.quant_max = a.quant_min; break;  // empty range
    case 4: a.quant_min = dtype_min(a.dtype) - 1; break;
    case 5: {
      std::vector<int64_t> b = a.block_size.value_or(std::vector<int64_t>{});
      b.push_back(1);
      a.block_size = b;
      break;
    }
    case 6: {  // non-divisible or zero block
      std::vector<int64_t> b(c.input.shape().begin(), c.input.shape().end());
      if (b.empty()) { a.block_size = std::vector<int64_t>{1}; break; }
      const size_t d = size_t(src.integer(0, int64_t(b.size()) - 1));
      b[d] = src.boolean() ? 0 : b[d] + 1;
      a.block_size = b;
      break;
    }
    case 7: a.eps = src.pick<float>({0.0f, -1.0f, kInf, kNaN}); break;
    default:
      if (c.input.numel() > 0 && c.input.dtype() == DType::f32) {
        c.input.data<float>()[size_t(src.integer(0, c.input.numel() - 1))] =
            src.pick<float>({kNaN, kInf, -kInf});
      } else {
        a.eps = -1.0f;
      }
  }
}

// A quant type of any_quant_types(), within the domain's range and span.
// strict_range: at least two values (choose_qparams divides by the span).
QuantType draw_affine_quant_type(Source& src, const AffineDomain& domain, bool strict_range) {
  QuantType qt = draw_quant_type(src, any_quant_types());
  if (domain.range_limit > 0) {
    qt.quant_min = std::max(qt.quant_min, -domain.range_limit);
    qt.quant_max = std::min(qt.quant_max, domain.range_limit);
    if (qt.quant_min > qt.quant_max) qt.quant_min = qt.quant_max;
  }
  if (strict_range && qt.quant_min == qt.quant_max) {
    if (qt.quant_max < dtype_max(qt.storage)) ++qt.quant_max; else --qt.quant_min;
  }
  if (domain.max_span > 0 && qt.quant_max - qt.quant_min >= domain.max_span) {
    qt.quant_max = qt.quant_min + domain.max_span - 1;
  }
  return qt;
}

// Weights in ZeroPointDomain's order (int, float, none); the float domain
// only where it is defined and the domain allows it.
ZeroPointDomain draw_zero_point_domain(Source& src, const AffineDomain& domain, bool float_defined) {
  return ZeroPointDomain(src.weighted({70, float_defined && domain.float_zero_points ? 15 : 0,
                                       domain.none_zero_points ? 15 : 0}));
}

}  // namespace

// ---- public draws ----------------------------------------------------------

DrawnLayout draw_layout(Source& src, const GenLimits& limits, LayoutIntent intent) {
  src.label(ChoiceLabel::layout);
  if (intent == LayoutIntent::any) {
    intent = LayoutIntent(src.weighted({20, 25, 20, 20, 15}));
  }
  const int min_rank = intent == LayoutIntent::per_tensor ? 0
                       : intent == LayoutIntent::per_group ? 2 : 1;
  const int rank = draw_rank(src, std::min(min_rank, limits.max_rank), limits.max_rank);
  std::vector<DimDraw> dims;
  bool explicit_mode = false;
  switch (intent) {
    case LayoutIntent::per_tensor:
      for (int d = 0; d < rank; ++d) dims.push_back(draw_dim(src, DimMode::whole));
      break;
    case LayoutIntent::per_channel: {
      src.label(ChoiceLabel::layout);
      const int axis = rank == 0 ? 0 : int(src.integer(0, rank - 1));
      for (int d = 0; d < rank; ++d) {
        dims.push_back(draw_dim(src, d == axis ? DimMode::element : DimMode::whole));
      }
      break;
    }
    case LayoutIntent::per_group: {
      if (rank < 2) {  // too few dims for two varying axes: per-channel instead
        src.label(ChoiceLabel::layout);
        const int axis = rank == 0 ? 0 : int(src.integer(0, rank - 1));
        for (int d = 0; d < rank; ++d) {
          dims.push_back(draw_dim(src, d == axis ? DimMode::element : DimMode::whole));
        }
        break;
      }
      // Usually [.., K, In] with groups along the last dim; sometimes any
      // two dims in either order.
      int channel = rank - 2, group = rank - 1;
      src.label(ChoiceLabel::layout);
      if (src.chance(25)) {
        channel = int(src.integer(0, rank - 1));
        group = int(src.integer(0, rank - 2));
        if (group >= channel) ++group;
      }
      for (int d = 0; d < rank; ++d) {
        dims.push_back(draw_dim(src, d == channel ? DimMode::element
                                     : d == group ? DimMode::blocked
                                                  : DimMode::whole));
      }
      break;
    }
    case LayoutIntent::blockwise:
      for (int d = 0; d < rank; ++d) {
        src.label(ChoiceLabel::layout);
        dims.push_back(draw_dim(src, DimMode(src.weighted({35, 25, 40}))));
      }
      break;
    case LayoutIntent::explicit_blocks:
    case LayoutIntent::any:
      explicit_mode = true;
      for (int d = 0; d < rank; ++d) dims.push_back(draw_dim(src, DimMode::partial));
      break;
  }
  fit_budget(dims, limits.max_elements);
  DrawnLayout l = assemble(dims, explicit_mode);
  if (intent == LayoutIntent::per_tensor && !explicit_mode) {
    // A per-tensor scale may have any rank: [], [1], [1, 1, ...].
    src.label(ChoiceLabel::layout);
    switch (src.weighted({40, 30, 30})) {
      case 0: l.scale = Shape{}; break;
      case 1: l.scale = Shape{1}; break;
      default: break;  // all ones at the input's rank
    }
  }
  return l;
}

DrawnLayout draw_divisible_layout(Source& src, const GenLimits& limits) {
  const int rank = draw_rank(src, 0, limits.max_rank);
  std::vector<DimDraw> dims;
  for (int d = 0; d < rank; ++d) { src.label(ChoiceLabel::layout); dims.push_back(draw_dim(src, DimMode(src.weighted({40, 20, 40})))); }
  fit_budget(dims, limits.max_elements);
  DrawnLayout l = assemble(dims, /*explicit_mode=*/true);
  return l;
}

AffineCase draw_valid_affine_case(Source& src, AffineOpKind op, const GenLimits& limits,
                                  LayoutIntent intent, const AffineDomain& domain) {
  AffineCase c;
  c.op = op;
  if (op == AffineOpKind::choose_qparams) {
    const DrawnLayout l = draw_divisible_layout(src, limits);
    ChooseQParamsArgs& a = c.choose;
    src.label(ChoiceLabel::layout);
    a.mapping = src.pick(std::span<const Mapping>(kAllMappings));
    const QuantType qt = draw_affine_quant_type(src, domain, /*strict_range=*/true);
    a.dtype = qt.storage;
    a.quant_min = qt.quant_min;
    a.quant_max = qt.quant_max;
    src.label(ChoiceLabel::layout);
    a.zero_point_domain = draw_zero_point_domain(src, domain, a.mapping == Mapping::asymmetric);
    src.label(ChoiceLabel::other);
    switch (src.weighted({70, 10, 10, 10})) {
      case 0: a.eps = FLT_MIN; break;
      case 1: a.eps = std::numeric_limits<float>::denorm_min(); break;
      case 2: a.eps = src.pick<float>({1e-5f, 1e-3f, 0.1f}); break;
      default: a.eps = std::ldexp(1.0f, int(src.integer(-149, 10)));
    }
    src.label(ChoiceLabel::layout);
    if (src.chance(85)) a.block_size = l.block_size;  // else: one block for the tensor
    c.input = draw_choose_input(src, l.input);
    return c;
  }
  src.label(ChoiceLabel::contract);
  c.contract = src.pick(std::span<const Contract>(kAllContracts));
  const DrawnLayout l = draw_layout(src, limits, intent);
  const QuantType qt = draw_affine_quant_type(src, domain, /*strict_range=*/false);
  src.label(ChoiceLabel::layout);
  const ZeroPointDomain zero_point_domain = draw_zero_point_domain(src, domain, true);
  QuantParams& p = c.params;
  p = params_of(qt, zero_point_domain,
                draw_scale_tensor(src, l.scale,
                                  {ScaleValues::any(domain.max_scale_exponent), domain.equal_blocks ? 100 : 15, false}),
                l.block_size);
  p.zero_point = draw_zero_point(src, p.zero_point_domain, qt, l.scale, domain.equal_blocks);
  if (op == AffineOpKind::dequantize) {
    // Outside [qmin, qmax] (accepted as stored) unless the law excludes it:
    // then the range ends take that share.
    const QValueWeights weights = domain.stored_outside_range ? QValueWeights{55, 25, 15, 5}
                                                              : QValueWeights{55, 45, 0, 0};
    c.input = draw_qvalues(src, p, l.input, weights);
  } else {
    c.input = draw_quantize_input(src, l.input, p);
  }
  return c;
}

AffineCase draw_affine_case(Source& src, AffineOpKind op, const GenLimits& limits) {
  src.label(ChoiceLabel::validity);
  const bool invalid = src.integer(0, 99) >= 100 - limits.invalid_percent;
  AffineCase c = draw_valid_affine_case(src, op, limits);
  if (!invalid) return c;
  src.label(ChoiceLabel::validity);
  const int defects = src.chance(20) ? 2 : 1;
  for (int i = 0; i < defects; ++i) {
    if (op == AffineOpKind::choose_qparams) {
      corrupt_choose(src, c);
    } else {
      corrupt_params(src, c);
    }
  }
  return c;
}

}  // namespace qdiff::props
