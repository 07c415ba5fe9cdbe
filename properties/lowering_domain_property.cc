// LoweringRefusesOnlyOutsideItsDomain: when lower_graph refuses an
// optimized graph as `unsupported`, the graph really lies outside the
// domain impl/graph/lowering.h documents (and docs/impl-graph.md).
//
// The lowering properties judge only the programs the lowering produces,
// so a lowering that refuses more than it should (int-domain weights
// taken for float-domain ones, a multiplier range drawn too narrow) kept
// every one of them green: its graphs were discarded, not judged (issue 16,
// the mutation run in docs/detection-power.md).
//
// The domain, checked here independently of impl/ and generously (any
// doubt counts as outside, so a correct lowering never fails this):
//   - no float op (linear, conv2d, add, mul, relu) and no legacy q/dq in
//     the graph, and the params of every q/dq are constants;
//   - qlinear / qconv2d: per-tensor x params; constant weights and bias
//     (through reshapes); int- or none-domain weights; qconv2d weight
//     scales per-tensor or [O, 1, 1, 1];
//   - and, for every such node, the fixed-point limits with a factor 2 of
//     margin: M = s_x s_w / s_out within [2^-31, 2^29) for every pair of
//     scale values, the int32 bias |b| / (s_x s_w) <= 2^30, and the
//     accumulator bound max|qx - zx| * depth * max|qw - zw| + |bias_q|,
//     shifted left by M's exponent, <= 2^30.
// Per-group qlinear weights lower without fixed point, but the limits are
// applied to them too: that only makes more refusals count as justified.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "cases/graph_case.h"
#include "core/dtype.h"
#include "core/error.h"
#include "properties/graph_generators.h"
#include "properties/property.h"
#include "reference/graph_eval.h"

