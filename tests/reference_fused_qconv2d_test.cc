// Golden tests of reference::qconv2d (SPEC section 8): tiny cases worked by
// hand (arithmetic in the comments, re-checked with a throwaway exact-rational
// program that does not call qdiff), and a cross-check against qlinear on an
// im2col matrix built by hand in the test. The published ONNX QLinearConv
// vector is in reference_fused_onnx_vectors_test.cc.
//   y[n, o, oh, ow] = sum_{c, i, j} dq(x)[n, g*Cg + c, ih, iw] * dq(w)[o, c, i, j] + bias[o]
//   ih = oh * stride_h - pad_top + i * dilation_h (zero outside the input)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "reference/fused_ops.h"
#include "tests/reference_fused_test_util.h"

namespace qdiff::reference {
namespace {

using ::testing::ElementsAre;
using namespace fused_test;

QConv2dArgs unit_scales(Tensor x, Tensor w) {
  QConv2dArgs a;
  a.x = std::move(x);
  a.x_params = per_tensor(1.0f, 0);
  a.w = std::move(w);
  a.w_params = per_tensor(1.0f, 0);
  a.out_params = per_tensor(1.0f, 0);
  return a;
}

// x [1, 1, 3, 3] = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], w [1, 1, 2, 2] = [[1, 2], [-1, 0]]:
//   y[oh, ow] = x[oh][ow] + 2 x[oh][ow + 1] - x[oh + 1][ow]
//   (0, 0) = 1 + 4 - 4 = 1;  (0, 1) = 2 + 6 - 5 = 3;  (1, 0) = 4 + 10 - 7 = 7;  (1, 1) = 5 + 12 - 8 = 9
TEST(ReferenceQConv2d, Basic) {
  const IdealResult r = qconv2d(unit_scales(i8({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}),
                                            i8({1, 1, 2, 2}, {1, 2, -1, 0})));
  EXPECT_EQ(r.output.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_THAT(ints(r.output), ElementsAre(1, 3, 7, 9));
  // magnitude (oh, ow) = (0, 0): |1| + |4| + |-4| + 0 = 9
  EXPECT_EQ(r.magnitude[0], 9.0);
}

// Stride 2 and asymmetric padding (top 1, left 0, bottom 0, right 1); the input has zero
// point 5 (q = value + 5), so padding with q = 0 instead of a real 0.0 would add -5 * w.
//   OH = (3 + 1 + 0 - 1 * (2 - 1) - 1) / 2 + 1 = 2;  OW = (3 + 0 + 1 - 1 - 1) / 2 + 1 = 2
//   ih = 2 oh - 1 + i, iw = 2 ow + j; w = [[1, 2], [-1, 0]]
//   (0, 0): row i = 0 is padding; i = 1 (ih 0): -1 * x00 + 0 * x01 = -1
//   (0, 1): i = 1 (ih 0), iw 2, 3: -1 * x02 + 0 * pad = -3
//   (1, 0): i = 0 (ih 1): x10 + 2 x11 = 4 + 10;  i = 1 (ih 2): -x20 = -7 -> 7
//   (1, 1): i = 0 (ih 1), iw 2, 3: x12 + 2 * pad = 6;  i = 1 (ih 2): -x22 = -9 -> -3
TEST(ReferenceQConv2d, StrideAndAsymmetricPaddingAreRealZeros) {
  QConv2dArgs a = unit_scales(i8({1, 1, 3, 3}, {6, 7, 8, 9, 10, 11, 12, 13, 14}),
                              i8({1, 1, 2, 2}, {1, 2, -1, 0}));
  a.x_params = per_tensor(1.0f, 5);
  a.attrs.stride = {2, 2};
  a.attrs.padding = {1, 0, 0, 1};
  const IdealResult r = qconv2d(a);
  EXPECT_EQ(r.output.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_THAT(ints(r.output), ElementsAre(-1, -3, 7, -3));
}

// Dilation [2, 1] on x [1, 1, 4, 4] = 1..16 (x[r][c] = 4r + c + 1), w [[1, 2], [3, 4]]:
//   extent_h = 2 * (2 - 1) + 1 = 3 -> OH = 4 - 3 + 1 = 2;  OW = 4 - 2 + 1 = 3
//   y = x[oh][ow] + 2 x[oh][ow + 1] + 3 x[oh + 2][ow] + 4 x[oh + 2][ow + 1]
//     = a + 2(a + 1) + 3(a + 8) + 4(a + 9) = 10a + 62, a = x[oh][ow]
//   a = 1, 2, 3, 5, 6, 7 -> 72, 82, 92, 112, 122, 132; out s = 2 -> 36, 41, 46, 56, 61, 66
// Dilation [1, 2]: extent_w = 3 -> OH = 3, OW = 2;
//   y = a + 2(a + 2) + 3(a + 4) + 4(a + 6) = 10a + 40
//   a = 1, 2, 5, 6, 9, 10 -> 50, 60, 90, 100, 130, 140 -> s = 2 -> 25, 30, 45, 50, 65, 70
TEST(ReferenceQConv2d, Dilation) {
  std::vector<int8_t> x;
  for (int v = 1; v <= 16; ++v) x.push_back(int8_t(v));
  QConv2dArgs a = unit_scales(i8({1, 1, 4, 4}, x), i8({1, 1, 2, 2}, {1, 2, 3, 4}));
  a.attrs.dilation = {2, 1};
  a.out_params = per_tensor(2.0f, 0);
  IdealResult r = qconv2d(a);
  EXPECT_EQ(r.output.shape(), (Shape{1, 1, 2, 3}));
  EXPECT_THAT(ints(r.output), ElementsAre(36, 41, 46, 56, 61, 66));
  EXPECT_THAT(r.pre_rounding, ElementsAre(36, 41, 46, 56, 61, 66));

  a.attrs.dilation = {1, 2};
  r = qconv2d(a);
  EXPECT_EQ(r.output.shape(), (Shape{1, 1, 3, 2}));
  EXPECT_THAT(ints(r.output), ElementsAre(25, 30, 45, 50, 65, 70));
}

// groups = 2, 1x1 kernel, per-output-channel weights [4, 1, 1, 1], bias, and per-channel
// output params [1, 4, 1, 1]. x [1, 4, 2, 2] s = 1:
//   c0 = [1, 2, 3, 4], c1 = [0, 1, 0, 1], c2 = [2, 2, 2, 2], c3 = [1, -1, 1, -1]
// w [4, 2, 1, 1], s [1, 0.5, 2, 0.25]: q o0 [1, 1], o1 [2, -2], o2 [1, 1], o3 [8, 0]
//   -> dq o0 [1, 1], o1 [1, -1], o2 [2, 2], o3 [2, 0]; o0, o1 read c0, c1; o2, o3 read c2, c3
// bias [0.5, -0.5, 1, 0.25]:
//   o0 = c0 + c1 + 0.5     = [1.5, 3.5, 3.5, 5.5]
//   o1 = c0 - c1 - 0.5     = [0.5, 0.5, 2.5, 2.5]
//   o2 = 2 c2 + 2 c3 + 1   = [7, 3, 7, 3]
//   o3 = 2 c2 + 0.25       = [4.25] * 4
// out s [1, 1, 2, 0.5], z [0, 0, 1, -1] (ties go to even):
//   o0: 1.5, 3.5, 3.5, 5.5 -> 2, 4, 4, 6
//   o1: 0.5, 0.5, 2.5, 2.5 -> 0, 0, 2, 2
//   o2: 3.5, 1.5, 3.5, 1.5 -> 4, 2, 4, 2 -> + 1 = 5, 3, 5, 3
//   o3: 8.5 -> 8 -> - 1 = 7
TEST(ReferenceQConv2d, GroupsPerChannelWeightsBiasAndPerChannelOutput) {
  QConv2dArgs a;
  a.x = i8({1, 4, 2, 2}, {1, 2, 3, 4, 0, 1, 0, 1, 2, 2, 2, 2, 1, -1, 1, -1});
  a.x_params = per_tensor(1.0f, 0);
  a.w = i8({4, 2, 1, 1}, {1, 1, 2, -2, 1, 1, 8, 0});
  a.w_params = with_scale({4, 1, 1, 1}, {1.0f, 0.5f, 2.0f, 0.25f});
  a.bias = f32({4}, {0.5f, -0.5f, 1.0f, 0.25f});
  a.out_params = with_scale({1, 4, 1, 1}, {1.0f, 1.0f, 2.0f, 0.5f},
                            std::vector<int32_t>{0, 0, 1, -1});
  a.attrs.groups = 2;
  const IdealResult r = qconv2d(a);
  EXPECT_EQ(r.output.shape(), (Shape{1, 4, 2, 2}));
  EXPECT_THAT(ints(r.output), ElementsAre(2, 4, 4, 6, 0, 0, 2, 2, 5, 3, 5, 3, 7, 7, 7, 7));
  EXPECT_THAT(r.pre_rounding, ElementsAre(1.5, 3.5, 3.5, 5.5, 0.5, 0.5, 2.5, 2.5, 4.5, 2.5,
                                          4.5, 2.5, 7.5, 7.5, 7.5, 7.5));
}

// Depthwise with channel multiplier 2 (groups = C = 2, O = 4) and N = 2; a 2x2 kernel on
// a 2x2 input gives one output per channel. Batch 0: c0 = [1, 2, 3, 4], c1 = [-1, 0, 1, 2];
// batch 1 = 2 * batch 0. w o0 = [1, 1, 1, 1], o1 = [1, 0, 0, -1] (read c0),
// o2 = [1, 1, 1, 1], o3 = [2, 0, 0, 0] (read c1):
//   batch 0: o0 = 10, o1 = 1 - 4 = -3, o2 = -1 + 0 + 1 + 2 = 2, o3 = -2;  batch 1: doubled
TEST(ReferenceQConv2d, DepthwiseWithMultiplierAndBatch) {
  QConv2dArgs a = unit_scales(
      i8({2, 2, 2, 2}, {1, 2, 3, 4, -1, 0, 1, 2, 2, 4, 6, 8, -2, 0, 2, 4}),
      i8({4, 1, 2, 2}, {1, 1, 1, 1, 1, 0, 0, -1, 1, 1, 1, 1, 2, 0, 0, 0}));
  a.attrs.groups = 2;
  const IdealResult r = qconv2d(a);
  EXPECT_EQ(r.output.shape(), (Shape{2, 4, 1, 1}));
  EXPECT_THAT(ints(r.output), ElementsAre(10, -3, 2, -2, 20, -6, 4, -4));
}

// Output H and W of exactly 1 with padding larger than the kernel needs: x [1, 1, 1, 1] = 3,
// w 3x3 of ones, padding 1 on every side -> OH = (1 + 2 - 2 - 1) / 1 + 1 = 1; only the
// centre tap is inside: y = 3. Empty batch and empty channels give empty outputs.
TEST(ReferenceQConv2d, PaddingLargerThanInputAndEmptyShapes) {
  QConv2dArgs a = unit_scales(i8({1, 1, 1, 1}, {3}), i8({1, 1, 3, 3}, std::vector<int8_t>(9, 1)));
  a.attrs.padding = {1, 1, 1, 1};
  IdealResult r = qconv2d(a);
  EXPECT_EQ(r.output.shape(), (Shape{1, 1, 1, 1}));
  EXPECT_THAT(ints(r.output), ElementsAre(3));

  a.x = i8({0, 1, 1, 1}, {});
  r = qconv2d(a);
  EXPECT_EQ(r.output.shape(), (Shape{0, 1, 1, 1}));

  // C = 0 and O = 2: y = bias only.
  a.x = i8({1, 0, 2, 2}, {});
  a.w = i8({2, 0, 1, 1}, {});
  a.attrs.padding = {0, 0, 0, 0};
  a.bias = f32({2}, {1.0f, -2.5f});
  r = qconv2d(a);
  EXPECT_EQ(r.output.shape(), (Shape{1, 2, 2, 2}));
  // -2.5 (tie) -> -2
  EXPECT_THAT(ints(r.output), ElementsAre(1, 1, 1, 1, -2, -2, -2, -2));
}

// qconv2d equals qlinear on an im2col matrix built here by hand: row (oh, ow) holds the
// C * kh * kw input taps in (c, i, j) order, with the input zero point (dq = 0.0) for
// padded taps; the weight is reshaped to [O, C * kh * kw] with its [O, 1, 1, 1] scale as
// [O, 1]; the output [OH * OW, O] is the conv output transposed. The sums run in the same
// order, so values and diagnostics are equal. groups = 2 uses a block-diagonal weight
// (zero q with zero point 0 outside the group, which adds exact zeros).
// Inexact scales on purpose: this is a consistency check, not a golden.
// The conv of expect_conv_equals_im2col_linear: a 2 x 4 x 5 input, four
// 2 x 2 kernels, stride (1, 2), dilation 2, asymmetric padding.
struct Im2colConv {
  int64_t C = 2, H = 4, W = 5, O = 4, kh = 2, kw = 2, groups;
  std::array<int64_t, 2> stride{1, 2}, dilation{2, 2};
  std::array<int64_t, 4> pad{1, 0, 0, 1};  // top, left, bottom, right
  int64_t Cg() const { return C / groups; }
  int64_t Og() const { return O / groups; }
  int64_t cols() const { return C * kh * kw; }
  int64_t OH() const { return (H + pad[0] + pad[2] - dilation[0] * (kh - 1) - 1) / stride[0] + 1; }
  int64_t OW() const { return (W + pad[1] + pad[3] - dilation[1] * (kw - 1) - 1) / stride[1] + 1; }
};

// im2col: [OH * OW, C * kh * kw], padding read as the zero point.
std::vector<int8_t> im2col(const Im2colConv& v, const std::vector<int8_t>& xq, int32_t x_zp) {
  std::vector<int8_t> col;
  for (int64_t oh = 0; oh < v.OH(); ++oh) {
    for (int64_t ow = 0; ow < v.OW(); ++ow) {
      for (int64_t c = 0; c < v.C; ++c) {
        for (int64_t i = 0; i < v.kh; ++i) {
          for (int64_t j = 0; j < v.kw; ++j) {
            const int64_t ih = oh * v.stride[0] - v.pad[0] + i * v.dilation[0];
            const int64_t iw = ow * v.stride[1] - v.pad[1] + j * v.dilation[1];
            const bool inside = ih >= 0 && ih < v.H && iw >= 0 && iw < v.W;
            col.push_back(inside ? xq[size_t((c * v.H + ih) * v.W + iw)] : int8_t(x_zp));
          }
        }
      }
    }
  }
  return col;
}

// Weight [O, C * kh * kw]: group g's channels hold the kernel, the others zero.
std::vector<int8_t> block_diagonal_weights(const Im2colConv& v, const std::vector<int8_t>& wq) {
  const int64_t cols = v.cols(), Cg = v.Cg(), taps = v.kh * v.kw;
  std::vector<int8_t> wl(size_t(v.O * cols), 0);
  for (int64_t o = 0; o < v.O; ++o) {
    const int64_t g = o / v.Og();
    for (int64_t c = 0; c < Cg; ++c) {
      for (int64_t t = 0; t < taps; ++t) {
        wl[size_t(o * cols + (g * Cg + c) * taps + t)] = wq[size_t((o * Cg + c) * taps + t)];
      }
    }
  }
  return wl;
}

void expect_conv_equals_im2col_linear(int64_t groups) {
  const Im2colConv v{.groups = groups};
  const int64_t C = v.C, H = v.H, W = v.W, O = v.O, OH = v.OH(), OW = v.OW();
  ASSERT_EQ(OH, 3);
  ASSERT_EQ(OW, 2);

  std::vector<int8_t> xq, wq;
  uint32_t seed = 12345;  // a fixed LCG: deterministic, no clock
  const auto next = [&](int lo, int hi) {
    seed = seed * 1664525u + 1013904223u;
    return int8_t(lo + int((seed >> 8) % uint32_t(hi - lo + 1)));
  };
  for (int64_t i = 0; i < C * H * W; ++i) xq.push_back(next(-100, 100));
  for (int64_t i = 0; i < O * v.Cg() * v.kh * v.kw; ++i) wq.push_back(next(-8, 7));
  const int32_t x_zp = 7;

  QConv2dArgs conv;
  conv.x = i8({1, C, H, W}, xq);
  conv.x_params = per_tensor(0.0371f, x_zp);
  conv.w = i8({O, v.Cg(), v.kh, v.kw}, wq);
  conv.w_params = with_scale({O, 1, 1, 1}, {0.11f, 0.3f, 0.07f, 0.9f});
  conv.bias = f32({O}, {0.31f, -1.7f, 0.0f, 2.2f});
  conv.out_params = with_scale({1, O, 1, 1}, {0.05f, 0.021f, 0.5f, 0.013f},
                               std::vector<int32_t>{-3, 0, 5, 1});
  conv.attrs = {v.stride, v.pad, v.dilation, groups};
  const IdealResult rc = qconv2d(conv);

  QLinearArgs lin;
  lin.x = i8({OH * OW, v.cols()}, im2col(v, xq, x_zp));
  lin.x_params = conv.x_params;
  lin.w = i8({O, v.cols()}, block_diagonal_weights(v, wq));
  lin.w_params = with_scale({O, 1}, {0.11f, 0.3f, 0.07f, 0.9f});
  lin.bias = conv.bias;
  lin.out_params = with_scale({1, O}, {0.05f, 0.021f, 0.5f, 0.013f},
                              std::vector<int32_t>{-3, 0, 5, 1});
  const IdealResult rl = qlinear(lin);

  ASSERT_EQ(rc.output.shape(), (Shape{1, O, OH, OW}));
  ASSERT_EQ(rl.output.shape(), (Shape{OH * OW, O}));
  int nonzero = 0;
  for (int64_t o = 0; o < O; ++o) {
    for (int64_t p = 0; p < OH * OW; ++p) {
      const int64_t ci = o * OH * OW + p, li = p * O + o;
      EXPECT_EQ(rc.output.int_at(ci), rl.output.int_at(li)) << "o " << o << " pos " << p;
      EXPECT_EQ(rc.pre_rounding[size_t(ci)], rl.pre_rounding[size_t(li)]);
      EXPECT_EQ(rc.magnitude[size_t(ci)], rl.magnitude[size_t(li)]);
      nonzero += rc.output.int_at(ci) != 0;
    }
  }
  EXPECT_GT(nonzero, 12);  // the comparison is not between two all-zero outputs
}

TEST(ReferenceQConv2d, EqualsQLinearOnIm2col) { expect_conv_equals_im2col_linear(1); }
TEST(ReferenceQConv2d, GroupedEqualsBlockDiagonalQLinearOnIm2col) {
  expect_conv_equals_im2col_linear(2);
}

}  // namespace
}  // namespace qdiff::reference
