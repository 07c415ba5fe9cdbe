// fuse-quantized-ops (SPEC section 8, docs/graph.md): chains
//   quantize(op(dequantize(qx, px), dequantize(qw, pw), bias?) [-> relu], p_out)
//   quantize(add|mul(dequantize(qa, pa), dequantize(qb, pb)) [-> relu], p_out)
// with op = linear or conv2d become one fused node
//   qlinear / qconv2d(qx, qw, bias?; px, pw, p_out, activation)
//   qadd / qmul(qa, qb; pa, pb, p_out, activation)
// whose params are copies of the constants (fused nodes carry them inline).
//
// Fires only when (otherwise the chain is left alone):
//  - the float op's value (and the relu's) has no other user, so nothing
//    else needs the intermediate f32 value; the dequantize nodes may have
//    other users (they stay for them);
//  - every quantize / dequantize involved is affine (not legacy) with
//    constant scale and zero point, the output quantize's zero-point domain
//    is int or none;
//  - the bias is absent or a constant with finite values (a fused op maps a
//    NaN y to the zero point, the original's quantize rejects it: with a
//    finite bias and finite dequantized operands, y is finite);
//  - the fused op's own validation (impl/ops/fused_validate.h) accepts the
//    operands' types and the params, so the rewrite never turns a valid
//    graph into an invalid one: x params per-tensor or per-row for qlinear,
//    per-tensor for qconv2d, out params per-tensor or per-channel along the
//    op's channel dim, operand dtypes of 8 or 16 bits, and so on.
// The output quantize's contract is dropped: fused ops quantize their real
// result once, half to even (SPEC section 8).
//
// Numerical contract: exact up to rounding. The original computes the float
// op in f32 (one rounding per output in the reference, (n + 4) u sum|x w|
// in an f32 implementation) and quantizes with its contract; the fused op
// computes the ideal real result and rounds it once. They agree except
// within those roundings of a rounding boundary.
#include <cmath>

#include "core/error.h"
#include "impl/graph/graph_edit.h"
#include "impl/graph/pass_helpers.h"
#include "impl/ops/fused_validate.h"

namespace qdiff::impl::passes {
namespace {

// The value of a node for validation: the constant itself, or zeros of the
// inferred type (validation reads only the bias's values).
std::optional<Tensor> placeholder(const Graph& g, const std::vector<std::optional<ValueType>>& types, int id) {
  if (const Tensor* c = constant_value(g, id)) return *c;
  const auto& t = type_of(types, id);
  if (!t) return std::nullopt;
  return Tensor(t->dtype, t->shape);
}

template <typename F>
bool accepted(F&& validate) {
  try {
    validate();
    return true;
  } catch (const Error&) {
    return false;
  }
}

class FuseRule {
 public:
  FuseRule(const Graph& g, FaultSet faults) : types_(infer_value_types(g)), faults_(faults) {}

  bool operator()(graph_edit::Rewriter& rw, int id) const {
    const Graph& g = rw.original();
    const Node& q = g.node(id);
    if (q.kind != NodeKind::quantize) return false;
    const std::optional<QuantParams> out = constant_params(g, id);
    if (!out || out->zero_point_domain == ZeroPointDomain::float_domain) return false;
    Activation act;
    int src = q.input(0);
    if (g.node(src).kind == NodeKind::relu) {
      if (rw.uses(src) != 1) return false;
      act.kind = ActivationKind::relu;
      src = g.node(src).input(0);
    }
    if (rw.uses(src) != 1) return false;
    const Node& op = g.node(src);
    switch (op.kind) {
      case NodeKind::linear:
      case NodeKind::conv2d: return fuse_gemm(rw, id, op, *out, act);
      case NodeKind::add:
      case NodeKind::mul: return fuse_elementwise(rw, id, op, *out, act);
      default: return false;
    }
  }

