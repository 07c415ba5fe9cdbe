// Lowered programs: what qdiff's lowering produces for an integer-only
// backend (SPEC section 8, "lowering"), as plain data so the harness can
// inspect it (CompactScaleRoundTrips) and the integer executor can run it.
// Produced by impl/graph/lowering.h, run by impl/graph/executor.h
// (execute_lowered); docs/impl-graph.md has the decisions and error bounds.
//
// Compact scales are driven by the OPERATOR's channel axis, never by
// squeezing size-1 dims: a weight's per-tensor scale becomes a scalar
// (shape []), per-channel [K, 1] becomes [K], per-group [K, In / g] becomes
// [K, G] -- always 2-D, also when K == 1 or G == 1. An executor reads a
// compact scale by its rank: [] for every element, [K] by channel, [K, G] by
// channel and group.
//
// Requantization for per-tensor and per-channel weights is fixed point:
// for each output channel k, M_k = s_x * s_w[k] / s_out[k] is represented
// as multiplier m_k in [2^30, 2^31) and shift e_k in [-31, 30] with
// M_k ~= m_k * 2^(e_k - 31), applied gemmlowp/TFLite style:
//   acc = sum_j (qx - zx) (qw - zw) + accumulator_bias[k]      (int32, exact)
//   t = SaturatingRoundingDoublingHighMul(acc << max(e_k, 0), m_k)
//   t = RoundingDivideByPOT(t, max(-e_k, 0))        (rounds half away from 0)
//   q = clamp(t + z_out, act_min, act_max)
// Per-group weights (and qadd / qmul) keep f32 scales and requantize in f32
// with the arithmetic contract of the fused operators (impl/ops/fused_ops.h):
//   y = sum_g f32(acc_g) * f32(s_x * s_w[k, g]);  y = f32(y + bias[k]);
//   q = clamp(round_half_even(f32(y / s_out)) + z_out, act_min, act_max)
// (a NaN y gives clamp(z_out, output_quant_min, output_quant_max)).
// int4 weights are packed two per byte, element 2i in the low nibble, an odd
// count padded with a zero nibble (flat, row-major; SPEC section 1).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/contract.h"
#include "core/fused_ops.h"
#include "core/quant_params.h"
#include "core/tensor.h"

namespace qdiff {

enum class WeightGranularity { per_tensor, per_channel, per_group };

struct LoweredWeights {
  Tensor data;             // i8/u8 [K, In]; or packed int4: u8 [ceil(K*In/2)]
  bool int4_packed = false;
  bool int4_signed = false;  // i4 ([-8, 7]) or u4 ([0, 15]) when packed
  int64_t out_features = 0;  // K
  int64_t in_features = 0;   // In
  WeightGranularity granularity = WeightGranularity::per_tensor;
  int64_t group_size = 0;    // per_group: g (the last group may be partial)
  Tensor scale;              // f32 compact: [] | [K] | [K, G]
  std::optional<Tensor> zero_point;  // i32, same compact shape
  int64_t quant_min = -128;
  int64_t quant_max = 127;
  // qconv2d: the weight's own shape [O, C / groups, kh, kw] (in_features is
  // then C / groups * kh * kw, the reduction of one output channel).
  Shape shape;
  DType dtype = DType::i8;   // the weight's storage dtype before packing
};

// How a qlinear / qconv2d / qadd / qmul maps its accumulator to the output.
enum class LoweredRequant {
  fixed_point,  // multiplier / shift, integer only (per-tensor, per-channel weights)
  f32,          // the fused operators' f32 contract (per-group weights, qadd, qmul)
};

// One lowered operator of an integer-only program.
struct LoweredOp {
  // constant: a value the program holds (a quantized constant operand, a
  // constant graph output); appended after the original kinds.
  enum class Kind { quantize_input, qlinear, qconv2d, qadd, qmul, reshape, dequantize_output, constant };
  Kind kind = Kind::qlinear;
  std::vector<int> inputs;   // value slots
  int output = -1;           // value slot
  std::string name;          // the graph node it came from ("node 3 (qlinear \"fc\")")
  // quantize_input / dequantize_output / the activations of fused ops
  float input_scale = 1.0f;  // per-tensor input params (lowering requires them)
  int32_t input_zero_point = 0;
  float input_scale_b = 1.0f;  // qadd/qmul second operand
  int32_t input_zero_point_b = 0;
  std::optional<LoweredWeights> weights;   // qlinear / qconv2d
  std::optional<Tensor> bias;              // f32 [K] (added before requantization)
  // fixed_point: the bias in accumulator units, round_half_even(bias[k] /
  // (s_x * s_w[k])) computed in double, added to the int32 accumulator.
  std::optional<Tensor> accumulator_bias;  // i32 [K]
  Tensor output_scale;                     // f32 compact: [] | [K]
  Tensor output_zero_point;                // i32 compact: [] | [K]
  DType output_dtype = DType::i8;
  int64_t output_quant_min = -128;         // the output params' range (the NaN rule)
  int64_t output_quant_max = 127;
  int32_t act_min = -128;                  // activation folded into the clamp
  int32_t act_max = 127;
  // Per-channel output params with an activation: the folded clamp per
  // channel (size K); empty otherwise (act_min / act_max apply).
  std::vector<int32_t> channel_act_min, channel_act_max;
  LoweredRequant requant = LoweredRequant::fixed_point;
  std::vector<int32_t> multiplier;         // fixed point, per channel (size 1 or K)
  std::vector<int32_t> shift;              // e_k above
  // RoundingDivideByPOT rounds half up instead of away from zero: only the
  // fault point fixed_point_round_half_up sets it (production: false).
  bool rounding_half_up = false;
  Conv2dAttrs conv;
  Shape shape;                             // reshape target; quantize/dequantize shapes
  // quantize_input / dequantize_output: the full params (any valid affine
  // layout; input_scale / input_zero_point mirror them when per-tensor) and
  // the quantize's contract. qadd / qmul: params of a, b (operand_params)
  // and out (params) as the fused node had them.
  QuantParams params;
  Contract contract = Contract::torchao;
  std::array<QuantParams, 2> operand_params;
  Activation activation;                   // qadd / qmul (f32 path), for the record elsewhere
  Tensor value;                            // constant
};

struct LoweredProgram {
  std::vector<LoweredOp> ops;
  std::vector<int> input_slots;    // graph inputs, in order
  std::vector<int> output_slots;   // graph outputs, in order
  int slot_count = 0;
  // The graph inputs' declared types (execute_lowered checks fed tensors).
  std::vector<DType> input_dtypes;
  std::vector<Shape> input_shapes;
};

}  // namespace qdiff
