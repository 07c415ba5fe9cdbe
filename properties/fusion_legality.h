// When SPEC section 8 allows a fold or a fusion: the rules the graph
// generator applies to the graphs it builds, to record where each pass
// must fire and where it must not (GraphCase::expected_fusions,
// cases/fusion_site.h). Each rule is SPEC section 8's text; the reasons a
// site is `may` rather than `must` are written beside the generator's call.
#pragma once

#include <optional>

#include <functional>

#include "cases/fusion_site.h"
#include "core/fused_ops.h"
#include "core/graph.h"
#include "core/quant_params.h"

namespace qdiff::props {

// fuse-mul-into-linear: mul(linear(x, dequantize(Wq, p), b), c), in either
// operand order, with a constant c, folds iff
//  - c varies along the linear output's LAST dim alone: c's right-aligned
//    shape is all ones except possibly its last dim, which is K or 1, and
//    c has no more dims than the output (a longer c would change the
//    mul's shape, which no pass may do);
//  - every c is finite and > 0;
//  - every new scale p.scale * c_k is valid (finite, normal).
// (The weight's int zero-point domain, the constant params and an f32 [K]
// or absent bias hold by construction in the generator.)
bool mul_folds_into_linear(const Tensor& c, const Shape& linear_out, const Tensor& weight_scale);

// fuse-quantized-ops on dequantize -> linear [-> mul] [-> relu] -> quantize: the chain becomes
// a qlinear iff SPEC section 8's qlinear accepts its operands and params
// (reference/fused_validate.h: x per-tensor or per-row, weight any valid
// layout, output per-tensor or per-channel on the last dim, ...) and the
// bias is absent or finite (a fused op maps a NaN result to the zero
// point where the original quantize rejects it).
bool qlinear_accepts(const QLinearArgs& args);
// The same for dequantize -> conv2d -> quantize and SPEC section 8's
// qconv2d (x per-tensor, out per-tensor or [1, O, 1, 1], ...).
bool qconv2d_accepts(const QConv2dArgs& args);
// The same for dequantize -> add | mul -> quantize and qadd / qmul
// (numpy broadcasting, each operand's params valid for it, ...).
bool qelementwise_accepts(const QElementwiseArgs& args);

// quant-absorption: quantize(dequantize(y, p1), p2) after a fused op folds
// iff p2 is per-tensor (scale.numel() == 1).
inline bool absorbs(const QuantParams& p2) { return p2.scale.numel() == 1; }

// The QuantParams of quantize / dequantize node `id` whose scale and zero
// point are constants (or reshapes of constants), in the affine form: a
// legacy node's 1-D [C] scale and zero point along axis a become
// [1, .., C, .., 1] over data of `data_rank` dims (what legacy-to-affine
// does). nullopt for any other node or an invalid legacy axis.
std::optional<QuantParams> affine_params_of(const Graph& g, int id, int data_rank);

// The firing a site's nodes call for (the rules above applied to the
// nodes the site names), or nullopt when they no longer form the site's
// pattern (cases/fusion_site.h: kinds and wiring by role). `shape_of`
// gives a value's shape (nullopt: unknown, the site is `may` at best);
// `uses` counts each node's users (outputs included). A pattern whose
// intermediate values have other users is `may` (SPEC section 8 states no
// rule for shared values; folding in place would change the other user).
// The generator records its sites with it, and the reducer re-derives
// them on every candidate (properties/reduce_graph.h).
using ShapeOf = std::function<std::optional<Shape>(int)>;
std::optional<Firing> site_firing(const Graph& g, const ShapeOf& shape_of, const std::vector<int>& uses,
                                  const FusionSite& site);

}  // namespace qdiff::props
