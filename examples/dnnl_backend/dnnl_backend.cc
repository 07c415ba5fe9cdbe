// A qdiff plug-in backend (include/qdiff/backend.h) wrapping oneDNN
// (Debian libdnnl-dev 2.6), a library nobody here wrote:
//
//   qdiff check --backend build/default/examples/dnnl_backend/libqdiff_dnnl_backend.so
//
// - quantize: a reorder f32 -> s8/u8 whose output scale is f32(1/s) (per
//   tensor, or per channel along one axis) and whose destination zero point
//   is common;
// - dequantize: a reorder s8/u8 -> f32 with output scale s and a common
//   source zero point;
// - qlinear: an int8 matmul, x u8/s8 [M, In] per tensor, w s8 [K, In] per
//   tensor or per channel ([K, 1]) with zero point 0, output u8/s8 per
//   tensor; output scales sx * sw[k] / so, the bias in accumulator units
//   b / (sx * sw[k]) (oneDNN 2.x adds the bias BEFORE the output scale),
//   relu as a post-op.
//
// oneDNN saturates to the whole storage type, so a narrower quant range is
// declined, as are every layout, dtype and domain it has no form for.
// Invalid inputs are rejected in docs/validation-order.md's order by this
// file (oneDNN checks none of them); qlinear handles valid inputs only and
// declines the rest. The contract claimed is zp_before (SPEC section 3): the
// reorder multiplies by its scale and adds the destination zero point in f32
// before rounding, as qdiff measured; for qlinear that is the accumulation
// contract output_zero_point before_rounding with bias float
// (core/qlinear_contract.h). QDIFF_DNNL_CONTRACT=torchao|any shows the
// difference. docs/plugin-backends.md records what qdiff found.
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

#include "examples/plugin_support/params.h"

