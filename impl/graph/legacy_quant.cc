// The legacy per-channel quantize / dequantize (impl/graph/legacy_quant.h).
#include "impl/graph/legacy_quant.h"

#include "core/error.h"
#include "core/limits.h"
#include "impl/quantize/affine.h"

namespace qdiff::impl {
namespace {

enum class LegacyOp { quantize, dequantize };

// Steps 1-4; returns a' (the normalized axis).
int validate_legacy(LegacyOp op, const Tensor& data, const QuantParams& p, int64_t axis) {
  const bool quantize = op == LegacyOp::quantize;
  // 1 unsupported
  if (!is_integer(p.dtype)) {
    fail(ErrorKind::unsupported, "quantized dtype must be an integer type, got {}", dtype_name(p.dtype));
  }
  const DType want = quantize ? DType::f32 : p.dtype;
  if (data.dtype() != want) {
    fail(ErrorKind::unsupported, "input has dtype {}, {} needs {}", dtype_name(data.dtype()),
         quantize ? "quantize" : "dequantize", dtype_name(want));
  }
  if (p.scale.dtype() != DType::f32) {
    fail(ErrorKind::unsupported, "scale has dtype {}, must be f32", dtype_name(p.scale.dtype()));
  }
  // 2 too_large
  check_element_cap(data.shape(), "input");
  check_element_cap(p.scale.shape(), "scale");
  if (p.zero_point) check_element_cap(p.zero_point->shape(), "zero_point");
  // 3 invalid_range
  if (p.quant_min < dtype_min(p.dtype) || p.quant_max > dtype_max(p.dtype) || p.quant_min > p.quant_max) {
    fail(ErrorKind::invalid_range, "quant range [{}, {}] is not an interval within {} [{}, {}]", p.quant_min,
         p.quant_max, dtype_name(p.dtype), dtype_min(p.dtype), dtype_max(p.dtype));
  }
  // 4 legacy shapes
  if (p.block_size) {
    fail(ErrorKind::invalid_shape, "block_size is given, but the legacy per-channel form (axis {}) takes none",
         axis);
  }
  const int64_t rank = data.shape().rank();
  if (axis < -rank || axis >= rank) {
    fail(ErrorKind::invalid_shape, "legacy axis {} is outside [{}, {}) for data of shape {}", axis, -rank, rank,
         data.shape().str());
  }
  const int a = int(axis < 0 ? axis + rank : axis);
  const int64_t channels = data.shape()[a];
  if (p.scale.shape() != Shape{channels}) {
    fail(ErrorKind::invalid_shape, "legacy scale has shape {}, expected [C] = [{}] (data shape {}, axis {})",
         p.scale.shape().str(), channels, data.shape().str(), axis);
  }
  if (p.zero_point && p.zero_point->shape() != Shape{channels}) {
    fail(ErrorKind::invalid_shape, "legacy zero_point has shape {}, expected [C] = [{}]",
         p.zero_point->shape().str(), channels);
  }
  return a;
}

// Steps 5-6 for C = 0: no scale value to check; a zero point may still be of
// the wrong kind for its domain.
void validate_empty_channels(const QuantParams& p) {
  if (!p.zero_point) return;
  switch (p.zero_point_domain) {
    case ZeroPointDomain::none:
      fail(ErrorKind::invalid_zero_point, "zero_point given with zero_point_domain none");
    case ZeroPointDomain::int_domain:
      if (!is_integer(p.zero_point->dtype())) {
        fail(ErrorKind::invalid_zero_point, "int-domain zero_point must have an integer dtype, got {}",
             dtype_name(p.zero_point->dtype()));
      }
      break;
    case ZeroPointDomain::float_domain:
      if (p.zero_point->dtype() != DType::f32) {
        fail(ErrorKind::invalid_zero_point, "float-domain zero_point must be f32, got {}",
             dtype_name(p.zero_point->dtype()));
      }
      break;
  }
}

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
  const int a = validate_legacy(LegacyOp::quantize, x, p, axis);
  if (p.scale.numel() == 0) {
    validate_empty_channels(p);
    return Tensor(p.dtype, x.shape());
  }
  return quantize_affine(x, full_rank(p, x.shape().rank(), a), contract, options);
}

Tensor legacy_dequantize(const Tensor& q, const QuantParams& p, int64_t axis, const ImplOptions& options) {
  const int a = validate_legacy(LegacyOp::dequantize, q, p, axis);
  if (p.scale.numel() == 0) {
    validate_empty_channels(p);
    return Tensor(DType::f32, q.shape());
  }
  return dequantize_affine(q, full_rank(p, q.shape().rank(), a), Contract::torchao, options);
}

}  // namespace qdiff::impl
