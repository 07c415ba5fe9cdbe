#include "adapters/optimized_backend.h"

#include <fmt/format.h>

#include "impl/graph/executor.h"
#include "impl/graph/lowering.h"
#include "impl/graph/passes.h"
#include "impl/ops/fused_ops.h"
#include "impl/quantize/affine.h"

namespace qdiff {
namespace {

class OptimizedBackend final : public Backend {
 public:
  OptimizedBackend(const impl::ImplOptions& o, const OptimizedBackendConfig& config)
      : options_(o), config_(config) {}
  std::string name() const override {
    std::string n = fmt::format("optimized[{}]",
                                impl::isa_name(options_.isa.value_or(impl::best_isa())));
    if (options_.threads > 1) n += fmt::format("+threads:{}", options_.threads);
    if (config_.prepack_qlinear_weights) n += "+prepacked";
    if (config_.preallocated_outputs) n += "+into";
    for (const impl::FaultInfo& fault : impl::kFaultCatalogue) {
      if (options_.faults.has(fault.point)) n += fmt::format("+fault:{}", fault.name);
    }
    return n;
  }
  Tensor quantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    if (config_.preallocated_outputs) {
      Tensor out(p.dtype, x.shape());  // x exists, so its shape is allocatable
      impl::quantize_affine_into(x, p, c, out, options_);
      return out;
    }
    return impl::quantize_affine(x, p, c, options_);
  }
  Tensor dequantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    if (config_.preallocated_outputs) {
      Tensor out(DType::f32, x.shape());
      impl::dequantize_affine_into(x, p, c, out, options_);
      return out;
    }
    return impl::dequantize_affine(x, p, c, options_);
  }
  ChosenQParams choose_qparams_affine(const Tensor& x,
                                      const ChooseQParamsArgs& a) const override {
    return impl::choose_qparams_affine(x, a, options_);
  }
  Tensor fake_quantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    return impl::fake_quantize_affine(x, p, c, options_);
  }
  Tensor qlinear(const QLinearArgs& a) const override {
    if (config_.prepack_qlinear_weights) return impl::qlinear(a, impl::PackedLinearWeights::pack(a), options_);
    return impl::qlinear(a, options_);
  }
  Tensor qconv2d(const QConv2dArgs& a) const override { return impl::qconv2d(a, options_); }
  Tensor qelementwise(const QElementwiseArgs& a) const override {
    return impl::qelementwise(a, options_);
  }
  std::vector<std::string> graph_passes() const override {
    std::vector<std::string> names;
    for (impl::GraphPass p : impl::kAllGraphPasses) names.emplace_back(impl::graph_pass_name(p));
    return names;
  }
  Graph run_graph_pass(std::string_view pass, const Graph& g) const override {
    const auto p = impl::parse_graph_pass(pass);
    if (!p) fail(ErrorKind::unsupported, "no graph pass named {}", pass);
    return impl::run_pass(*p, g, options_);
  }
  Graph optimize_graph(const Graph& g) const override { return impl::optimize_graph(g, options_); }
  std::vector<Tensor> execute_graph(const Graph& g, const std::vector<Tensor>& inputs) const override {
    return impl::execute_graph(g, inputs, options_);
  }
  LoweredProgram lower_graph(const Graph& g) const override { return impl::lower_graph(g, options_); }
  std::vector<Tensor> execute_lowered(const LoweredProgram& p, const std::vector<Tensor>& inputs) const override {
    return impl::execute_lowered(p, inputs, options_);
  }
  std::optional<std::string> kernel_path(const Shape& input,
                                         const QuantParams& p) const override {
    return std::string(impl::kernel_path_name(impl::plan_kernel_path(input, p)));
  }

 private:
  impl::ImplOptions options_;
  OptimizedBackendConfig config_;
};

}  // namespace

std::unique_ptr<Backend> make_optimized_backend(const impl::ImplOptions& o, const OptimizedBackendConfig& config) {
  return std::make_unique<OptimizedBackend>(o, config);
}

}  // namespace qdiff
