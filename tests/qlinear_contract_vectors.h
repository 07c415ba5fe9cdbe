// Hand-worked qlinear cases for each accumulation contract setting
// (core/qlinear_contract.h), shared by the reference's golden tests
// (tests/reference_qlinear_contract_test.cc) and impl's
// (tests/impl_qlinear_contract_test.cc). Every expected value is worked from
// the contract's formula in the comment beside it, not taken from either
// implementation. f32 values are written exactly (as sums of powers of two
// or with their f32 expansion).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/fused_ops.h"
#include "tests/reference_fused_test_util.h"

namespace qdiff::qlinear_contract_vectors {

using reference::fused_test::f32;
using reference::fused_test::i8;
using reference::fused_test::per_tensor;
using reference::fused_test::q;
using reference::fused_test::with_scale;

// Bias ties on the accumulator grid.
// x [1, 2] i8, s_x = 0.5, z = 0: q [2, 3] -> dq [1, 1.5]
// w [2, 2] i8, s_w = 0.25, z = 0: q [[4, 2], [2, 2]] -> dq [[1, 0.5], [0.5, 0.5]]
//   sum[0] = 1 + 0.75 = 1.75, sum[1] = 0.5 + 0.75 = 1.25
// bias [0.3125, 0.1875] (exact in f32); out s = 2^-4, z = 0.
//  float:     y = [2.0625, 1.4375]; y / s = [33, 23]                   -> q [33, 23]
//  int32_acc: s_acc = f32(0.5 * 0.25) = 0.125, f32(1 / s_acc) = 8;
//             b * 8 = [2.5, 1.5] -> rne [2, 2] (2.5 goes to the even 2,
//             where half-away would give 3); terms 2 * 0.125 = 0.25 each;
//             y = [2, 1.5]; y / s = [32, 24]                             -> q [32, 24]
//             magnitude (|1| + |0.75| + |0.25|) / 2^-4 = 32, (0.5 + 0.75 + 0.25) / 2^-4 = 24
inline QLinearArgs bias_tie_case() {
  QLinearArgs a;
  a.x = i8({1, 2}, {2, 3});
  a.x_params = per_tensor(0.5f, 0);
  a.w = i8({2, 2}, {4, 2, 2, 2});
  a.w_params = per_tensor(0.25f, 0);
  a.bias = f32({2}, {0.3125f, 0.1875f});
  a.out_params = per_tensor(0.0625f, 0);
  return a;
}

// The grid scale's reciprocal, not a division (the torchao rule of SPEC
// section 3 applied to the bias).
// x [1, 1] i8 q 0 (s_x = 0.9f = 0.89999997615814208984375, z = 0), w [1, 1] q 1
// (s_w = 1): the sum is 0. bias -11.25; out s = 0.5, z = 0.
//  float:     y = -11.25, y / s = -22.5 -> rne -22                          -> q -22
//  int32_acc: s_acc = f32(0.9f * 1) = 0.9f; f32(1 / 0.9f) = 1.111111164093017578125;
//             -11.25 * that = -12.50000059604644775390625 -> f32 -12.50000095367431640625
//             (f32 spacing 2^-20 there) -> rne -13 (a division, -11.25 / 0.9f =
//             -12.5000003..., would round to f32 -12.5 and then to -12);
//             y = -13 * 0.9f = -11.69999969005584716796875; y / s = -23.3999993801... -> q -23
inline QLinearArgs bias_reciprocal_case() {
  QLinearArgs a;
  a.x = i8({1, 1}, {0});
  a.x_params = per_tensor(0.9f, 0);
  a.w = i8({1, 1}, {1});
  a.w_params = per_tensor(1.0f, 0);
  a.bias = f32({1}, {-11.25f});
  a.out_params = per_tensor(0.5f, 0);
  return a;
}

// Per-channel weights: one grid per output channel.
// x [1, 2] i8 q [2, 3] (s_x = 0.5) -> dq [1, 1.5]; w [2, 2] q [[4, 2], [1, 1]],
// s_w [2, 1] = [0.25, 0.5] -> dq [[1, 0.5], [0.5, 0.5]]; sums [1.75, 1.25].
// bias [0.3125, 0.375]; out s = 2^-4, z = 0.
//  float:     y = [2.0625, 1.625] -> y / s = [33, 26]                       -> q [33, 26]
//  int32_acc: s_acc = [0.125, 0.25], reciprocals [8, 4]; b / s_acc = [2.5, 1.5]
//             -> rne [2, 2]; terms [0.25, 0.5]; y = [2, 1.75] -> y / s = [32, 28] -> q [32, 28]
inline QLinearArgs per_channel_bias_case() {
  QLinearArgs a;
  a.x = i8({1, 2}, {2, 3});
  a.x_params = per_tensor(0.5f, 0);
  a.w = i8({2, 2}, {4, 2, 1, 1});
  a.w_params = with_scale({2, 1}, {0.25f, 0.5f}, std::vector<int32_t>{0, 0});
  a.bias = f32({2}, {0.3125f, 0.375f});
  a.out_params = per_tensor(0.0625f, 0);
  return a;
}

// The output zero point before rounding.
// x [1, 2] i16 q [32767, 15] (s_x = 2^-10, z = 0), w [2, 2] i8 q [[16, 1], [16, 1]]
// (s_w = 2^-10): each sum = (32767 * 16 + 15 * 1) 2^-20 = 524287 * 2^-20 = 0.5 - 2^-20.
// out per-channel along the last dim: s [1, 2] = [1, 1], z [101, 100].
//  after_rounding:  rne(0.5 - 2^-20) = 0, + z                              -> q [101, 100]
//  before_rounding: f32(0.5 - 2^-20 + 101) = 101.5 (within half the f32
//                   spacing 2^-17 of it), rne -> 102 (even); f32(100.4999990...)
//                   = 100.5 -> rne 100 (even)                               -> q [102, 100]
//  pre_rounding (y / s + z) = [101.49999904632568359375, 100.49999904632568359375]
inline QLinearArgs zero_point_tie_case() {
  QLinearArgs a;
  a.x = q<int16_t>({1, 2}, {32767, 15});
  a.x_params = per_tensor(0x1p-10f, 0, "i16");
  a.w = i8({2, 2}, {16, 1, 16, 1});
  a.w_params = per_tensor(0x1p-10f, 0);
  a.out_params = with_scale({1, 2}, {1.0f, 1.0f}, std::vector<int32_t>{101, 100});
  return a;
}

inline QLinearContract contract(BiasGrid bias, OutputZeroPoint z = OutputZeroPoint::after_rounding) {
  return QLinearContract{bias, z};
}

// qconv2d shares the accumulation path: bias_tie_case as a 1x1 convolution
// (x [1, 2, 1, 1], w [2, 2, 1, 1]) has the same outputs, [1, 2, 1, 1].
inline QConv2dArgs bias_tie_conv_case() {
  const QLinearArgs l = bias_tie_case();
  QConv2dArgs a;
  a.x = i8({1, 2, 1, 1}, {2, 3});
  a.x_params = l.x_params;
  a.w = i8({2, 2, 1, 1}, {4, 2, 2, 2});
  a.w_params = l.w_params;
  a.bias = l.bias;
  a.out_params = l.out_params;
  return a;
}

// Per-group weights [2, 2] (two scales along In per channel): no single
// accumulator scale, so bias int32_acc rejects them as unsupported.
inline QuantParams grouped_weight_params() {
  return with_scale({2, 2}, {0.25f, 0.25f, 0.5f, 0.5f}, std::vector<int32_t>{0, 0, 0, 0});
}

// The error kind `run` throws (malformed_case, with a test failure, if none).
template <typename F>
ErrorKind rejection_kind(F&& run) {
  try {
    run();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "accepted";
  return ErrorKind::malformed_case;
}

}  // namespace qdiff::qlinear_contract_vectors
