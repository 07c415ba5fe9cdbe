#include "oracle/plugin_backend.h"

#include <dlfcn.h>

#include <vector>

#include <fmt/format.h>

#include "cases/graph_case.h"
#include "oracle/plugin_abi.h"

namespace qdiff {
namespace {

using plugin::check_status;
using plugin::output_view;
using plugin::ParamsView;
using plugin::view;

// A v1 table seen through v2: the entry points v1 lacks are NULL.
qdiff_backend_table_v2 widen(const qdiff_backend& v1) {
  qdiff_backend_table_v2 b{};
  b.abi_version = v1.abi_version;
  b.name = v1.name;
  b.context = v1.context;
  b.quantize_affine = v1.quantize_affine;
  b.dequantize_affine = v1.dequantize_affine;
  b.qlinear = v1.qlinear;
  return b;
}

// Output shapes qdiff allocates before a call. nullopt where the op's shape
// arguments are themselves invalid: then there is nothing to allocate and
// the call is not judged (the reference's shape errors are checked on
// qdiff's own implementation).
std::optional<Shape> choose_qparams_shape(const Shape& input, const ChooseQParamsArgs& a) {
  std::vector<int64_t> dims(input.begin(), input.end());
  if (!a.block_size) {
    return Shape::ones(input.rank());
  }
  if (a.block_size->size() != dims.size()) return std::nullopt;
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t b = (*a.block_size)[i];
    if (b < 1 || dims[i] % b != 0) return std::nullopt;
    dims[i] /= b;
  }
  return Shape::from(dims);
}

std::optional<Shape> qconv2d_shape(const QConv2dArgs& a) {
  const Shape& x = a.x.shape();
  const Shape& w = a.w.shape();
  const Conv2dAttrs& at = a.attrs;
  if (x.rank() != 4 || w.rank() != 4 || at.groups < 1 || w[0] % at.groups != 0) return std::nullopt;
  std::vector<int64_t> out{x[0], w[0], 0, 0};
  for (int i = 0; i < 2; ++i) {
    if (at.stride[i] < 1 || at.dilation[i] < 1 || at.padding[i] < 0 || at.padding[i + 2] < 0) return std::nullopt;
    // In 128 bits, as the reference computes it: dims and attributes are
    // int64 and their products must not wrap.
    const __int128 extent = __int128(at.dilation[i]) * (w[2 + i] - 1) + 1;
    const __int128 span = __int128(x[2 + i]) + at.padding[i] + at.padding[i + 2] - extent;
    if (span < 0) return std::nullopt;
    out[2 + size_t(i)] = int64_t(span / at.stride[i] + 1);
  }
  return Shape::from(out);
}

DType output_dtype(const QuantParams& out_params) {
  return is_integer(out_params.dtype) ? out_params.dtype : DType::i32;
}

// An output qdiff allocates for the plug-in; past the element cap there is
// nothing to allocate, and the call is not judged.
Tensor allocate(DType dtype, const Shape& shape) {
  try {
    return Tensor(dtype, shape);
  } catch (const Error&) {
    throw NotApplicable("an output above the element cap");
  }
}

class PluginBackend final : public OutsideBackend {
 public:
  PluginBackend(void* handle, const qdiff_backend_table_v2& b, uint32_t features)
      : handle_(handle), b_(b), features_(features) {}
  ~PluginBackend() override { dlclose(handle_); }

  std::string name() const override { return fmt::format("plugin:{}", b_.name ? b_.name : "?"); }

