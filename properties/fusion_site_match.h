// Finds an expected fusion site's pattern in an optimized graph, by
// structure only (cases/fusion_site.h), so that any backend's pass pipeline
// can be judged: which ops are present and which constants feed them, never
// an implementation's internals.
//
// Matching rules (SPEC section 8; W = the site's weight constant, c = its
// mul constant, "a constant equal to T" = same dtype, shape and bytes: the
// passes rewrite scales and biases but never a quantized weight or c):
//   linear on W     a float `linear` whose weight is dequantize(constant W)
//                   (conv on W likewise, a float `conv2d`)
//   fused on W      a `qlinear` or `qconv2d` whose weight input is the constant W
//   mul_into_linear left   a `mul` with operands {linear on W, constant c}
//                          in either order (folding removes the mul)
//   quantized_linear left  a linear on W (fusing turns it into a qlinear)
//   quantized_conv2d left  a conv on W (fusing turns it into a qconv2d)
//   quantized_elementwise left  a float add / mul (the site's kind) with an
//                          operand dequantize(quantize(constant B))
//   absorption left        quantize(dequantize(E)) with E the block's end on
//                          W: fused on W, or a quantize reading a linear or conv on W
//                          through optional mul and relu (absorbing removes
//                          the pair; counting the unfused end too means a
//                          block whose chain did not fuse still shows its
//                          pair, so a must_not site there is not "applied")
// Weights of different blocks are told apart by their values; blocks with
// equal W (and c) are judged together, by counts (fusion_sites_left).
#pragma once

#include <string>
#include <vector>

#include "cases/fusion_site.h"
#include "core/graph.h"

namespace qdiff::props {

// How many instances of the site's pattern (`site` names nodes of
// `original`) are left in `optimized`.
int pattern_count(const Graph& optimized, const Graph& original, const FusionSite& site);

// Sites of the same kind whose W (and c) are equal are one group; a group
// with m must, n must_not and p may sites and L patterns left in the
// optimized graph has max(0, L - n - p) must sites left unfused and
// max(0, n - L) must_not sites fused.
struct FiringVerdict {
  std::vector<FusionSite> left_unfused;  // must sites (one per missing fusion)
  std::vector<FusionSite> wrongly_fused; // must_not sites
};
FiringVerdict judge_fusion_sites(const Graph& optimized, const Graph& original,
                                 const std::vector<FusionSite>& sites);

// "fuse_mul_into_linear must fire: mul node 12 (mul "c"), linear node 9, W node 5 [3, 4] i8, c node 11 [4] f32"
std::string describe_site(const Graph& original, const FusionSite& site);

}  // namespace qdiff::props
