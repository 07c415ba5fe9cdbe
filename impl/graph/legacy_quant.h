// The legacy per-channel quantize / dequantize (docs/graph.md node table),
// executed natively by the optimized executor: a 1-D scale [C] (and zero
// point [C]) applied along dim a' = a < 0 ? a + rank : a of the data.
//
// Validation in the affine op's order with step 4 replaced (the order the
// reference interpreter documents, reference/graph_eval.h):
//   1 unsupported   spec dtype not integer; data dtype wrong for the op;
//                   scale not f32
//   2 too_large     data, scale, zero point above the element cap
//   3 invalid_range
//   4 invalid_shape block_size given; axis outside [-rank, rank); scale not
//                   1-D [C] with C = data.shape[a']; zero point not 1-D [C]
//   5 invalid_scale  6 invalid_zero_point  7 nan_input (quantize)
// Steps 1-4 are core/argument_checks.h, shared with reference/ (so error
// parity does not test them); 5-7 are impl/quantize's.
// Then the values are the affine op's with the scale viewed as
// [1, .., C, .., 1] (C at dim a'): element x[i0..] uses scale[i_a'] either
// way, and the optimized kernels' per-channel paths run it. C = 0 (an empty
// data dim, an empty scale) is valid and gives an empty result.
#pragma once

#include <cstdint>

#include "core/contract.h"
#include "core/quant_params.h"
#include "core/tensor.h"
#include "impl/options.h"

namespace qdiff::impl {

Tensor legacy_quantize(const Tensor& x, const QuantParams& params, int64_t axis, Contract contract,
                       const ImplOptions& options);
Tensor legacy_dequantize(const Tensor& q, const QuantParams& params, int64_t axis,
                         const ImplOptions& options);

}  // namespace qdiff::impl
