#include "oracle/plugin_backend.h"

#include <dlfcn.h>

#include <vector>

#include <fmt/format.h>

#include "core/block_layout.h"
#include "qdiff/backend.h"

namespace qdiff {
namespace {

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

// Keeps the C structs' pointers alive for one call.
struct ParamsView {
  qdiff_quant_params c{};
  qdiff_tensor zero_point{};
  explicit ParamsView(const QuantParams& p) {
    c.scale = view(p.scale);
    if (p.zero_point) {
      zero_point = view(*p.zero_point);
      c.zero_point = &zero_point;
    }
    c.quant_min = p.quant_min;
    c.quant_max = p.quant_max;
    c.dtype = to_c(p.dtype);
    c.zero_point_domain = p.zero_point_domain == ZeroPointDomain::int_domain ? QDIFF_ZERO_POINT_INT
                          : p.zero_point_domain == ZeroPointDomain::float_domain ? QDIFF_ZERO_POINT_FLOAT
                                                                                 : QDIFF_ZERO_POINT_NONE;
    c.block_size = p.block_size ? p.block_size->data() : nullptr;
  }
  ParamsView(const ParamsView&) = delete;
};

qdiff_output output_view(Tensor& t) {
  return {to_c(t.dtype()), int32_t(t.shape().rank()), t.shape().begin(), t.raw()};
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

class PluginBackend final : public OutsideBackend {
 public:
  PluginBackend(void* handle, const qdiff_backend* b) : handle_(handle), b_(b) {}
  ~PluginBackend() override { dlclose(handle_); }

  std::string name() const override { return fmt::format("plugin:{}", b_->name ? b_->name : "?"); }

  Tensor quantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    if (!b_->quantize_affine) throw NotApplicable(name() + " has no quantize_affine");
    Tensor out(is_integer(p.dtype) ? p.dtype : DType::i32, x.shape());
    const qdiff_tensor in = view(x);
    const ParamsView pv(p);
    qdiff_output o = output_view(out);
    check_status(b_->quantize_affine(b_->context, &in, &pv.c, qdiff_contract(int(c)), &o), name(),
                 "quantize_affine");
    return out;
  }
  Tensor dequantize_affine(const Tensor& x, const QuantParams& p, Contract) const override {
    if (!b_->dequantize_affine) throw NotApplicable(name() + " has no dequantize_affine");
    Tensor out(DType::f32, x.shape());
    const qdiff_tensor in = view(x);
    const ParamsView pv(p);
    qdiff_output o = output_view(out);
    check_status(b_->dequantize_affine(b_->context, &in, &pv.c, &o), name(), "dequantize_affine");
    return out;
  }
  ChosenQParams choose_qparams_affine(const Tensor&, const ChooseQParamsArgs&) const override {
    throw NotApplicable(name() + " has no choose_qparams_affine");
  }
  Tensor fake_quantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    // fake_quantize = dequantize(quantize(x)) (SPEC section 7), composed
    // from the plug-in's own entry points.
    return dequantize_affine(quantize_affine(x, p, c), p, c);
  }
  Tensor qlinear(const QLinearArgs& a) const override {
    if (!b_->qlinear) throw NotApplicable(name() + " has no qlinear");
    Shape out_shape = a.x.shape();
    if (out_shape.rank() == 0 || a.w.shape().rank() != 2) throw NotApplicable("qlinear shapes it cannot express");
    out_shape[out_shape.rank() - 1] = a.w.shape()[0];
    Tensor out(is_integer(a.out_params.dtype) ? a.out_params.dtype : DType::i32, out_shape);
    const ParamsView xp(a.x_params), wp(a.w_params), op(a.out_params);
    qdiff_qlinear_args c{};
    c.x = view(a.x);
    c.x_params = xp.c;
    c.x_params.zero_point = xp.c.zero_point ? &xp.zero_point : nullptr;
    c.w = view(a.w);
    c.w_params = wp.c;
    c.w_params.zero_point = wp.c.zero_point ? &wp.zero_point : nullptr;
    qdiff_tensor bias{};
    if (a.bias) {
      bias = view(*a.bias);
      c.bias = &bias;
    }
    c.out_params = op.c;
    c.out_params.zero_point = op.c.zero_point ? &op.zero_point : nullptr;
    c.activation = int32_t(a.activation.kind);
    c.activation_lo = a.activation.lo;
    c.activation_hi = a.activation.hi;
    qdiff_output o = output_view(out);
    check_status(b_->qlinear(b_->context, &c, &o), name(), "qlinear");
    return out;
  }

  // Outside the C ABI (v1): every property that needs these is not
  // applicable to a plug-in, rather than passing vacuously or failing
  // error parity with `unsupported`.
  Tensor qconv2d(const QConv2dArgs&) const override { throw NotApplicable(name() + ": qconv2d is not in the ABI"); }
  Tensor qelementwise(const QElementwiseArgs&) const override {
    throw NotApplicable(name() + ": qadd / qmul are not in the ABI");
  }
  std::vector<std::string> graph_passes() const override { throw not_in_abi("graph passes"); }
  Graph run_graph_pass(std::string_view, const Graph&) const override { throw not_in_abi("graph passes"); }
  Graph optimize_graph(const Graph&) const override { throw not_in_abi("graph passes"); }
  std::vector<Tensor> execute_graph(const Graph&, const std::vector<Tensor>&) const override {
    throw not_in_abi("graph execution");
  }

 private:
  NotApplicable not_in_abi(std::string_view what) const {
    return NotApplicable(fmt::format("{}: {} are not in the ABI", name(), what));
  }

  void* handle_;
  const qdiff_backend* b_;
};

}  // namespace

LoweredProgram OutsideBackend::lower_graph(const Graph&) const {
  throw NotApplicable(name() + ": lowering is not in its interface");
}
std::vector<Tensor> OutsideBackend::execute_lowered(const LoweredProgram&, const std::vector<Tensor>&) const {
  throw NotApplicable(name() + ": lowered programs are not in its interface");
}
std::optional<std::string> OutsideBackend::kernel_path(const Shape&, const QuantParams&) const {
  throw NotApplicable(name() + ": kernel paths are not in its interface");
}

std::unique_ptr<Backend> load_plugin_backend(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw std::runtime_error(fmt::format("cannot load {}: {}", path, dlerror()));
  auto entry = reinterpret_cast<qdiff_backend_entry>(dlsym(handle, QDIFF_BACKEND_ENTRY_SYMBOL));
  if (!entry) {
    dlclose(handle);
    throw std::runtime_error(fmt::format("{} does not export {}", path, QDIFF_BACKEND_ENTRY_SYMBOL));
  }
  const qdiff_backend* b = entry();
  if (!b || b->abi_version != QDIFF_BACKEND_ABI_VERSION) {
    dlclose(handle);
    throw std::runtime_error(fmt::format("{}: ABI version {} (qdiff speaks {})", path,
                                         b ? int(b->abi_version) : -1, QDIFF_BACKEND_ABI_VERSION));
  }
  return std::make_unique<PluginBackend>(handle, b);
}

}  // namespace qdiff
