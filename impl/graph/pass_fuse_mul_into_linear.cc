// fuse-mul-into-linear (SPEC section 8, docs/graph.md):
//   mul(linear(x, dequantize(Wq, p), b), c)   (either operand order)
//   -> linear(x, dequantize(Wq, p'), b')
//   p'.scale[k, j] = f32(p.scale[k, j] * c_K[k]),   b'[k] = f32(b[k] * c_K[k])
// i.e. p.scale * reshape(c_K, [K, 1]) along the weight's output-channel dim 0.
// A per-tensor weight scale becomes per-channel [K, 1]; a scale shared by
// several output channels ([1, G], row tiles) is expanded to one row per
// channel (zero point likewise, explicit block_size dim 0 becomes 1); a
// per-group [K, G] scale has row k multiplied by c_k. A c with one element
// multiplies every scale element and keeps the layout.
//
// Fires only when (otherwise the graph is unchanged):
//  - the linear is used only by the mul, the mul's shape is the linear's
//    (c broadcasts into it), the linear's output type is known;
//  - c is a constant whose right-aligned shape is all ones except possibly
//    its last dim, which is K or 1. (A [K, 1] c against an [N, K] output with
//    N == K varies along dim -2, the batch: NOT foldable.)
//  - every c is finite and > 0 (a zero or negative c would need a zero or
//    negative scale; an infinite one an infinite scale);
//  - the weight is an affine dequantize of a value of known type [K, In]
//    with constant scale / zero point, valid for it, zero-point domain int
//    or none (a float-domain zero point would have to be scaled too: not
//    exact), K >= 1; the bias is absent or a constant f32 [K];
//  - every new scale is finite and normal, every new bias finite where the
//    old one was, and the new params validate.
// The weight's dequantize and scale are never modified in place: the
// rewrite emits a new dequantize and new constants, so other users of the
// old ones are unaffected (the old ones are pruned if nothing else uses
// them).
//
// Numerical contract: exact up to rounding. dq'(w) = f32((q - z) f32(s c))
// differs from f32((q - z) s) * c by at most 3 roundings (relative 3u), the
// bias by one; the original's f32 linear and mul already carry (In + 4) u
// sum |x w| + u |y c| (docs/graph.md), which covers both.
#include <cmath>
#include <cstring>
#include <optional>

#include "core/block_layout.h"
#include "core/error.h"
#include "core/float_bits.h"
#include "impl/graph/graph_edit.h"
#include "impl/graph/pass_helpers.h"

