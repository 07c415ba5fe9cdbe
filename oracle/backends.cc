#include <fmt/format.h>

#include "oracle/backend_interface.h"
#include "reference/choose_qparams.h"
#include "reference/dequantize.h"
#include "reference/fake_quantize.h"
#include "reference/fused_ops.h"
#include "reference/graph_eval.h"
#include "reference/quantize.h"

namespace qdiff {

std::optional<std::string> Backend::kernel_path(const Shape&, const QuantParams&) const {
  return std::nullopt;
}
Tensor Backend::qlinear(const QLinearArgs&) const {
  fail(ErrorKind::unsupported, "backend {} does not implement qlinear", name());
}
Tensor Backend::qconv2d(const QConv2dArgs&) const {
  fail(ErrorKind::unsupported, "backend {} does not implement qconv2d", name());
}
Tensor Backend::qelementwise(const QElementwiseArgs& a) const {
  fail(ErrorKind::unsupported, "backend {} does not implement {}", name(), elementwise_op_name(a.op));
}
std::vector<std::string> Backend::graph_passes() const { return {}; }
Graph Backend::run_graph_pass(std::string_view pass, const Graph&) const {
  fail(ErrorKind::unsupported, "backend {} has no graph pass {}", name(), pass);
}
Graph Backend::optimize_graph(const Graph&) const {
  fail(ErrorKind::unsupported, "backend {} does not optimize graphs", name());
}
std::vector<Tensor> Backend::execute_graph(const Graph&, const std::vector<Tensor>&) const {
  fail(ErrorKind::unsupported, "backend {} does not execute graphs", name());
}
LoweredProgram Backend::lower_graph(const Graph&) const {
  fail(ErrorKind::unsupported, "backend {} does not lower graphs", name());
}
std::vector<Tensor> Backend::execute_lowered(const LoweredProgram&, const std::vector<Tensor>&) const {
  fail(ErrorKind::unsupported, "backend {} does not execute lowered programs", name());
}

namespace {

class ReferenceBackend final : public Backend {
 public:
  std::string name() const override { return "reference"; }
  Tensor quantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    return reference::quantize_affine(x, p, c);
  }
  Tensor dequantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    return reference::dequantize_affine(x, p, c);
  }
  ChosenQParams choose_qparams_affine(const Tensor& x,
                                      const ChooseQParamsArgs& a) const override {
    return reference::choose_qparams_affine(x, a);
  }
  Tensor fake_quantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    return reference::fake_quantize_affine(x, p, c);
  }
  Tensor qlinear(const QLinearArgs& a) const override { return reference::qlinear(a).output; }
  Tensor qconv2d(const QConv2dArgs& a) const override { return reference::qconv2d(a).output; }
  Tensor qelementwise(const QElementwiseArgs& a) const override {
    return reference::qelementwise(a).output;
  }
  std::vector<Tensor> execute_graph(const Graph& g, const std::vector<Tensor>& inputs) const override {
    return reference::evaluate_graph(g, inputs);
  }
};

}  // namespace

std::unique_ptr<Backend> make_reference_backend() { return std::make_unique<ReferenceBackend>(); }

}  // namespace qdiff