  Tensor quantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    require(b_.quantize_affine, "quantize_affine");
    Tensor out(output_dtype(p), x.shape());
    const qdiff_tensor in = view(x);
    const ParamsView pv(p);
    qdiff_output o = output_view(out);
    check_status(b_.quantize_affine(b_.context, &in, &pv.get(), qdiff_contract(int(c)), &o), name(),
                 "quantize_affine");
    return out;
  }
  Tensor dequantize_affine(const Tensor& x, const QuantParams& p, Contract) const override {
    require(b_.dequantize_affine, "dequantize_affine");
    Tensor out(DType::f32, x.shape());
    const qdiff_tensor in = view(x);
    const ParamsView pv(p);
    qdiff_output o = output_view(out);
    check_status(b_.dequantize_affine(b_.context, &in, &pv.get(), &o), name(), "dequantize_affine");
    return out;
  }
  ChosenQParams choose_qparams_affine(const Tensor& x, const ChooseQParamsArgs& a) const override;
  Tensor fake_quantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    // Without its own entry point: dequantize(quantize(x)) (SPEC section 7),
    // composed from the plug-in's.
    if (!b_.fake_quantize_affine) return dequantize_affine(quantize_affine(x, p, c), p, c);
    Tensor out(DType::f32, x.shape());
    const qdiff_tensor in = view(x);
    const ParamsView pv(p);
    qdiff_output o = output_view(out);
    check_status(b_.fake_quantize_affine(b_.context, &in, &pv.get(), qdiff_contract(int(c)), &o), name(),
                 "fake_quantize_affine");
    return out;
  }
  Tensor qlinear(const QLinearArgs& a) const override;
  Tensor qconv2d(const QConv2dArgs& a) const override;
  Tensor qelementwise(const QElementwiseArgs& a) const override;

  std::vector<std::string> graph_passes() const override {
    if (!b_.graph_passes || !b_.run_graph_pass) throw not_in_abi("graph passes");
    std::vector<std::string> passes;
    for (const char* const* p = b_.graph_passes; *p; ++p) passes.emplace_back(*p);
    return passes;
  }
  Graph run_graph_pass(std::string_view pass, const Graph& g) const override;
  // The pipeline, as the properties that compare whole pipelines need it.
  Graph optimize_graph(const Graph& g) const override {
    Graph out = g;
    for (const std::string& pass : graph_passes()) out = run_graph_pass(pass, out);
    return out;
  }

  // Outside the C ABI: every property that needs these is not applicable
  // to a plug-in, rather than passing vacuously or failing error parity
  // with `unsupported`.
  std::vector<Tensor> execute_graph(const Graph&, const std::vector<Tensor>&) const override {
    throw not_in_abi("graph execution");
  }

 private:
  template <typename Fn>
  void require(Fn* entry, const char* what) const {
    if (!entry) throw NotApplicable(fmt::format("{} has no {}", name(), what));
  }
  NotApplicable not_in_abi(std::string_view what) const {
    return NotApplicable(fmt::format("{}: {} are not in its ABI table", name(), what));
  }
  // A plug-in built before args->contract existed never reads it: only the
  // default contract is sent to it (include/qdiff/backend.h, features).
  void require_contract(const QLinearContract& c, const char* op) const {
    if (c.is_default() || (features_ & QDIFF_FEATURE_QLINEAR_CONTRACT)) return;
    throw NotApplicable(fmt::format("{} does not declare QDIFF_FEATURE_QLINEAR_CONTRACT: a {} "
                                    "call with {} is not sent", name(), op, describe(c)));
  }

  void* handle_;
  qdiff_backend_table_v2 b_;
  uint32_t features_;
};

ChosenQParams PluginBackend::choose_qparams_affine(const Tensor& x, const ChooseQParamsArgs& a) const {
  require(b_.choose_qparams_affine, "choose_qparams_affine");
  const std::optional<Shape> shape = choose_qparams_shape(x.shape(), a);
  if (!shape) throw NotApplicable("choose_qparams block sizes that give no scale shape");
  ChosenQParams out{Tensor(DType::f32, *shape), std::nullopt};
  if (a.zero_point_domain != ZeroPointDomain::none) {
    out.zero_point = Tensor(a.zero_point_domain == ZeroPointDomain::float_domain ? DType::f32 : DType::i32, *shape);
  }
  qdiff_choose_qparams_args c{};
  c.mapping = qdiff_mapping(int(a.mapping));
  c.dtype = plugin::to_c(a.dtype);
  c.quant_min = a.quant_min;
  c.quant_max = a.quant_max;
  c.eps = a.eps;
  c.zero_point_domain = a.zero_point_domain == ZeroPointDomain::int_domain     ? QDIFF_ZERO_POINT_INT
                        : a.zero_point_domain == ZeroPointDomain::float_domain ? QDIFF_ZERO_POINT_FLOAT
                                                                               : QDIFF_ZERO_POINT_NONE;
  c.block_size = a.block_size ? a.block_size->data() : nullptr;
  const qdiff_tensor in = view(x);
  qdiff_output scale = output_view(out.scale);
  qdiff_output zero_point{};
  if (out.zero_point) zero_point = output_view(*out.zero_point);
  check_status(b_.choose_qparams_affine(b_.context, &in, &c, &scale, out.zero_point ? &zero_point : nullptr),
               name(), "choose_qparams_affine");
  return out;
}

Tensor PluginBackend::qlinear(const QLinearArgs& a) const {
  require(b_.qlinear, "qlinear");
  require_contract(a.contract, "qlinear");
  Shape out_shape = a.x.shape();
  if (out_shape.rank() == 0 || a.w.shape().rank() != 2) throw NotApplicable("qlinear shapes it cannot express");
  out_shape[out_shape.rank() - 1] = a.w.shape()[0];
  Tensor out = allocate(output_dtype(a.out_params), out_shape);
  const plugin::WeightedOperands operands(a);
  qdiff_qlinear_args c{};
  operands.fill(a, c);
  qdiff_output o = output_view(out);
  check_status(b_.qlinear(b_.context, &c, &o), name(), "qlinear");
  return out;
}

