// qadd / qmul cases (properties/fused_generators.h says what they aim at).
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

// --- qadd / qmul -----------------------------------------------------------

QuantParams draw_elementwise_params(Source& src, const Shape& shape) {
  const QuantType qt = draw_quant_type(src, operand_quant_types(false));
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
  return draw_operand_params(src, qt, d, scale, std::nullopt, kOperandScales);
}

QElementwiseCase draw_elementwise(Source& src, ElementwiseOp op, const FusedLimits& limits) {
  QElementwiseArgs a;
  a.op = op;
  src.label(ChoiceLabel::rank);
  const int rank = int(src.weighted({8, 22, 35, 20, 15}));
  Shape out;
  for (int i = 0; i < rank; ++i) { src.label(ChoiceLabel::layout); out.push_back(src.chance(4) ? 0 : draw_small_dim(src, kFusedDims)); }
  for (int i = 0; i < out.rank(); ++i) {
    while (out.numel() > limits.max_elements && out[i] > 1) out[i] = (out[i] + 1) / 2;
  }
  const Shape as = draw_broadcast_operand(src, out);
  const Shape bs = draw_broadcast_operand(src, out);
  a.a_params = draw_elementwise_params(src, as);
  a.a = draw_qvalues(src, a.a_params, as, kOperandQValues);
  a.b_params = draw_elementwise_params(src, bs);
  a.b = draw_qvalues(src, a.b_params, bs, kOperandQValues);
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
    a.out_params = draw_elementwise_params(src, result);  // int or none domain, as outputs need
  }
  return {std::move(a)};
}

// --- invalid inputs ---------------------------------------------------------

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

}  // namespace

QElementwiseCase draw_valid_qelementwise_case(Source& src, ElementwiseOp op, const FusedLimits& limits) {
  return draw_elementwise(src, op, limits);
}

QElementwiseCase draw_qelementwise_case(Source& src, ElementwiseOp op, const FusedLimits& limits) {
  return maybe_invalid<QElementwiseCase>(src, limits, [&] { return draw_elementwise(src, op, limits); },
                                         [](Source& s, QElementwiseArgs& a) { corrupt(s, a); });
}

}  // namespace qdiff::props
