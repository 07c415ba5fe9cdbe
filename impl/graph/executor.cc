// The optimized graph executor (impl/graph/executor.h, execute_graph): one
// switch over the node kinds, delegating to the optimized kernels.
#include <fmt/format.h>

#include "core/error.h"
#include "core/graph_budget.h"
#include "impl/graph/executor.h"
#include "impl/graph/float_ops.h"
#include "impl/graph/legacy_quant.h"
#include "impl/ops/fused_ops.h"
#include "impl/quantize/affine.h"

namespace qdiff::impl {
namespace {

class GraphRun {
 public:
  GraphRun(const Graph& g, const ImplOptions& options) : g_(g), options_(options), values_(g.nodes.size()) {
    // How many times each value is still to be read (outputs keep theirs).
    remaining_.assign(g.nodes.size(), 0);
    for (const Node& n : g.nodes) {
      for (int in : n.inputs) {
        if (in != kNoInput) ++remaining_[size_t(in)];
      }
    }
  }

  std::vector<Tensor> run(const std::vector<Tensor>& inputs) {
    const std::vector<int> input_ids = g_.input_ids();
    if (inputs.size() != input_ids.size()) {
      fail(ErrorKind::invalid_shape, "graph has {} input node(s), {} tensor(s) fed", input_ids.size(),
           inputs.size());
    }
    for (size_t k = 0; k < input_ids.size(); ++k) values_[size_t(input_ids[k])] = inputs[k];
    std::vector<bool> is_output(g_.nodes.size(), false);
    for (int out : g_.outputs) is_output[size_t(out)] = true;
    for (int id = 0; id < int(g_.nodes.size()); ++id) {
      try {
        values_[size_t(id)] = evaluate(id);
      } catch (const Error& e) {
        throw Error(e.kind(), fmt::format("{}: {}", describe_node(g_, id), e.what()));
      }
      // Release inputs nobody reads any more.
      for (int in : g_.node(id).inputs) {
        if (in != kNoInput && --remaining_[size_t(in)] == 0 && !is_output[size_t(in)]) values_[size_t(in)].reset();
      }
    }
    std::vector<Tensor> out;
    out.reserve(g_.outputs.size());
    for (int id : g_.outputs) out.push_back(*values_[size_t(id)]);
    return out;
  }

 private:
  const Tensor& required(const Node& n, size_t slot) const {
    const int id = n.input(slot);
    if (id == kNoInput || !values_[size_t(id)]) fail(ErrorKind::malformed_case, "input {} is absent", slot);
    return *values_[size_t(id)];
  }
  std::optional<Tensor> optional(const Node& n, size_t slot) const {
    const int id = n.input(slot);
    if (id == kNoInput) return std::nullopt;
    return required(n, slot);
  }

  QuantParams quant_params(const Node& n) const {
    return n.spec.params(required(n, 1), optional(n, 2));
  }

  Tensor evaluate(int id) const {
    const Node& n = g_.node(id);
    switch (n.kind) {
      case NodeKind::input: {
        const Tensor& fed = *values_[size_t(id)];
        if (fed.dtype() != n.value.dtype()) {
          fail(ErrorKind::unsupported, "fed tensor has dtype {}, the input declares {}", dtype_name(fed.dtype()),
               dtype_name(n.value.dtype()));
        }
        if (fed.shape() != n.value.shape()) {
          fail(ErrorKind::invalid_shape, "fed tensor has shape {}, the input declares {}", fed.shape().str(),
               n.value.shape().str());
        }
        return fed;
      }
      case NodeKind::constant: return n.value;
      case NodeKind::quantize: {
        const QuantParams p = quant_params(n);
        if (n.spec.legacy_axis) return legacy_quantize(required(n, 0), p, *n.spec.legacy_axis, n.spec.contract, options_);
        return quantize_affine(required(n, 0), p, n.spec.contract, options_);
      }
      case NodeKind::dequantize: {
        const QuantParams p = quant_params(n);
        if (n.spec.legacy_axis) return legacy_dequantize(required(n, 0), p, *n.spec.legacy_axis, options_);
        return dequantize_affine(required(n, 0), p, Contract::torchao, options_);
      }
      case NodeKind::linear: return linear_f32(required(n, 0), required(n, 1), optional(n, 2));
      case NodeKind::conv2d: return conv2d_f32(required(n, 0), required(n, 1), optional(n, 2), n.conv);
      case NodeKind::add: return add_f32(required(n, 0), required(n, 1));
      case NodeKind::mul: return mul_f32(required(n, 0), required(n, 1));
      case NodeKind::relu: return relu_f32(required(n, 0));
      case NodeKind::reshape: return required(n, 0).reshaped(n.target_shape);
      case NodeKind::qlinear:
        return qlinear(QLinearArgs{required(n, 0), n.params[0], required(n, 1), n.params[1], optional(n, 2),
                                   n.out_params, n.activation},
                       options_);
      case NodeKind::qconv2d:
        return qconv2d(QConv2dArgs{required(n, 0), n.params[0], required(n, 1), n.params[1], optional(n, 2),
                                   n.out_params, n.conv, n.activation},
                       options_);
      case NodeKind::qadd:
      case NodeKind::qmul:
        return qelementwise(QElementwiseArgs{n.kind == NodeKind::qadd ? ElementwiseOp::add : ElementwiseOp::mul,
                                             required(n, 0), n.params[0], required(n, 1), n.params[1], n.out_params,
                                             n.activation},
                            options_);
    }
    fail(ErrorKind::unsupported, "unknown node kind {}", int(n.kind));
  }

  const Graph& g_;
  const ImplOptions& options_;
  std::vector<std::optional<Tensor>> values_;
  std::vector<int> remaining_;
};

}  // namespace

std::vector<Tensor> execute_graph(const Graph& g, const std::vector<Tensor>& inputs, const ImplOptions& options) {
  g.check_structure();
  check_graph_budget(g);  // before any node: the same decision as reference/
  return GraphRun(g, options).run(inputs);
}

}  // namespace qdiff::impl
