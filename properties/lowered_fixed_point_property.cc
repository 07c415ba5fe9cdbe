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
// quantized by the REFERENCE with the quantize_input's params, and computes,
// per output element, independently of impl/:
//   acc = sum_j (qx - zx) (qw - zw) + bias_q[k]                 (exact)
//   a = sat32(sat32(acc) * 2^max(e, 0))
//   high = floor((a m + 2^30) / 2^31)     SaturatingRoundingDoublingHighMul
//   t = sign(high) floor((|high| + 2^(r-1)) / 2^r), r = max(-e, 0)   (r >= 1;
//       t = high for r = 0): RoundingDivideByPOT, ties away from zero
//   q = clamp(t + z_out[k], act_min[k], act_max[k]), then to the output dtype
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
#include "reference/quantize.h"

namespace qdiff::props {
namespace {

constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

int64_t saturate_int32(int64_t v) { return std::clamp(v, kInt32Min, kInt32Max); }

// floor(a / b) for b > 0.
int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// The integer nearest a m / 2^31, ties toward +inf (|a m| < 2^62: exact).
int64_t doubling_high_mul(int64_t a, int64_t m) { return floor_div(a * m + (int64_t{1} << 30), int64_t{1} << 31); }

// x / 2^r to nearest, ties away from zero.
int64_t divide_by_pot_away(int64_t x, int r) {
  if (r == 0) return x;
  const int64_t magnitude = x < 0 ? -x : x;
  const int64_t q = (magnitude + (int64_t{1} << (r - 1))) >> r;
  return x < 0 ? -q : q;
}

// A compact [] or [K] tensor at channel k (nullopt if it does not cover k).
std::optional<int64_t> compact_int(const Tensor& t, int64_t k) {
  if (t.shape().rank() == 0) return t.int_at(0);
  if (t.shape().rank() == 1 && k < t.numel()) return t.int_at(k);
  return std::nullopt;
}

// Stored weight element i; packed int4 per SPEC section 1 (element 2i in
// the low nibble).
int64_t weight_at(const LoweredWeights& w, int64_t i) {
  if (!w.int4_packed) return w.data.int_at(i);
  const int64_t byte = w.data.int_at(i / 2);
  const int64_t nibble = i % 2 == 0 ? (byte & 0xF) : ((byte >> 4) & 0xF);
  return w.int4_signed && nibble >= 8 ? nibble - 16 : nibble;
}

int64_t clamp_to_dtype(int64_t v, DType d) {
  return std::clamp(v, dtype_min(d), dtype_max(d));
}

// The model's value of every element of a fixed-point qlinear's output, or
// nullopt when the op's data are inconsistent (the executor rejects those).
std::optional<std::vector<int64_t>> model_qlinear(const LoweredOp& op, const Tensor& qx) {
  if (!op.weights || op.requant != LoweredRequant::fixed_point) return std::nullopt;
  const LoweredWeights& w = *op.weights;
  const int64_t k_count = w.out_features, depth = w.in_features;
  if (w.granularity == WeightGranularity::per_group || k_count < 1 || depth < 0) return std::nullopt;
  if (qx.shape().rank() < 1 || qx.shape()[qx.shape().rank() - 1] != depth || !is_integer(qx.dtype())) {
    return std::nullopt;
  }
  const int64_t stored = k_count * depth;
  if (w.data.numel() != (w.int4_packed ? (stored + 1) / 2 : stored)) return std::nullopt;
  const size_t m_count = op.multiplier.size();
  if ((m_count != 1 && int64_t(m_count) != k_count) || op.shift.size() != m_count) return std::nullopt;
  for (size_t i = 0; i < m_count; ++i) {
    if (op.multiplier[i] < (int32_t{1} << 30) || op.shift[i] < -31 || op.shift[i] > 31) return std::nullopt;
  }
  if (op.accumulator_bias && op.accumulator_bias->numel() != k_count) return std::nullopt;
  if (!op.channel_act_min.empty() &&
      (int64_t(op.channel_act_min.size()) < k_count || int64_t(op.channel_act_max.size()) < k_count)) {
    return std::nullopt;
  }
  const int64_t rows = depth == 0 ? qx.numel() : qx.numel() / depth;
  std::vector<int64_t> out(size_t(rows * k_count));
  for (int64_t k = 0; k < k_count; ++k) {
    const std::optional<int64_t> zw = w.zero_point ? compact_int(*w.zero_point, k) : std::optional<int64_t>(0);
    const std::optional<int64_t> z_out = compact_int(op.output_zero_point, k);
    if (!zw || !z_out) return std::nullopt;
    const size_t c = m_count == 1 ? 0 : size_t(k);
    const int64_t m = op.multiplier[c];
    const int e = op.shift[c];
    const int64_t lo = op.channel_act_min.empty() ? op.act_min : op.channel_act_min[size_t(k)];
    const int64_t hi = op.channel_act_min.empty() ? op.act_max : op.channel_act_max[size_t(k)];
    for (int64_t r = 0; r < rows; ++r) {
      // 128 bits: a hand-made program's centred operands may reach 2^33.
      __int128 acc = 0;
      for (int64_t d = 0; d < depth; ++d) {
        acc += __int128(qx.int_at(r * depth + d) - op.input_zero_point) * (weight_at(w, k * depth + d) - *zw);
      }
      if (op.accumulator_bias) acc += op.accumulator_bias->int_at(k);
      const int64_t acc32 = acc < kInt32Min ? kInt32Min : acc > kInt32Max ? kInt32Max : int64_t(acc);
      const int64_t a = saturate_int32(acc32 * (int64_t{1} << std::max(e, 0)));
      const int64_t t = divide_by_pot_away(doubling_high_mul(a, m), std::max(-e, 0));
      out[size_t(r * k_count + k)] = clamp_to_dtype(std::clamp(t + *z_out, lo, hi), op.output_dtype);
    }
  }
  return out;
}

CheckResult discard() { return CheckResult{{}, true}; }

// Graphs of one linear block whose quantize is the graph output: the
// domain needs a graph output written by a qlinear that reads a program
// input's quantize_input, which later blocks, conv and elementwise blocks
// and an output dequantize hide. Relu is rarer than in other graphs: it
// clamps the negative values whose ties tell the roundings apart.
// Measured over 5,000 PRNG cases with fault point fixed_point_round_half_up
// (2026-11-27): any one-block graph judged 30 % and found it in 3.1 %; this
// shape judges 66 % and finds it in 8.4 % (relu 30 %: 6.7 %, 0 %: 9.2 %).
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
    const std::optional<std::vector<int64_t>> want = model_qlinear(*op, qx);
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
  return {"LoweredFixedPointMatchesGemmlowpModel", "graph",
          "the integer executor's fixed-point qlinear outputs equal an independent gemmlowp model, bit for bit",
          draw_one_block_graph, lowered_fixed_point_matches_model};
}

}  // namespace qdiff::props
