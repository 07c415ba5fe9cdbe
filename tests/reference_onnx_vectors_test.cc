// Published ONNX operator test vectors for QuantizeLinear and
// DequantizeLinear (onnx/backend/test/case/node/quantizelinear.py and
// dequantizelinear.py in github.com/onnx/onnx), run through the reference
// under the onnx contract (x / s, round half to even, + zero point,
// saturate). Each expected value was re-derived by hand (comments); where the
// published list disagrees with that derivation it is said so beside it.
// ONNX's 1-D per-axis scale with `axis` becomes qdiff's full-rank scale
// ([1, .., C, .., 1]); `block_size` on `axis` becomes an explicit block_size
// with 1 on every other dim (and is checked in derived mode as well).
// The float8 cases (e4m3fn, e5m2) are out of scope (SPEC section 1).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "core/quant_params.h"
#include "reference/dequantize.h"
#include "reference/quantize.h"

namespace qdiff::reference {
namespace {

using ::testing::ElementsAreArray;

QuantParams params(Tensor scale, std::optional<Tensor> zp, DType dtype, int64_t qmin, int64_t qmax,
                   std::optional<std::vector<int64_t>> block_size = std::nullopt) {
  QuantParams p;
  p.scale = std::move(scale);
  p.zero_point = std::move(zp);
  p.dtype = dtype;
  p.quant_min = qmin;
  p.quant_max = qmax;
  p.block_size = std::move(block_size);
  return p;
}

std::vector<int64_t> ints(const Tensor& t) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t.int_at(i));
  return out;
}

std::vector<float> floats(const Tensor& t) {
  const auto d = t.data<float>();
  return {d.begin(), d.end()};
}

Tensor onnx_quantize(const Tensor& x, const QuantParams& p) {
  const Tensor q = quantize_affine(x, p, Contract::onnx);
  EXPECT_EQ(q.shape(), x.shape());
  EXPECT_EQ(q.dtype(), p.dtype);
  return q;
}

// ------------------------------------------------------------ QuantizeLinear

// test_quantizelinear (opset 10): s = 2, zp = 128, u8.
//   0 -> 0 + 128 = 128;  2 -> 1 -> 129;  3 -> 1.5 -> 2 (even) -> 130;
//   1000 -> 500 + 128 -> 255;  -254 -> -127 + 128 = 1;  -1000 -> -372 -> 0
TEST(OnnxQuantizeLinear, Basic) {
  const auto p = params(Tensor::of<float>(Shape{}, {2.0f}), Tensor::of<uint8_t>(Shape{}, {128}),
                        DType::u8, 0, 255);
  const Tensor x = Tensor::of<float>(Shape{6}, {0, 2, 3, 1000, -254, -1000});
  EXPECT_THAT(ints(onnx_quantize(x, p)), ElementsAreArray({128, 129, 130, 255, 1, 0}));
}

// test_quantizelinear_axis (opset 13): x [1, 3, 3, 2], scale (2, 4, 5) and
// zp (84, 24, 196) along axis 1 -> qdiff scale [1, 3, 1, 1]. Every x / s is
// an exact integer:
//   c0 (s 2, z 84):  -162 -> -81 + 84 = 3;  10 -> 89;  -100 -> 34;  232 -> 200;
//                    -20 -> 74;  -50 -> 59
//   c1 (s 4, z 24):  -76 -> 5;  0 -> 24;  0 -> 24;  252 -> 87;  32 -> 32;  -44 -> 13
//   c2 (s 5, z 196): 245 -> 245;  -485 -> 99;  -960 -> 4;  -270 -> 142;
//                    -375 -> 121;  -470 -> 102
TEST(OnnxQuantizeLinear, Axis) {
  const auto p = params(Tensor::of<float>(Shape{1, 3, 1, 1}, {2, 4, 5}),
                        Tensor::of<uint8_t>(Shape{1, 3, 1, 1}, {84, 24, 196}), DType::u8, 0, 255);
  const Tensor x = Tensor::of<float>(
      Shape{1, 3, 3, 2},
      {-162, 10, -100, 232, -20, -50, -76, 0, 0, 252, 32, -44, 245, -485, -960, -270, -375, -470});
  EXPECT_THAT(ints(onnx_quantize(x, p)), ElementsAreArray({3, 89, 34, 200, 74, 59, 5, 24, 24, 87,
                                                           32, 13, 245, 99, 4, 142, 121, 102}));
}