Tensor PluginBackend::qconv2d(const QConv2dArgs& a) const {
  require(b_.qconv2d, "qconv2d");
  require_contract(a.contract, "qconv2d");
  const std::optional<Shape> shape = qconv2d_shape(a);
  if (!shape) throw NotApplicable("qconv2d shapes that give no output shape");
  Tensor out = allocate(output_dtype(a.out_params), *shape);
  const plugin::WeightedOperands operands(a);
  qdiff_qconv2d_args c{};
  operands.fill(a, c);
  for (int i = 0; i < 2; ++i) c.stride[i] = a.attrs.stride[size_t(i)];
  for (int i = 0; i < 4; ++i) c.padding[i] = a.attrs.padding[size_t(i)];
  for (int i = 0; i < 2; ++i) c.dilation[i] = a.attrs.dilation[size_t(i)];
  c.groups = a.attrs.groups;
  qdiff_output o = output_view(out);
  check_status(b_.qconv2d(b_.context, &c, &o), name(), "qconv2d");
  return out;
}

Tensor PluginBackend::qelementwise(const QElementwiseArgs& a) const {
  require(b_.qelementwise, "qelementwise");
  Shape shape;
  try {
    shape = broadcast_shapes(a.a.shape(), a.b.shape());
  } catch (const Error&) {
    throw NotApplicable("operand shapes that do not broadcast");
  }
  Tensor out = allocate(output_dtype(a.out_params), shape);
  const ParamsView ap(a.a_params), bp(a.b_params), op(a.out_params);
  qdiff_qelementwise_args c{};
  c.op = a.op == ElementwiseOp::add ? QDIFF_ELEMENTWISE_ADD : QDIFF_ELEMENTWISE_MUL;
  c.a = view(a.a);
  c.a_params = ap.get();
  c.b = view(a.b);
  c.b_params = bp.get();
  c.out_params = op.get();
  plugin::set_activation(c, a.activation);
  qdiff_output o = output_view(out);
  check_status(b_.qelementwise(b_.context, &c, &o), name(), "qelementwise");
  return out;
}

// The graph crosses the ABI as the JSON of a graph case's "graph" object;
// a transformed graph that does not parse is the plug-in's defect and
// fails the property (malformed_case escapes as an error).
Graph PluginBackend::run_graph_pass(std::string_view pass, const Graph& g) const {
  if (!b_.run_graph_pass) throw not_in_abi("graph passes");
  const std::string in = write_graph_object(g);
  qdiff_text out{};
  const qdiff_status st = b_.run_graph_pass(b_.context, std::string(pass).c_str(), in.c_str(), &out);
  std::string text = out.data ? std::string(out.data, out.size) : std::string();
  if (out.data && b_.free_text) b_.free_text(b_.context, &out);
  check_status(st, name(), "run_graph_pass");
  return parse_graph_json(text);
}

template <typename Table>
const Table* find_table(void* handle, const char* symbol) {
  using Entry = const Table* (*)();
  auto entry = reinterpret_cast<Entry>(dlsym(handle, symbol));
  return entry ? entry() : nullptr;
}

uint32_t find_features(void* handle) {
  auto entry = reinterpret_cast<qdiff_backend_features_entry>(dlsym(handle, QDIFF_BACKEND_FEATURES_SYMBOL));
  return entry ? entry() : 0;
}

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
  const auto fail_with = [&](const std::string& why) {
    dlclose(handle);
    throw std::runtime_error(fmt::format("{}: {}", path, why));
  };
  if (dlsym(handle, QDIFF_BACKEND_V2_ENTRY_SYMBOL)) {
    const auto* b = find_table<qdiff_backend_table_v2>(handle, QDIFF_BACKEND_V2_ENTRY_SYMBOL);
    if (!b || b->abi_version != QDIFF_BACKEND_ABI_VERSION_2) {
      fail_with(fmt::format("{} returned ABI version {} (expected {})", QDIFF_BACKEND_V2_ENTRY_SYMBOL,
                            b ? int(b->abi_version) : -1, QDIFF_BACKEND_ABI_VERSION_2));
    }
    return std::make_unique<PluginBackend>(handle, *b, find_features(handle));
  }
  if (!dlsym(handle, QDIFF_BACKEND_ENTRY_SYMBOL)) {
    fail_with(fmt::format("exports neither {} nor {}", QDIFF_BACKEND_V2_ENTRY_SYMBOL, QDIFF_BACKEND_ENTRY_SYMBOL));
  }
  const auto* b = find_table<qdiff_backend>(handle, QDIFF_BACKEND_ENTRY_SYMBOL);
  if (!b || b->abi_version != QDIFF_BACKEND_ABI_VERSION) {
    fail_with(fmt::format("ABI version {} (qdiff speaks {} and {})", b ? int(b->abi_version) : -1,
                          QDIFF_BACKEND_ABI_VERSION, QDIFF_BACKEND_ABI_VERSION_2));
  }
  return std::make_unique<PluginBackend>(handle, widen(*b), find_features(handle));
}

}  // namespace qdiff
