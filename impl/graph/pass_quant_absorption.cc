// quant-absorption (SPEC section 8, docs/graph.md):
//   quantize(dequantize(y, p1), p2),  y = a fused node's output,
//   p2 per-tensor (scale.numel() == 1)
//   -> the fused node with out_params = p2 (its dtype and range).
//
// The original rounds twice (y's real result to p1's grid, then that value
// to p2's) and saturates at p1's range: dq1(Q1(v)) lies in
// [lo1, hi1] = [dq1(quant_min1), dq1(quant_max1)]. The absorbed node rounds
// once, so that saturation is re-expressed as a clamp activation when it
// matters: Q2 is monotone, so Q2(clamp(v, lo1, hi1)) = clamp(Q2(v), Q2(lo1),
// Q2(hi1)), and when Q2(lo1) == quant_min2 and Q2(hi1) == quant_max2 the
// clamp changes nothing and the activation stays as it was. Otherwise the
// activation becomes clamp(act(v), lo1, hi1) composed into one clamp
// (clamp(clamp(v, a, b), lo, hi) = clamp(v, clamp(a, lo, hi), clamp(b, lo, hi));
// relu is clamp(v, 0, +inf)); if p1's [lo1, hi1] varies per element and the
// clamp matters, the node is left alone (one activation cannot express it).
//
// Fires only when: y is used only by the dequantize and the dequantize only
// by the quantize; both are affine with constant params, p1 valid for y, p2's
// zero-point domain int or none; p2 per-tensor; the fused op's validation
// accepts p2 as its output params.
//
// Numerical contract: bounded. The absorbed output is Q2 of the ideal
// (clamped) real value v, within the fused op's bound B (in p2's units).
// The original first rounds v to p1's grid: |dq1(Q1(v)) - v| <= s1 / 2 (plus
// one f32 rounding of dq1) away from saturation, so its Q2 sees a value
// within s1 / (2 s2) of v / s2. The two agree except where v / s2 lies
// within s1 / (2 s2) + B (+ 2u |v| / s2) of a p2 rounding boundary; there
// either neighbour is the single-rounding result (docs/impl-graph.md).
// Consecutive pairs (fused -> q/dq p1 -> q/dq p2 -> quantize p3) are absorbed
// in turn: the node the first absorption leaves is a fused op, and the sweep
// runs to a fixed point (docs/graph.md: a pass's result is a fixed point of
// the pass). p3 then rounds clamp(clamp(v, lo1, hi1), lo2, hi2) once where the
// original rounded three times: they agree except within (s1 + s2) / (2 s3)
// + B of a p3 boundary (the envelope follows the chain: oracle/graph_envelope.cc).
// A per-channel p2 is left alone: absorbing it is what the fault point
// absorption_on_per_channel does.
#include <cmath>
#include <limits>

#include "core/block_layout.h"
#include "core/error.h"
#include "impl/graph/graph_edit.h"
#include "impl/graph/pass_helpers.h"
#include "impl/ops/fused_validate.h"

namespace qdiff::impl::passes {
namespace {

// SPEC section 5 for one element, in f32 (the value the original graph's
// dequantize produces for a saturated output).
float dequantize_value(int64_t q, float s, double z, const QuantParams& p) {
  switch (p.zero_point_domain) {
    case ZeroPointDomain::int_domain: return (float(q) - float(z)) * s;
    case ZeroPointDomain::none: return float(q) * s;
    case ZeroPointDomain::float_domain: {
      const float mid = float(double(p.quant_max + p.quant_min + 1) / 2.0);
      return (float(q) - mid) * s + float(z);
    }
  }
  return 0.0f;
}

// Ideal Q2 of a real value (SPEC section 8's output rounding), in double.
int64_t ideal_quantize(double v, double s, double z, const QuantParams& p) {
  if (std::isnan(v)) return std::clamp<int64_t>(int64_t(z), p.quant_min, p.quant_max);
  const double t = std::nearbyint(v / s);
  if (!(std::fabs(t) < 0x1p62)) return t < 0 ? p.quant_min : p.quant_max;
  return std::clamp<int64_t>(int64_t(t) + int64_t(z), p.quant_min, p.quant_max);
}

double zero_point_at(const QuantParams& p, int64_t i) {
  return p.zero_point ? p.zero_point->value_at(i) : 0.0;
}

float clamp_to(float v, float lo, float hi) { return std::min(std::max(v, lo), hi); }

// act followed by clamp(., lo, hi), as one activation.
Activation composed(const Activation& act, float lo, float hi) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  float a = -kInf, b = kInf;
  if (act.kind == ActivationKind::relu) a = 0.0f;
  if (act.kind == ActivationKind::clamp) {
    a = act.lo;
    b = act.hi;
  }
  Activation out;
  out.kind = ActivationKind::clamp;
  out.lo = clamp_to(a, lo, hi);
  out.hi = clamp_to(b, lo, hi);
  return out;
}

class AbsorbRule {
 public:
  AbsorbRule(const Graph& g, FaultSet faults) : types_(infer_value_types(g)), faults_(faults) {}

