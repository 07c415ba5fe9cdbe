// Helpers the example plug-ins (examples/*_backend) share: reading qdiff's
// C ABI structs (include/qdiff/backend.h) and checking quantization params
// the way docs/validation-order.md orders the checks, for the layouts a
// wrapped library can take (per-tensor, or per-channel along one axis).
// Whatever a wrapper cannot model it declines (UNSUPPORTED): a declined
// case is skipped, a wrong error kind would be a false finding.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "qdiff/backend.h"

namespace qdiff_plugin {

inline int64_t numel(const qdiff_tensor& t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t.rank; ++i) n *= t.shape[i];
  return n;
}

inline bool is_8bit(qdiff_dtype d) { return d == QDIFF_DTYPE_I8 || d == QDIFF_DTYPE_U8; }
inline int64_t dtype_min(qdiff_dtype d) { return d == QDIFF_DTYPE_I8 ? -128 : 0; }
inline int64_t dtype_max(qdiff_dtype d) { return d == QDIFF_DTYPE_I8 ? 127 : 255; }
inline bool full_range(const qdiff_quant_params& p) {
  return p.quant_min == dtype_min(p.dtype) && p.quant_max == dtype_max(p.dtype);
}

// Params of an 8-bit int-domain type, resolved: one scale and zero point
// (per-tensor, axis < 0) or one per index of `axis`.
struct Params8 {
  int axis = -1;
  std::vector<float> scales;
  std::vector<int32_t> zero_points;  // same length as scales
  bool zero_points_all_equal() const {
    for (int32_t z : zero_points) {
      if (z != zero_points.front()) return false;
    }
    return true;
  }
};

// The axis along which a scale of the input's rank varies, when it is
// per-channel with block 1 there and one block everywhere else; -1 for a
// one-element scale; nullopt for any other layout.
inline std::optional<int> channel_axis(const qdiff_tensor& scale, const qdiff_tensor& input) {
  if (numel(scale) == 1) return -1;
  if (scale.rank != input.rank) return std::nullopt;
  int axis = -1;
  for (int32_t d = 0; d < scale.rank; ++d) {
    if (scale.shape[d] == 1) continue;
    if (axis >= 0 || scale.shape[d] != input.shape[d]) return std::nullopt;
    axis = d;
  }
  return axis;
}

// Steps 1 and 3-6 of docs/validation-order.md for the layouts above; the
// caller checks the input's own dtype (step 1) and NaN (step 7).
inline qdiff_status resolve_params(const qdiff_quant_params& p, const qdiff_tensor& input, Params8* out) {
  if (!is_8bit(p.dtype) || p.zero_point_domain != QDIFF_ZERO_POINT_INT || p.scale.dtype != QDIFF_DTYPE_F32) {
    return QDIFF_STATUS_UNSUPPORTED;
  }
  if (p.quant_min < dtype_min(p.dtype) || p.quant_max > dtype_max(p.dtype) || p.quant_min > p.quant_max) {
    return QDIFF_STATUS_INVALID_RANGE;
  }
  const std::optional<int> axis = p.block_size ? std::nullopt : channel_axis(p.scale, input);
  if (!axis) return QDIFF_STATUS_UNSUPPORTED;  // step 4's errors are not modelled here
  const int64_t n = numel(p.scale);
  if (p.zero_point && (p.zero_point->rank != p.scale.rank || p.zero_point->dtype != QDIFF_DTYPE_I32)) {
    return QDIFF_STATUS_UNSUPPORTED;
  }
  for (int32_t d = 0; p.zero_point && d < p.scale.rank; ++d) {
    if (p.zero_point->shape[d] != p.scale.shape[d]) return QDIFF_STATUS_UNSUPPORTED;
  }
  const float* s = static_cast<const float*>(p.scale.data);
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(s[i]) || !(s[i] >= std::numeric_limits<float>::min())) return QDIFF_STATUS_INVALID_SCALE;
  }
  out->axis = *axis;
  out->scales.assign(s, s + n);
  out->zero_points.assign(size_t(n), 0);  // an absent zero point is 0 (SPEC section 4)
  const int32_t* z = p.zero_point ? static_cast<const int32_t*>(p.zero_point->data) : nullptr;
  for (int64_t i = 0; z && i < n; ++i) {
    if (z[i] < p.quant_min || z[i] > p.quant_max) return QDIFF_STATUS_INVALID_ZERO_POINT;
    out->zero_points[size_t(i)] = z[i];
  }
  return QDIFF_STATUS_OK;
}

inline bool has_nan(const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(x[i])) return true;
  }
  return false;
}

}  // namespace qdiff_plugin
