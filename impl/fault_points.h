// Fault points: the harness's self-tests prove that the properties catch
// realistic bugs by switching one of these on in ImplOptions::faults. Each
// point is a small wrong variant of a real impl/ code path, taken from real
// bug reports (DESIGN.md "Proving the harness works"); the code consulting
// it says which line it replaces. Faults are consulted when a call is
// planned, never per element, and the production path (an empty FaultSet)
// is the code the benchmarks measure.
#pragma once

#include <cstdint>
#include <string_view>

namespace qdiff::impl {

enum class FaultPoint : uint8_t {
  // quantize / dequantize core (issue 2)
  divide_instead_of_reciprocal,  // torchao contract computes x / s
  zero_point_before_rounding,    // int domain adds z to v before rounding
  half_away_rounding,            // rounds half away from zero where the contract says even
  clamp_before_zero_point,       // clamps round(v) to [qmin, qmax], then adds z
  simd_tail_dropped,             // the last partial vector of a row is not written
  channel_axis_off_by_one,       // per-channel fast path indexes dim axis+1 (mod rank)
  floor_block_division,          // block size = floor(n / c) without the divisibility check
  wrong_block_stride,            // scale row stride taken from the input instead of the scale
  // fused operators (impl/ops/)
  missing_zero_point_correction,      // qlinear/qconv2d drop zx * sum_j (qw - zw)
  bias_after_requantization,          // y / s_out + bias instead of (y + bias) / s_out
  per_group_scale_wrong_group,        // group g's epilogue uses the scale of group g + 1 (mod G)
  int16_accumulation_overflow,        // acc_g kept in int16 (wraps) instead of int32
  output_zero_point_before_rounding,  // round(f32(y / s_out + z_out)) instead of round(y / s_out) + z_out
  broadcast_per_channel_wrong_axis,   // qadd/qmul index a broadcast operand's params by the output's axis
  requant_scale_outer_product,        // per-channel s_w [K, 1] x 1 / s_out [K] as a [K, K] product: s_w[0] for all k
  // graph passes, lowering, integer executor (impl/graph/)
  fold_without_reshape,        // fuse-mul-into-linear multiplies c [K] into the [K, 1] scale unreshaped: [K, K]
  fold_non_foldable_mul,       // fuse-mul-into-linear takes a [K, 1] activation constant (N == K) as per-channel
  squeeze_compaction,          // lowering squeezes every size-1 scale dim; the executor reads the rank
  negative_legacy_axis_wrong,  // legacy-to-affine normalizes a negative axis as a + rank - 1
  absorption_on_per_channel,   // quant-absorption also absorbs a per-channel p2
  requant_shift_wrong_sign,    // lowering stores the fixed-point shift negated (left instead of right)
  int4_nibbles_swapped,        // int4 packing puts element 2i in the HIGH nibble
  fixed_point_round_half_up,   // RoundingDivideByPOT rounds half up instead of half away from zero
  // Appended later (issue 5), any level: numbers above never change, so
  // names, QDIFF_FAULT runs and recorded results stay valid. fault_level()
  // says where each lives.
  squeeze_unit_scale_dims,          // quantize planner squeezes a [1, G] scale to [G]: per-channel on the last dim
  choose_qparams_without_eps,       // symmetric choose_qparams drops max(scale, eps): an all-zero block gets scale 0
  zero_point_stored_as_int8,        // zero points held in int8: u8 z = 128 becomes -128
  per_row_scale_indexed_by_column,  // qlinear's per-row x scale [M] broadcast along the output's last dim
  // Appended in issue 16 (graph; outputs stay correct, only a fusion is lost):
  fold_linear_first_only,      // fuse-mul-into-linear tries only mul(linear, c): mul(c, linear) is never folded
  fused_bias_wrong_input,      // fuse-quantized-ops reads the bias from input 1: no linear with a bias is fused
  kCount
};

// The quantize core's points come first; the fused operators' (impl/ops/)
// start here (their hooks: tests/impl_fused_faults_test.cc).
inline constexpr FaultPoint kFirstFusedFaultPoint = FaultPoint::missing_zero_point_correction;
// The graph level's points (impl/graph/; their hooks: tests/impl_graph_faults_test.cc).
inline constexpr FaultPoint kFirstGraphFaultPoint = FaultPoint::fold_without_reshape;
// Points from here on were appended after the graph's; see fault_level().
inline constexpr FaultPoint kFirstAppendedFaultPoint = FaultPoint::squeeze_unit_scale_dims;

// Where a point lives, which says which hook test covers it:
// quant_core (impl/quantize/; tests/impl_fault_points_test.cc), fused
// (impl/ops/; tests/impl_fused_faults_test.cc), graph (impl/graph/;
// tests/impl_graph_faults_test.cc).
enum class FaultLevel : uint8_t { quant_core, fused, graph };
constexpr FaultLevel fault_level(FaultPoint f) {
  switch (f) {
    case FaultPoint::squeeze_unit_scale_dims:
    case FaultPoint::choose_qparams_without_eps:
    case FaultPoint::zero_point_stored_as_int8: return FaultLevel::quant_core;
    case FaultPoint::per_row_scale_indexed_by_column: return FaultLevel::fused;
    case FaultPoint::fold_linear_first_only:
    case FaultPoint::fused_bias_wrong_input: return FaultLevel::graph;
    default: break;
  }
  if (f < kFirstFusedFaultPoint) return FaultLevel::quant_core;
  if (f < kFirstGraphFaultPoint) return FaultLevel::fused;
  return FaultLevel::graph;
}

class FaultSet {
 public:
  constexpr FaultSet() = default;
  constexpr explicit FaultSet(FaultPoint f) : bits_(uint64_t{1} << unsigned(f)) {}
  constexpr bool has(FaultPoint f) const { return bits_ & (uint64_t{1} << unsigned(f)); }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr FaultSet with(FaultPoint f) const {
    FaultSet s = *this;
    s.bits_ |= uint64_t{1} << unsigned(f);
    return s;
  }

 private:
  uint64_t bits_ = 0;
};

static_assert(unsigned(FaultPoint::kCount) <= 64, "FaultSet holds one bit per point in 64 bits");

std::string_view fault_point_name(FaultPoint f);

}  // namespace qdiff::impl
