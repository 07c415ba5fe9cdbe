#include "reference/dequantize.h"

#include "core/block_layout.h"
#include "reference/nd_index.h"
#include "reference/validate.h"

namespace qdiff::reference {

float dequantize_element(double q, float s, double z, const QuantParams& p) {
  const float fq = float(q);  // rounds to nearest even for |q| > 2^24
  switch (p.zero_point_domain) {
    case ZeroPointDomain::int_domain: {
      const float centered = fq - float(z);
      return centered * s;
    }
    case ZeroPointDomain::none:
      return fq * s;
    case ZeroPointDomain::float_domain: {
      const float mid = float(double(p.quant_max + p.quant_min + 1) / 2.0);
      const float centered = fq - mid;
      const float scaled = centered * s;
      return scaled + float(z);
    }
  }
  return 0.0f;
}

Tensor dequantize_affine(const Tensor& input, const QuantParams& p, Contract) {
  const BlockLayout layout = validate_affine(AffineOp::dequantize, input, p);
  Tensor out(DType::f32, input.shape());
  auto y = out.data<float>();
  const auto scale = p.scale.data<float>();
  for_each_index(input.shape(), [&](std::span<const int64_t> index, int64_t flat) {
    const int64_t si = layout.scale_index(index);
    const double z = p.zero_point ? p.zero_point->value_at(si) : 0.0;
    y[flat] = dequantize_element(double(input.int_at(flat)), scale[si], z, p);
  });
  return out;
}

}  // namespace qdiff::reference
