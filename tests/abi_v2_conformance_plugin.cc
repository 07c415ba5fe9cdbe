// A plug-in that proves the C ABI v2's operation entry points carry every
// argument across (tests/abi_v2_conformance_test.cc): choose_qparams,
// fake_quantize, qconv2d and qadd / qmul, written from SPEC sections 6-8
// with plain loops and none of qdiff's code, for a subset (per-tensor
// params, int or none domain, 8-bit storage). Whatever lies outside the
// subset, invalid inputs included, is declined: the subset's results are
// what the properties judge, so a field the harness passes wrongly (a
// swapped stride, a dropped bias, a zero point read as the scale) fails
// them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "examples/plugin_support/params.h"
#include "qdiff/backend.h"

namespace {

using qdiff_plugin::numel;

double read_int(const qdiff_tensor& t, int64_t i) {
  switch (t.dtype) {
    case QDIFF_DTYPE_I8: return static_cast<const int8_t*>(t.data)[i];
    case QDIFF_DTYPE_U8: return static_cast<const uint8_t*>(t.data)[i];
    case QDIFF_DTYPE_I16: return static_cast<const int16_t*>(t.data)[i];
    case QDIFF_DTYPE_U16: return static_cast<const uint16_t*>(t.data)[i];
    case QDIFF_DTYPE_I32: return static_cast<const int32_t*>(t.data)[i];
    case QDIFF_DTYPE_F32: return static_cast<const float*>(t.data)[i];
  }
  return 0;
}

void write_int(qdiff_output& t, int64_t i, int64_t v) {
  switch (t.dtype) {
    case QDIFF_DTYPE_I8: static_cast<int8_t*>(t.data)[i] = int8_t(v); break;
    case QDIFF_DTYPE_U8: static_cast<uint8_t*>(t.data)[i] = uint8_t(v); break;
    case QDIFF_DTYPE_I16: static_cast<int16_t*>(t.data)[i] = int16_t(v); break;
    case QDIFF_DTYPE_U16: static_cast<uint16_t*>(t.data)[i] = uint16_t(v); break;
    case QDIFF_DTYPE_I32: static_cast<int32_t*>(t.data)[i] = int32_t(v); break;
    case QDIFF_DTYPE_F32: break;
  }
}

// One scale and zero point of a valid per-tensor int-domain 8-bit params.
struct Scalar {
  float s = 1;
  int32_t z = 0;
};
bool per_tensor(const qdiff_quant_params& p, const qdiff_tensor& t, Scalar* out) {
  qdiff_plugin::Params8 r;
  if (numel(p.scale) != 1 || qdiff_plugin::resolve_params(p, t, &r) != QDIFF_STATUS_OK) return false;
  *out = {r.scales[0], r.zero_points[0]};
  return true;
}

// The final step of every fused op (SPEC section 8): the real y quantized
// once; a NaN y quantizes as 0 (docs/validation-order.md).
int64_t quantize_real(double y, const Scalar& out, const qdiff_quant_params& p) {
  if (std::isnan(y)) y = 0;
  const double q = std::nearbyint(y / out.s) + out.z;
  return int64_t(std::clamp(q, double(p.quant_min), double(p.quant_max)));
}

double dq(const qdiff_tensor& t, int64_t i, const Scalar& p) {
  return double(float(float(read_int(t, i)) - float(p.z)) * p.s);  // SPEC section 5, in f32
}

// --- choose_qparams (SPEC section 6): one block, symmetric or asymmetric.
qdiff_status choose_qparams(void*, const qdiff_tensor* x, const qdiff_choose_qparams_args* a, qdiff_output* scale,
                            qdiff_output* zero_point) {
  const int64_t n = numel(*x);
  const auto* v = static_cast<const float*>(x->data);
  bool one_block = true;
  for (int32_t d = 0; a->block_size && d < x->rank; ++d) one_block = one_block && a->block_size[d] == x->shape[d];
  if (x->dtype != QDIFF_DTYPE_F32 || !qdiff_plugin::is_8bit(a->dtype) || !one_block || n == 0 ||
      a->mapping == QDIFF_MAPPING_SYMMETRIC_NO_CLIPPING_ERR || a->zero_point_domain == QDIFF_ZERO_POINT_FLOAT ||
      a->quant_min < qdiff_plugin::dtype_min(a->dtype) || a->quant_max > qdiff_plugin::dtype_max(a->dtype) ||
      a->quant_min >= a->quant_max || !std::isfinite(a->eps) || !(a->eps > 0)) {
    return QDIFF_STATUS_UNSUPPORTED;
  }
  float mn = v[0], mx = v[0];
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) return QDIFF_STATUS_UNSUPPORTED;
    mn = std::min(mn, v[i]);
    mx = std::max(mx, v[i]);
  }
  const float min_neg = std::min(mn, 0.0f), max_pos = std::max(mx, 0.0f);
  const float qmin = float(a->quant_min), qmax = float(a->quant_max);
  float s;
  int64_t z;
  if (a->mapping == QDIFF_MAPPING_SYMMETRIC) {
    const float amax = std::max(-min_neg, max_pos);
    s = std::max(amax / float(double(a->quant_max - a->quant_min) / 2), a->eps);
    z = (a->quant_max + a->quant_min + 1) / 2;  // C++ division truncates toward 0
  } else {
    s = std::max((max_pos - min_neg) / (qmax - qmin), a->eps);
    const double t = double(a->quant_min) - double(std::nearbyint(min_neg / s));
    z = int64_t(std::clamp(t, double(a->quant_min), double(a->quant_max)));
  }
  static_cast<float*>(scale->data)[0] = s;
  if (zero_point) static_cast<int32_t*>(zero_point->data)[0] = int32_t(z);
  return QDIFF_STATUS_OK;
}

