// Domains: the pieces every generator draws from, once. The quant core's,
// the fused operators' and the graph generators (properties/*_generators.cc)
// and the GoogleTest sweeps (through PrngSource) compose them; each caller
// passes the menu or range that fits its op, so one piece of code draws a
// quant type, a scale, a scale tensor for a layout, params for a scale
// shape, quantized operand values or a broadcast shape.
//
// A domain draws in a fixed order from a Source, so a menu that matches a
// former hand-written draw decodes the same choices (recorded seeds keep
// their cases). This library needs core/ only: impl/ tests link it without
// the oracle.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/dtype.h"
#include "core/quant_params.h"
#include "core/tensor.h"
#include "properties/source.h"

namespace qdiff::props {

// ---- quant types -----------------------------------------------------------

namespace quant_types {
inline constexpr QuantType kI8{DType::i8, -128, 127};
inline constexpr QuantType kU8{DType::u8, 0, 255};
inline constexpr QuantType kI4{DType::i8, -8, 7};
inline constexpr QuantType kU4{DType::u8, 0, 15};
inline constexpr QuantType kI16{DType::i16, -32768, 32767};
inline constexpr QuantType kU16{DType::u16, 0, 65535};
inline constexpr QuantType kI32{DType::i32, INT32_MIN, INT32_MAX};
}  // namespace quant_types

// One line of a quant-type menu, chosen with probability weight / total.
struct QuantTypeOption {
  enum class Kind {
    one_of,     // src.pick over `types` (one entry: no draw)
    sub_byte,   // i1..i7 or u1..u7: a sign, then a width
    sub_range,  // [a, b] inside one of `types`' storage ranges
  };
  Kind kind;
  int weight;
  std::vector<QuantType> types;
  // sub_range: half the time the second bound within 20 of the first.
  bool close_bounds = false;
};

QuantType draw_quant_type(Source& src, std::span<const QuantTypeOption> menu);

// Every storage dtype, every sub-byte width and custom sub-ranges (the
// quant core's ops accept them all).
std::span<const QuantTypeOption> any_quant_types();
// A fused operator's operand: i8/u8 and 4-bit mostly (weights: more 4-bit),
// 16-bit and i8/u8 sub-ranges rarely.
std::span<const QuantTypeOption> operand_quant_types(bool weights);
// A fused operator's output: 8-bit mostly, every width sometimes.
std::span<const QuantTypeOption> output_quant_types();

// ---- scale values ----------------------------------------------------------

// 1.m * 2^exponent with a random 23-bit mantissa.
float random_mantissa(Source& src, int exponent);

// A scale value's distribution.
struct ScaleValues {
  // Anywhere in f32: FLT_MIN and subnormal-reciprocal scales, decimal
  // fractions (0.9, 0.1, ...) where x * f32(1/s) and x / s round
  // differently, powers of two, random mantissas; scales above
  // 2^max_exponent are moved down by 2^-40 (a law whose slop needs (q - z) s
  // finite for |q - z| <= 2^17 sets it to 100; 128 keeps every scale).
  static constexpr ScaleValues any(int max_exponent = 128) { return {true, 0, 0, 0, 0, 0, max_exponent}; }
  // Normal scales whose products stay normal: 2^[pow2_lo, pow2_hi] with
  // pow2_percent (exact products put ideal values on ties), else
  // 1.m * 2^[lo, hi].
  static constexpr ScaleValues normal(int pow2_percent, int pow2_lo, int pow2_hi, int lo, int hi) {
    return {false, pow2_percent, pow2_lo, pow2_hi, lo, hi, 128};
  }
  static constexpr ScaleValues normal(int pow2_percent, int lo, int hi) {
    return normal(pow2_percent, lo, hi, lo, hi);
  }

  bool whole_range;
  int pow2_percent, pow2_lo, pow2_hi, lo, hi;
  int max_exponent;
};

float draw_scale(Source& src, const ScaleValues& values);

// A fused operator's operand scales: products stay normal, powers of two
// in [2^-10, 2^2] or random mantissas in [2^-12, 2^3).
inline constexpr ScaleValues kOperandScales = ScaleValues::normal(40, -10, 2, -12, 2);

// Scales near `base`: base times a factor of 1/3 .. 2, exact powers of two
// among them (the GoogleTest sweeps size their operands' scales by hand).
float draw_scale_near(Source& src, float base);

// A scale tensor for a layout's scale shape: sometimes every element equal
// (a per-channel scale that is secretly per-tensor), else one value each.
struct ScaleTensorDomain {
  ScaleValues values;
  int all_equal_percent;
  // Whether tensors of 0 or 1 element draw the all-equal choice too.
  bool all_equal_for_any_size;
};
Tensor draw_scale_tensor(Source& src, const Shape& scale_shape, const ScaleTensorDomain& domain);

// ---- params and operand values ---------------------------------------------

// Params of `qt` (no zero point yet): the assembly every generator shares.
QuantParams params_of(const QuantType& qt, ZeroPointDomain domain, Tensor scale,
                      std::optional<std::vector<int64_t>> block_size = std::nullopt);

// A fused operand's params for a scale shape: scales of `scales`, zero
// points per the domain (int: absent a quarter of the time, else all zero,
// random or at the range ends; float: a multiple of s/8).
QuantParams draw_operand_params(Source& src, const QuantType& qt, ZeroPointDomain domain,
                                const Shape& scale_shape, std::optional<std::vector<int64_t>> block_size,
                                const ScaleValues& scales);

// A tensor of an integer dtype holding `values` in flat order.
Tensor integer_tensor(DType dtype, const Shape& shape, const std::vector<int64_t>& values);

// Stored quantized values: weights of in [qmin, qmax], at its ends,
// anywhere in the storage dtype, at the storage ends (trailing zero
// weights are not drawn as categories).
struct QValueWeights {
  int in_range, range_ends, storage, storage_ends;
};
inline constexpr QValueWeights kOperandQValues{75, 20, 5, 0};
Tensor draw_qvalues(Source& src, const QuantParams& p, const Shape& shape, const QValueWeights& weights);

// ---- shapes ----------------------------------------------------------------

// A small dim: 1, 2..4, around the vector widths (7..17), or 1..max, with
// these weights.
struct SmallDims {
  int one, two_to_four, vector_edges, any;
  int64_t max;
};
int64_t draw_small_dim(Source& src, const SmallDims& dims);

// An operand's shape that broadcasts to `out`: usually the same rank, else
// some leading dims dropped; each dim kept or set to 1.
Shape draw_broadcast_operand(Source& src, const Shape& out);

}  // namespace qdiff::props
