// Reference graph interpreter (reference/graph_eval.h): one switch over the
// node kinds, delegating to the reference ops; the legacy per-channel
// quantize / dequantize is implemented here, natively.
#include "reference/graph_eval.h"

#include <cmath>
#include <cstdint>
#include <span>
#include <string>

#include <fmt/format.h>

#include "core/argument_checks.h"
#include "core/error.h"
#include "core/graph_budget.h"
#include "core/limits.h"
#include "reference/dequantize.h"
#include "reference/float_ops.h"
#include "reference/fused_ops.h"
#include "reference/nd_index.h"
#include "reference/quantize.h"
#include "reference/validate.h"

namespace qdiff::reference {
namespace {

// The values a node reads, by input slot.
class NodeInputs {
 public:
  NodeInputs(const Node& node, const std::vector<Tensor>& values) : node_(node), values_(values) {}

  const Tensor& required(size_t slot) const {
    const int id = node_.input(slot);
    if (id == kNoInput) fail(ErrorKind::malformed_case, "input {} is absent", slot);
    return at(slot, id);
  }
  std::optional<Tensor> optional(size_t slot) const {
    const int id = node_.input(slot);
    if (id == kNoInput) return std::nullopt;
    return at(slot, id);
  }

 private:
  const Tensor& at(size_t slot, int id) const {
    if (id < 0 || size_t(id) >= values_.size()) {
      fail(ErrorKind::malformed_case, "input {} is node {}, whose value is not available", slot, id);
    }
    return values_[size_t(id)];
  }

  const Node& node_;
  const std::vector<Tensor>& values_;
};

// QuantParams of a quantize / dequantize node from its scale and zero-point
// values and spec, without the legacy axis (which needs the data's rank).
QuantParams assemble_params(const Node& node, const NodeInputs& in) {
  return node.spec.params(in.required(1), in.optional(2));
}

// The legacy per-channel form (reference/graph_eval.h has the validation
// order): element x[i0..ir-1] uses scale[i_a'] and zero_point[i_a'].
Tensor legacy_affine(AffineOp op, const Tensor& data, const QuantParams& p, int64_t axis,
                     Contract contract) {
  const bool quantize = op == AffineOp::quantize;
  // 1-4 (shared with impl/)
  check_affine_arguments(quantize ? "quantize" : "dequantize", !quantize, data.dtype(),
                         data.shape(), p);
  const int a = check_legacy_shapes(data.shape(), p, axis);
  // 5 scale values, 6 zero point
  check_scale_values(p);
  check_zero_point_values(p);
  // 7 NaN
  if (quantize) {
    const auto x = data.data<float>();
    for (size_t i = 0; i < x.size(); ++i) {
      if (std::isnan(x[i])) fail(ErrorKind::nan_input, "input element {} is NaN", i);
    }
  }

  const auto scale = p.scale.data<float>();
  const auto zero_point = [&](int64_t c) { return p.zero_point ? p.zero_point->value_at(c) : 0.0; };
  if (quantize) {
    Tensor out(p.dtype, data.shape());
    const auto x = data.data<float>();
    visit_integer_dtype(p.dtype, [&](auto tag) {
      using Q = decltype(tag);
      auto q = out.data<Q>();
      for_each_index(data.shape(), [&](std::span<const int64_t> index, int64_t flat) {
        const int64_t c = index[size_t(a)];
        // q lies in [quant_min, quant_max], within Q's range (step 3).
        q[size_t(flat)] = Q(quantize_element(x[size_t(flat)], scale[size_t(c)], zero_point(c), p,
                                             contract).q);
      });
    });
    return out;
  }
  Tensor out(DType::f32, data.shape());
  auto y = out.data<float>();
  for_each_index(data.shape(), [&](std::span<const int64_t> index, int64_t flat) {
    const int64_t c = index[size_t(a)];
    y[size_t(flat)] = dequantize_element(double(data.int_at(flat)), scale[size_t(c)],
                                         zero_point(c), p);
  });
  return out;
}

Tensor evaluate_quant_node(const Node& node, const NodeInputs& in) {
  const bool quantize = node.kind == NodeKind::quantize;
  const Tensor& data = in.required(0);
  const QuantParams p = assemble_params(node, in);
  if (node.spec.legacy_axis) {
    return legacy_affine(quantize ? AffineOp::quantize : AffineOp::dequantize, data, p,
                         *node.spec.legacy_axis, node.spec.contract);
  }
  return quantize ? quantize_affine(data, p, node.spec.contract) : dequantize_affine(data, p);
}

Tensor evaluate_input(const Node& node, int id, const std::vector<Tensor>& values) {
  if (id < 0 || size_t(id) >= values.size()) {
    fail(ErrorKind::malformed_case, "no tensor is fed to this input");
  }
  const Tensor& fed = values[size_t(id)];
  if (fed.dtype() != node.value.dtype()) {
    fail(ErrorKind::unsupported, "fed tensor has dtype {}, the input declares {}",
         dtype_name(fed.dtype()), dtype_name(node.value.dtype()));
  }
  if (fed.shape() != node.value.shape()) {
    fail(ErrorKind::invalid_shape, "fed tensor has shape {}, the input declares {}",
         fed.shape().str(), node.value.shape().str());
  }
  return fed;
}

Tensor evaluate_unnamed(const Graph& g, int id, const std::vector<Tensor>& values) {
  const Node& node = g.node(id);
  const NodeInputs in(node, values);
  switch (node.kind) {
    case NodeKind::input:
      return evaluate_input(node, id, values);
    case NodeKind::constant:
      return node.value;
    case NodeKind::quantize:
    case NodeKind::dequantize:
      return evaluate_quant_node(node, in);
    case NodeKind::linear:
      return linear_f32(in.required(0), in.required(1), in.optional(2));
    case NodeKind::conv2d:
      return conv2d_f32(in.required(0), in.required(1), in.optional(2), node.conv);
    case NodeKind::add:
      return add_f32(in.required(0), in.required(1));
    case NodeKind::mul:
      return mul_f32(in.required(0), in.required(1));
    case NodeKind::relu:
      return relu_f32(in.required(0));
    case NodeKind::reshape:
      return in.required(0).reshaped(node.target_shape);  // invalid_shape on a count mismatch
    case NodeKind::qlinear: {
      QLinearArgs a;
      a.x = in.required(0);
      a.x_params = node.params[0];
      a.w = in.required(1);
      a.w_params = node.params[1];
      a.bias = in.optional(2);
      a.out_params = node.out_params;
      a.activation = node.activation;
      return qlinear(a).output;
    }
    case NodeKind::qconv2d: {
      QConv2dArgs a;
      a.x = in.required(0);
      a.x_params = node.params[0];
      a.w = in.required(1);
      a.w_params = node.params[1];
      a.bias = in.optional(2);
      a.out_params = node.out_params;
      a.attrs = node.conv;
      a.activation = node.activation;
      return qconv2d(a).output;
    }
    case NodeKind::qadd:
    case NodeKind::qmul: {
      QElementwiseArgs a;
      a.op = node.kind == NodeKind::qadd ? ElementwiseOp::add : ElementwiseOp::mul;
      a.a = in.required(0);
      a.a_params = node.params[0];
      a.b = in.required(1);
      a.b_params = node.params[1];
      a.out_params = node.out_params;
      a.activation = node.activation;
      return qelementwise(a).output;
    }
  }
  fail(ErrorKind::unsupported, "unknown node kind {}", int(node.kind));
}

// Runs f, prefixing any qdiff::Error's message with the node.
template <typename F>
auto naming_node(const Graph& g, int id, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    throw Error(e.kind(), fmt::format("{}: {}", describe_node(g, id), e.what()));
  }
}

void check_node_id(const Graph& g, int id) {
  if (id < 0 || size_t(id) >= g.nodes.size()) {
    fail(ErrorKind::malformed_case, "graph has no node {} ({} nodes)", id, g.nodes.size());
  }
}

}  // namespace