namespace qdiff::impl::passes {
namespace {

// c as a per-output-channel vector c_K, if c's shape is foldable.
std::optional<std::vector<float>> channel_factors(const Tensor& c, const Shape& out, FaultSet faults) {
  const int r = out.rank(), cr = c.shape().rank();
  if (r < 1 || cr > r || c.dtype() != DType::f32) return std::nullopt;
  const int64_t k_count = out[r - 1];
  const auto cv = c.data<float>();
  bool foldable = true;
  for (int d = 0; d < cr; ++d) {
    const int64_t dim = c.shape()[d];
    if (d + 1 < cr ? dim != 1 : (dim != 1 && dim != k_count)) foldable = false;
  }
  std::vector<float> c_k(static_cast<size_t>(k_count));
  if (foldable) {
    for (int64_t k = 0; k < k_count; ++k) c_k[size_t(k)] = cv[c.numel() == 1 ? 0 : size_t(k)];
    return c_k;
  }
  if (faults.has(FaultPoint::fold_non_foldable_mul) && cr >= 2 && r >= 2 && c.shape()[cr - 1] == 1 &&
      c.shape()[cr - 2] == k_count && out[r - 2] == k_count && c.numel() == k_count) {
    // FAULT POINT fold_non_foldable_mul: replaces `foldable` (c varies along
    // the last dim only) by also accepting c varying along dim -2 when the
    // batch equals K, reading c[n, 0] as the factor of channel n.
    for (int64_t k = 0; k < k_count; ++k) c_k[size_t(k)] = cv[size_t(k)];
    return c_k;
  }
  return std::nullopt;
}

// Row k of a [K, cols] tensor takes row k / block0 of src ([rows, cols] view).
Tensor expand_rows(const Tensor& src, int64_t rows, int64_t cols, int64_t k_count, int64_t block0) {
  Tensor out(src.dtype(), Shape{k_count, cols});
  const size_t elem = dtype_size(src.dtype());
  const auto* from = static_cast<const std::byte*>(src.raw());
  auto* to = static_cast<std::byte*>(out.raw());
  for (int64_t k = 0; k < k_count; ++k) {
    const int64_t row = rows == 1 ? 0 : k / block0;
    std::memcpy(to + size_t(k * cols) * elem, from + size_t(row * cols) * elem, size_t(cols) * elem);
  }
  return out;
}

// numpy broadcasting of a scale of shape s times a 1-D [K] vector (the
// fault point's arithmetic), or nullopt when numpy would reject it.
std::optional<Tensor> broadcast_times_vector(const Tensor& s, const std::vector<float>& c_k) {
  const Shape ck_shape{int64_t(c_k.size())};
  Shape out_shape;
  try {
    out_shape = broadcast_shapes(s.shape(), ck_shape);
  } catch (const Error&) {
    return std::nullopt;
  }
  Tensor out(DType::f32, out_shape);
  auto o = out.data<float>();
  const auto sv = s.data<float>();
  const int r = out_shape.rank();
  const int64_t last = out_shape[r - 1];
  const int lead = r - s.shape().rank();
  for (int64_t i = 0; i < out.numel(); ++i) {
    // Index of s: right-aligned, size-1 dims broadcast.
    int64_t rem = i, si = 0, stride = 1;
    for (int d = r - 1; d >= 0; --d) {
      const int64_t idx = rem % out_shape[d];
      rem /= out_shape[d];
      const int sd = d - lead;
      if (sd >= 0) {
        if (s.shape()[sd] != 1) si += idx * stride;
        stride *= s.shape()[sd];
      }
    }
    const int64_t ci = c_k.size() == 1 ? 0 : i % last;
    o[size_t(i)] = sv[size_t(si)] * c_k[size_t(ci)];
  }
  return out;
}

struct NewWeightParams {
  Tensor scale;
  std::optional<Tensor> zero_point;  // set when the zero point was expanded
  std::optional<std::vector<int64_t>> block_size;
};

// The correct rewrite of the weight params (header comment).
std::optional<NewWeightParams> scaled_params(const QuantParams& p, const Shape& w_shape,
                                             const std::vector<float>& c_k, bool single_factor) {
  NewWeightParams np;
  np.block_size = p.block_size;
  if (single_factor) {  // one factor for every channel: the layout stays
    np.scale = Tensor(DType::f32, p.scale.shape());
    const auto s = p.scale.data<float>();
    auto o = np.scale.data<float>();
    for (size_t i = 0; i < s.size(); ++i) o[i] = s[i] * c_k[0];
    return np;
  }
  const int64_t k_count = w_shape[0];
  int64_t rows = 1, cols = 1, block0 = k_count;
  if (p.scale.numel() != 1) {
    const BlockLayout layout = BlockLayout::derive(w_shape, p.scale.shape(), p.block_size);
    rows = layout.scale_shape()[0];
    cols = layout.scale_shape()[1];
    block0 = layout.block(0);
  }
  if (rows != 1 && block0 < 1) return std::nullopt;
  const Tensor src = p.scale.reshaped(Shape{rows, cols});
  np.scale = expand_rows(src, rows, cols, k_count, block0);
  auto o = np.scale.data<float>();
  // reshape(c_K, [K, 1]) broadcast against [K, cols]: row k times c_k.
  for (int64_t k = 0; k < k_count; ++k) {
    for (int64_t j = 0; j < cols; ++j) o[size_t(k * cols + j)] = o[size_t(k * cols + j)] * c_k[size_t(k)];
  }
  if (p.zero_point && rows != k_count) {
    np.zero_point = expand_rows(p.zero_point->reshaped(Shape{rows, cols}), rows, cols, k_count, block0);
  } else if (p.zero_point && p.zero_point->shape() != np.scale.shape()) {
    np.zero_point = p.zero_point->reshaped(np.scale.shape());
  }
  if (np.block_size && np.block_size->size() == 2) (*np.block_size)[0] = 1;
  return np;
}

class FuseMulRule {
 public:
  FuseMulRule(const Graph& g, FaultSet faults) : types_(infer_value_types(g)), faults_(faults) {}

