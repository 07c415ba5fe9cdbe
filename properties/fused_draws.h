// What the fused operators' generators share (properties/fused_generators.cc)
// on top of the domains (properties/domains.h): sizes, output params,
// activations and the params corruption. Each op's draws are in
// properties/<op>_generators.cc (qlinear, qconv2d, elementwise).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "core/block_layout.h"
#include "core/fused_ops.h"
#include "core/quant_params.h"
#include "core/tensor.h"
#include "properties/domains.h"
#include "properties/fused_generators.h"
#include "properties/source.h"

namespace qdiff::props::fused_draw {

inline constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
// Batch, spatial and channel dims of the fused operators.
inline constexpr SmallDims kFusedDims{30, 30, 25, 15, /*max=*/40};

// Reduction and output sizes: 1, small, around the vector widths and the
// register tiles (+-1), odd ones.
int64_t draw_reduction_size(Source& src);
int64_t draw_output_channels(Source& src);
std::vector<int64_t> divisors(int64_t n);
int64_t draw_divisor(Source& src, int64_t n);
std::vector<double> dequantized_values(const Tensor& q, const QuantParams& p, const BlockLayout& l);
double max_magnitude(const std::vector<double>& values);
QuantParams draw_output_params(Source& src, const Shape& shape, int axis, double ymax);
Activation draw_activation(Source& src, double ymax);

// qlinear's and qconv2d's accumulation contract (drawn last); int32_acc
// only where it is defined.
QLinearContract draw_qlinear_contract(Source& src, bool int32_bias_defined);
// One scale (no float zero point) per output channel: what int32_acc needs.
bool one_scale_per_channel(const QuantParams& p, int64_t channels);

// One of the params' validation errors (invalid inputs).
void corrupt_params(Source& src, QuantParams& p);

// About limits.invalid_percent of the cases invalid: the draw decides
// first, then draws the valid case, then corrupts it.
template <typename C, typename Draw, typename Corrupt>
C maybe_invalid(Source& src, const FusedLimits& limits, Draw&& draw, Corrupt&& corrupt) {
  src.label(ChoiceLabel::validity);
  const bool invalid = src.integer(0, 99) >= 100 - limits.invalid_percent;
  C c = draw();
  if (invalid) corrupt(src, c.args);
  return c;
}

}  // namespace qdiff::props::fused_draw
