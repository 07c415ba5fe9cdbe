#include "reference/choose_qparams.h"

#include <cmath>
#include <limits>
#include <vector>

#include "core/block_layout.h"
#include "reference/nd_index.h"
#include "reference/validate.h"

namespace qdiff::reference {

ChosenQParams choose_qparams_affine(const Tensor& input, const ChooseQParamsArgs& a) {
  const BlockLayout layout = validate_choose_qparams(input, a);
  const int64_t blocks = layout.scale_numel();
  constexpr float kInf = std::numeric_limits<float>::infinity();
  std::vector<float> mn(size_t(blocks), kInf), mx(size_t(blocks), -kInf);
  const auto x = input.data<float>();
  for_each_index(input.shape(), [&](std::span<const int64_t> index, int64_t flat) {
    const int64_t b = layout.scale_index(index);
    if (x[flat] < mn[b]) mn[b] = x[flat];
    if (x[flat] > mx[b]) mx[b] = x[flat];
  });

  const Shape& out_shape = layout.scale_shape();
  ChosenQParams out{Tensor(DType::f32, out_shape), std::nullopt};
  auto scale = out.scale.data<float>();
  const int64_t qmin = a.quant_min, qmax = a.quant_max;
  const float range = float(qmax - qmin);  // int64 -> f32, rounded once
  const float mid = float(double(qmax + qmin + 1) / 2.0);

  if (a.zero_point_domain == ZeroPointDomain::float_domain) {
    out.zero_point = Tensor(DType::f32, out_shape);
    auto zp = out.zero_point->data<float>();
    for (int64_t b = 0; b < blocks; ++b) {
      const float s = std::max((mx[b] - mn[b]) / range, a.eps);
      scale[b] = s;
      zp[b] = mn[b] + s * mid;
    }
    return out;
  }

  std::vector<int32_t> zero_points(static_cast<size_t>(blocks));
  const int32_t symmetric_zp = int32_t((qmax + qmin + 1) / 2);  // truncates toward 0
  for (int64_t b = 0; b < blocks; ++b) {
    const float min_neg = mn[b] < 0.0f ? mn[b] : 0.0f;
    const float max_pos = mx[b] > 0.0f ? mx[b] : 0.0f;
    switch (a.mapping) {
      case Mapping::symmetric: {
        const float amax = std::max(-min_neg, max_pos);
        const float half_range = float(double(qmax - qmin) / 2.0);
        scale[b] = std::max(amax / half_range, a.eps);
        zero_points[b] = symmetric_zp;
        break;
      }
      case Mapping::symmetric_no_clipping_err: {
        float s = -kInf;
        if (qmin != 0) s = std::max(s, min_neg / float(qmin));
        if (qmax != 0) s = std::max(s, max_pos / float(qmax));
        scale[b] = std::max(s, a.eps);
        zero_points[b] = symmetric_zp;
        break;
      }
      case Mapping::asymmetric: {
        const float s = std::max((max_pos - min_neg) / range, a.eps);
        scale[b] = s;
        const double zp = double(qmin) - double(std::nearbyint(min_neg / s));
        zero_points[b] = int32_t(zp < double(qmin) ? qmin : zp > double(qmax) ? qmax : zp);
        break;
      }
    }
  }
  if (a.zero_point_domain == ZeroPointDomain::int_domain) {
    out.zero_point = Tensor::of<int32_t>(out_shape, zero_points);
  }
  return out;
}

}  // namespace qdiff::reference
