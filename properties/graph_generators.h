// Random graphs for the graph-level properties (docs/graph.md), drawn
// from a Source like every other generator.
//
// A graph is an input x [batch.., In] (ranks 1..4), quantized and
// dequantized, followed by 1..3 blocks, each ending in a quantize:
// - linear blocks: dequantize(W) with per-tensor, per-channel [K, 1],
//   per-group [K, G] (G = 1 included), or LEGACY per-channel (1-D scale,
//   axis 0 or -2) weights; optional bias; an optional mul by a constant c
//   whose shape is foldable ([K], [1, K], [1]) or not ([K, 1] when the
//   batch equals K, [N, K]; the mul and the [K, 1] shape are likelier
//   when K equals the batch) and whose values are sometimes zero, negative
//   or non-finite; optional relu; sometimes the quant-absorption pattern
//   quantize(dequantize(y, p1), p2) with p2 per-tensor or per-channel;
// - elementwise blocks: add or mul with a second quantized operand of a
//   broadcast shape;
// - conv blocks on NCHW inputs.
// Scale constants are sometimes given through a reshape (constant
// folding), activation quantizers sometimes in the legacy form with a
// negative axis. Shapes include K == In, K == 1 and G == 1. The mul's
// operands come in either order (mul(c, linear) 35 % of the time).
//
// Every block's patterns are recorded in the case's
// expected_fusions (cases/fusion_site.h): the mul fold, the
// dequantize -> linear / conv2d / add / mul -> quantize chain and (after a
// linear or conv) the absorption pair, each
// with the firing SPEC section 8 calls for (properties/fusion_legality.h).
#pragma once

#include "cases/graph_case.h"
#include "properties/source.h"

namespace qdiff::props {

struct GraphLimits {
  int max_blocks = 3;
  int64_t max_elements = 2048;   // per tensor
  // How often each optional structure is drawn, in percent. A property
  // whose domain is narrower than "any graph" lowers the ones it discards
  // (LoweredFixedPointMatchesGemmlowpModel: linear blocks whose quantize is
  // the graph output, without relu's clamp on the negative ties it needs).
  int conv_percent = 20;                // an NCHW input and conv blocks
  int elementwise_percent = 30;         // a non-conv block is add/mul, else linear
  int relu_percent = 30;                // a linear block ends in relu
  int output_dequantize_percent = 20;   // the output is dequantized
  // A linear or conv block's float result is also a graph output: its
  // fusion must then be declined (the op has another user). Without it a
  // fusion rule that mishandled a shared op never ran (issue 16).
  int shared_op_percent = 8;
};

GraphCase draw_graph_case(Source& src, const GraphLimits& limits = {});

}  // namespace qdiff::props
