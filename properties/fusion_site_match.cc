#include "properties/fusion_site_match.h"

#include <algorithm>
#include <cstring>
#include <map>

#include <fmt/format.h>

namespace qdiff::props {
namespace {

bool same_tensor(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw(), b.raw(), size_t(a.numel()) * dtype_size(a.dtype())) == 0;
}

bool is_constant(const Graph& g, int id, const Tensor& v) {
  return id >= 0 && g.node(id).kind == NodeKind::constant && same_tensor(g.node(id).value, v);
}

// A float op of `kind` (linear or conv2d) whose weight is dequantize(W).
bool float_op_on(const Graph& g, int id, const Tensor& w, NodeKind kind) {
  if (id < 0 || g.node(id).kind != kind) return false;
  const int dq = g.node(id).input(1);
  return dq >= 0 && g.node(dq).kind == NodeKind::dequantize && is_constant(g, g.node(dq).input(0), w);
}
bool linear_on(const Graph& g, int id, const Tensor& w) { return float_op_on(g, id, w, NodeKind::linear); }

bool fused_on(const Graph& g, int id, const Tensor& w) {
  return id >= 0 && (g.node(id).kind == NodeKind::qlinear || g.node(id).kind == NodeKind::qconv2d) &&
         is_constant(g, g.node(id).input(1), w);
}

// The value a block's output quantize reads, back through relu and a mul.
bool block_end_on(const Graph& g, int id, const Tensor& w) {
  if (fused_on(g, id, w)) return true;
  if (id < 0 || g.node(id).kind != NodeKind::quantize) return false;
  int src = g.node(id).input(0);
  if (src >= 0 && g.node(src).kind == NodeKind::relu) src = g.node(src).input(0);
  if (src >= 0 && g.node(src).kind == NodeKind::mul) {
    const Node& m = g.node(src);
    return linear_on(g, m.input(0), w) || linear_on(g, m.input(1), w);
  }
  return linear_on(g, src, w) || float_op_on(g, src, w, NodeKind::conv2d);
}

// A float op of `kind` (add or mul) one of whose operands is
// dequantize(quantize(constant B)).
bool elementwise_on(const Graph& g, const Node& n, NodeKind kind, const Tensor& b) {
  if (n.kind != kind) return false;
  for (int in : {n.input(0), n.input(1)}) {
    if (in < 0 || g.node(in).kind != NodeKind::dequantize) continue;
    const int q = g.node(in).input(0);
    if (q >= 0 && g.node(q).kind == NodeKind::quantize && is_constant(g, g.node(q).input(0), b)) return true;
  }
  return false;
}

bool mul_left(const Graph& g, const Node& n, const Tensor& w, const Tensor& c) {
  if (n.kind != NodeKind::mul) return false;
  return (linear_on(g, n.input(0), w) && is_constant(g, n.input(1), c)) ||
         (is_constant(g, n.input(0), c) && linear_on(g, n.input(1), w));
}

bool absorption_left(const Graph& g, const Node& n, const Tensor& w) {
  if (n.kind != NodeKind::quantize) return false;
  const int dq = n.input(0);
  return dq >= 0 && g.node(dq).kind == NodeKind::dequantize && block_end_on(g, g.node(dq).input(0), w);
}

// The site's weight constant (role W) and, for a mul, c.
const Tensor& weight_of(const Graph& original, const FusionSite& s) {
  return original.node(s.nodes[s.kind == FusionKind::absorption ? 3 : 2]).value;
}

std::string group_key(const Graph& original, const FusionSite& s) {
  const auto bytes = [](const Tensor& t) {
    return t.shape().str() + std::string(dtype_name(t.dtype())) +
           std::string(static_cast<const char*>(t.raw()), size_t(t.numel()) * dtype_size(t.dtype()));
  };
  std::string key = std::string(fusion_kind_name(s.kind)) + bytes(weight_of(original, s));
  if (s.kind == FusionKind::mul_into_linear) key += bytes(original.node(s.nodes[3]).value);
  return key;
}

}  // namespace

int pattern_count(const Graph& optimized, const Graph& original, const FusionSite& site) {
  const Tensor& w = weight_of(original, site);
  int count = 0;
  for (int id = 0; id < int(optimized.nodes.size()); ++id) {
    const Node& n = optimized.node(id);
    switch (site.kind) {
      case FusionKind::mul_into_linear: count += mul_left(optimized, n, w, original.node(site.nodes[3]).value); break;
      case FusionKind::quantized_linear: count += linear_on(optimized, id, w); break;
      case FusionKind::quantized_conv2d: count += float_op_on(optimized, id, w, NodeKind::conv2d); break;
      case FusionKind::quantized_elementwise:
        count += elementwise_on(optimized, n, original.node(site.nodes[1]).kind, w);
        break;
      case FusionKind::absorption: count += absorption_left(optimized, n, w); break;
    }
  }
  return count;
}

FiringVerdict judge_fusion_sites(const Graph& optimized, const Graph& original,
                                 const std::vector<FusionSite>& sites) {
  std::map<std::string, std::vector<const FusionSite*>> groups;
  for (const FusionSite& s : sites) groups[group_key(original, s)].push_back(&s);
  FiringVerdict v;
  for (const auto& group : groups) {
    const std::vector<const FusionSite*>& members = group.second;  // not a binding: clang 14 cannot capture one
    const int left = pattern_count(optimized, original, *members.front());
    const auto count = [&](Firing f) {
      return int(std::count_if(members.begin(), members.end(), [f](const FusionSite* s) { return s->firing == f; }));
    };
    int missing = left - count(Firing::must_not) - count(Firing::may);
    int wrongly = count(Firing::must_not) - left;
    for (const FusionSite* s : members) {
      if (s->firing == Firing::must && missing-- > 0) v.left_unfused.push_back(*s);
      if (s->firing == Firing::must_not && wrongly-- > 0) v.wrongly_fused.push_back(*s);
    }
  }
  return v;
}

std::string describe_site(const Graph& original, const FusionSite& site) {
  std::string out = fmt::format("{} {}:", fusion_pass_name(site.kind), site.firing == Firing::must_not ? "must not fire" : "must fire");
  for (size_t r = 0; r < site.nodes.size(); ++r) {
    const int id = site.nodes[r];
    out += fmt::format(" {} = {}", fusion_role_name(site.kind, r), describe_node(original, id));
    const Node& n = original.node(id);
    if (n.kind == NodeKind::constant) out += fmt::format(" {} {}", n.value.shape().str(), dtype_name(n.value.dtype()));
    if (r + 1 < site.nodes.size()) out += ",";
  }
  if (site.kind == FusionKind::mul_into_linear) {
    const Node& mul = original.node(site.nodes[0]);
    out += mul.input(0) == site.nodes[3] ? " (mul(c, linear))" : " (mul(linear, c))";
  }
  return out;
}

}  // namespace qdiff::props
