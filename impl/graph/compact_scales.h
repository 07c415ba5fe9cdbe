// Compact weight scales for lowered programs (SPEC section 2 and 8,
// core/lowered.h), driven by the OPERATOR's channel axis (dim 0 of the
// weight: qlinear's K, qconv2d's O), never by squeezing size-1 dims:
//
//   qlinear w [K, In]:  per-tensor (one scale)            -> []
//                       scale constant along In ([K, 1])  -> [K]      per_channel
//                       G >= 2 scale columns ([K, G])     -> [K, G]   per_group, g = In / G
//                                                             (explicit: the block; last group
//                                                             may be partial); also K == 1
//   qconv2d w [O, C/g, kh, kw]: per-tensor -> [], [O, 1, 1, 1] -> [O]; others unsupported.
// A scale shared by several output channels (a [1, G] scale on K > 1 rows,
// row tiles [K / b, .]) is expanded to one row per channel. A [K, 1] scale is
// per-channel by SPEC section 2's classification (|U| = 1, block 1): "G == 1
// per-group" and per-channel are the same layout and lower the same way.
// Zero points follow their scale (i32); the none domain has none.
//
// The fault point squeeze_compaction replaces this by squeezing every size-1
// dim of the (correctly expanded) compact tensors: K == 1 per-group [1, G]
// becomes [G], which an executor reading the rank takes as per-channel.
#pragma once

#include <optional>

#include "core/lowered.h"
#include "core/quant_params.h"
#include "impl/fault_points.h"

namespace qdiff::impl {

struct CompactWeightParams {
  WeightGranularity granularity = WeightGranularity::per_tensor;
  int64_t group_size = 0;  // per_group
  Tensor scale;            // f32 compact
  std::optional<Tensor> zero_point;  // i32 compact
};

// params must be valid for the weight (validated by the caller). Throws
// unsupported for layouts the lowering does not take (float-domain zero
// points; conv weights whose scale varies along C, kh or kw).
CompactWeightParams compact_linear_weight_params(const Shape& w, const QuantParams& p, FaultSet faults);
CompactWeightParams compact_conv_weight_params(const Shape& w, const QuantParams& p, FaultSet faults);

// Element (k, g) of a compact tensor, read by its RANK (as every consumer
// of a lowered program does): rank 0 -> t[0], rank 1 -> t[k], rank 2 ->
// t[k, g]. The caller has checked that the dims cover k and g.
double compact_at(const Tensor& t, int64_t k, int64_t g);

}  // namespace qdiff::impl
