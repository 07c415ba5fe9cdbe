#include "properties/fusion_legality.h"

#include <cmath>

#include "core/error.h"
#include "reference/fused_validate.h"

namespace qdiff::props {

bool mul_folds_into_linear(const Tensor& c, const Shape& linear_out, const Tensor& weight_scale) {
  const int r = linear_out.rank(), cr = c.shape().rank();
  if (r < 1 || cr > r || c.dtype() != DType::f32) return false;
  const int64_t k = linear_out[r - 1];
  for (int d = 0; d < cr; ++d) {
    const int64_t dim = c.shape()[d];
    if (d + 1 < cr ? dim != 1 : (dim != 1 && dim != k)) return false;
  }
  for (float v : c.data<float>()) {
    if (!std::isfinite(v) || !(v > 0.0f)) return false;
  }
  for (float s : weight_scale.data<float>()) {
    for (float v : c.data<float>()) {
      const float product = s * v;
      if (!std::isfinite(product) || !std::isnormal(product)) return false;
    }
  }
  return true;
}

namespace {

// The reference's validation accepts the call.
template <typename Args, typename Validate>
bool validates(const Args& args, Validate validate) {
  try {
    (void)validate(args);
    return true;
  } catch (const Error&) {
    return false;
  }
}

bool finite_bias(const std::optional<Tensor>& bias) {
  if (!bias) return true;
  for (float v : bias->data<float>()) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

}  // namespace

bool qlinear_accepts(const QLinearArgs& args) {
  return finite_bias(args.bias) && validates(args, reference::validate_qlinear);
}
bool qconv2d_accepts(const QConv2dArgs& args) {
  return finite_bias(args.bias) && validates(args, reference::validate_qconv2d);
}
bool qelementwise_accepts(const QElementwiseArgs& args) { return validates(args, reference::validate_qelementwise); }

namespace {

// A constant node's value, also through a chain of reshapes.
std::optional<Tensor> constant_through_reshapes(const Graph& g, int id) {
  if (id < 0) return std::nullopt;
  const Node& n = g.node(id);
  if (n.kind == NodeKind::constant) return n.value;
  if (n.kind != NodeKind::reshape) return std::nullopt;
  std::optional<Tensor> v = constant_through_reshapes(g, n.input(0));
  if (!v || v->numel() != n.target_shape.numel()) return std::nullopt;
  return v->reshaped(n.target_shape);
}

// [C] -> [1, .., C, .., 1] with C at dim `axis` of `rank`.
Tensor along_axis(const Tensor& t, int64_t axis, int rank) {
  Shape s = Shape::ones(rank);
  s[int(axis)] = t.numel();
  return t.reshaped(s);
}

}  // namespace

std::optional<QuantParams> affine_params_of(const Graph& g, int id, int data_rank) {
  const Node& n = g.node(id);
  if (n.kind != NodeKind::quantize && n.kind != NodeKind::dequantize) return std::nullopt;
  std::optional<Tensor> scale = constant_through_reshapes(g, n.input(1));
  if (!scale) return std::nullopt;
  QuantParams p;
  p.scale = *scale;
  if (n.input(2) != kNoInput) {
    p.zero_point = constant_through_reshapes(g, n.input(2));
    if (!p.zero_point) return std::nullopt;
  }
  p.quant_min = n.spec.quant_min;
  p.quant_max = n.spec.quant_max;
  p.dtype = n.spec.dtype;
  p.zero_point_domain = n.spec.zero_point_domain;
  p.block_size = n.spec.block_size;
  if (n.spec.legacy_axis) {
    const int64_t a = *n.spec.legacy_axis < 0 ? *n.spec.legacy_axis + data_rank : *n.spec.legacy_axis;
    if (a < 0 || a >= data_rank || p.scale.shape().rank() != 1) return std::nullopt;
    p.scale = along_axis(p.scale, a, data_rank);
    if (p.zero_point) {
      if (p.zero_point->numel() != p.scale.numel()) return std::nullopt;
      p.zero_point = along_axis(*p.zero_point, a, data_rank);
    }
  }
  return p;
}

namespace {

bool is_kind(const Graph& g, int id, NodeKind k) { return id >= 0 && size_t(id) < g.nodes.size() && g.node(id).kind == k; }

// The op (a linear or conv2d) reads dequantize(W), W a constant.
bool op_reads_weight(const Graph& g, int op, int w) {
  if (!is_kind(g, op, NodeKind::linear) && !is_kind(g, op, NodeKind::conv2d)) return false;
  if (!is_kind(g, w, NodeKind::constant)) return false;
  const int dq = g.node(op).input(1);
  return is_kind(g, dq, NodeKind::dequantize) && g.node(dq).input(0) == w;
}

// The mul's operands are {linear, c} in either order, c a constant.
bool mul_of(const Graph& g, int mul, int linear, int c) {
  if (!is_kind(g, mul, NodeKind::mul) || !is_kind(g, c, NodeKind::constant)) return false;
  if (!is_kind(g, linear, NodeKind::linear)) return false;
  const Node& m = g.node(mul);
  return (m.input(0) == linear && m.input(1) == c) || (m.input(0) == c && m.input(1) == linear);
}

bool single_use(const std::vector<int>& uses, int id) { return id >= 0 && size_t(id) < uses.size() && uses[size_t(id)] == 1; }

struct Context {
  const Graph& g;
  const ShapeOf& shape_of;
  const std::vector<int>& uses;
};

std::optional<Firing> mul_firing(const Context& cx, int mul, int linear, int w, int c) {
  if (!mul_of(cx.g, mul, linear, c) || !op_reads_weight(cx.g, linear, w)) return std::nullopt;
  const auto out = cx.shape_of(linear);
  const auto pw = affine_params_of(cx.g, cx.g.node(linear).input(1), 2);
  if (!out || !pw || !single_use(cx.uses, linear)) return Firing::may;
  return mul_folds_into_linear(cx.g.node(c).value, *out, pw->scale) ? Firing::must : Firing::must_not;
}

// quantize q <- [relu] <- [mul(linear, c)] <- op: the chain's activation
// and the mul, if any; nullopt if q does not end a chain on `op` (a mul
// only after a linear).
struct Chain {
  Activation act;
  int mul = kNoInput, c = kNoInput;
};
std::optional<Chain> chain_of(const Context& cx, int q, int op) {
  if (!is_kind(cx.g, q, NodeKind::quantize)) return std::nullopt;
  Chain ch;
  int src = cx.g.node(q).input(0);
  if (is_kind(cx.g, src, NodeKind::relu)) {
    ch.act.kind = ActivationKind::relu;
    src = cx.g.node(src).input(0);
  }
  if (is_kind(cx.g, src, NodeKind::mul)) {
    const Node& m = cx.g.node(src);
    ch.mul = src;
    ch.c = m.input(0) == op ? m.input(1) : m.input(0);
    if (!mul_of(cx.g, src, op, ch.c)) return std::nullopt;
  } else if (src != op) {
    return std::nullopt;
  }
  return ch;
}

// Every value between the op and the quantize has the chain as its only user.
bool chain_unshared(const Context& cx, int q, int op) {
  for (int id = cx.g.node(q).input(0); id != op; id = cx.g.node(id).kind == NodeKind::mul ? op : cx.g.node(id).input(0)) {
    if (!single_use(cx.uses, id)) return false;
  }
  return single_use(cx.uses, op);
}

// The fused op of SPEC section 8 accepts the chain's operands and params.
bool fused_op_accepts(const Context& cx, int q, int op, int w, const Activation& act) {
  const Node& n = cx.g.node(op);
  const int x = n.input(0);
  const auto x_shape = cx.shape_of(x), out_shape = cx.shape_of(q);
  if (!is_kind(cx.g, x, NodeKind::dequantize) || !x_shape || !out_shape) return false;
  const Tensor& wq = cx.g.node(w).value;
  const auto px = affine_params_of(cx.g, x, x_shape->rank());
  const auto pw = affine_params_of(cx.g, n.input(1), wq.shape().rank());
  const auto pout = affine_params_of(cx.g, q, out_shape->rank());
  std::optional<Tensor> bias;
  if (n.input(2) != kNoInput) {
    if (!is_kind(cx.g, n.input(2), NodeKind::constant)) return false;
    bias = cx.g.node(n.input(2)).value;
  }
  if (!px || !pw || !pout) return false;
  const Tensor xq(px->dtype, *x_shape);
  if (n.kind == NodeKind::linear) return qlinear_accepts(QLinearArgs{xq, *px, wq, *pw, bias, *pout, act});
  return qconv2d_accepts(QConv2dArgs{xq, *px, wq, *pw, bias, *pout, n.conv, act});
}

std::optional<Firing> chain_firing(const Context& cx, int q, int op, int w) {
  if (!op_reads_weight(cx.g, op, w)) return std::nullopt;
  const std::optional<Chain> ch = chain_of(cx, q, op);
  if (!ch) return std::nullopt;
  if (ch->mul != kNoInput && mul_firing(cx, ch->mul, op, w, ch->c) != Firing::must) return Firing::may;
  if (!chain_unshared(cx, q, op)) return Firing::may;
  return fused_op_accepts(cx, q, op, w, ch->act) ? Firing::must : Firing::may;
}

// quantize q <- [relu] <- op = add|mul(dequantize(qa), dequantize(quantize(B))).
std::optional<Firing> elementwise_firing(const Context& cx, int q, int op, int b) {
  const Graph& g = cx.g;
  if (!is_kind(g, q, NodeKind::quantize) || !is_kind(g, b, NodeKind::constant)) return std::nullopt;
  if (!is_kind(g, op, NodeKind::add) && !is_kind(g, op, NodeKind::mul)) return std::nullopt;
  Activation act;
  int src = g.node(q).input(0);
  if (is_kind(g, src, NodeKind::relu)) {
    act.kind = ActivationKind::relu;
    src = g.node(src).input(0);
  }
  const Node& n = g.node(op);
  const int bdq = n.input(1), bq = is_kind(g, bdq, NodeKind::dequantize) ? g.node(bdq).input(0) : kNoInput;
  if (src != op || !is_kind(g, bq, NodeKind::quantize) || g.node(bq).input(0) != b) return std::nullopt;
  const int a = n.input(0);
  const auto a_shape = cx.shape_of(a), b_shape = cx.shape_of(bdq), out_shape = cx.shape_of(q);
  if (!chain_unshared(cx, q, op) || !is_kind(g, a, NodeKind::dequantize) || !a_shape || !b_shape || !out_shape) {
    return Firing::may;
  }
  const auto pa = affine_params_of(g, a, a_shape->rank());
  const auto pb = affine_params_of(g, bdq, b_shape->rank());
  const auto pout = affine_params_of(g, q, out_shape->rank());
  if (!pa || !pb || !pout) return Firing::may;
  const QElementwiseArgs args{n.kind == NodeKind::add ? ElementwiseOp::add : ElementwiseOp::mul,
                              Tensor(pa->dtype, *a_shape), *pa, Tensor(pb->dtype, *b_shape), *pb, *pout, act};
  return qelementwise_accepts(args) ? Firing::must : Firing::may;
}

// The node a quantize's chain starts from: its input, back through relu
// and a mul's linear operand.
int chain_start(const Graph& g, int q) {
  int src = g.node(q).input(0);
  if (is_kind(g, src, NodeKind::relu)) src = g.node(src).input(0);
  if (!is_kind(g, src, NodeKind::mul)) return src;
  const int a = g.node(src).input(0);
  return is_kind(g, a, NodeKind::linear) ? a : g.node(src).input(1);
}

std::optional<Firing> absorption_firing(const Context& cx, int q2, int dq, int q1, int w) {
  if (!is_kind(cx.g, q2, NodeKind::quantize) || !is_kind(cx.g, dq, NodeKind::dequantize) ||
      cx.g.node(q2).input(0) != dq || cx.g.node(dq).input(0) != q1 || !is_kind(cx.g, q1, NodeKind::quantize)) {
    return std::nullopt;
  }
  const std::optional<Firing> chain = chain_firing(cx, q1, chain_start(cx.g, q1), w);
  if (!chain) return std::nullopt;
  const auto shape = cx.shape_of(q2);
  const auto p2 = shape ? affine_params_of(cx.g, q2, shape->rank()) : std::nullopt;
  const auto p1 = shape ? affine_params_of(cx.g, dq, shape->rank()) : std::nullopt;
  if (!p2 || !p1) return Firing::may;
  if (!absorbs(*p2)) return Firing::must_not;
  // After a per-channel p1 absorption may be left: p1's saturation can
  // differ per element, and one clamp activation cannot carry it
  // (docs/impl-graph.md, quant-absorption).
  const bool unshared = single_use(cx.uses, q1) && single_use(cx.uses, dq);
  return *chain == Firing::must && p1->scale.numel() == 1 && unshared ? Firing::must : Firing::may;
}

}  // namespace

std::optional<Firing> site_firing(const Graph& g, const ShapeOf& shape_of, const std::vector<int>& uses,
                                  const FusionSite& site) {
  const Context cx{g, shape_of, uses};
  const auto& n = site.nodes;
  if (n.size() != fusion_role_count(site.kind)) return std::nullopt;
  for (int id : n) {
    if (id < 0 || size_t(id) >= g.nodes.size()) return std::nullopt;
  }
  switch (site.kind) {
    case FusionKind::mul_into_linear: return mul_firing(cx, n[0], n[1], n[2], n[3]);
    case FusionKind::quantized_linear:
      if (!is_kind(g, n[1], NodeKind::linear)) return std::nullopt;
      return chain_firing(cx, n[0], n[1], n[2]);
    case FusionKind::quantized_conv2d:
      if (!is_kind(g, n[1], NodeKind::conv2d)) return std::nullopt;
      return chain_firing(cx, n[0], n[1], n[2]);
    case FusionKind::quantized_elementwise: return elementwise_firing(cx, n[0], n[1], n[2]);
    case FusionKind::absorption: return absorption_firing(cx, n[0], n[1], n[2], n[3]);
  }
  return std::nullopt;
}

}  // namespace qdiff::props
