// Published vectors for the fused operators: the ONNX QLinearMatMul and
// QLinearConv node tests (github.com/onnx/onnx, onnx/backend/test/case/node/
// qlinearmatmul.py and qlinearconv.py). Every expected value was re-derived
// with a throwaway program that computes SPEC section 8's ideal value (f32
// dq(), exact sum, one round half to even); the distances to the nearest
// rounding boundary are in the comments. ONNX requantizes differently
// (integer sum times f32(a_scale * b_scale / y_scale)), which can only differ
// from the ideal value near a boundary: the nearest one here is 0.054 away.
// Where a published int8 output is not saturated (it wraps modulo 256), the
// SPEC's saturated value is expected instead; see docs/golden-vectors.md.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "reference/fused_ops.h"
#include "tests/reference_fused_test_util.h"

namespace qdiff::reference {
namespace {

using ::testing::ElementsAre;
using namespace fused_test;

// ONNX's b is [In, K] (numpy matmul); qlinear's w is [K, In]: transpose.
template <typename T>
std::vector<T> transpose_4x3(const std::vector<T>& b) {
  std::vector<T> w;
  for (int k = 0; k < 3; ++k) {
    for (int j = 0; j < 4; ++j) w.push_back(b[size_t(j * 3 + k)]);
  }
  return w;
}

const std::vector<uint8_t> kA = {208, 236, 0, 238, 3, 214, 255, 29};
const std::vector<uint8_t> kB = {152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247};

// test_qlinearmatmul_2D_uint8_float32 (opset 21; test_qlinearmatmul_2D at opset 10):
// a [2, 4] u8 s = 0.0066 z = 113, b [4, 3] u8 s = 0.00705 z = 114, y s = 0.0107 z = 118.
// Ideal y / s_y: 49.900, -3.383, 136.555, -117.038, -51.627, 32.671
//   + 118 -> 167.900, 114.617, 254.555, 0.962, 66.373, 150.671
//   -> 168, 115, 255, 1, 66, 151 (published: the same)
TEST(ReferenceFusedOnnxVectors, QLinearMatMul2DUint8) {
  QLinearArgs a;
  a.x = u8({2, 4}, kA);
  a.x_params = per_tensor(0.0066f, 113, "u8");
  a.w = u8({3, 4}, transpose_4x3(kB));
  a.w_params = per_tensor(0.00705f, 114, "u8");
  a.out_params = per_tensor(0.0107f, 118, "u8");
  EXPECT_THAT(ints(qlinear(a).output), ElementsAre(168, 115, 255, 1, 66, 151));
}

// test_qlinearmatmul_3D_uint8_float32: the same rows twice in a batch ([2, 2, 4]) against
// the same b twice ([2, 4, 3]); qlinear's single w is that b -> output [2, 2, 3].
TEST(ReferenceFusedOnnxVectors, QLinearMatMul3DUint8) {
  QLinearArgs a;
  std::vector<uint8_t> x = kA;
  x.insert(x.end(), kA.begin(), kA.end());
  a.x = u8({2, 2, 4}, x);
  a.x_params = per_tensor(0.0066f, 113, "u8");
  a.w = u8({3, 4}, transpose_4x3(kB));
  a.w_params = per_tensor(0.00705f, 114, "u8");
  a.out_params = per_tensor(0.0107f, 118, "u8");
  const IdealResult r = qlinear(a);
  EXPECT_EQ(r.output.shape(), (Shape{2, 2, 3}));
  EXPECT_THAT(ints(r.output),
              ElementsAre(168, 115, 255, 1, 66, 151, 168, 115, 255, 1, 66, 151));
}

// The int8 variants subtract 127 from the uint8 data and cast to int8, so 255 - 127 = 128
// wraps to -128 (a[1][2] and b[1][2]):
const std::vector<int8_t> kA8 = {81, 109, -127, 111, -124, 87, -128, -98};
const std::vector<int8_t> kB8 = {25, -76, 117, -67, -101, -128, -127, 0, 119, 0, 127, 120};

// test_qlinearmatmul_2D_int8_float32: zero points 113 - 127 = -14, 114 - 127 = -13,
// 118 - 127 = -9. Ideal y / s_y: 49.900, -3.383, -0.374, 9.871, -66.099, -226.714
//   + (-9) -> 40.900, -12.383, -9.374, 0.871, -75.099, -235.714
//   -> 41, -12, -9, 1, -75, and -236 saturates to -128.
// The published file has 20 for the last one: -236 wrapped modulo 256, not saturated.
// SPEC section 8 clamps (as does ONNX's own reference, np.clip in op_qlinear_matmul.py).
TEST(ReferenceFusedOnnxVectors, QLinearMatMul2DInt8) {
  QLinearArgs a;
  a.x = i8({2, 4}, kA8);
  a.x_params = per_tensor(0.0066f, -14);
  a.w = i8({3, 4}, transpose_4x3(kB8));
  a.w_params = per_tensor(0.00705f, -13);
  a.out_params = per_tensor(0.0107f, -9);
  EXPECT_THAT(ints(qlinear(a).output), ElementsAre(41, -12, -9, 1, -75, -128));
}

// test_qlinearmatmul_3D_int8_float32: as 2D, except that b's zero point is 114 (not
// shifted). Ideal y / s_y: -77.122, -130.406, -127.397, 124.192, 48.222, -112.394
//   + (-9) -> -86.122, -139.406, -136.397, 115.192, 39.222, -121.394
//   -> -86, -128 (saturated), -128 (saturated), 115, 39, -121.
// Published: -86, 117, 120, 115, 39, -121: 117 = -139 + 256 and 120 = -136 + 256 wrap.
TEST(ReferenceFusedOnnxVectors, QLinearMatMul3DInt8) {
  QLinearArgs a;
  std::vector<int8_t> x = kA8;
  x.insert(x.end(), kA8.begin(), kA8.end());
  a.x = i8({2, 2, 4}, x);
  a.x_params = per_tensor(0.0066f, -14);
  a.w = i8({3, 4}, transpose_4x3(kB8));
  a.w_params = per_tensor(0.00705f, 114);
  a.out_params = per_tensor(0.0107f, -9);
  EXPECT_THAT(ints(qlinear(a).output),
              ElementsAre(-86, -128, -128, 115, 39, -121, -86, -128, -128, 115, 39, -121));
}

// The ONNX QLinearConv node test (onnx/backend/test/case/node/qlinearconv.py,
// test_qlinearconv, opset 10): a 1x1 kernel on a 7x7 u8 image. w = 0 with zero point 255:
// dq(w) = f32(-255 * 0.00172794575) = -0x1.c33382p-2; each output is
// round(dq(x) * dq(w) / 0.00162681262) + 123 = round(-(x - 132) * 0.99999995) + 123, i.e.
// 255 - x: the multiplier is within 6e-8 of -1, so every ideal value lies within 1e-5 of
// an integer (no tie is near) and the ideal result equals the published one (all 49
// re-derived with a throwaway program).
TEST(ReferenceQConv2d, OnnxQLinearConvVector) {
  QConv2dArgs a;
  a.x = u8({1, 1, 7, 7},
           {255, 174, 162, 25,  203, 168, 58,  15,  59,  237, 95,  129, 0,   64,  56,  242, 153,
            221, 168, 12,  166, 232, 178, 186, 195, 237, 162, 237, 188, 39,  124, 77,  80,  102,
            43,  127, 230, 21,  83,  41,  40,  134, 255, 154, 92,  141, 42,  148, 247});
  a.x_params = per_tensor(0.00369204697f, 132, "u8");
  a.w = u8({1, 1, 1, 1}, {0});
  a.w_params = with_scale({1, 1, 1, 1}, {0.00172794575f}, std::vector<int32_t>{255}, "u8");
  a.out_params = per_tensor(0.00162681262f, 123, "u8");
  const IdealResult r = qconv2d(a);
  EXPECT_EQ(r.output.shape(), (Shape{1, 1, 7, 7}));
  EXPECT_THAT(ints(r.output),
              ElementsAre(0, 81, 93, 230, 52, 87, 197, 240, 196, 18, 160, 126, 255, 191, 199, 13,
                          102, 34, 87, 243, 89, 23, 77, 69, 60, 18, 93, 18, 67, 216, 131, 178,
                          175, 153, 212, 128, 25, 234, 172, 214, 215, 121, 0, 101, 163, 114,
                          213, 107, 8));
}

}  // namespace
}  // namespace qdiff::reference
