// The derived error bound of the fused-operator oracle (SPEC section 9).
//
// An implementation following the arithmetic contract of impl/ops/fused_ops.h
// computes, for each output, a pre-rounding value v = y / s_out (+ z_out)
// that differs from the ideal value p (reference/fused_ops.h) by at most
// the bound B below, in output units (steps of s_out). The oracle then
// accepts exactly the quantized values reachable from [p - B, p + B]:
// Q(p - B) <= q <= Q(p + B), Q(p) = clamp(round_half_even(p - z) + z).
// B is far below 1/2 for realistic cases, so a systematic off-by-one
// (floor instead of round, a zero point added before rounding) is still
// caught everywhere except within B of a rounding boundary.
//
// Derivation (u = 2^-24, unit roundoff of f32; standard model
// fl(a op b) = (a op b)(1 + d) + e, |d| <= u, |e| <= 2^-150 for * and /,
// e = 0 for + and -; operands of fused ops have |q - z| < 2^24, so
// f32(q) - f32(z) is exact). Let M = sum_j |t_j| + |bias| with
// t_j = dq(x_j) dq(w_j) (real units), magnitude = M / s_out (given by the
// reference per output).
//
//  qlinear / qconv2d, integer path (int or none-domain weights):
//   the reference's dq(x), dq(w) are each one f32 rounding off the exact
//   (q - z) s: 2u M (first order) between the ideal and the impl's exact
//   integer products; f32(acc_g), f32(s_x s_w), and their product: 3u M;
//   summing G group terms in f32: (G - 1) u M; + bias: u M; / s_out: u M.
//   Total (G + 6) u M, times (1 + 2^-20) for second-order terms, plus the
//   absolute (underflow) terms: each dq can be off by 2^-150, times the
//   other factor (<= In 2^-150 (D_x + D_w), D = max |dq|); f32(s_x s_w) off
//   by 2^-150, times |acc| (<= A 2^-150, A = In max|qx - zx| max|qw - zw|);
//   the per-group products and the division, (G + 1) 2^-150.
//     B = (G + 6)(1 + 2^-20) u magnitude
//         + (In 2^-150 (D_x + D_w) + (A + G + 1) 2^-150) / s_out
//   with G = number of weight-scale blocks along the reduction.
//  float-domain weights (f32 accumulation of In terms, the weight
//   dequantized by the same f32 formula as the reference): each product
//   u, the In-term sum (In - 1) u, bias u, division u, and the x side's
//   dq as above: B = (In + 6)(1 + 2^-20) u magnitude + the same absolute terms.
//  accumulation contract (core/qlinear_contract.h), same B:
//   bias int32_acc: bq[k] is bit-exact in any conforming implementation
//   (the contract fixes its f32 operations), and the reference's bias term
//   is bq s_x s_w[k] exactly, included in M. The implementation's f32(bq)
//   (u), f32(s_x s_w) (u) and their product (u) are 3u of that term,
//   where the product terms carry (G + 4)u of theirs (2u of dq, 3u
//   accumulator and scale, (G - 1)u group sum): every term within
//   (G + 4)u, plus u M for the add and u M for the division.
//   output_zero_point before_rounding: the rounding f32(v + f32(z)) is the
//   contract's own; v is within B of y / s_out as before, and the map from
//   v to q is monotone (oracle/fused_oracle.cc adds the reference's double
//   roundings of v + z, below 2^-51 (|p| + |z|)).
//  qadd / qmul (operands dequantized by the same f32 formula as the
//   reference): one f32 add or multiply (u) and the division (u):
//     B = 2 (1 + 2^-20) u magnitude + 2^-150 (1 + 1 / s_out).
#pragma once

#include <cstdint>
#include <limits>

#include "core/fused_ops.h"

namespace qdiff {

// Domain of the derivation: the contract's f32 intermediates must stay
// finite. f32(s_x * s_w) and the real output y = (p - z) s_out both have to
// be below 2^127; an f32 epilogue cannot represent a larger y even when
// y / s_out is small (s_x = s_w = 1e20, s_out = 1e38 gives an ideal 100
// that no f32 implementation of the contract can compute). Outside that
// domain the bound is infinite: every in-range value is accepted, and the
// oracle reports those outputs as tolerated. The generators keep operand
// scales in [2^-12, 2^3), far inside the domain.
inline constexpr double kF32DomainLimit = 0x1p127;

// Constants of one operator invocation that the per-output bound needs.
struct FusedBoundTerms {
  double relative = 0;  // multiplies magnitude
  double absolute = 0;  // real units; divided by each output's s_out
  double max_scale_product = 0;  // max s_x * s_w (dot products), in double
};

// The derivation's constants: f32's unit roundoff, the factor for
// second-order terms, the absolute error of an underflowing * or /.
inline constexpr double kBoundU = 0x1p-24;
inline constexpr double kBoundSecondOrder = 1.0 + 0x1p-20;
inline constexpr double kBoundTiny = 0x1p-150;

// One per op (oracle/<op>_oracle.cc).
FusedBoundTerms qlinear_bound_terms(const QLinearArgs& args);
FusedBoundTerms qconv2d_bound_terms(const QConv2dArgs& args);
FusedBoundTerms qelementwise_bound_terms(const QElementwiseArgs& args);

// The terms of a dot product over `reduction_length` products of x and w
// (qlinear and qconv2d: the integer path, or float-domain weights).
FusedBoundTerms dot_product_terms(const Tensor& x, const QuantParams& xp, const Tensor& w, const QuantParams& wp,
                                  int64_t reduction_length);

// B for one output in output units.
inline double fused_bound(const FusedBoundTerms& t, double magnitude, double s_out) {
  if (t.max_scale_product >= kF32DomainLimit || magnitude * s_out >= kF32DomainLimit) {
    return std::numeric_limits<double>::infinity();
  }
  return t.relative * magnitude + t.absolute / s_out + 0x1p-150;
}

}  // namespace qdiff