namespace {

using qdiff_plugin::numel;
using qdiff_plugin::Params8;

dnnl::engine& cpu() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::memory::data_type dnnl_type(qdiff_dtype d) {
  return d == QDIFF_DTYPE_I8 ? dnnl::memory::data_type::s8
       : d == QDIFF_DTYPE_U8 ? dnnl::memory::data_type::u8
       : d == QDIFF_DTYPE_I32 ? dnnl::memory::data_type::s32
                              : dnnl::memory::data_type::f32;
}

// A dense row-major descriptor of the tensor's shape (rank 0: one element).
dnnl::memory::desc plain_desc(const qdiff_tensor& t, qdiff_dtype as) {
  dnnl::memory::dims dims(t.shape, t.shape + t.rank);
  if (dims.empty()) dims = {1};
  dnnl::memory::dims strides(dims.size(), 1);
  for (size_t d = dims.size() - 1; d > 0; --d) strides[d - 1] = strides[d] * dims[d];
  return dnnl::memory::desc(dims, dnnl_type(as), strides);
}

const std::string& claimed_contract() {
  static const std::string claimed = [] {
    const char* v = std::getenv("QDIFF_DNNL_CONTRACT");
    return std::string(v ? v : "zp_before");
  }();
  return claimed;
}

bool claims(qdiff_contract c) {
  if (claimed_contract() == "any") return true;
  return c == (claimed_contract() == "zp_before" ? QDIFF_CONTRACT_ZP_BEFORE : QDIFF_CONTRACT_TORCHAO);
}

// qlinear's accumulation contract: the matmul adds its destination zero
// point in f32 before the conversion, like the reorder, so zp_before claims
// output_zero_point before_rounding and torchao claims after_rounding; the
// f32 bias is never rounded to an integer grid (bias float).
bool claims(const qdiff_qlinear_contract& c, bool has_bias) {
  if (has_bias && c.bias != QDIFF_BIAS_FLOAT) return false;
  if (claimed_contract() == "any") return true;
  return c.output_zero_point == (claimed_contract() == "zp_before" ? QDIFF_OUTPUT_ZERO_POINT_BEFORE_ROUNDING
                                                                   : QDIFF_OUTPUT_ZERO_POINT_AFTER_ROUNDING);
}

// Runs a reorder src -> dst with the given attributes; false if oneDNN
// refuses the configuration (declined, not an error kind).
bool run_reorder(const qdiff_tensor& src, qdiff_dtype src_type, void* dst_data, qdiff_dtype dst_type,
                 const dnnl::primitive_attr& attr) {
  try {
    const dnnl::memory src_mem(plain_desc(src, src_type), cpu(), const_cast<void*>(src.data));
    const dnnl::memory dst_mem(plain_desc(src, dst_type), cpu(), dst_data);
    const dnnl::reorder::primitive_desc pd(src_mem, dst_mem, attr);
    dnnl::stream stream(cpu());
    dnnl::reorder(pd).execute(stream, const_cast<dnnl::memory&>(src_mem), const_cast<dnnl::memory&>(dst_mem));
    stream.wait();
    return true;
  } catch (const dnnl::error&) {
    return false;
  }
}

int scale_mask(const Params8& p) { return p.axis < 0 ? 0 : 1 << p.axis; }

qdiff_status quantize(void*, const qdiff_tensor* x, const qdiff_quant_params* p, qdiff_contract contract,
                      qdiff_output* out) {
  if (!claims(contract) || x->dtype != QDIFF_DTYPE_F32) return QDIFF_STATUS_UNSUPPORTED;
  Params8 params;
  if (const qdiff_status st = qdiff_plugin::resolve_params(*p, *x, &params); st != QDIFF_STATUS_OK) return st;
  if (qdiff_plugin::has_nan(static_cast<const float*>(x->data), numel(*x))) return QDIFF_STATUS_NAN_INPUT;
  if (!qdiff_plugin::full_range(*p) || !params.zero_points_all_equal()) return QDIFF_STATUS_UNSUPPORTED;
  if (numel(*x) == 0) return QDIFF_STATUS_OK;
  // torchao and zp_before scale by f32(1/s) (SPEC section 3): the
  // reciprocal is what a reorder's output scale multiplies by.
  std::vector<float> reciprocals;
  for (float s : params.scales) reciprocals.push_back(1.0f / s);
  dnnl::primitive_attr attr;
  attr.set_output_scales(scale_mask(params), reciprocals);
  if (params.zero_points.front() != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {params.zero_points.front()});
  return run_reorder(*x, QDIFF_DTYPE_F32, out->data, p->dtype, attr) ? QDIFF_STATUS_OK : QDIFF_STATUS_UNSUPPORTED;
}

qdiff_status dequantize(void*, const qdiff_tensor* q, const qdiff_quant_params* p, qdiff_output* out) {
  if (q->dtype != p->dtype) return QDIFF_STATUS_UNSUPPORTED;
  Params8 params;
  if (const qdiff_status st = qdiff_plugin::resolve_params(*p, *q, &params); st != QDIFF_STATUS_OK) return st;
  if (!params.zero_points_all_equal()) return QDIFF_STATUS_UNSUPPORTED;
  if (numel(*q) == 0) return QDIFF_STATUS_OK;
  dnnl::primitive_attr attr;
  attr.set_output_scales(scale_mask(params), params.scales);
  if (params.zero_points.front() != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {params.zero_points.front()});
  return run_reorder(*q, p->dtype, out->data, QDIFF_DTYPE_F32, attr) ? QDIFF_STATUS_OK : QDIFF_STATUS_UNSUPPORTED;
}

// --- qlinear -------------------------------------------------------------

struct LinearShape {
  int64_t m = 1, in = 0, k = 0;
};

// The valid inputs of the subset above, resolved; false declines the call.
bool resolve_qlinear(const qdiff_qlinear_args& a, LinearShape* shape, Params8* x, Params8* w, Params8* o) {
  if (a.x.rank < 1 || a.w.rank != 2 || a.x.shape[a.x.rank - 1] != a.w.shape[1]) return false;
  shape->in = a.w.shape[1];
  shape->k = a.w.shape[0];
  for (int32_t d = 0; d + 1 < a.x.rank; ++d) shape->m *= a.x.shape[d];  // leading dims flatten to M
  const qdiff_tensor out_tensor{a.out_params.dtype, 0, nullptr, nullptr};  // per tensor only
  if (a.x.dtype != a.x_params.dtype || a.w.dtype != QDIFF_DTYPE_I8 || a.w_params.dtype != QDIFF_DTYPE_I8 ||
      qdiff_plugin::resolve_params(a.x_params, a.x, x) != QDIFF_STATUS_OK || x->axis >= 0 ||
      qdiff_plugin::resolve_params(a.w_params, a.w, w) != QDIFF_STATUS_OK || w->axis > 0 ||
      qdiff_plugin::resolve_params(a.out_params, out_tensor, o) != QDIFF_STATUS_OK ||
      !qdiff_plugin::full_range(a.out_params)) {
    return false;
  }
  for (int32_t z : w->zero_points) {
    if (z != 0) return false;  // oneDNN's s8 weights take no zero point here
  }
  if (a.bias && (a.bias->dtype != QDIFF_DTYPE_F32 || a.bias->rank != 1 || a.bias->shape[0] != shape->k ||
                 qdiff_plugin::has_nan(static_cast<const float*>(a.bias->data), shape->k))) {
    return false;
  }
  return a.activation == 0 || a.activation == 1;  // none or relu
}

// Output scales sx * sw[k] / so, in f32 as oneDNN reads them (their
// rounding is part of what qdiff measures).
dnnl::primitive_attr qlinear_attr(const qdiff_qlinear_args& a, const Params8& x, const Params8& w,
                                  const Params8& o, int64_t k) {
  std::vector<float> scales;
  for (int64_t c = 0; c < (w.axis < 0 ? 1 : k); ++c) scales.push_back(x.scales[0] * w.scales[size_t(c)] / o.scales[0]);
  dnnl::primitive_attr attr;
  attr.set_output_scales(w.axis < 0 ? 0 : 1 << 1, scales);
  if (x.zero_points[0] != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {x.zero_points[0]});
  if (o.zero_points[0] != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {o.zero_points[0]});
  if (a.activation == 1) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  return attr;
}

qdiff_status qlinear(void*, const qdiff_qlinear_args* a, qdiff_output* out) {
  LinearShape s;
  Params8 x, w, o;
  if (!claims(a->contract, a->bias != nullptr) || !resolve_qlinear(*a, &s, &x, &w, &o)) {
    return QDIFF_STATUS_UNSUPPORTED;
  }
  if (s.m == 0 || s.k == 0) return QDIFF_STATUS_OK;
  using tag = dnnl::memory::format_tag;
  try {
    const dnnl::memory::desc src_d({s.m, s.in}, dnnl_type(a->x.dtype), tag::ab);
    const dnnl::memory::desc wei_d({s.in, s.k}, dnnl::memory::data_type::s8, tag::ba);  // w is [K, In]
    const dnnl::memory::desc dst_d({s.m, s.k}, dnnl_type(a->out_params.dtype), tag::ab);
    const dnnl::memory::desc bias_d({1, s.k}, dnnl::memory::data_type::f32, tag::ab);
    const dnnl::matmul::desc desc = a->bias ? dnnl::matmul::desc(src_d, wei_d, bias_d, dst_d)
                                            : dnnl::matmul::desc(src_d, wei_d, dst_d);
    const dnnl::matmul::primitive_desc pd(desc, qlinear_attr(*a, x, w, o, s.k), cpu());
    // The bias in accumulator units: oneDNN 2.x computes
    // oscale * (acc + bias) (qdiff found it; adding b / so fails).
    std::vector<float> bias;
    for (int64_t c = 0; a->bias && c < s.k; ++c) {
      const float sw = w.scales[size_t(w.axis < 0 ? 0 : c)];
      bias.push_back(static_cast<const float*>(a->bias->data)[c] / (x.scales[0] * sw));
    }
    std::unordered_map<int, dnnl::memory> args{
        {DNNL_ARG_SRC, dnnl::memory(src_d, cpu(), const_cast<void*>(a->x.data))},
        {DNNL_ARG_WEIGHTS, dnnl::memory(wei_d, cpu(), const_cast<void*>(a->w.data))},
        {DNNL_ARG_DST, dnnl::memory(dst_d, cpu(), out->data)}};
    if (a->bias) args.emplace(DNNL_ARG_BIAS, dnnl::memory(bias_d, cpu(), bias.data()));
    dnnl::stream stream(cpu());
    dnnl::matmul(pd).execute(stream, args);
    stream.wait();
    return QDIFF_STATUS_OK;
  } catch (const dnnl::error&) {
    return QDIFF_STATUS_UNSUPPORTED;
  }
}

const qdiff_backend kBackend = {QDIFF_BACKEND_ABI_VERSION, "onednn", nullptr, quantize, dequantize, qlinear};

}  // namespace

extern "C" const qdiff_backend* qdiff_backend_v1(void) { return &kBackend; }
// qlinear reads args->contract (include/qdiff/backend.h, features).
extern "C" uint32_t qdiff_backend_features(void) { return QDIFF_FEATURE_QLINEAR_CONTRACT; }