  bool operator()(graph_edit::Rewriter& rw, int id) const {
    const Graph& g = rw.original();
    const Node& mul = g.node(id);
    if (mul.kind != NodeKind::mul) return false;
    // FAULT POINT fold_linear_first_only: replaces `order < 2` (both operand
    // orders, mul(linear, c) and mul(c, linear)) by `order < 1`.
    const int orders = faults_.has(FaultPoint::fold_linear_first_only) ? 1 : 2;
    for (int order = 0; order < orders; ++order) {
      if (try_fold(rw, id, mul.input(size_t(order)), mul.input(size_t(1 - order)))) return true;
    }
    return false;
  }

 private:
  // mul(linear(x, dequantize(W), bias), c) where the fold is defined.
  struct Match {
    int mul_id, lin_id, w_id;
    QuantParams w_params;
    Shape w_shape;  // the stored weights, [K, In]
    const Tensor* bias;  // f32 [K], or null
    const Tensor* c;
    std::vector<float> c_k;  // one factor per output channel
  };

  bool try_fold(graph_edit::Rewriter& rw, int mul_id, int lin_id, int c_id) const {
    const std::optional<Match> m = match(rw, mul_id, lin_id, c_id);
    if (!m) return false;
    const std::optional<NewWeightParams> np = new_weight_params(*m);
    if (!np) return false;
    std::optional<Tensor> new_bias;
    if (m->bias) {
      new_bias = scaled_bias(*m->bias, m->c_k);
      if (!new_bias) return false;
    }
    emit_fold(rw, *m, *np, std::move(new_bias));
    return true;
  }

  std::optional<Match> match(graph_edit::Rewriter& rw, int mul_id, int lin_id, int c_id) const {
    const Graph& g = rw.original();
    if (lin_id < 0 || g.node(lin_id).kind != NodeKind::linear || rw.uses(lin_id) != 1) return std::nullopt;
    const Tensor* c = constant_value(g, c_id);
    const auto& lin_type = type_of(types_, lin_id);
    const auto& mul_type = type_of(types_, mul_id);
    if (!c || !lin_type || !mul_type || mul_type->shape != lin_type->shape) return std::nullopt;
    const Node& lin = g.node(lin_id);
    const int w_id = lin.input(1);
    const std::optional<QuantParams> p = constant_params(g, w_id);
    const auto& wq_type = type_of(types_, w_id < 0 ? kNoInput : g.node(w_id).input(0));
    if (g.node(w_id).kind != NodeKind::dequantize || !p || !wq_type || wq_type->shape.rank() != 2 ||
        p->zero_point_domain == ZeroPointDomain::float_domain ||
        !params_valid_for_dequantize(wq_type->shape, *p)) {
      return std::nullopt;
    }
    const int64_t k_count = wq_type->shape[0];
    if (k_count < 1) return std::nullopt;
    const Tensor* bias = nullptr;
    if (lin.input(2) != kNoInput) {
      bias = constant_value(g, lin.input(2));
      if (!bias || bias->dtype() != DType::f32 || bias->shape() != Shape{k_count}) return std::nullopt;
    }
    std::optional<std::vector<float>> c_k = channel_factors(*c, lin_type->shape, faults_);
    if (!c_k) return std::nullopt;
    for (float v : c->data<float>()) {
      if (!std::isfinite(v) || !(v > 0.0f)) return std::nullopt;
    }
    return Match{mul_id, lin_id, w_id, *p, wq_type->shape, bias, c, std::move(*c_k)};
  }

