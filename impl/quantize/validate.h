// The implementation's own input validation and block-size derivation, in
// the canonical order of reference/validate.h (error parity, SPEC section
// 9). Steps 1-3 are core's (core/argument_checks.h), shared with reference/;
// the rest is written independently of reference/ and of core's BlockLayout
// (vectorized scans, its own block derivation), so that error parity tests it.
//
//  quantize / dequantize / fake_quantize (validate_affine):
//   1 unsupported         params.dtype not integer; input dtype wrong for
//                         the op; scale not f32
//   2 too_large           input, scale or zero point above the element cap
//   3 invalid_range       not dtype_min <= quant_min <= quant_max <= dtype_max
//   4 invalid_shape /     block derivation (shape errors of every dim before
//     non_divisible_block divisibility errors), then zero point shape
//   5 invalid_scale       scale not finite, positive and normal
//   6 invalid_zero_point  per zero_point_domain
//   7 nan_input           NOT here: the quantize kernels detect NaN while
//                         they run and the caller throws afterwards, which
//                         keeps the order because 1-6 come first.
//  choose_qparams (validate_choose_qparams): steps 1-5 of
//  reference/validate.h; step 6 (non-finite input) is fused into the
//  min/max reduction the same way.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/quant_params.h"
#include "core/shape.h"
#include "core/tensor.h"
#include "impl/fault_points.h"

namespace qdiff::impl {

enum class AffineCall { quantize, dequantize, fake_quantize };

// Which scale element each input element uses: element x[i0..] uses
// scale[min(i0 / block[0], count[0] - 1), ...]. Without faults the min()
// never bites (count[d] == ceil(size[d] / block[d])).
struct BlockGeometry {
  int rank = 0;
  std::array<int64_t, kMaxRank> size{};   // input dims
  std::array<int64_t, kMaxRank> block{};  // elements per block along each dim (>= 1 if size > 0)
  std::array<int64_t, kMaxRank> count{};  // scale dims, normalized to the input's rank
  bool per_tensor = false;                // scale.numel() == 1
  int64_t numel = 0;
  int64_t scale_numel = 0;
};

// Steps 1-6. input_dtype is unset when only shapes are known
// (plan_kernel_path); the input dtype check is then skipped.
BlockGeometry validate_affine(AffineCall call, std::optional<DType> input_dtype,
                              const Shape& input, const QuantParams& params,
                              FaultSet faults);

// choose_qparams steps 1-5. Returns the geometry of the (divisible) blocks.
BlockGeometry validate_choose_qparams(const Tensor& input, const ChooseQParamsArgs& args);

// Steps 5 and 6 for one params, shared with the fused operators
// (impl/ops/fused_validate.h); a non-empty `operand` ("x") prefixes the
// message.
void check_scale_values(const QuantParams& p, std::string_view operand = {});
void check_zero_point_values(const QuantParams& p, std::string_view operand = {});

}  // namespace qdiff::impl