// test_quantizelinear_uint16 (opset 21): s = 2, zp = 32767, u16.
//   0 -> 32767;  -128 -> -64 -> 32703;  3 -> 1.5 -> 2 -> 32769;  -3 -> -2 -> 32765;
//   2.9 -> 1.45 -> 1 -> 32768;  -2.9 -> -1 -> 32766;  3.1 -> 1.55 -> 2 -> 32769;
//   -3.1 -> -2 -> 32765;  65536 -> 32768 + 32767 = 65535;
//   -65534 -> -32767 + 32767 = 0;  70000 -> 65535 (sat);  -70000 -> 0 (sat)
TEST(OnnxQuantizeLinear, Uint16) {
  const auto p = params(Tensor::of<float>(Shape{}, {2.0f}), Tensor::of<uint16_t>(Shape{}, {32767}),
                        DType::u16, 0, 65535);
  const Tensor x = Tensor::of<float>(Shape{12}, {0.0f, -128.0f, 3.0f, -3.0f, 2.9f, -2.9f, 3.1f,
                                                 -3.1f, 65536.0f, -65534.0f, 70000.0f, -70000.0f});
  EXPECT_THAT(ints(onnx_quantize(x, p)), ElementsAreArray({32767, 32703, 32769, 32765, 32768, 32766,
                                                           32769, 32765, 65535, 0, 65535, 0}));
}

// test_quantizelinear_int16 (opset 21): s = 2, zp = 256, i16.
//   0 -> 256;  -514 -> -257 + 256 = -1;  ±3 -> ±1.5 -> ±2 -> 258, 254;
//   ±2.9 -> ±1 -> 257, 255;  ±3.1 -> ±2 -> 258, 254;
//   65022 -> 32511 + 256 = 32767;  -66046 -> -33023 + 256 = -32767;
//   65023 -> 32511.5 -> 32512 (even) + 256 = 32768 -> 32767 (sat);
//   -66047 -> -33023.5 -> -33024 (even) + 256 = -32768;
//   65024 -> 32768 -> 32767 (sat);  -66048 -> -33024 + 256 = -32768;
//   ±70000 -> saturate
TEST(OnnxQuantizeLinear, Int16) {
  const auto p = params(Tensor::of<float>(Shape{}, {2.0f}), Tensor::of<int16_t>(Shape{}, {256}),
                        DType::i16, -32768, 32767);
  const Tensor x = Tensor::of<float>(
      Shape{16}, {0.0f, -514.0f, 3.0f, -3.0f, 2.9f, -2.9f, 3.1f, -3.1f, 65022.0f, -66046.0f,
                  65023.0f, -66047.0f, 65024.0f, -66048.0f, 70000.0f, -70000.0f});
  EXPECT_THAT(ints(onnx_quantize(x, p)),
              ElementsAreArray({256, -1, 258, 254, 257, 255, 258, 254, 32767, -32767, 32767, -32768,
                                32767, -32768, 32767, -32768}));
}

// test_quantizelinear_uint4 (opset 21): x [3, 4], scale (2, 3, 4) on axis 0
// -> qdiff [3, 1]; zp 1 everywhere; u4 = u8 storage with [0, 15].
//   row 0 (s 2): 0 -> 1;  2.5 -> 1.25 -> 1 -> 2;  4.8 -> 2.4 -> 2 -> 3;  8.6 -> 4.3 -> 5
//   row 1 (s 3): -30 -> -10 + 1 = -9 -> 0;  -20 -> -6.67 -> -7 + 1 = -6 -> 0;
//                6 -> 3;  9 -> 4
//   row 2 (s 4): 12 -> 4;  15 -> 3.75 -> 4 -> 5;  16 -> 5;  40 -> 11
// The published list writes -1, -1 for the two saturated row-1 values, which
// are not uint4 values; saturation gives 0 (as ONNX's reference
// implementation does), and that is what is checked.
TEST(OnnxQuantizeLinear, Uint4) {
  const auto p = params(Tensor::of<float>(Shape{3, 1}, {2, 3, 4}),
                        Tensor::of<uint8_t>(Shape{3, 1}, {1, 1, 1}), DType::u8, 0, 15);
  const Tensor x =
      Tensor::of<float>(Shape{3, 4}, {0.0f, 2.5f, 4.8f, 8.6f, -30, -20, 6, 9, 12, 15, 16, 40});
  EXPECT_THAT(ints(onnx_quantize(x, p)), ElementsAreArray({1, 2, 3, 5, 0, 0, 3, 4, 4, 5, 5, 11}));
}

