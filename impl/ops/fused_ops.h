// Optimized fused quantized operators: the implementation under test for
// qlinear, qconv2d, qadd and qmul (SPEC section 8). Never calls reference/.
//
// Arithmetic contract (the oracle's error bound, oracle/fused_bound.h, is
// derived from exactly this; change them together):
//  qlinear / qconv2d, int or none-domain weights ("integer path"):
//   1. acc_g = sum_{j in weight block g} (qx - zx) * (qw - zw), exact in
//      int32 (x and w zero points folded in as row/column-sum corrections;
//      int64 where int32 could overflow);
//   2. y = sum_g f32(acc_g) * f32(s_x * s_w[k, g]), in f32, groups in order;
//   3. y = f32(y + bias[k]); activation (exact: max/min);
//   4. q = clamp(round_half_even(f32(y / s_out)) + z_out, qmin, qmax).
//  The accumulation contract (core/qlinear_contract.h) changes two steps:
//   bias int32_acc: bias[k] in step 3 is f32(f32(bq[k]) * f32(s_x * s_w[k]))
//     (impl/ops/bias_grid.h);
//   output_zero_point before_rounding: step 4 is
//     q = clamp(round_half_even(f32(f32(y / s_out) + f32(z_out))), qmin, qmax).
//  float-domain weights (tinygemm): the weight block is dequantized to f32
//   and the dot product accumulates in f32 (In terms), then steps 3-4.
//  qadd / qmul: each operand dequantized in f32 exactly as SPEC section 5,
//   y = f32(dq(a) + dq(b)) or f32(dq(a) * dq(b)), activation, then step 4.
// Validation follows docs/validation-order.md ("Fused operators").
// The implementation (paths, packing, blocking, fault points, memory):
// docs/impl-fused.md and impl/ops/gemm.h.
#pragma once

#include <cstdint>
#include <memory>

#include "core/fused_ops.h"
#include "impl/options.h"

namespace qdiff::impl {

Tensor qlinear(const QLinearArgs& args, const ImplOptions& options = {});
Tensor qconv2d(const QConv2dArgs& args, const ImplOptions& options = {});
Tensor qelementwise(const QElementwiseArgs& args, const ImplOptions& options = {});

struct PackedWeights;

// The weights of one qlinear packed once for the micro-kernels, so that
// repeated calls (benchmarks, a graph executor) skip the packing. The
// packed copy is the only extra memory of the weights (extra_bytes()).
class PackedLinearWeights {
 public:
  // Validates `args` exactly as qlinear() does, then packs args.w with its
  // params. Weights the packed path cannot take (16-bit, float domain)
  // pack nothing and qlinear() then runs its other paths.
  static PackedLinearWeights pack(const QLinearArgs& args);
  int64_t extra_bytes() const;
  bool holds_packed_data() const { return packed_ != nullptr; }
  const PackedWeights* packed() const { return packed_.get(); }
  int64_t channels() const { return channels_; }
  int64_t depth() const { return depth_; }

 private:
  std::shared_ptr<const PackedWeights> packed_;
  int64_t channels_ = 0, depth_ = 0;
};

// qlinear with weights packed beforehand from the SAME args.w and
// args.w_params (checked: shapes, dtype and group structure must match;
// the values are trusted). Results are identical to qlinear(args).
Tensor qlinear(const QLinearArgs& args, const PackedLinearWeights& weights,
               const ImplOptions& options = {});

}  // namespace qdiff::impl
