#include "oracle/plugin_abi.h"

#include <stdexcept>

#include <fmt/format.h>

#include "core/error.h"
#include "oracle/plugin_backend.h"

namespace qdiff::plugin {

qdiff_dtype to_c(DType d) {
  switch (d) {
    case DType::f32: return QDIFF_DTYPE_F32;
    case DType::i8: return QDIFF_DTYPE_I8;
    case DType::u8: return QDIFF_DTYPE_U8;
    case DType::i16: return QDIFF_DTYPE_I16;
    case DType::u16: return QDIFF_DTYPE_U16;
    case DType::i32: return QDIFF_DTYPE_I32;
  }
  return QDIFF_DTYPE_F32;
}

qdiff_tensor view(const Tensor& t) {
  return {to_c(t.dtype()), int32_t(t.shape().rank()), t.shape().begin(), t.raw()};
}

qdiff_output output_view(Tensor& t) {
  return {to_c(t.dtype()), int32_t(t.shape().rank()), t.shape().begin(), t.raw()};
}

ParamsView::ParamsView(const QuantParams& p) {
  c_.scale = view(p.scale);
  if (p.zero_point) {
    zero_point_ = view(*p.zero_point);
    c_.zero_point = &zero_point_;
  }
  c_.quant_min = p.quant_min;
  c_.quant_max = p.quant_max;
  c_.dtype = to_c(p.dtype);
  c_.zero_point_domain = p.zero_point_domain == ZeroPointDomain::int_domain     ? QDIFF_ZERO_POINT_INT
                         : p.zero_point_domain == ZeroPointDomain::float_domain ? QDIFF_ZERO_POINT_FLOAT
                                                                                : QDIFF_ZERO_POINT_NONE;
  c_.block_size = p.block_size ? p.block_size->data() : nullptr;
}

void check_status(qdiff_status s, const std::string& backend, const char* op) {
  switch (s) {
    case QDIFF_STATUS_OK: return;
    case QDIFF_STATUS_UNSUPPORTED: throw NotApplicable(fmt::format("{} declines this {} call", backend, op));
    case QDIFF_STATUS_INVALID_SHAPE: fail(ErrorKind::invalid_shape, "{}: {}", backend, op);
    case QDIFF_STATUS_NON_DIVISIBLE_BLOCK: fail(ErrorKind::non_divisible_block, "{}: {}", backend, op);
    case QDIFF_STATUS_INVALID_SCALE: fail(ErrorKind::invalid_scale, "{}: {}", backend, op);
    case QDIFF_STATUS_INVALID_ZERO_POINT: fail(ErrorKind::invalid_zero_point, "{}: {}", backend, op);
    case QDIFF_STATUS_INVALID_RANGE: fail(ErrorKind::invalid_range, "{}: {}", backend, op);
    case QDIFF_STATUS_NAN_INPUT: fail(ErrorKind::nan_input, "{}: {}", backend, op);
    case QDIFF_STATUS_TOO_LARGE: fail(ErrorKind::too_large, "{}: {}", backend, op);
  }
  throw std::runtime_error(fmt::format("{} returned unknown status {} from {}", backend, int(s), op));
}

}  // namespace qdiff::plugin
