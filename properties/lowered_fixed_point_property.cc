// LoweredFixedPointMatchesGemmlowpModel: the integer-only executor runs a
// lowered program's fixed-point requantization exactly as core/lowered.h
// (SPEC section 8, gemmlowp / TFLite) defines it, bit for bit.
//
// The envelope properties cannot check this part: the fixed-point path is
// allowed a slack of 2^-(r+1) output units (the high-mul's rounding before
// RoundingDivideByPOT, docs/impl-graph.md), and an exact tie of
// RoundingDivideByPOT lies within that slack of the ideal value, so every
// sound envelope admits both neighbours of a tie. Rounding such a tie the
// wrong way (fault point fixed_point_round_half_up) is only visible to a
// bit-exact model of the integer arithmetic, which this property is.
//
// Domain: programs lowered from a graph (of one block: draw_one_block_graph)
// the reference evaluates, for each
// graph output written by a fixed-point qlinear whose x is a program input's
// quantize_input. The model takes the program's own data (weights, zero
// points, multipliers, shifts, accumulator bias, clamp bounds) and x
// quantized by the REFERENCE with the quantize_input's params, and computes
// every output element independently of impl/ with reference/'s gemmlowp
// model (reference/lowered_fixed_point.h).
// Programs with no such output are outside the domain (discarded); errors
// of lowering or execution are LoweredExecutionMatchesReference's to judge.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "core/error.h"
#include "core/lowered.h"
#include "properties/graph_generators.h"
#include "properties/property.h"
#include "reference/graph_eval.h"
#include "reference/lowered_fixed_point.h"
#include "reference/quantize.h"

namespace qdiff::props {
namespace {

CheckResult discard() { return CheckResult{{}, true}; }

// Graphs of one linear block whose quantize is the graph output: the
// domain needs a graph output written by a qlinear that reads a program
// input's quantize_input, which later blocks, conv and elementwise blocks
// and an output dequantize hide. Relu is rarer than in other graphs: it
// clamps the negative values whose ties tell the roundings apart.
// This shape is judged and finds the fault more often than any one-block
// graph (docs/graph.md, "fixed_point_round_half_up").
Case draw_one_block_graph(Source& src) {
  GraphLimits limits;
  limits.max_blocks = 1;
  limits.conv_percent = 0;
  limits.elementwise_percent = 0;
  limits.output_dequantize_percent = 0;
  limits.relu_percent = 10;
  limits.shared_op_percent = 0;  // a float output blocks the lowering
  return draw_graph_case(src, limits);
}

CheckResult lowered_fixed_point_matches_model(const Case& any, const Backend& b) {
  const GraphCase& c = std::get<GraphCase>(any);
  LoweredProgram program;
  std::vector<Tensor> outputs;
  try {
    reference::evaluate_graph(c.graph, c.inputs);
    program = b.lower_graph(b.optimize_graph(c.graph));
    outputs = b.execute_lowered(program, c.inputs);
  } catch (const Error&) {
    return discard();
  }
  // The op writing each slot.
  std::vector<const LoweredOp*> writer(size_t(std::max(program.slot_count, 0)), nullptr);
  for (const LoweredOp& op : program.ops) {
    if (op.output >= 0 && op.output < program.slot_count) writer[size_t(op.output)] = &op;
  }
  const auto written_by = [&](int slot) -> const LoweredOp* {
    return slot >= 0 && slot < program.slot_count ? writer[size_t(slot)] : nullptr;
  };
  bool judged = false;
  for (size_t o = 0; o < program.output_slots.size() && o < outputs.size(); ++o) {
    const LoweredOp* op = written_by(program.output_slots[o]);
    if (!op || op->kind != LoweredOp::Kind::qlinear || op->requant != LoweredRequant::fixed_point ||
        op->inputs.empty()) {
      continue;
    }
    const LoweredOp* in = written_by(op->inputs[0]);
    if (!in || in->kind != LoweredOp::Kind::quantize_input || in->inputs.empty()) continue;
    const auto pos = std::find(program.input_slots.begin(), program.input_slots.end(), in->inputs[0]);
    const size_t j = size_t(pos - program.input_slots.begin());
    if (pos == program.input_slots.end() || j >= c.inputs.size()) continue;
    Tensor qx;
    try {
      qx = reference::quantize_affine(c.inputs[j], in->params, in->contract);
    } catch (const Error&) {
      continue;
    }
    const std::optional<std::vector<int64_t>> want = reference::fixed_point_qlinear(*op, qx);
    if (!want) continue;
    judged = true;
    const Tensor& got = outputs[o];
    if (got.dtype() != op->output_dtype || got.numel() != int64_t(want->size())) {
      return CheckResult{Verdict::fail(fmt::format("output {} ({}): executor gives {} {}, the model {} values of {}", o,
                                                   op->name, dtype_name(got.dtype()), got.shape().str(),
                                                   want->size(), dtype_name(op->output_dtype))),
                         false};
    }
    for (int64_t i = 0; i < got.numel(); ++i) {
      if (got.int_at(i) == (*want)[size_t(i)]) continue;
      const int64_t k = i % op->weights->out_features;
      const size_t ch = op->multiplier.size() == 1 ? 0 : size_t(k);
      return CheckResult{
          Verdict::fail(fmt::format("output {} ({}) element {}: the integer executor gives {}, the gemmlowp model {}",
                                    o, op->name, i, got.int_at(i), (*want)[size_t(i)]),
                        fmt::format("  channel {}: multiplier {}, shift {}", k, op->multiplier[ch], op->shift[ch])),
          false};
    }
  }
  return judged ? CheckResult{} : discard();
}

}  // namespace

Property lowered_fixed_point_property() {
  return {"LoweredFixedPointMatchesGemmlowpModel", "graph", PropertyKind::pipeline,
          "the integer executor's fixed-point qlinear outputs equal an independent gemmlowp model, bit for bit",
          draw_one_block_graph, lowered_fixed_point_matches_model};
}

}  // namespace qdiff::props