  bool operator()(graph_edit::Rewriter& rw, int id) const {
    const Graph& g = rw.original();
    const Node& q2 = g.node(id);
    if (q2.kind != NodeKind::quantize) return false;
    const std::optional<QuantParams> p2 = constant_params(g, id);
    if (!p2 || p2->zero_point_domain == ZeroPointDomain::float_domain) return false;
    if (p2->scale.numel() != 1 && !faults_.has(FaultPoint::absorption_on_per_channel)) {
      // FAULT POINT absorption_on_per_channel: replaces this `return false`
      // (p2 must be per-tensor) by carrying on with a per-channel p2.
      return false;
    }
    const int dq_id = q2.input(0);
    if (g.node(dq_id).kind != NodeKind::dequantize || rw.uses(dq_id) != 1) return false;
    const std::optional<QuantParams> p1 = constant_params(g, dq_id);
    const int y_id = g.node(dq_id).input(0);
    const Node& y = g.node(y_id);
    const auto& y_type = type_of(types_, y_id);
    if (!p1 || !is_fused_kind(y.kind) || rw.uses(y_id) != 1 || !y_type ||
        !params_valid_for_dequantize(y_type->shape, *p1)) {
      return false;
    }
    const std::optional<Activation> act = absorbed_activation(y.activation, *p1, *p2);
    if (!act) return false;
    Node fused = y;
    fused.out_params = *p2;
    fused.activation = *act;
    if (!fused_node_valid(g, fused)) return false;
    fused.inputs.clear();
    for (int in : y.inputs) fused.inputs.push_back(rw.mapped_input(in));
    if (!q2.name.empty()) fused.name = q2.name;
    rw.replace(id, rw.emit(std::move(fused)));
    return true;
  }

 private:
  // The activation that makes Q2(act'(v)) equal Q2(dq1(Q1(act(v)))) up to
  // the double rounding (header comment), or nullopt.
  static std::optional<Activation> absorbed_activation(const Activation& act, const QuantParams& p1,
                                                       const QuantParams& p2) {
    bool clamp_matters = false, uniform = true;
    float lo = 0, hi = 0;
    for (int64_t i = 0; i < p1.scale.numel(); ++i) {
      const float s1 = p1.scale.f32_at(i);
      const double z1 = zero_point_at(p1, i);
      const float lo_i = dequantize_value(p1.quant_min, s1, z1, p1);
      const float hi_i = dequantize_value(p1.quant_max, s1, z1, p1);
      if (i == 0) {
        lo = lo_i;
        hi = hi_i;
      } else if (lo_i != lo || hi_i != hi) {
        uniform = false;
      }
      for (int64_t j = 0; j < p2.scale.numel(); ++j) {
        const double s2 = p2.scale.f32_at(j), z2 = zero_point_at(p2, j);
        if (ideal_quantize(lo_i, s2, z2, p2) != p2.quant_min ||
            ideal_quantize(hi_i, s2, z2, p2) != p2.quant_max) {
          clamp_matters = true;
        }
      }
    }
    if (!clamp_matters) return act;
    if (!uniform || !(lo <= hi)) return std::nullopt;
    return composed(act, lo, hi);
  }

  bool fused_node_valid(const Graph& g, const Node& n) const {
    std::vector<Tensor> operands;
    for (int in : n.inputs) {
      if (in == kNoInput) continue;
      if (const Tensor* c = constant_value(g, in)) {
        operands.push_back(*c);
        continue;
      }
      const auto& t = type_of(types_, in);
      if (!t) return false;
      operands.emplace_back(t->dtype, t->shape);
    }
    try {
      if (n.kind == NodeKind::qlinear || n.kind == NodeKind::qconv2d) {
        if (operands.size() < 2) return false;
        std::optional<Tensor> bias;
        if (operands.size() > 2) bias = operands[2];
        if (n.kind == NodeKind::qlinear) {
          validate_qlinear_args(QLinearArgs{operands[0], n.params[0], operands[1], n.params[1], bias,
                                            n.out_params, n.activation});
        } else {
          validate_qconv2d_args(QConv2dArgs{operands[0], n.params[0], operands[1], n.params[1], bias,
                                            n.out_params, n.conv, n.activation});
        }
      } else {
        if (operands.size() != 2) return false;
        validate_qelementwise_args(QElementwiseArgs{
            n.kind == NodeKind::qadd ? ElementwiseOp::add : ElementwiseOp::mul, operands[0],
            n.params[0], operands[1], n.params[1], n.out_params, n.activation});
      }
      return true;
    } catch (const Error&) {
      return false;
    }
  }

  std::vector<std::optional<ValueType>> types_;
  FaultSet faults_;
};

}  // namespace

Graph quant_absorption(const Graph& g, FaultSet faults) {
  return graph_edit::sweep_to_fixed_point(
      g, [faults](const Graph& current) -> graph_edit::Rule { return AbsorbRule(current, faults); });
}

}  // namespace qdiff::impl::passes
