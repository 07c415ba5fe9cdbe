// Names and CPU support of the kernel families (impl/options.h), and the
// names of the fault points (impl/fault_points.h).
#include "impl/options.h"

#include "impl/fault_points.h"

namespace qdiff::impl {

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
  }
  return "?";
}

std::optional<Isa> parse_isa(std::string_view name) {
  for (Isa isa : kAllIsas) {
    if (isa_name(isa) == name) return isa;
  }
  return std::nullopt;
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::scalar: return true;
    case Isa::avx2:
#if defined(QDIFF_HAVE_AVX2)
      // __builtin_cpu_supports also checks that the OS saves the YMM state.
      return __builtin_cpu_supports("avx2");
#else
      return false;
#endif
    case Isa::avx512:
#if defined(QDIFF_HAVE_AVX512)
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
      return false;
#endif
  }
  return false;
}

Isa best_isa() {
  if (isa_supported(Isa::avx512)) return Isa::avx512;
  if (isa_supported(Isa::avx2)) return Isa::avx2;
  return Isa::scalar;
}

std::string_view fault_point_name(FaultPoint f) {
  switch (f) {
    case FaultPoint::divide_instead_of_reciprocal: return "divide_instead_of_reciprocal";
    case FaultPoint::zero_point_before_rounding: return "zero_point_before_rounding";
    case FaultPoint::half_away_rounding: return "half_away_rounding";
    case FaultPoint::clamp_before_zero_point: return "clamp_before_zero_point";
    case FaultPoint::simd_tail_dropped: return "simd_tail_dropped";
    case FaultPoint::channel_axis_off_by_one: return "channel_axis_off_by_one";
    case FaultPoint::floor_block_division: return "floor_block_division";
    case FaultPoint::wrong_block_stride: return "wrong_block_stride";
    case FaultPoint::missing_zero_point_correction: return "missing_zero_point_correction";
    case FaultPoint::bias_after_requantization: return "bias_after_requantization";
    case FaultPoint::per_group_scale_wrong_group: return "per_group_scale_wrong_group";
    case FaultPoint::int16_accumulation_overflow: return "int16_accumulation_overflow";
    case FaultPoint::output_zero_point_before_rounding: return "output_zero_point_before_rounding";
    case FaultPoint::broadcast_per_channel_wrong_axis: return "broadcast_per_channel_wrong_axis";
    case FaultPoint::requant_scale_outer_product: return "requant_scale_outer_product";
    case FaultPoint::fold_without_reshape: return "fold_without_reshape";
    case FaultPoint::fold_non_foldable_mul: return "fold_non_foldable_mul";
    case FaultPoint::squeeze_compaction: return "squeeze_compaction";
    case FaultPoint::negative_legacy_axis_wrong: return "negative_legacy_axis_wrong";
    case FaultPoint::absorption_on_per_channel: return "absorption_on_per_channel";
    case FaultPoint::requant_shift_wrong_sign: return "requant_shift_wrong_sign";
    case FaultPoint::int4_nibbles_swapped: return "int4_nibbles_swapped";
    case FaultPoint::fixed_point_round_half_up: return "fixed_point_round_half_up";
    case FaultPoint::squeeze_unit_scale_dims: return "squeeze_unit_scale_dims";
    case FaultPoint::choose_qparams_without_eps: return "choose_qparams_without_eps";
    case FaultPoint::zero_point_stored_as_int8: return "zero_point_stored_as_int8";
    case FaultPoint::per_row_scale_indexed_by_column: return "per_row_scale_indexed_by_column";
    case FaultPoint::fold_linear_first_only: return "fold_linear_first_only";
    case FaultPoint::fused_bias_wrong_input: return "fused_bias_wrong_input";
    case FaultPoint::kCount: break;
  }
  return "?";
}

}  // namespace qdiff::impl
