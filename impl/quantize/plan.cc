#include "impl/quantize/plan.h"

#include <algorithm>
#include <cstdlib>

namespace qdiff::impl {

KernelPath kernel_path_of(const BlockGeometry& g) {
  if (g.numel == 0) return KernelPath::empty;
  if (g.per_tensor) return KernelPath::per_tensor;
  int varying[kMaxRank];
  int n = 0;
  for (int d = 0; d < g.rank; ++d) {
    if (g.count[d] != 1) varying[n++] = d;
  }
  if (n == 1 && g.block[varying[0]] == 1) {
    const int axis = varying[0];
    if (axis == g.rank - 1) return KernelPath::per_channel_inner;
    if (axis == 0) return KernelPath::per_channel_outer;
    return KernelPath::per_channel_middle;
  }
  if (n == 2) {
    const int a = varying[0], b = varying[1];
    const bool a_channel = g.block[a] == 1 && g.block[b] > 1;
    const bool b_channel = g.block[b] == 1 && g.block[a] > 1;
    // per_group class; the fast path is the [.., C, In] weight with (1, g)
    if (a_channel && a == g.rank - 2 && b == g.rank - 1) return KernelPath::per_group_last;
    if (a_channel || b_channel) return KernelPath::blockwise;
  }
  return KernelPath::blockwise;
}

namespace {

bool is_per_channel_path(KernelPath p) {
  return p == KernelPath::per_channel_inner || p == KernelPath::per_channel_outer ||
         p == KernelPath::per_channel_middle;
}

// The scale varies along the last dim only, in blocks longer than 1
// (what squeezing the size-1 scale dims turns into a 1-D per-channel scale).
bool only_last_dim_blocked(const BlockGeometry& g) {
  for (int d = 0; d + 1 < g.rank; ++d) {
    if (g.count[d] != 1) return false;
  }
  const int last = g.rank - 1;
  return g.count[last] > 1 && g.block[last] > 1;
}

using LoopDims = std::array<LoopDim, kMaxRank>;

// One loop dim per input dim. A block longer than its dim is the whole dim
// (explicit block sizes may be huge); this also keeps every product below
// numel.
LoopDims loop_dims(const BlockGeometry& g) {
  LoopDims dims{};
  for (int d = 0; d < g.rank; ++d) {
    dims[d] = {g.size[d], g.block[d] < g.size[d] ? g.block[d] : g.size[d], g.count[d], 0};
  }
  return dims;
}

// The faults that move the scale to another dim (before the strides).
void inject_layout_faults(LoopDims& dims, const BlockGeometry& g, KernelPath path, FaultSet faults) {
  const int rank = g.rank;
  if (faults.has(FaultPoint::channel_axis_off_by_one) && is_per_channel_path(path) && rank >= 2) {
    int axis = 0;
    for (int d = 0; d < rank; ++d) {
      if (g.count[d] != 1) axis = d;
    }
    // FAULT POINT channel_axis_off_by_one: replaces `const int scale_axis = axis;`
    // The scale vector is laid along dim (axis + 1) % rank; element i of
    // that dim uses scale min(i, C - 1), so a longer dim stays in bounds.
    const int scale_axis = (axis + 1) % rank;
    const int64_t channels = g.count[axis];
    dims[axis].count = 1;
    dims[axis].block = dims[axis].size;
    dims[scale_axis].count = channels;
    dims[scale_axis].block = 1;
  }
  if (faults.has(FaultPoint::squeeze_unit_scale_dims) && path == KernelPath::blockwise && rank >= 2 &&
      only_last_dim_blocked(g)) {
    // FAULT POINT squeeze_unit_scale_dims: replaces the last dim's
    // `block = size / count` with 1. The planner squeezes the size-1 scale
    // dims first ([1, G] -> [G]) and a 1-D scale reads as per-channel
    // along the last dim: element j uses scale min(j, G - 1) instead of
    // j / (In / G). Only the misleading layout changes (SPEC section 2:
    // a [1, G] group scale of a K = 1 weight); true per-channel is intact.
    dims[rank - 1].block = 1;
  }
}

// Row-major strides over the scale's dims; returns the scale's numel.
int64_t assign_scale_strides(LoopDims& dims, int rank) {
  int64_t scale_numel = 1;
  for (int d = rank - 1; d >= 0; --d) {
    dims[d].scale_stride = scale_numel;
    scale_numel *= dims[d].count;
  }
  return scale_numel;
}

void inject_wrong_block_stride(LoopDims& dims, int rank, KernelPath path, FaultSet faults) {
  if (!faults.has(FaultPoint::wrong_block_stride) ||
      (path != KernelPath::per_group_last && path != KernelPath::blockwise)) {
    return;
  }
  // FAULT POINT wrong_block_stride: replaces `scale_stride = product of the
  // inner scale dims` with the input's row stride divided by the dim's
  // own block size (for [K, In] with blocks (1, g): In instead of In / g).
  // Row offsets are clamped to max_row_offset, so reads stay in bounds.
  int64_t input_stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    if (d < rank - 1) dims[d].scale_stride = input_stride / dims[d].block;
    input_stride *= dims[d].size;
  }
}

// Drops size-1 dims (always index 0), then merges from the innermost out.
// Returns the merged dims, innermost first, and their number.
int merge_dims(const LoopDims& dims, int rank, LoopDim (&merged)[kMaxRank]) {
  int m = 0;
  for (int d = rank - 1; d >= 0; --d) {
    const LoopDim o = dims[d];
    if (o.size == 1) continue;
    if (m > 0) {
      LoopDim& in = merged[m - 1];
      if (in.count == 1) {
        // constant scale inside: element j of the merged dim is in block
        // (j / in.size) / o.block = j / (o.block * in.size)
        in = {o.size * in.size, o.block * in.size, o.count, o.scale_stride};
        continue;
      }
      // per-element outer dim over whole blocks: element j of the merged
      // dim is in block j / in.block, consecutive in the scale
      const bool rows_of_whole_blocks = o.block == 1 && o.count == o.size && in.size % in.block == 0 &&
                                        in.count == in.size / in.block &&
                                        o.scale_stride == in.count * in.scale_stride;
      if (rows_of_whole_blocks) {
        in = {o.size * in.size, in.block, o.size * in.count, in.scale_stride};
        continue;
      }
    }
    merged[m++] = o;
  }
  if (m == 0) merged[m++] = {1, 1, 1, 0};  // rank 0, or every dim of size 1
  return m;
}

}  // namespace

