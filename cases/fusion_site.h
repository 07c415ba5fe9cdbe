// Expected fusion sites: where a graph pass must fire, or must not, in a
// generated graph (issue 16, "Passes fire where they may"). The graph
// generator knows by construction where SPEC section 8 allows a fold or a
// fusion (properties/graph_generators.h) and records it with the graph
// (GraphCase::expected_fusions); the pass-firing properties
// (properties/pass_firing_properties.cc) judge a backend's optimized graph
// against the record, by structure only.
//
// A site names the nodes of its pattern in the graph it belongs to, by role:
//   mul_into_linear   {mul, linear, W, c}        mul(linear(x, dequantize(W), b), c)
//                                                 or mul(c, linear(...))
//   quantized_linear  {quantize, linear, W}       dequantize -> linear(dequantize(W), b?)
//                                                 [-> mul c, folded] [-> relu] -> quantize
//   quantized_conv2d  {quantize, conv2d, W}       dequantize -> conv2d(dequantize(W), b?)
//                                                 [-> relu] -> quantize
//   quantized_elementwise {quantize, op, B}       add|mul(dequantize(qa), dequantize(quantize(B)))
//                                                 [-> relu] -> quantize
//   absorption        {quantize2, dequantize, quantize1, W}
//                                                 quantize2(dequantize(quantize1(...)))
//                                                 after the quantized linear or conv2d of W
// W is the weight's quantized constant, c the mul's constant and B the
// elementwise op's second operand's f32 constant: what the properties look
// for in the optimized graph.
//
// In a case file the list is the optional member "expected_fusions":
//   [{"fusion": "mul_into_linear", "firing": "must", "nodes": [7, 6, 3, 8]}, ...]
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "cases/json_fields.h"

namespace qdiff {

enum class FusionKind { mul_into_linear, quantized_linear, quantized_conv2d, quantized_elementwise, absorption };
inline constexpr FusionKind kAllFusionKinds[] = {FusionKind::mul_into_linear, FusionKind::quantized_linear,
                                                 FusionKind::quantized_conv2d, FusionKind::quantized_elementwise,
                                                 FusionKind::absorption};

// must: SPEC section 8 allows it, so the pipeline must apply it;
// must_not: SPEC section 8 forbids it (the fold_non_foldable_mul class);
// may: neither is required (a layout the fused op may decline, ...).
enum class Firing { must, must_not, may };
inline constexpr Firing kAllFirings[] = {Firing::must, Firing::must_not, Firing::may};

struct FusionSite {
  FusionKind kind = FusionKind::quantized_linear;
  Firing firing = Firing::may;
  std::vector<int> nodes;  // by role, see above

  bool operator==(const FusionSite&) const = default;
};

// The pass that applies each kind (docs/graph.md's names, as
// impl::graph_pass_name spells them).
std::string_view fusion_pass_name(FusionKind k);
std::string_view fusion_kind_name(FusionKind k);
std::string_view firing_name(Firing f);
// Number of nodes a site of kind k names, and the role of each.
size_t fusion_role_count(FusionKind k);
std::string_view fusion_role_name(FusionKind k, size_t role);

// Reads the optional "expected_fusions" member of a graph case (node ids
// must name nodes of a graph of `node_count` nodes); malformed_case with the
// field's path otherwise.
std::vector<FusionSite> read_fusion_sites(const JsonObjectReader& root, size_t node_count);
// One line per site, the canonical form of the member's value.
std::string write_fusion_sites(const std::vector<FusionSite>& sites);

}  // namespace qdiff
