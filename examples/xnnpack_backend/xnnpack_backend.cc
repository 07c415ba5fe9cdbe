// An example qdiff plug-in backend (include/qdiff/backend.h) wrapping a
// real third-party library: XNNPACK's f32 -> qs8/qu8 and qs8/qu8 -> f32
// convert operators (Debian libxnnpack-dev, 2022 snapshot).
//
//   qdiff check --backend build/default/examples/xnnpack_backend/libqdiff_xnnpack_backend.so
//
// What it covers: per-tensor quantize and dequantize of i8 and u8 with a
// zero point in the int domain (XNNPACK's convert operators take one scale
// and one zero point; the quantize range may be any sub-range of the
// storage type, passed as output_min / output_max). Everything else
// (per-channel and blockwise scales, other dtypes, the float and none
// zero-point domains, qlinear) is declined with QDIFF_STATUS_UNSUPPORTED and
// skipped by qdiff. Invalid inputs are rejected the way SPEC section 10
// orders them, because XNNPACK itself does not check NaN inputs or the
// zero point's range; the wrapper's checks are this file's responsibility,
// not XNNPACK's. XNNPACK has one rounding behaviour: the wrapper claims
// one contract (torchao unless QDIFF_XNNPACK_CONTRACT says otherwise) and
// declines the others; docs/plugin-backends.md records what qdiff measured
// (torchao on normal inputs; subnormal x and scales above 2^126 differ).
#include <xnnpack.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

#include "examples/plugin_support/params.h"

namespace {

using qdiff_plugin::numel;

// Per-tensor int-domain params of an 8-bit type, checked in the order of
// docs/validation-order.md (examples/plugin_support/params.h); XNNPACK's
// convert operators take one scale and one zero point, so every other
// layout is declined first.
qdiff_status check_params(const qdiff_quant_params& p, const qdiff_tensor& input, float* scale,
                          int32_t* zero_point) {
  if (numel(p.scale) != 1) return QDIFF_STATUS_UNSUPPORTED;
  qdiff_plugin::Params8 resolved;
  if (const qdiff_status st = qdiff_plugin::resolve_params(p, input, &resolved); st != QDIFF_STATUS_OK) return st;
  *scale = resolved.scales[0];
  *zero_point = resolved.zero_points[0];
  return QDIFF_STATUS_OK;
}

bool initialized() {
  static const bool ok = xnn_initialize(nullptr) == xnn_status_success;
  return ok;
}

// The contract this backend claims (SPEC section 3); qdiff skips the
// others. XNNPACK multiplies by the reciprocal of the scale and rounds half
// to even, i.e. torchao's contract (docs/plugin-backends.md has the
// measurement); QDIFF_XNNPACK_CONTRACT=onnx|half_away|zp_before|any lets
// you see how it fares against the others.
bool claims(qdiff_contract c) {
  static const int claimed = [] {
    const char* v = std::getenv("QDIFF_XNNPACK_CONTRACT");
    if (!v) return int(QDIFF_CONTRACT_TORCHAO);
    const std::string s(v);
    return s == "any" ? -1 : s == "onnx" ? int(QDIFF_CONTRACT_ONNX) : s == "half_away" ? int(QDIFF_CONTRACT_HALF_AWAY)
         : s == "zp_before" ? int(QDIFF_CONTRACT_ZP_BEFORE) : int(QDIFF_CONTRACT_TORCHAO);
  }();
  return claimed < 0 || claimed == int(c);
}

// QDIFF_XNNPACK_DECLINE_SUBNORMALS=1 declines the inputs on which XNNPACK
// is known to differ (docs/plugin-backends.md): subnormal x, which its
// kernels flush to zero, and scales whose f32 reciprocal is subnormal. With
// them declined, qdiff measures whether everything else is bit-exact.
bool decline_subnormals() {
  static const bool on = [] {
    const char* v = std::getenv("QDIFF_XNNPACK_DECLINE_SUBNORMALS");
    return v && std::string(v) == "1";
  }();
  return on;
}

bool has_subnormal(const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (std::fpclassify(x[i]) == FP_SUBNORMAL) return true;
  }
  return false;
}