// test_quantizelinear_int4 (opset 21): same x and scales, zp 1, i4 [-8, 7]:
//   row 1: -9 -> -8 (sat);  -6;  3;  4.   row 2: 4;  5;  5;  11 -> 7 (sat)
TEST(OnnxQuantizeLinear, Int4) {
  const auto p = params(Tensor::of<float>(Shape{3, 1}, {2, 3, 4}),
                        Tensor::of<int8_t>(Shape{3, 1}, {1, 1, 1}), DType::i8, -8, 7);
  const Tensor x =
      Tensor::of<float>(Shape{3, 4}, {0.0f, 2.5f, 4.8f, 8.6f, -30, -20, 6, 9, 12, 15, 16, 40});
  EXPECT_THAT(ints(onnx_quantize(x, p)), ElementsAreArray({1, 2, 3, 5, -8, -6, 3, 4, 4, 5, 5, 7}));
}

// test_quantizelinear_blocked_asymmetric (opset 21): x [3, 4], axis 1,
// block_size 2 -> scale [3, 2], qdiff block_size (1, 2); u8.
//   row 0 (s 1.5, 2.5; z 0, 1): 6 / 1.5 = 4;  12 / 1.5 = 8;  50 / 2.5 = 20 + 1 = 21;
//                               5 / 2.5 = 2 + 1 = 3
//   row 1 (s 3, 4.9; z 1, 0):   1 / 3 = 0.33 -> 0 + 1 = 1;  8 / 3 = 2.67 -> 3 + 1 = 4;
//                               4 / 4.9 = 0.82 -> 1;  5 / 4.9 = 1.02 -> 1
//   row 2 (s 5.1, 6.9; z 2, 3): 0 -> 2;  20 / 5.1 = 3.92 -> 4 + 2 = 6;
//                               10 / 6.9 = 1.45 -> 1 + 3 = 4;  4 / 6.9 = 0.58 -> 1 + 3 = 4
TEST(OnnxQuantizeLinear, BlockedAsymmetric) {
  const Tensor scale = Tensor::of<float>(Shape{3, 2}, {1.5f, 2.5f, 3.0f, 4.9f, 5.1f, 6.9f});
  const Tensor zp = Tensor::of<uint8_t>(Shape{3, 2}, {0, 1, 1, 0, 2, 3});
  const Tensor x = Tensor::of<float>(Shape{3, 4}, {6, 12, 50, 5, 1, 8, 4, 5, 0, 20, 10, 4});
  const std::vector<int64_t> want{4, 8, 21, 3, 1, 4, 1, 1, 2, 6, 4, 4};
  EXPECT_THAT(
      ints(onnx_quantize(x, params(scale, zp, DType::u8, 0, 255, std::vector<int64_t>{1, 2}))),
      ElementsAreArray(want));
  EXPECT_THAT(ints(onnx_quantize(x, params(scale, zp, DType::u8, 0, 255))), ElementsAreArray(want));
}

// test_quantizelinear_blocked_symmetric (opset 21): same scales, no zero
// point, int16 output.
//   row 0: 6 / 1.5 = 4;  -8 / 1.5 = -5.33 -> -5;  -10 / 2.5 = -4;  5 / 2.5 = 2
//   row 1: 0;  3;  1;  1.   row 2: 0;  4;  1;  1
TEST(OnnxQuantizeLinear, BlockedSymmetric) {
  const Tensor scale = Tensor::of<float>(Shape{3, 2}, {1.5f, 2.5f, 3.0f, 4.9f, 5.1f, 6.9f});
  const Tensor x = Tensor::of<float>(Shape{3, 4}, {6, -8, -10, 5, 1, 8, 4, 5, 0, 20, 10, 4});
  const auto p = params(scale, std::nullopt, DType::i16, -32768, 32767, std::vector<int64_t>{1, 2});
  EXPECT_THAT(ints(onnx_quantize(x, p)), ElementsAreArray({4, -5, -4, 2, 0, 3, 1, 1, 0, 4, 1, 1}));
}

