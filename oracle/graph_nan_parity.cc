#include "oracle/graph_nan_parity.h"

#include <cfloat>
#include <cmath>

#include "reference/graph_eval.h"
#include "reference/nd_index.h"

namespace qdiff {
namespace {

// One f32 element as its envelope sees it: the reference's value c and the
// radius r an implementation may be away from it.
struct Operand {
  double c, r;
  bool open;
  bool may_be_zero() const { return std::fabs(c) <= r; }
  // A NaN center is not "may be infinite": a NaN the rounding does not
  // decide stays NaN whatever it meets (its own flag says otherwise).
  bool may_be_inf() const { return !std::isnan(c) && !(std::fabs(c) + r <= double(FLT_MAX)); }
  bool exactly_zero() const { return c == 0 && r == 0; }
  bool exactly_inf() const { return std::isinf(c) && r == 0; }
};

Operand operand(const ValueEnvelope& e, int64_t i) {
  return {e.center.f32_at(i), e.radius[size_t(i)], !e.nan_open.empty() && e.nan_open[size_t(i)] != 0};
}

bool zero_times_inf_open(const Operand& a, const Operand& b) {
  return a.may_be_zero() && b.may_be_inf() && !(a.exactly_zero() && b.exactly_inf());
}

bool element_open(bool mul, const Operand& a, const Operand& b) {
  if (a.open || b.open) return true;
  if (mul) return zero_times_inf_open(a, b) || zero_times_inf_open(b, a);
  return a.may_be_inf() && b.may_be_inf() && !(a.exactly_inf() && b.exactly_inf());
}

bool any_open_or_infinite(const ValueEnvelope& e) {
  if (e.center.dtype() != DType::f32) return false;
  for (int64_t i = 0; i < e.center.numel(); ++i) {
    const Operand a = operand(e, i);
    if (a.open || a.may_be_inf()) return true;
  }
  return false;
}

std::vector<uint8_t> elementwise_flags(const Graph& g, int id, const std::vector<ValueEnvelope>& env, bool mul) {
  const Node& n = g.node(id);
  const ValueEnvelope& ae = env[size_t(n.input(0))];
  const ValueEnvelope& be = env[size_t(n.input(1))];
  // Every open element needs an open or infinite operand: one scan each
  // keeps the per-element index walk off the path of finite graphs.
  if (!any_open_or_infinite(ae) && !any_open_or_infinite(be)) return {};
  const Shape& os = env[size_t(id)].center.shape();
  std::vector<uint8_t> flags;
  for (int64_t i = 0; i < env[size_t(id)].center.numel(); ++i) {
    const ElementIndex idx = element_index(os, i);
    const std::span<const int64_t> view = idx;
    const Operand a = operand(ae, reference::broadcast_offset(ae.center.shape(), view));
    const Operand b = operand(be, reference::broadcast_offset(be.center.shape(), view));
    if (!element_open(mul, a, b)) continue;
    if (flags.empty()) flags.assign(size_t(env[size_t(id)].center.numel()), 0);
    flags[size_t(i)] = 1;
  }
  return flags;
}

// A reduction (linear, conv2d) is open everywhere when any operand element
// is open or may be infinite: a product 0 * inf, or infinities of both signs
// in one sum, may be there (not worth locating: the oracle only asks on
// disagreement).
std::vector<uint8_t> reduction_flags(const Graph& g, int id, const std::vector<ValueEnvelope>& env) {
  const Node& n = g.node(id);
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    if (n.input(k) != kNoInput && any_open_or_infinite(env[size_t(n.input(k))])) {
      return std::vector<uint8_t>(size_t(env[size_t(id)].center.numel()), 1);
    }
  }
  return {};
}

}  // namespace

std::vector<uint8_t> nan_open_flags(const Graph& g, int id, const std::vector<ValueEnvelope>& env) {
  const Node& n = g.node(id);
  switch (n.kind) {
    case NodeKind::add:
    case NodeKind::mul: return elementwise_flags(g, id, env, n.kind == NodeKind::mul);
    case NodeKind::linear:
    case NodeKind::conv2d: return reduction_flags(g, id, env);
    case NodeKind::relu:
    case NodeKind::reshape: return env[size_t(n.input(0))].nan_open;  // element for element
    default: return {};  // exact values (inputs, constants) and integer ones
  }
}

int64_t nan_open_at_quantize(const Graph& g, const std::vector<ValueEnvelope>& env) {
  int64_t open = 0;
  for (int id = 0; id < int(env.size()); ++id) {
    if (g.node(id).kind != NodeKind::quantize) continue;
    for (uint8_t f : env[size_t(g.node(id).input(0))].nan_open) open += f;
  }
  return open;
}

bool nan_rejection_is_open(const Error& e, const GraphEnvelope& env) {
  return e.kind() == ErrorKind::nan_input && env.nan_open_at_quantize > 0;
}

bool nan_rejection_is_open(const Graph& g, const std::vector<Tensor>& inputs, EnvelopeMode mode) {
  const std::vector<int> input_ids = g.input_ids();
  if (inputs.size() != input_ids.size()) return false;
  std::vector<Tensor> values(g.nodes.size());
  for (size_t k = 0; k < input_ids.size(); ++k) values[size_t(input_ids[k])] = inputs[k];
  for (int id = 0; id < int(g.nodes.size()); ++id) {
    try {
      values[size_t(id)] = reference::evaluate_node(g, id, values);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::nan_input || g.node(id).kind != NodeKind::quantize) return false;
      values.resize(size_t(id));
      const std::vector<ValueEnvelope> env = graph_envelope_prefix(g, std::move(values), mode);
      const ValueEnvelope& x = env[size_t(g.node(id).input(0))];
      for (int64_t i = 0; i < x.center.numel(); ++i) {
        if (std::isnan(x.center.f32_at(i)) && (x.nan_open.empty() || !x.nan_open[size_t(i)])) return false;
      }
      return true;
    }
  }
  return false;  // the reference accepts the graph
}

}  // namespace qdiff
