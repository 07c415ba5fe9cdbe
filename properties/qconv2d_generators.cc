// qconv2d cases (properties/fused_generators.h says what they aim at).
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

  const QuantType xt = draw_quant_type(src, operand_quant_types(false));
  src.label(ChoiceLabel::layout);
  a.x_params = draw_operand_params(src, xt, src.chance(85) ? ZeroPointDomain::int_domain : ZeroPointDomain::none,
                           Shape{}, std::nullopt, kOperandScales);
  a.x = draw_qvalues(src, a.x_params, Shape{n, c, h, w}, kOperandQValues);
  const QuantType wt = draw_quant_type(src, operand_quant_types(true));
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
  a.w_params = draw_operand_params(src, wt, ZeroPointDomain(src.weighted({75, 15, 10})), w_scale, w_blocks, kOperandScales);
  a.w = draw_qvalues(src, a.w_params, Shape{o, cg, kh, kw}, kOperandQValues);
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

// --- invalid inputs ---------------------------------------------------------

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

}  // namespace

QConv2dCase draw_qconv2d_case(Source& src, const FusedLimits& limits) {
  return maybe_invalid<QConv2dCase>(src, limits, [&] { return draw_qconv2d(src, limits); },
                                    [](Source& s, QConv2dArgs& a) { corrupt(s, a); });
}

}  // namespace qdiff::props