// ------------------------------------------------------------ DequantizeLinear

// test_dequantizelinear (opset 10): u8, s = 2, zp = 128:
//   (0 - 128) * 2 = -256;  (3 - 128) * 2 = -250;  0;  (255 - 128) * 2 = 254
TEST(OnnxDequantizeLinear, Basic) {
  const auto p = params(Tensor::of<float>(Shape{}, {2.0f}), Tensor::of<uint8_t>(Shape{}, {128}),
                        DType::u8, 0, 255);
  const Tensor y =
      dequantize_affine(Tensor::of<uint8_t>(Shape{4}, {0, 3, 128, 255}), p, Contract::onnx);
  EXPECT_THAT(floats(y), ElementsAreArray({-256.0f, -250.0f, 0.0f, 254.0f}));
}

// test_dequantizelinear_axis (opset 13): the inverse of the quantize axis
// case, (q - z) * s per channel of axis 1:
//   c0 (z 84, s 2):  (3 - 84) * 2 = -162;  10;  -100;  232;  -20;  -50
//   c1 (z 24, s 4):  (5 - 24) * 4 = -76;  0;  0;  252;  32;  -44
//   c2 (z 196, s 5): (245 - 196) * 5 = 245;  -485;  -960;  -270;  -375;  -470
TEST(OnnxDequantizeLinear, Axis) {
  const auto p = params(Tensor::of<float>(Shape{1, 3, 1, 1}, {2, 4, 5}),
                        Tensor::of<uint8_t>(Shape{1, 3, 1, 1}, {84, 24, 196}), DType::u8, 0, 255);
  const Tensor q = Tensor::of<uint8_t>(Shape{1, 3, 3, 2}, {3, 89, 34, 200, 74, 59, 5, 24, 24, 87,
                                                           32, 13, 245, 99, 4, 142, 121, 102});
  EXPECT_THAT(
      floats(dequantize_affine(q, p, Contract::onnx)),
      ElementsAreArray({-162.0f, 10.0f, -100.0f, 232.0f, -20.0f, -50.0f, -76.0f, 0.0f, 0.0f, 252.0f,
                        32.0f, -44.0f, 245.0f, -485.0f, -960.0f, -270.0f, -375.0f, -470.0f}));
}

// test_dequantizelinear_uint16 (opset 21): s = 2, zp = 32767:
//   (30000 - 32767) * 2 = -5534;  (31000 - 32767) * 2 = -3534;  1 * 2 = 2;  233 * 2 = 466
TEST(OnnxDequantizeLinear, Uint16) {
  const auto p = params(Tensor::of<float>(Shape{}, {2.0f}), Tensor::of<uint16_t>(Shape{}, {32767}),
                        DType::u16, 0, 65535);
  const Tensor q = Tensor::of<uint16_t>(Shape{4}, {30000, 31000, 32768, 33000});
  EXPECT_THAT(floats(dequantize_affine(q, p, Contract::onnx)),
              ElementsAreArray({-5534.0f, -3534.0f, 2.0f, 466.0f}));
}

// test_dequantizelinear_int16 (opset 21): s = 2, zp = -1024:
//   (-300 + 1024) * 2 = 1448;  (-30 + 1024) * 2 = 1988;  -1 * 2 = -2;  2294 * 2 = 4588
TEST(OnnxDequantizeLinear, Int16) {
  const auto p = params(Tensor::of<float>(Shape{}, {2.0f}), Tensor::of<int16_t>(Shape{}, {-1024}),
                        DType::i16, -32768, 32767);
  const Tensor q = Tensor::of<int16_t>(Shape{4}, {-300, -30, -1025, 1270});
  EXPECT_THAT(floats(dequantize_affine(q, p, Contract::onnx)),
              ElementsAreArray({1448.0f, 1988.0f, -2.0f, 4588.0f}));
}