Tensor evaluate_node(const Graph& g, int id, const std::vector<Tensor>& values) {
  check_node_id(g, id);
  return naming_node(g, id, [&] { return evaluate_unnamed(g, id, values); });
}

std::vector<Tensor> evaluate_graph_values(const Graph& g, const std::vector<Tensor>& inputs) {
  g.check_structure();
  check_graph_budget(g);  // before any node: the same decision as impl/
  const std::vector<int> input_ids = g.input_ids();
  if (inputs.size() != input_ids.size()) {
    fail(ErrorKind::invalid_shape, "graph has {} input node(s), {} tensor(s) fed",
         input_ids.size(), inputs.size());
  }
  std::vector<Tensor> values(g.nodes.size());
  for (size_t k = 0; k < input_ids.size(); ++k) values[size_t(input_ids[k])] = inputs[k];
  for (size_t i = 0; i < g.nodes.size(); ++i) values[i] = evaluate_node(g, int(i), values);
  return values;
}

std::vector<Tensor> evaluate_graph(const Graph& g, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> values = evaluate_graph_values(g, inputs);
  std::vector<Tensor> outputs;
  outputs.reserve(g.outputs.size());
  for (int id : g.outputs) outputs.push_back(values[size_t(id)]);  // ids checked by check_structure
  return outputs;
}

QuantParams node_quant_params(const Graph& g, int id, const std::vector<Tensor>& values,
                              std::optional<int>* legacy_axis) {
  check_node_id(g, id);
  return naming_node(g, id, [&] {
    const Node& node = g.node(id);
    if (node.kind != NodeKind::quantize && node.kind != NodeKind::dequantize) {
      fail(ErrorKind::unsupported, "a {} node has no quantization params",
           node_kind_name(node.kind));
    }
    const NodeInputs in(node, values);
    QuantParams p = assemble_params(node, in);
    std::optional<int> axis;
    if (node.spec.legacy_axis) axis = normalize_legacy_axis(*node.spec.legacy_axis, in.required(0).shape());
    if (legacy_axis) *legacy_axis = axis;
    return p;
  });
}

}  // namespace qdiff::reference