// --- fake_quantize (SPEC section 7), torchao's contract.
qdiff_status fake_quantize(void*, const qdiff_tensor* x, const qdiff_quant_params* p, qdiff_contract c,
                           qdiff_output* out) {
  Scalar sp;
  const int64_t n = numel(*x);
  const auto* v = static_cast<const float*>(x->data);
  if (c != QDIFF_CONTRACT_TORCHAO || x->dtype != QDIFF_DTYPE_F32 || !per_tensor(*p, *x, &sp) ||
      qdiff_plugin::has_nan(v, n)) {
    return QDIFF_STATUS_UNSUPPORTED;
  }
  const float inv = 1.0f / sp.s;
  for (int64_t i = 0; i < n; ++i) {
    const double t = double(std::nearbyint(v[i] * inv)) + sp.z;
    const double q = std::clamp(t, double(p->quant_min), double(p->quant_max));
    static_cast<float*>(out->data)[i] = float(float(q) - float(sp.z)) * sp.s;
  }
  return QDIFF_STATUS_OK;
}

// --- qadd / qmul (SPEC section 8): same shapes, no activation.
qdiff_status qelementwise(void*, const qdiff_qelementwise_args* a, qdiff_output* out) {
  Scalar pa, pb, po;
  bool same = a->a.rank == a->b.rank;
  for (int32_t d = 0; same && d < a->a.rank; ++d) same = a->a.shape[d] == a->b.shape[d];
  const qdiff_tensor out_view{out->dtype, out->rank, out->shape, out->data};
  if (!same || a->activation != 0 || a->a.dtype != a->a_params.dtype || a->b.dtype != a->b_params.dtype ||
      !per_tensor(a->a_params, a->a, &pa) || !per_tensor(a->b_params, a->b, &pb) ||
      !per_tensor(a->out_params, out_view, &po)) {
    return QDIFF_STATUS_UNSUPPORTED;
  }
  for (int64_t i = 0; i < numel(a->a); ++i) {
    const double y = a->op == QDIFF_ELEMENTWISE_ADD ? dq(a->a, i, pa) + dq(a->b, i, pb) : dq(a->a, i, pa) * dq(a->b, i, pb);
    write_int(*out, i, quantize_real(y, po, a->out_params));
  }
  return QDIFF_STATUS_OK;
}

