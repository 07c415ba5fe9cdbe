// qlinear cases (properties/fused_generators.h says what they aim at).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "core/block_layout.h"
#include "core/float_bits.h"
#include "properties/fused_draws.h"

namespace qdiff::props {
namespace {

using namespace fused_draw;

// --- qlinear -------------------------------------------------------------

// Shapes: batch dims (rank 1..4 overall for x), K, In, within the budgets.
struct LinearDims {
  Shape x_shape;  // ends in In
  int64_t in = 0, k = 0;
};
LinearDims draw_linear_dims(Source& src, const FusedLimits& limits) {
  // Batch dims 0..4 (x rank 1..5): "batch ranks 1..4" either way.
  src.label(ChoiceLabel::rank);
  const int batch_rank = int(src.weighted({5, 40, 25, 15, 15}));
  int64_t in = draw_reduction_size(src);
  int64_t k = draw_output_channels(src);
  Shape x_shape;
  for (int i = 0; i < batch_rank; ++i) x_shape.push_back(draw_small_dim(src, kFusedDims));
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
  return {x_shape, in, k};
}

// w params: every layout the SPEC names, and then some.
QuantParams draw_qlinear_weight_params(Source& src, int64_t k, int64_t in) {
  const QuantType wt = draw_quant_type(src, operand_quant_types(true));
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
  return draw_operand_params(src, wt, wd, w_scale, w_blocks, kOperandScales);
}

// The largest ideal |y| without the bias, to size the bias, activation
// and output scale.
double ideal_linear_magnitude(const QLinearArgs& a, int64_t k, int64_t in) {
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
  return ymax;
}

QLinearCase draw_qlinear(Source& src, const FusedLimits& limits) {
  QLinearArgs a;
  const LinearDims dims = draw_linear_dims(src, limits);
  const int64_t in = dims.in, k = dims.k;
  const Shape& x_shape = dims.x_shape;

  // x params: per-tensor or per-row ([..., 1]).
  const QuantType xt = draw_quant_type(src, operand_quant_types(false));
  Shape x_scale;
  src.label(ChoiceLabel::layout);
  if (src.chance(35)) {
    x_scale = x_shape;
    x_scale[x_scale.rank() - 1] = 1;
  }
  src.label(ChoiceLabel::layout);
  a.x_params = draw_operand_params(src, xt, src.chance(85) ? ZeroPointDomain::int_domain : ZeroPointDomain::none,
                           x_scale, std::nullopt, kOperandScales);
  a.x = draw_qvalues(src, a.x_params, x_shape, kOperandQValues);

  a.w_params = draw_qlinear_weight_params(src, k, in);
  a.w = draw_qvalues(src, a.w_params, Shape{k, in}, kOperandQValues);
  const double ymax = ideal_linear_magnitude(a, k, in);
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

// --- invalid inputs ---------------------------------------------------------

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

}  // namespace

QLinearCase draw_valid_qlinear_case(Source& src, const FusedLimits& limits) { return draw_qlinear(src, limits); }

QLinearCase draw_qlinear_case(Source& src, const FusedLimits& limits) {
  return maybe_invalid<QLinearCase>(src, limits, [&] { return draw_qlinear(src, limits); },
                                    [](Source& s, QLinearArgs& a) { corrupt(s, a); });
}

}  // namespace qdiff::props
