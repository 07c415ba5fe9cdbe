// Shared fixtures of the graph-level impl tests (tests/impl_graph_*_test.cc):
// QuantSpec shorthands, structural graph equality (for "the pass changed
// nothing" and idempotence), node-kind listings, and the acceptance rule for
// a quantized output: q in [Q(p - B), Q(p + B)] around the reference's ideal
// pre-rounding value p with a bound B derived in each test.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/graph.h"
#include "core/quant_params.h"
#include "tests/reference_graph_test_util.h"

namespace qdiff::impl_graph_test {

using namespace graph_test;

inline QuantSpec spec_of(DType dtype, int64_t qmin, int64_t qmax, Contract c = Contract::torchao) {
  QuantSpec s;
  s.dtype = dtype;
  s.quant_min = qmin;
  s.quant_max = qmax;
  s.contract = c;
  return s;
}
inline QuantSpec i8_spec(Contract c = Contract::torchao) { return spec_of(DType::i8, -128, 127, c); }
inline QuantSpec u8_spec() { return spec_of(DType::u8, 0, 255); }
inline QuantSpec i4_spec() { return spec_of(DType::i8, -8, 7); }
inline QuantSpec legacy(QuantSpec s, int64_t axis) {
  s.legacy_axis = axis;
  return s;
}

inline bool same_params(const QuantParams& a, const QuantParams& b) {
  if (!a.scale.bitwise_equal(b.scale) || a.zero_point.has_value() != b.zero_point.has_value()) return false;
  if (a.zero_point && !a.zero_point->bitwise_equal(*b.zero_point)) return false;
  return a.quant_min == b.quant_min && a.quant_max == b.quant_max && a.dtype == b.dtype &&
         a.zero_point_domain == b.zero_point_domain && a.block_size == b.block_size;
}

inline bool same_spec(const QuantSpec& a, const QuantSpec& b) {
  return a.dtype == b.dtype && a.quant_min == b.quant_min && a.quant_max == b.quant_max &&
         a.zero_point_domain == b.zero_point_domain && a.block_size == b.block_size &&
         a.legacy_axis == b.legacy_axis && a.contract == b.contract;
}

inline bool same_conv(const Conv2dAttrs& a, const Conv2dAttrs& b) {
  return a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation && a.groups == b.groups;
}

// Node-by-node structural equality (kinds, inputs, attributes, constants bitwise).
inline bool same_graph(const Graph& a, const Graph& b) {
  if (a.nodes.size() != b.nodes.size() || a.outputs != b.outputs) return false;
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const Node& x = a.nodes[i];
    const Node& y = b.nodes[i];
    if (x.kind != y.kind || x.inputs != y.inputs || x.name != y.name) return false;
    if (x.value.dtype() != y.value.dtype() || x.value.shape() != y.value.shape()) return false;
    if (x.kind == NodeKind::constant && !x.value.bitwise_equal(y.value)) return false;
    if (!same_spec(x.spec, y.spec) || x.target_shape != y.target_shape || !same_conv(x.conv, y.conv)) return false;
    if (is_fused_kind(x.kind)) {
      if (!same_params(x.params[0], y.params[0]) || !same_params(x.params[1], y.params[1]) ||
          !same_params(x.out_params, y.out_params) || x.activation.kind != y.activation.kind ||
          x.activation.lo != y.activation.lo || x.activation.hi != y.activation.hi) {
        return false;
      }
    }
  }
  return true;
}

// "input constant quantize ..." of the live-or-not nodes, for messages and
// structure checks.
inline std::vector<NodeKind> kinds(const Graph& g) {
  std::vector<NodeKind> out;
  for (const Node& n : g.nodes) out.push_back(n.kind);
  return out;
}
inline int count_kind(const Graph& g, NodeKind k) {
  return int(std::count_if(g.nodes.begin(), g.nodes.end(), [&](const Node& n) { return n.kind == k; }));
}
inline std::string listing(const Graph& g) {
  std::string s;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    s += fmt::format("{}{}(", i == 0 ? "" : " ", node_kind_name(g.nodes[i].kind));
    for (size_t k = 0; k < g.nodes[i].inputs.size(); ++k) s += fmt::format("{}{}", k ? "," : "", g.nodes[i].inputs[k]);
    s += ")";
  }
  return s + fmt::format(" -> outputs {}", fmt::join(g.outputs, ","));
}
// The first node of a kind (or -1).
inline int find_kind(const Graph& g, NodeKind k) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].kind == k) return int(i);
  }
  return -1;
}

// Q(t) = clamp(round_half_even(t - z) + z, qmin, qmax) of a pre-rounding
// position t (already including z).
inline int64_t quantized_position(double t, double z, int64_t qmin, int64_t qmax) {
  if (std::isnan(t)) return std::clamp<int64_t>(int64_t(z), qmin, qmax);
  const double q = std::nearbyint(t - z) + z;
  if (q <= double(qmin)) return qmin;
  if (q >= double(qmax)) return qmax;
  return int64_t(q);
}

// Whether q is one of the values reachable from [p - bound, p + bound]. The
// interval is closed, so an end exactly on a tie admits its outer neighbour
// (gemmlowp rounds that tie away from zero; oracle/graph_envelope.cc).
inline bool within(int64_t q, double p, double bound, double z, int64_t qmin, int64_t qmax) {
  const auto tie = [&](double t) { return std::fabs((t - z) - std::trunc(t - z)) == 0.5; };
  const double lo = p - bound, hi = p + bound;
  return quantized_position(tie(lo) ? lo - 0.5 : lo, z, qmin, qmax) <= q &&
         q <= quantized_position(tie(hi) ? hi + 0.5 : hi, z, qmin, qmax);
}

}  // namespace qdiff::impl_graph_test