LoopNest plan_loop_nest(const BlockGeometry& g, KernelPath path, FaultSet faults) {
  LoopDims dims = loop_dims(g);
  inject_layout_faults(dims, g, path, faults);
  const int64_t scale_numel = assign_scale_strides(dims, g.rank);
  inject_wrong_block_stride(dims, g.rank, path, faults);
  LoopDim merged[kMaxRank];
  const int m = merge_dims(dims, g.rank, merged);

  LoopNest nest;
  nest.numel = g.numel;
  nest.row = merged[0];
  nest.outer_rank = m - 1;
  nest.rows = 1;
  for (int i = 0; i < nest.outer_rank; ++i) {
    nest.outer[i] = merged[m - 1 - i];
    nest.rows *= nest.outer[i].size;
  }
  if (faults.has(FaultPoint::wrong_block_stride) && nest.row.count > 1 &&
      (nest.row.count - 1) * nest.row.scale_stride > scale_numel - 1) {
    // The faulty stride can land on the innermost loop dim (when the last
    // dims have size 1). Shrink it there so the injected bug produces wrong
    // answers rather than out-of-bounds reads that ASan reports first.
    nest.row.scale_stride = (scale_numel - 1) / (nest.row.count - 1);
  }
  nest.max_row_offset = scale_numel - 1 - (nest.row.count - 1) * nest.row.scale_stride;
  if (nest.max_row_offset < 0) nest.max_row_offset = 0;
  return nest;
}

QuantizeConfig plan_quantize_config(const QuantParams& p, Contract contract, FaultSet faults) {
  QuantizeConfig c;
  const int64_t reach = std::max(std::llabs(p.quant_min), std::llabs(p.quant_max));
  c.range = reach <= kNarrowRangeLimit ? RangeMode::narrow : RangeMode::wide;
  const bool int_domain = p.zero_point_domain == ZeroPointDomain::int_domain;
  if (p.zero_point_domain == ZeroPointDomain::float_domain) {
    c.scaling = Scaling::float_domain;  // the contract does not apply (SPEC section 4)
    c.rounding = Rounding::half_even;
    c.zero_point = ZeroPointMode::none;
  } else {
    c.scaling = scales_by_reciprocal(contract) ? Scaling::reciprocal : Scaling::divide;
    c.rounding = contract == Contract::half_away ? Rounding::half_away : Rounding::half_even;
    // A zero point of 0 (absent, or none domain) changes nothing under any
    // contract: round(v) + 0 == round(f32(v + 0)) after the clamp.
    if (int_domain && p.zero_point) {
      c.zero_point = contract == Contract::zp_before ? ZeroPointMode::add_before
                                                     : ZeroPointMode::add_after;
    }
  }
  if (faults.has(FaultPoint::divide_instead_of_reciprocal) && c.scaling == Scaling::reciprocal) {
    // FAULT POINT divide_instead_of_reciprocal: replaces `v = x * f32(1 / s)` with `v = x / s`.
    c.scaling = Scaling::divide;
  }
  if (faults.has(FaultPoint::half_away_rounding) && c.rounding == Rounding::half_even) {
    // FAULT POINT half_away_rounding: replaces round_half_even(v) with std::round(v).
    c.rounding = Rounding::half_away;
  }
  if (faults.has(FaultPoint::zero_point_before_rounding) &&
      c.zero_point == ZeroPointMode::add_after) {
    // FAULT POINT zero_point_before_rounding: replaces `round(v) + z` with
    // `round(f32(v + f32(z)))` (differs e.g. on ties with an odd z).
    c.zero_point = ZeroPointMode::add_before;
  }
  if (faults.has(FaultPoint::clamp_before_zero_point) &&
      (c.zero_point == ZeroPointMode::add_after || c.zero_point == ZeroPointMode::add_before)) {
    // FAULT POINT clamp_before_zero_point: replaces `clamp(round(v) + z)`
    // with `clamp(round(v)) + z` (kernel_rows.h, ZeroPointMode::clamp_first).
    c.zero_point = ZeroPointMode::clamp_first;
  }
  return c;
}

