// Fault points: the harness's self-tests prove that the properties catch
// realistic bugs by switching one of these on in ImplOptions::faults. Each
// point is a small wrong variant of a real impl/ code path, taken from real
// bug reports (DESIGN.md "Proving the harness works"); the code consulting
// it says which line it replaces. Faults are consulted when a call is
// planned, never per element, and the production path (an empty FaultSet)
// is the code the benchmarks measure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

namespace qdiff::impl {

// The catalogue: one row per point, in its fixed number order (names, runs
// with QDIFF_FAULT and recorded results depend on the numbers: append only).
// X(name, level, fuzz target that finds it, what the wrong line does). The
// level says where the point lives and which hook test covers it:
// quant_core (impl/quantize/; tests/impl_fault_points_test.cc), fused
// (impl/ops/; tests/impl_fused_faults_test.cc), graph (impl/graph/;
// tests/impl_graph_faults_test.cc). The fuzz target is a name of
// fuzz/fuzz_driver.cc's property_fuzz_targets() (checked by
// tests/tools_faults_test.cc).
#define QDIFF_FAULT_CATALOGUE(X)                                                                                 \
  X(divide_instead_of_reciprocal, quant_core, "quantize", "torchao contract computes x / s")                     \
  X(zero_point_before_rounding, quant_core, "quantize", "int domain adds z to v before rounding")                \
  X(half_away_rounding, quant_core, "quantize", "rounds half away from zero where the contract says even")       \
  X(clamp_before_zero_point, quant_core, "quantize", "clamps round(v) to [qmin, qmax], then adds z")             \
  X(simd_tail_dropped, quant_core, "quantize", "the last partial vector of a row is not written")                \
  X(channel_axis_off_by_one, quant_core, "quantize", "per-channel fast path indexes dim axis+1 (mod rank)")       \
  X(floor_block_division, quant_core, "quantize", "block size = floor(n / c) without the divisibility check")    \
  X(wrong_block_stride, quant_core, "quantize", "scale row stride taken from the input instead of the scale")    \
  X(missing_zero_point_correction, fused, "qlinear", "qlinear/qconv2d drop zx * sum_j (qw - zw)")                \
  X(bias_after_requantization, fused, "qlinear", "y / s_out + bias instead of (y + bias) / s_out")               \
  X(per_group_scale_wrong_group, fused, "qlinear", "group g's epilogue uses the scale of group g + 1 (mod G)")   \
  X(int16_accumulation_overflow, fused, "qlinear", "acc_g kept in int16 (wraps) instead of int32")               \
  X(output_zero_point_before_rounding, fused, "qlinear",                                                        \
    "round(f32(y / s_out + z_out)) instead of round(y / s_out) + z_out")                                         \
  X(broadcast_per_channel_wrong_axis, fused, "elementwise",                                                     \
    "qadd/qmul index a broadcast operand's params by the output's axis")                                         \
  X(requant_scale_outer_product, fused, "qlinear",                                                              \
    "per-channel s_w [K, 1] x 1 / s_out [K] as a [K, K] product: s_w[0] for all k")                              \
  X(fold_without_reshape, graph, "graph",                                                                       \
    "fuse-mul-into-linear multiplies c [K] into the [K, 1] scale unreshaped: [K, K]")                            \
  X(fold_non_foldable_mul, graph, "graph",                                                                      \
    "fuse-mul-into-linear takes a [K, 1] activation constant (N == K) as per-channel")                           \
  X(squeeze_compaction, graph, "lowering", "lowering squeezes every size-1 scale dim; the executor reads the rank") \
  X(negative_legacy_axis_wrong, graph, "graph", "legacy-to-affine normalizes a negative axis as a + rank - 1")    \
  X(absorption_on_per_channel, graph, "graph", "quant-absorption also absorbs a per-channel p2")                 \
  X(requant_shift_wrong_sign, graph, "lowering", "lowering stores the fixed-point shift negated")                \
  X(int4_nibbles_swapped, graph, "lowering", "int4 packing puts element 2i in the HIGH nibble")                  \
  X(fixed_point_round_half_up, graph, "lowering",                                                               \
    "RoundingDivideByPOT rounds half up instead of half away from zero")                                         \
  X(squeeze_unit_scale_dims, quant_core, "quantize",                                                            \
    "quantize planner squeezes a [1, G] scale to [G]: per-channel on the last dim")                              \
  X(choose_qparams_without_eps, quant_core, "choose_qparams",                                                   \
    "symmetric choose_qparams drops max(scale, eps): an all-zero block gets scale 0")                            \
  X(zero_point_stored_as_int8, quant_core, "quantize", "zero points held in int8: u8 z = 128 becomes -128")      \
  X(per_row_scale_indexed_by_column, fused, "qlinear",                                                          \
    "qlinear's per-row x scale [M] broadcast along the output's last dim")                                       \
  X(fold_linear_first_only, graph, "graph",                                                                     \
    "fuse-mul-into-linear tries only mul(linear, c): mul(c, linear) is never folded")                            \
  X(fused_bias_wrong_input, graph, "graph",                                                                     \
    "fuse-quantized-ops reads the bias from input 1: no linear with a bias is fused")

enum class FaultPoint : uint8_t {
#define QDIFF_FAULT_ENUM(name, level, target, what) name,
  QDIFF_FAULT_CATALOGUE(QDIFF_FAULT_ENUM)
#undef QDIFF_FAULT_ENUM
  kCount
};

enum class FaultLevel : uint8_t { quant_core, fused, graph };

struct FaultInfo {
  FaultPoint point;
  std::string_view name;
  FaultLevel level;
  std::string_view fuzz_target;
  std::string_view what;
};

inline constexpr FaultInfo kFaultCatalogue[] = {
#define QDIFF_FAULT_INFO(name, level, target, what) \
  {FaultPoint::name, #name, FaultLevel::level, target, what},
    QDIFF_FAULT_CATALOGUE(QDIFF_FAULT_INFO)
#undef QDIFF_FAULT_INFO
};
static_assert(std::size(kFaultCatalogue) == size_t(FaultPoint::kCount));

constexpr const FaultInfo& fault_info(FaultPoint f) { return kFaultCatalogue[size_t(f)]; }
constexpr FaultLevel fault_level(FaultPoint f) { return fault_info(f).level; }
constexpr std::string_view fault_point_name(FaultPoint f) {
  return f < FaultPoint::kCount ? fault_info(f).name : std::string_view("?");
}
// The point named `name` exactly, or nullopt.
constexpr std::optional<FaultPoint> parse_fault_point(std::string_view name) {
  for (const FaultInfo& info : kFaultCatalogue) {
    if (info.name == name) return info.point;
  }
  return std::nullopt;
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

}  // namespace qdiff::impl
