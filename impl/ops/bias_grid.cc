#include "impl/ops/bias_grid.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace qdiff::impl {
namespace {

bool int32_bias(const QLinearContract& c, const std::optional<Tensor>& bias) {
  return c.bias == BiasGrid::int32_acc && bias.has_value();
}

float channel_scale(const QuantParams& wp, int64_t k) {
  const auto s = wp.scale.data<float>();
  return s.size() == 1 ? s[0] : s[size_t(k)];
}

// rne(v) clamped to int32, saturating +-inf without a float-to-int cast
// out of range.
float round_to_int32(float v) {
  if (v >= 2147483648.0f) return 2147483647.0f;  // f32(2^31 - 1) would round up to 2^31
  if (v <= -2147483648.0f) return -2147483648.0f;
  return std::nearbyint(v);
}

}  // namespace

void check_bias_grid_layouts(const QLinearContract& c, const std::optional<Tensor>& bias,
                             const OperandLayout& x, const QuantParams& xp,
                             const OperandLayout& w, const QuantParams& wp) {
  if (!int32_bias(c, bias)) return;
  if (!x.per_tensor || xp.zero_point_domain == ZeroPointDomain::float_domain) {
    fail(ErrorKind::unsupported, "x params are not per-tensor in the int or none domain; "
         "bias int32_acc needs one x scale");
  }
  if (!is_per_channel_on(w, 0) || wp.zero_point_domain == ZeroPointDomain::float_domain) {
    fail(ErrorKind::unsupported, "w params are not per-tensor or per-channel on dim 0 in the "
         "int or none domain; bias int32_acc needs one w scale per output channel");
  }
}

void check_bias_grid_scales(const QLinearContract& c, const std::optional<Tensor>& bias,
                            const QuantParams& xp, const QuantParams& wp) {
  if (!int32_bias(c, bias)) return;
  const float sx = xp.scale.data<float>()[0];
  const auto sw = wp.scale.data<float>();
  for (size_t k = 0; k < sw.size(); ++k) {
    const float s = sx * sw[k];
    if (!(std::isfinite(s) && s >= std::numeric_limits<float>::min())) {
      fail(ErrorKind::invalid_scale, "bias grid scale x scale * w scale element {} = {:.9g} is "
           "not a normal f32 (bias int32_acc)", k, s);
    }
  }
}

std::vector<float> output_stage_bias(const QLinearContract& c, const std::optional<Tensor>& bias,
                                     const QuantParams& xp, const QuantParams& wp) {
  if (!bias) return {};
  const auto b = bias->data<float>();
  if (c.bias == BiasGrid::float_bias) return {b.begin(), b.end()};
  std::vector<float> out(b.size());
  const float sx = xp.scale.data<float>()[0];
  for (size_t k = 0; k < b.size(); ++k) {
    const float s_acc = sx * channel_scale(wp, int64_t(k));
    const float inv = 1.0f / s_acc;
    const float bq = round_to_int32(b[k] * inv);
    out[k] = bq * s_acc;
  }
  return out;
}

}  // namespace qdiff::impl
