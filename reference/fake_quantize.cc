#include "reference/fake_quantize.h"

#include "core/block_layout.h"
#include "reference/dequantize.h"
#include "reference/nd_index.h"
#include "reference/quantize.h"
#include "reference/validate.h"

namespace qdiff::reference {

Tensor fake_quantize_affine(const Tensor& input, const QuantParams& p, Contract contract) {
  const BlockLayout layout = validate_affine(AffineOp::fake_quantize, input, p);
  Tensor out(DType::f32, input.shape());
  const auto x = input.data<float>();
  const auto scale = p.scale.data<float>();
  auto y = out.data<float>();
  for_each_index(input.shape(), [&](std::span<const int64_t> index, int64_t flat) {
    const int64_t si = layout.scale_index(index);
    const double z = p.zero_point ? p.zero_point->value_at(si) : 0.0;
    const int64_t q = quantize_element(x[flat], scale[si], z, p, contract).q;
    y[flat] = dequantize_element(double(q), scale[si], z, p);
  });
  return out;
}

}  // namespace qdiff::reference
