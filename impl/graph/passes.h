// Graph passes (SPEC section 8, docs/graph.md "Passes"): the rewrites an
// optimizing compiler applies to a quantized graph before lowering it.
//
//   legacy_to_affine      legacy q/dq (1-D scale [C], axis a) -> affine q/dq
//                         whose scale (and zero point) is reshape(., [1,..,C,..,1])
//   constant_folding      reshape(constant) -> constant (through chains)
//   fuse_mul_into_linear  mul(linear(x, dequantize(Wq, p), b), c) -> linear with
//                         p.scale * reshape(c_K, [K, 1]) and b * c_K
//   fuse_quantized_ops    dequantize -> linear / conv2d / add / mul (-> relu)
//                         -> quantize  ->  qlinear / qconv2d / qadd / qmul
//   quant_absorption      quantize(dequantize(fused y, p1), p2), p2 per-tensor
//                         -> the fused op with output params p2
//
// Each pass's file states its preconditions and numerical contract. Every
// pass keeps output shapes and dtypes, leaves only valid QuantParams, and is
// idempotent (each sweeps its rule to a fixed point). A pass that cannot
// improve a graph returns it unchanged (same nodes); it throws only for a
// structurally broken graph (Graph::check_structure, malformed_case). Passes
// only fire where the nodes involved are valid (their params validate, their
// shapes are known), so a graph that evaluates keeps evaluating; a graph
// that fails somewhere may fail differently afterwards (a fused op validates
// its operands in its own order).
//
// A pass removes the nodes its rewrites leave without users; nodes that were
// dead before (and every input node) stay. optimize_graph removes every dead
// node at the end.
#pragma once

#include <optional>
#include <string_view>

#include "core/graph.h"
#include "impl/options.h"

namespace qdiff::impl {

enum class GraphPass {
  legacy_to_affine,
  constant_folding,
  fuse_mul_into_linear,
  fuse_quantized_ops,
  quant_absorption,
};

// "legacy_to_affine", ...; parse also accepts the hyphenated spelling of
// docs/graph.md ("legacy-to-affine").
std::string_view graph_pass_name(GraphPass pass);
std::optional<GraphPass> parse_graph_pass(std::string_view name);

// In pipeline order (optimize_graph runs constant_folding once more at the end).
inline constexpr GraphPass kAllGraphPasses[] = {
    GraphPass::legacy_to_affine,   GraphPass::constant_folding, GraphPass::fuse_mul_into_linear,
    GraphPass::fuse_quantized_ops, GraphPass::quant_absorption,
};

// One pass (options.faults selects the graph fault points).
Graph run_pass(GraphPass pass, const Graph& g, const ImplOptions& options = {});

// legacy_to_affine, constant_folding, fuse_mul_into_linear,
// fuse_quantized_ops, quant_absorption, constant_folding; then every dead
// node (except input nodes) is removed.
Graph optimize_graph(const Graph& g, const ImplOptions& options = {});

}  // namespace qdiff::impl