// --- qconv2d (SPEC section 8): per-tensor params, none or relu.
bool conv_valid(const qdiff_qconv2d_args& a, Scalar* px, Scalar* pw, Scalar* po, const qdiff_output& out) {
  const qdiff_tensor out_view{out.dtype, out.rank, out.shape, out.data};
  if (a.x.rank != 4 || a.w.rank != 4 || a.activation > 1 || a.x.dtype != a.x_params.dtype ||
      a.w.dtype != a.w_params.dtype || a.groups < 1 || a.x.shape[1] != a.w.shape[1] * a.groups ||
      a.w.shape[0] % a.groups != 0 || !per_tensor(a.x_params, a.x, px) || !per_tensor(a.w_params, a.w, pw) ||
      !per_tensor(a.out_params, out_view, po)) {
    return false;
  }
  if (!a.bias) return true;
  const auto* b = static_cast<const float*>(a.bias->data);
  return a.bias->rank == 1 && a.bias->shape[0] == a.w.shape[0] && !qdiff_plugin::has_nan(b, a.bias->shape[0]);
}

qdiff_status qconv2d(void*, const qdiff_qconv2d_args* a, qdiff_output* out) {
  Scalar px, pw, po;
  if (!conv_valid(*a, &px, &pw, &po, *out)) return QDIFF_STATUS_UNSUPPORTED;
  const int64_t N = a->x.shape[0], C = a->x.shape[1], H = a->x.shape[2], W = a->x.shape[3];
  const int64_t O = a->w.shape[0], Cg = a->w.shape[1], KH = a->w.shape[2], KW = a->w.shape[3];
  const int64_t OH = out->shape[2], OW = out->shape[3], Og = O / a->groups;
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t o = 0; o < O; ++o) {
      for (int64_t oh = 0; oh < OH; ++oh) {
        for (int64_t ow = 0; ow < OW; ++ow) {
          double y = a->bias ? static_cast<const float*>(a->bias->data)[o] : 0.0;
          for (int64_t cg = 0; cg < Cg; ++cg) {
            const int64_t c = (o / Og) * Cg + cg;
            for (int64_t kh = 0; kh < KH; ++kh) {
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t h = oh * a->stride[0] - a->padding[0] + kh * a->dilation[0];
                const int64_t w = ow * a->stride[1] - a->padding[1] + kw * a->dilation[1];
                if (h < 0 || h >= H || w < 0 || w >= W) continue;  // zero padding in the real domain
                y += dq(a->x, ((n * C + c) * H + h) * W + w, px) * dq(a->w, ((o * Cg + cg) * KH + kh) * KW + kw, pw);
              }
            }
          }
          if (a->activation == 1) y = std::max(y, 0.0);
          write_int(*out, ((n * O + o) * OH + oh) * OW + ow, quantize_real(y, po, a->out_params));
        }
      }
    }
  }
  return QDIFF_STATUS_OK;
}

qdiff_backend_table_v2 make_table() {
  qdiff_backend_table_v2 b{};
  b.abi_version = QDIFF_BACKEND_ABI_VERSION_2;
  b.name = "abi-v2-conformance";
  b.choose_qparams_affine = choose_qparams;
  b.fake_quantize_affine = fake_quantize;
  b.qconv2d = qconv2d;
  b.qelementwise = qelementwise;
  return b;
}

const qdiff_backend_table_v2 kBackend = make_table();

}  // namespace

extern "C" const qdiff_backend_table_v2* qdiff_backend_v2(void) { return &kBackend; }
