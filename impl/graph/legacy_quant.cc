// The legacy per-channel quantize / dequantize (impl/graph/legacy_quant.h).
#include "impl/graph/legacy_quant.h"

#include "core/argument_checks.h"
#include "core/error.h"
#include "impl/quantize/affine.h"

namespace qdiff::impl {
namespace {

// The params with the scale (and zero point) viewed at full rank.
QuantParams full_rank(const QuantParams& p, int rank, int a) {
  Shape s = Shape::ones(rank);
  s[a] = p.scale.numel();
  QuantParams f = p;
  f.scale = p.scale.reshaped(s);
  if (p.zero_point) f.zero_point = p.zero_point->reshaped(s);
  return f;
}

}  // namespace

Tensor legacy_quantize(const Tensor& x, const QuantParams& p, int64_t axis, Contract contract,
                       const ImplOptions& options) {
  check_affine_arguments("quantize", /*dequantize=*/false, x.dtype(), x.shape(), p);
  const int a = check_legacy_shapes(x.shape(), p, axis);
  if (p.scale.numel() == 0) {
    check_zero_point_kind(p);  // steps 5-6 for C = 0: no values to check
    return Tensor(p.dtype, x.shape());
  }
  return quantize_affine(x, full_rank(p, x.shape().rank(), a), contract, options);
}

Tensor legacy_dequantize(const Tensor& q, const QuantParams& p, int64_t axis, const ImplOptions& options) {
  check_affine_arguments("dequantize", /*dequantize=*/true, q.dtype(), q.shape(), p);
  const int a = check_legacy_shapes(q.shape(), p, axis);
  if (p.scale.numel() == 0) {
    check_zero_point_kind(p);  // steps 5-6 for C = 0: no values to check
    return Tensor(DType::f32, q.shape());
  }
  return dequantize_affine(q, full_rank(p, q.shape().rank(), a), Contract::torchao, options);
}

}  // namespace qdiff::impl
