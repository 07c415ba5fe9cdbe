// The envelope oracle for graphs (docs/graph.md, "How the harness judges a
// graph evaluation"): evaluates the ORIGINAL graph with the reference and,
// beside every value, the set of values a correct implementation may
// produce there, propagated node by node with derived per-op rules. An
// evaluation passes when each output element lies in its set.
#pragma once

#include <cstdint>
#include <vector>

#include "core/graph.h"
#include "oracle/verdict.h"

namespace qdiff {

// What is being judged, which decides the slack a rule allows.
enum class EnvelopeMode {
  transformed,  // a pass's output graph evaluated by the reference, or the
                // optimized executor (f32 kernels)
  lowered,      // the integer-only executor: adds fixed-point slack
};

struct ValueEnvelope {
  Tensor center;                 // the reference's value
  std::vector<double> radius;    // f32 values: |actual - center| <= radius (real units)
  std::vector<int64_t> lo, hi;   // integer values: actual in [lo, hi]
  // Integer values made by rounding (quantize, fused ops): the real value
  // rounded, and its radius, for the quant-absorption slack.
  std::vector<double> pre_real, pre_radius;
  // f32 values: 1 where rounding decides whether the element is NaN
  // (oracle/graph_nan_parity.h); empty when no element is.
  std::vector<uint8_t> nan_open;
};

struct GraphEnvelope {
  std::vector<ValueEnvelope> values;  // per node id
  std::vector<int> outputs;
  int64_t widened = 0;  // elements whose set holds more than the reference's value
  // Elements read by quantize nodes whose NaN-ness rounding decides: an
  // implementation may reject the graph with nan_input where the reference
  // accepts it (oracle/graph_nan_parity.h).
  int64_t nan_open_at_quantize = 0;
};

// Throws qdiff::Error when the reference rejects the graph (the caller
// turns that into error parity).
GraphEnvelope graph_envelope(const Graph& g, const std::vector<Tensor>& inputs, EnvelopeMode mode);

// The envelopes of nodes [0, values.size()) given the reference's values of
// those nodes: for a graph the reference rejects at node values.size().
std::vector<ValueEnvelope> graph_envelope_prefix(const Graph& g, std::vector<Tensor> values, EnvelopeMode mode);

// Judges actual outputs (g.outputs order) against the envelope; shapes and
// dtypes must match exactly. Verdict::tolerated counts the outputs that
// differ from the reference's value but lie in their set.
Verdict judge_graph_outputs(const GraphEnvelope& e, const std::vector<Tensor>& actual);

}  // namespace qdiff