DequantMode plan_dequant_mode(const QuantParams& p) {
  switch (p.zero_point_domain) {
    case ZeroPointDomain::float_domain: return DequantMode::float_domain;
    case ZeroPointDomain::int_domain:
      // f32(q) - f32(0) == f32(q) (never -0.0), so an absent zero point is "scaled"
      return p.zero_point ? DequantMode::centered : DequantMode::scaled;
    case ZeroPointDomain::none: return DequantMode::scaled;
  }
  return DequantMode::scaled;
}

KernelConsts plan_consts(const QuantParams& p, FaultSet faults) {
  KernelConsts k;
  k.qmin_f = float(p.quant_min);  // exact in the narrow range; unused otherwise
  k.qmax_f = float(p.quant_max);
  k.qmin_d = double(p.quant_min);  // exact: within int32
  k.qmax_d = double(p.quant_max);
  k.mid = float(double(p.quant_max + p.quant_min + 1) / 2.0);
  k.drop_tail = faults.has(FaultPoint::simd_tail_dropped);
  k.full_byte_range = (p.dtype == DType::i8 && p.quant_min == -128 && p.quant_max == 127) ||
                      (p.dtype == DType::u8 && p.quant_min == 0 && p.quant_max == 255);
  return k;
}

void build_scale_columns(const QuantParams& p, AffineCall call, const QuantizeConfig& config,
                         FaultSet faults, const KernelTable& table, ScaleColumnStorage& st) {
  const auto scale = p.scale.data<float>();
  const size_t n = scale.size();
  ScaleColumns& c = st.columns;
  c = ScaleColumns{};  // the storage may be reused from an earlier call
  c.scale = scale.data();
  if (call != AffineCall::dequantize && config.scaling == Scaling::reciprocal) {
    st.inverse.resize(n);
    table.reciprocals(scale.data(), st.inverse.data(), int64_t(n));
    c.inverse = st.inverse.data();
  }
  switch (p.zero_point_domain) {
    case ZeroPointDomain::none: break;
    case ZeroPointDomain::int_domain:
      if (!p.zero_point) break;
      if (faults.has(FaultPoint::zero_point_stored_as_int8)) {
        // FAULT POINT zero_point_stored_as_int8: replaces `zero_i[i] = z[i]`
        // with int8_t(z[i]) (wraps mod 256), as a backend whose params hold
        // an int8 zero point does: the symmetric u8 zero point 128 becomes -128.
        st.zero_i.resize(n);
        for (size_t i = 0; i < n; ++i) st.zero_i[i] = int8_t(p.zero_point->int_at(int64_t(i)));
        c.zero_i = st.zero_i.data();
        break;
      }
      if (p.zero_point->dtype() == DType::i32) {
        c.zero_i = p.zero_point->data<int32_t>().data();  // used in place
        break;
      }
      st.zero_i.resize(n);
      visit_integer_dtype(p.zero_point->dtype(), [&](auto tag) {
        using Z = decltype(tag);
        const auto z = p.zero_point->data<Z>();
        for (size_t i = 0; i < n; ++i) st.zero_i[i] = int32_t(z[i]);  // validated: in range
      });
      c.zero_i = st.zero_i.data();
      break;
    case ZeroPointDomain::float_domain: {
      if (p.zero_point) {
        c.zero_f = p.zero_point->data<float>().data();
      } else {
        st.zero_f.assign(n, 0.0f);
        c.zero_f = st.zero_f.data();
      }
      if (call != AffineCall::dequantize) {
        const float mid = float(double(p.quant_max + p.quant_min + 1) / 2.0);
        st.min_val.resize(n);
        for (size_t i = 0; i < n; ++i) {
          const float scaled_mid = scale[i] * mid;
          st.min_val[i] = c.zero_f[i] - scaled_mid;
        }
        c.min_val = st.min_val.data();
      }
      break;
    }
  }
}

}  // namespace qdiff::impl