qdiff_status quantize(void*, const qdiff_tensor* x, const qdiff_quant_params* p, qdiff_contract contract,
                      qdiff_output* out) {
  if (!initialized() || !claims(contract)) return QDIFF_STATUS_UNSUPPORTED;
  if (x->dtype != QDIFF_DTYPE_F32) return QDIFF_STATUS_UNSUPPORTED;
  float s;
  int32_t z;
  if (const qdiff_status st = check_params(*p, *x, &s, &z); st != QDIFF_STATUS_OK) return st;
  const int64_t n = numel(*x);
  const float* in = static_cast<const float*>(x->data);
  if (qdiff_plugin::has_nan(in, n)) return QDIFF_STATUS_NAN_INPUT;  // XNNPACK would convert NaN silently
  if (decline_subnormals() && (1.0f / s < std::numeric_limits<float>::min() || has_subnormal(in, n))) {
    return QDIFF_STATUS_UNSUPPORTED;
  }
  if (n == 0) return QDIFF_STATUS_OK;
  xnn_operator_t op = nullptr;
  xnn_status st;
  if (p->dtype == QDIFF_DTYPE_I8) {
    st = xnn_create_convert_nc_f32_qs8(1, 1, 1, s, int8_t(z), int8_t(p->quant_min), int8_t(p->quant_max), 0, &op);
    if (st == xnn_status_success) {
      st = xnn_setup_convert_nc_f32_qs8(op, size_t(n), in, static_cast<int8_t*>(out->data), nullptr);
    }
  } else {
    st = xnn_create_convert_nc_f32_qu8(1, 1, 1, s, uint8_t(z), uint8_t(p->quant_min), uint8_t(p->quant_max), 0, &op);
    if (st == xnn_status_success) {
      st = xnn_setup_convert_nc_f32_qu8(op, size_t(n), in, static_cast<uint8_t*>(out->data), nullptr);
    }
  }
  if (st == xnn_status_success) st = xnn_run_operator(op, nullptr);
  if (op) xnn_delete_operator(op);
  // XNNPACK refuses some parameters qdiff accepts (e.g. scales whose
  // reciprocal it considers out of range): declined, not an error kind.
  return st == xnn_status_success ? QDIFF_STATUS_OK : QDIFF_STATUS_UNSUPPORTED;
}

qdiff_status dequantize(void*, const qdiff_tensor* q, const qdiff_quant_params* p, qdiff_output* out) {
  if (!initialized()) return QDIFF_STATUS_UNSUPPORTED;
  float s;
  int32_t z;
  if (q->dtype != p->dtype) return QDIFF_STATUS_UNSUPPORTED;
  if (const qdiff_status st = check_params(*p, *q, &s, &z); st != QDIFF_STATUS_OK) return st;
  const int64_t n = numel(*q);
  if (n == 0) return QDIFF_STATUS_OK;
  xnn_operator_t op = nullptr;
  xnn_status st;
  if (p->dtype == QDIFF_DTYPE_I8) {
    st = xnn_create_convert_nc_qs8_f32(1, 1, 1, s, int8_t(z), 0, &op);
    if (st == xnn_status_success) {
      st = xnn_setup_convert_nc_qs8_f32(op, size_t(n), static_cast<const int8_t*>(q->data),
                                        static_cast<float*>(out->data), nullptr);
    }
  } else {
    st = xnn_create_convert_nc_qu8_f32(1, 1, 1, s, uint8_t(z), 0, &op);
    if (st == xnn_status_success) {
      st = xnn_setup_convert_nc_qu8_f32(op, size_t(n), static_cast<const uint8_t*>(q->data),
                                        static_cast<float*>(out->data), nullptr);
    }
  }
  if (st == xnn_status_success) st = xnn_run_operator(op, nullptr);
  if (op) xnn_delete_operator(op);
  return st == xnn_status_success ? QDIFF_STATUS_OK : QDIFF_STATUS_UNSUPPORTED;
}

const qdiff_backend kBackend = {QDIFF_BACKEND_ABI_VERSION, "xnnpack-convert", nullptr, quantize, dequantize, nullptr};

}  // namespace

extern "C" const qdiff_backend* qdiff_backend_v1(void) { return &kBackend; }
