#include "oracle/fused_bound.h"

#include <algorithm>
#include <cmath>

#include "core/block_layout.h"

namespace qdiff {
namespace {

// max |q - z| over a quantized operand (z = 0 without a zero point; for
// the float domain, max |q - mid| + |z| / s is not needed: callers only
// use this for int/none-domain operands and the D bound).
double max_centered(const Tensor& q, const QuantParams& p) {
  double m = 0;
  const BlockLayout l = BlockLayout::derive(q.shape(), p.scale.shape(), p.block_size);
  std::vector<int64_t> index(size_t(q.shape().rank()));
  for (int64_t flat = 0; flat < q.numel(); ++flat) {
    int64_t rest = flat;
    for (int d = q.shape().rank() - 1; d >= 0; --d) {
      index[size_t(d)] = rest % q.shape()[d];
      rest /= q.shape()[d];
    }
    const int64_t si = l.scale_index(index);
    const double z = p.zero_point && p.zero_point_domain == ZeroPointDomain::int_domain
                         ? p.zero_point->value_at(si) : 0.0;
    double c = std::fabs(q.value_at(flat) - z);
    if (p.zero_point_domain == ZeroPointDomain::float_domain) {
      const double mid = double(float(double(p.quant_max + p.quant_min + 1) / 2.0));
      c = std::fabs(q.value_at(flat) - mid) +
          (p.zero_point ? std::fabs(p.zero_point->value_at(si)) / p.scale.f32_at(si) : 0.0);
    }
    m = std::max(m, c);
  }
  return m;
}

double max_scale(const QuantParams& p) {
  double m = 0;
  for (float s : p.scale.data<float>()) m = std::max(m, double(s));
  return m;
}

// Number of weight-scale blocks along the reduction dims (all but dim 0).
int64_t reduction_blocks(const Tensor& w, const QuantParams& p) {
  const BlockLayout l = BlockLayout::derive(w.shape(), p.scale.shape(), p.block_size);
  int64_t g = 1;
  for (int d = 1; d < w.shape().rank(); ++d) g *= l.scale_shape()[d];
  return g;
}

}  // namespace

FusedBoundTerms dot_product_terms(const Tensor& x, const QuantParams& xp, const Tensor& w,
                                  const QuantParams& wp, int64_t reduction_length) {
  const double in = double(reduction_length);
  const double g = double(reduction_blocks(w, wp));
  const bool float_weights = wp.zero_point_domain == ZeroPointDomain::float_domain;
  FusedBoundTerms t;
  t.relative = ((float_weights ? in : g) + 6.0) * kBoundSecondOrder * kBoundU;
  const double cx = max_centered(x, xp), cw = max_centered(w, wp);
  const double dx = cx * max_scale(xp), dw = cw * max_scale(wp);
  t.absolute = (in * (dx + dw) + in * cx * cw + g + 1.0) * kBoundTiny;
  t.max_scale_product = max_scale(xp) * max_scale(wp);
  return t;
}

}  // namespace qdiff