  // The weight params times c (scaled_params), valid for dequantize.
  std::optional<NewWeightParams> new_weight_params(const Match& m) const {
    std::optional<NewWeightParams> np;
    const bool single_factor = m.c->numel() == 1;
    const bool without_reshape = faults_.has(FaultPoint::fold_without_reshape);
    if (!single_factor && without_reshape) {
      // FAULT POINT fold_without_reshape: replaces `p.scale * reshape(c_K, [K, 1])`
      // by `p.scale * c_K`: numpy broadcasting of [K, 1] and [K] is the [K, K]
      // outer product. Zero point and block_size are left as they were.
      std::optional<Tensor> s = broadcast_times_vector(m.w_params.scale, m.c_k);
      if (!s) return std::nullopt;
      np = NewWeightParams{std::move(*s), std::nullopt, m.w_params.block_size};
    } else {
      np = scaled_params(m.w_params, m.w_shape, m.c_k, single_factor);
      if (!np) return std::nullopt;
    }
    for (float v : np->scale.data<float>()) {
      if (!is_valid_scale_value(v)) return std::nullopt;
    }
    if (!without_reshape) {
      QuantParams check = m.w_params;
      check.scale = np->scale;
      if (np->zero_point) check.zero_point = np->zero_point;
      check.block_size = np->block_size;
      if (!params_valid_for_dequantize(m.w_shape, check)) return std::nullopt;
    }
    return np;
  }

  // bias * c_K, unless a finite bias overflows.
  static std::optional<Tensor> scaled_bias(const Tensor& bias, const std::vector<float>& c_k) {
    Tensor out(DType::f32, bias.shape());
    const auto b = bias.data<float>();
    auto nb = out.data<float>();
    for (size_t k = 0; k < b.size(); ++k) {
      nb[k] = b[k] * c_k[k];
      if (std::isfinite(b[k]) && !std::isfinite(nb[k])) return std::nullopt;
    }
    return out;
  }

  // Emits the new scale (and zero point), dequantize, bias and linear, and
  // replaces the mul by that linear.
  static void emit_fold(graph_edit::Rewriter& rw, const Match& m, NewWeightParams np,
                        std::optional<Tensor> new_bias) {
    const Graph& g = rw.original();
    const Node& lin = g.node(m.lin_id);
    const Node& w_node = g.node(m.w_id);
    const std::string& scale_name = g.node(w_node.input(1)).name;
    const int scale = rw.emit_constant(std::move(np.scale), scale_name.empty() ? "scale" : scale_name);
    int zp = rw.mapped_input(w_node.input(2));
    if (np.zero_point) zp = rw.emit_constant(std::move(*np.zero_point), "zero_point");
    Node dq = w_node;
    dq.inputs = {rw.mapped(w_node.input(0)), scale, zp};
    dq.spec.block_size = np.block_size;
    const int new_dq = rw.emit(std::move(dq));
    int b = kNoInput;
    if (new_bias) {
      const std::string& bias_name = g.node(lin.input(2)).name;
      b = rw.emit_constant(std::move(*new_bias), bias_name.empty() ? "bias" : bias_name);
    }
    Node fused = lin;
    fused.inputs = {rw.mapped(lin.input(0)), new_dq, b};
    if (!g.node(m.mul_id).name.empty()) fused.name = g.node(m.mul_id).name;
    rw.replace(m.mul_id, rw.emit(std::move(fused)));
  }

  std::vector<std::optional<ValueType>> types_;
  FaultSet faults_;
};

}  // namespace

Graph fuse_mul_into_linear(const Graph& g, FaultSet faults) {
  return graph_edit::sweep_to_fixed_point(
      g, [faults](const Graph& current) -> graph_edit::Rule { return FuseMulRule(current, faults); });
}

}  // namespace qdiff::impl::passes