// test_dequantizelinear_uint4 (opset 21): s = 2, zp = 1:
//   (0 - 1) * 2 = -2;  0;  12;  18;  28
TEST(OnnxDequantizeLinear, Uint4) {
  const auto p = params(Tensor::of<float>(Shape{}, {2.0f}), Tensor::of<uint8_t>(Shape{}, {1}),
                        DType::u8, 0, 15);
  const Tensor q = Tensor::of<uint8_t>(Shape{5}, {0, 1, 7, 10, 15});
  EXPECT_THAT(floats(dequantize_affine(q, p, Contract::onnx)),
              ElementsAreArray({-2.0f, 0.0f, 12.0f, 18.0f, 28.0f}));
}

// test_dequantizelinear_int4 (opset 21): s = 2, zp = 1:
//   (0 - 1) * 2 = -2;  0;  12;  (-4 - 1) * 2 = -10;  (-8 - 1) * 2 = -18
TEST(OnnxDequantizeLinear, Int4) {
  const auto p = params(Tensor::of<float>(Shape{}, {2.0f}), Tensor::of<int8_t>(Shape{}, {1}),
                        DType::i8, -8, 7);
  const Tensor q = Tensor::of<int8_t>(Shape{5}, {0, 1, 7, -4, -8});
  EXPECT_THAT(floats(dequantize_affine(q, p, Contract::onnx)),
              ElementsAreArray({-2.0f, 0.0f, 12.0f, -10.0f, -18.0f}));
}

// test_dequantizelinear_blocked (opset 21): x [1, 4, 3, 2] u8, axis 1,
// block_size 2 -> scale and zp [1, 2, 3, 2], qdiff block_size (1, 2, 1, 1).
// Channels 0-1 use scale block 0 ((3, 2), (4, 1), (2, 2)) and zp ((1, 0),
// (0, 1), (2, 20)); channels 2-3 use ((5, 2), (4, 3), (5, 2)) and ((3, 2),
// (4, 3), (15, 2)):
//   c0: (3-1)*3 = 6;  (89-0)*2 = 178;  (34-0)*4 = 136;  (200-1)*1 = 199;
//       (74-2)*2 = 144;  (59-20)*2 = 78
//   c1: (5-1)*3 = 12;  24*2 = 48;  24*4 = 96;  (87-1)*1 = 86;  (32-2)*2 = 60;
//       (13-20)*2 = -14
//   c2: (5-3)*5 = 10;  (12-2)*2 = 20;  (12-4)*4 = 32;  (33-3)*3 = 90;
//       (65-15)*5 = 250;  (42-2)*2 = 80
//   c3: (245-3)*5 = 1210;  (99-2)*2 = 194;  (4-4)*4 = 0;  (142-3)*3 = 417;
//       (121-15)*5 = 530;  (102-2)*2 = 200
TEST(OnnxDequantizeLinear, Blocked) {
  const Tensor scale = Tensor::of<float>(Shape{1, 2, 3, 2}, {3, 2, 4, 1, 2, 2, 5, 2, 4, 3, 5, 2});
  const Tensor zp = Tensor::of<uint8_t>(Shape{1, 2, 3, 2}, {1, 0, 0, 1, 2, 20, 3, 2, 4, 3, 15, 2});
  const Tensor q =
      Tensor::of<uint8_t>(Shape{1, 4, 3, 2}, {3, 89, 34, 200, 74, 59, 5,   24, 24, 87,  32,  13,
                                              5, 12, 12, 33,  65, 42, 245, 99, 4,  142, 121, 102});
  const std::vector<float> want{6,  178, 136, 199, 144, 78, 12,   48,  96, 86,  60,  -14,
                                10, 20,  32,  90,  250, 80, 1210, 194, 0,  417, 530, 200};
  EXPECT_THAT(floats(dequantize_affine(
                  q, params(scale, zp, DType::u8, 0, 255, std::vector<int64_t>{1, 2, 1, 1}),
                  Contract::onnx)),
              ElementsAreArray(want));
  EXPECT_THAT(floats(dequantize_affine(q, params(scale, zp, DType::u8, 0, 255), Contract::onnx)),
              ElementsAreArray(want));
}

}  // namespace
}  // namespace qdiff::reference
