#include "reference/bias_grid.h"

#include "core/error.h"
#include "core/float_bits.h"
#include "reference/fused_validate.h"
#include "reference/quantize.h"

namespace qdiff::reference {
namespace {

bool applies(const QLinearContract& c, const std::optional<Tensor>& bias) {
  return c.bias == BiasGrid::int32_acc && bias.has_value();
}

// s_w of output channel k: per-tensor, or the [K, 1, ...] per-channel scale.
float weight_scale(const QuantParams& wp, int64_t k) {
  return wp.scale.f32_at(wp.scale.numel() == 1 ? 0 : k);
}

float accumulator_scale(const QuantParams& xp, const QuantParams& wp, int64_t k) {
  return float(double(xp.scale.f32_at(0)) * double(weight_scale(wp, k)));
}

}  // namespace

void check_bias_grid_layouts(const QLinearContract& c, const std::optional<Tensor>& bias,
                             const BlockLayout& x, const QuantParams& xp, const BlockLayout& w,
                             const QuantParams& wp) {
  if (!applies(c, bias)) return;
  if (!x.is_per_tensor() || xp.zero_point_domain == ZeroPointDomain::float_domain) {
    fail(ErrorKind::unsupported, "x params have layout {} (domain {}); bias int32_acc needs "
         "per-tensor x params in the int or none domain", x.describe(),
         domain_name(xp.zero_point_domain));
  }
  if (!is_per_channel_layout_on(w, 0) || wp.zero_point_domain == ZeroPointDomain::float_domain) {
    fail(ErrorKind::unsupported, "w params have layout {} (domain {}); bias int32_acc needs "
         "one w scale per output channel (per-tensor or per-channel on dim 0) in the int or "
         "none domain", w.describe(), domain_name(wp.zero_point_domain));
  }
}

void check_bias_grid_scales(const QLinearContract& c, const std::optional<Tensor>& bias,
                            const QuantParams& xp, const QuantParams& wp) {
  if (!applies(c, bias)) return;
  for (int64_t k = 0; k < wp.scale.numel(); ++k) {
    const float s = accumulator_scale(xp, wp, k);
    if (!is_valid_scale_value(s)) {
      fail(ErrorKind::invalid_scale, "bias grid scale f32(x scale {:.9g} * w scale element {} "
           "{:.9g}) = {:.9g} is not a normal f32; bias int32_acc quantizes the bias with it",
           xp.scale.f32_at(0), k, weight_scale(wp, k), s);
    }
  }
}

std::vector<double> bias_terms(const QLinearContract& c, const Tensor& bias, const QuantParams& xp,
                               const QuantParams& wp) {
  std::vector<double> terms(size_t(bias.numel()));
  QuantParams grid;  // int32 storage, no zero point: the accumulator's grid
  grid.dtype = DType::i32;
  grid.quant_min = -2147483648LL;
  grid.quant_max = 2147483647LL;
  grid.zero_point_domain = ZeroPointDomain::none;
  for (int64_t k = 0; k < bias.numel(); ++k) {
    const float b = bias.f32_at(k);
    if (c.bias == BiasGrid::float_bias) {
      terms[size_t(k)] = b;
      continue;
    }
    const int64_t bq =
        quantize_element(b, accumulator_scale(xp, wp, k), 0.0, grid, Contract::torchao).q;
    terms[size_t(k)] = double(bq) * (double(xp.scale.f32_at(0)) * double(weight_scale(wp, k)));
  }
  return terms;
}

}  // namespace qdiff::reference