namespace qdiff::props {
namespace {

// The constant a value comes from, through reshape chains (nullptr if any).
const Tensor* constant_through_reshapes(const Graph& g, int id) {
  while (id >= 0 && size_t(id) < g.nodes.size()) {
    const Node& n = g.node(id);
    if (n.kind == NodeKind::constant) return &n.value;
    if (n.kind != NodeKind::reshape) return nullptr;
    id = n.input(0);
  }
  return nullptr;
}

struct Range {
  double lo = INFINITY, hi = -INFINITY, max_abs = 0;
};

Range value_range(const Tensor& t) {
  Range r;
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double v = t.value_at(i);
    r.lo = std::min(r.lo, v);
    r.hi = std::max(r.hi, v);
    r.max_abs = std::max(r.max_abs, std::fabs(v));
  }
  return r;
}

double max_abs_zero_point(const QuantParams& p) {
  return p.zero_point ? value_range(*p.zero_point).max_abs : 0.0;
}

// The fixed-point limits of one qlinear / qconv2d (see the header).
std::optional<std::string> beyond_fixed_point(const Node& n, const Tensor& w, const Tensor* bias) {
  const QuantParams &px = n.params[0], &pw = n.params[1], &po = n.out_params;
  const double sx = px.scale.value_at(0);
  const Range sw = value_range(pw.scale), so = value_range(po.scale);
  const double m_lo = sx * sw.lo / so.hi, m_hi = sx * sw.hi / so.lo;
  if (!(m_lo >= std::ldexp(1.0, -31)) || !(m_hi < std::ldexp(1.0, 29))) {
    return fmt::format("a multiplier s_x s_w / s_out lies in [{:e}, {:e}]", m_lo, m_hi);
  }
  const double bias_q = bias ? value_range(*bias).max_abs / (sx * sw.lo) + 1 : 0.0;
  if (!(bias_q <= std::ldexp(1.0, 30))) return fmt::format("the int32 bias may reach {:e}", bias_q);
  const double x_span = double(dtype_max(px.dtype) - dtype_min(px.dtype)) + max_abs_zero_point(px);
  const int64_t k = w.shape().rank() > 0 ? w.shape()[0] : 1;
  const double depth = k > 0 ? double(w.numel() / k) : 0.0;
  const double w_span = value_range(w).max_abs + max_abs_zero_point(pw);
  const int shift = m_hi >= 0.5 ? int(std::floor(std::log2(m_hi))) + 2 : 0;
  const double acc = std::ldexp(x_span * depth * w_span + bias_q, shift);
  if (!(acc <= std::ldexp(1.0, 30))) return fmt::format("the shifted accumulator may reach {:e}", acc);
  return std::nullopt;
}

bool per_tensor_or_per_output_channel(const Tensor& scale) {
  const Shape& s = scale.shape();
  return scale.numel() == 1 || (s.rank() == 4 && s[1] == 1 && s[2] == 1 && s[3] == 1);
}

std::optional<std::string> gemm_outside(const Graph& g, const Node& n) {
  if (n.params[0].scale.numel() != 1) return "x params are not per-tensor";
  const Tensor* w = constant_through_reshapes(g, n.input(1));
  if (!w) return "the weights are not a constant";
  const Tensor* bias = nullptr;
  if (n.input(2) != kNoInput && !(bias = constant_through_reshapes(g, n.input(2)))) {
    return "the bias is not a constant";
  }
  if (n.params[1].zero_point_domain == ZeroPointDomain::float_domain) return "float-domain weights";
  if (n.kind == NodeKind::qconv2d && !per_tensor_or_per_output_channel(n.params[1].scale)) {
    return "qconv2d weight scale varies along C, kh or kw";
  }
  return beyond_fixed_point(n, *w, bias);
}

// Why `optimized` is outside the lowering's domain, or nullopt if inside.
std::optional<std::string> outside_lowering_domain(const Graph& g) {
  for (size_t id = 0; id < g.nodes.size(); ++id) {
    const Node& n = g.nodes[id];
    std::optional<std::string> why;
    switch (n.kind) {
      case NodeKind::linear:
      case NodeKind::conv2d:
      case NodeKind::add:
      case NodeKind::mul:
      case NodeKind::relu: why = "a float op is left"; break;
      case NodeKind::quantize:
      case NodeKind::dequantize:
        if (n.spec.legacy_axis) why = "a legacy q/dq is left";
        for (size_t i = 1; !why && i < n.inputs.size(); ++i) {
          if (n.inputs[i] != kNoInput && !constant_through_reshapes(g, n.inputs[i])) why = "q/dq params are not constant";
        }
        break;
      case NodeKind::qlinear:
      case NodeKind::qconv2d: why = gemm_outside(g, n); break;
      default: break;
    }
    if (why) return fmt::format("{}: {}", describe_node(g, int(id)), *why);
  }
  return std::nullopt;
}

CheckResult lowering_refuses_only_outside_domain(const Case& any, const Backend& b) {
  const GraphCase& c = std::get<GraphCase>(any);
  Graph optimized;
  try {
    reference::evaluate_graph(c.graph, c.inputs);
    optimized = b.optimize_graph(c.graph);
  } catch (const Error&) {
    return CheckResult{{}, true};
  }
  try {
    b.lower_graph(optimized);
    return {};
  } catch (const Error& e) {
    // Other kinds are LoweredExecutionMatchesReference's to judge.
    if (e.kind() != ErrorKind::unsupported) return CheckResult{{}, true};
    if (outside_lowering_domain(optimized)) return {};
    return CheckResult{Verdict::fail(fmt::format("lowering refused a graph inside its documented domain: {}", e.what()),
                                     "  every node is lowerable and every fixed-point limit holds with a factor 2 "
                                     "of margin (properties/lowering_domain_property.cc)"),
                       false};
  }
}

}  // namespace

Property lowering_domain_property() {
  return {"LoweringRefusesOnlyOutsideItsDomain", "graph", PropertyKind::invariant,
          "lower_graph refuses (unsupported) only graphs outside its documented domain",
          [](Source& src) -> Case { return draw_graph_case(src); }, lowering_refuses_only_outside_domain};
}

}  // namespace qdiff::props