 private:
  // A dequantize operand: its quantized input's id and params.
  struct Operand {
    int q = kNoInput;
    QuantParams params;
    Tensor value;  // for validation
  };
  std::optional<Operand> dequantized(const Graph& g, int id) const {
    if (id < 0 || g.node(id).kind != NodeKind::dequantize) return std::nullopt;
    std::optional<QuantParams> p = constant_params(g, id);
    if (!p) return std::nullopt;
    const int q = g.node(id).input(0);
    std::optional<Tensor> v = placeholder(g, types_, q);
    if (!v) return std::nullopt;
    return Operand{q, std::move(*p), std::move(*v)};
  }

  bool fuse_gemm(graph_edit::Rewriter& rw, int q_id, const Node& op, const QuantParams& out,
                 const Activation& act) const {
    const Graph& g = rw.original();
    const std::optional<Operand> x = dequantized(g, op.input(0));
    const std::optional<Operand> w = dequantized(g, op.input(1));
    if (!x || !w) return false;
    std::optional<Tensor> bias;
    if (op.input(2) != kNoInput) {
      // FAULT POINT fused_bias_wrong_input: replaces `op.input(2)` (the bias
      // slot) by `op.input(1)` (the weight's dequantize, never a constant),
      // so no op with a bias is fused.
      const int bias_id = faults_.has(FaultPoint::fused_bias_wrong_input) ? op.input(1) : op.input(2);
      const Tensor* b = constant_value(g, bias_id);
      if (!b || b->dtype() != DType::f32) return false;
      for (float v : b->data<float>()) {
        if (!std::isfinite(v)) return false;
      }
      bias = *b;
    }
    Node fused;
    fused.params = {x->params, w->params};
    fused.out_params = out;
    fused.activation = act;
    if (op.kind == NodeKind::linear) {
      const QLinearArgs args{x->value, x->params, w->value, w->params, bias, out, act};
      if (!accepted([&] { validate_qlinear_args(args); })) return false;
      fused.kind = NodeKind::qlinear;
    } else {
      const QConv2dArgs args{x->value, x->params, w->value, w->params, bias, out, op.conv, act};
      if (!accepted([&] { validate_qconv2d_args(args); })) return false;
      fused.kind = NodeKind::qconv2d;
      fused.conv = op.conv;
    }
    fused.inputs = {rw.mapped(x->q), rw.mapped(w->q), rw.mapped_input(op.input(2))};
    fused.name = g.node(q_id).name;
    rw.replace(q_id, rw.emit(std::move(fused)));
    return true;
  }

  bool fuse_elementwise(graph_edit::Rewriter& rw, int q_id, const Node& op, const QuantParams& out,
                        const Activation& act) const {
    const Graph& g = rw.original();
    const std::optional<Operand> a = dequantized(g, op.input(0));
    const std::optional<Operand> b = dequantized(g, op.input(1));
    if (!a || !b) return false;
    const ElementwiseOp kind = op.kind == NodeKind::add ? ElementwiseOp::add : ElementwiseOp::mul;
    const QElementwiseArgs args{kind, a->value, a->params, b->value, b->params, out, act};
    if (!accepted([&] { validate_qelementwise_args(args); })) return false;
    Node fused;
    fused.kind = op.kind == NodeKind::add ? NodeKind::qadd : NodeKind::qmul;
    fused.params = {a->params, b->params};
    fused.out_params = out;
    fused.activation = act;
    fused.inputs = {rw.mapped(a->q), rw.mapped(b->q)};
    fused.name = g.node(q_id).name;
    rw.replace(q_id, rw.emit(std::move(fused)));
    return true;
  }

  std::vector<std::optional<ValueType>> types_;
  FaultSet faults_;
};

}  // namespace

Graph fuse_quantized_ops(const Graph& g, FaultSet faults) {
  return graph_edit::sweep_to_fixed_point(
      g, [faults](const Graph& current) -> graph_edit::Rule { return FuseRule(current, faults); });
}

}  // namespace qdiff::impl::passes
