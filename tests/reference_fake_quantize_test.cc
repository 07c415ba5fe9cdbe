// Golden tests of reference fake_quantize_affine (SPEC section 7):
// y = dequantize(quantize(x)) with the same params, in f32, no storage cast
// in between. Values worked by hand; sources in docs/golden-vectors.md.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "core/float_bits.h"
#include "core/quant_params.h"
#include "reference/dequantize.h"
#include "reference/fake_quantize.h"
#include "reference/quantize.h"

namespace qdiff::reference {
namespace {

using ::testing::ElementsAre;

constexpr float kInf = std::numeric_limits<float>::infinity();

QuantParams per_tensor(float s, std::optional<Tensor> zp, DType dtype = DType::i8,
                       int64_t qmin = -128, int64_t qmax = 127,
                       ZeroPointDomain domain = ZeroPointDomain::int_domain) {
  QuantParams p;
  p.scale = Tensor::of<float>(Shape{}, {s});
  p.zero_point = std::move(zp);
  p.dtype = dtype;
  p.quant_min = qmin;
  p.quant_max = qmax;
  p.zero_point_domain = domain;
  return p;
}

std::vector<float> fake_quantize(const std::vector<float>& x, const QuantParams& p,
                                 Contract c = Contract::torchao) {
  const Tensor y = fake_quantize_affine(Tensor::of<float>(Shape{int64_t(x.size())}, x), p, c);
  EXPECT_EQ(y.dtype(), DType::f32);
  EXPECT_EQ(y.shape(), (Shape{int64_t(x.size())}));
  const auto d = y.data<float>();
  return {d.begin(), d.end()};
}

// i8, s = 0.5, z = 3 (torchao, 1/s = 2):
//   0.25:  v = 0.5 -> 0, + 3 = 3 -> (3 - 3) * 0.5 = +0.0
//   0.3:   v = f32(0.3) * 2 = 0.6000000238 -> 1, + 3 = 4 -> 0.5
//   -100:  v = -200 -> -197 -> clamp -128 -> (-128 - 3) * 0.5 = -65.5
//   1e38:  v = 2e38 (finite) -> clamp 127 -> (127 - 3) * 0.5 = 62
//   -inf:  -> -128 -> -65.5
//   -0.0:  -> 3 -> +0.0 (positive zero: f32(3 - 3) = +0)
TEST(FakeQuantize, IntDomainRoundTripWithSaturation) {
  const auto p = per_tensor(0.5f, Tensor::of<int32_t>(Shape{}, {3}));
  const auto y = fake_quantize({0.25f, 0.3f, -100.0f, 1e38f, -kInf, -0.0f}, p);
  EXPECT_THAT(y, ElementsAre(0.0f, 0.5f, -65.5f, 62.0f, -65.5f, 0.0f));
  EXPECT_EQ(f32_bits(y[0]), 0u);
  EXPECT_EQ(f32_bits(y[5]), 0u);
}

// The contract decides q, hence y. s = f32(0.9), x = -11.25 (SPEC section 3):
//   torchao q = -13 -> -13 * 0x1.ccccccp-1 = -11.69999969 -> f32 -0x1.766666p+3
//   onnx    q = -12 -> -12 * 0x1.ccccccp-1 = -10.79999971 -> f32 -0x1.599998p+3
TEST(FakeQuantize, ContractDecidesTheResult) {
  const auto p = per_tensor(0.9f, std::nullopt);
  EXPECT_EQ(f32_bits(fake_quantize({-11.25f}, p, Contract::torchao)[0]), f32_bits(-0x1.766666p+3f));
  EXPECT_EQ(f32_bits(fake_quantize({-11.25f}, p, Contract::onnx)[0]), f32_bits(-0x1.599998p+3f));
  EXPECT_EQ(f32_bits(fake_quantize({-11.25f}, p, Contract::half_away)[0]),
            f32_bits(-0x1.766666p+3f));
}

// none domain: s = 0.5: 0.3 -> 0.6 -> 1 -> 0.5;  -0.2 -> -0.4 -> 0 -> +0.0.
TEST(FakeQuantize, NoneDomain) {
  const auto p = per_tensor(0.5f, std::nullopt, DType::i8, -128, 127, ZeroPointDomain::none);
  const auto y = fake_quantize({0.3f, -0.2f}, p);
  EXPECT_THAT(y, ElementsAre(0.5f, 0.0f));
  EXPECT_EQ(f32_bits(y[1]), 0u);
}

// float domain, u4, s = 0.5, z = 1 (min_val = -3, mid = 8):
//   0.25 -> 6.5 -> 6 -> (6 - 8) * 0.5 + 1 = 0;  10 -> 26 -> 15 -> 4.5;
//   -0.9 -> 4.2 -> 4 -> -1
TEST(FakeQuantize, FloatDomain) {
  const auto p = per_tensor(0.5f, Tensor::of<float>(Shape{}, {1.0f}), DType::u8, 0, 15,
                            ZeroPointDomain::float_domain);
  EXPECT_THAT(fake_quantize({0.25f, 10.0f, -0.9f}, p), ElementsAre(0.0f, 4.5f, -1.0f));
}

// Grid points (q - z) * s are fixed points: s = 0.25, z = -2, u4-like range
// [-8, 7]: q = -8..7 -> x = (q + 2) * 0.25 -> same x back.
TEST(FakeQuantize, GridPointsAreFixedPoints) {
  const auto p = per_tensor(0.25f, Tensor::of<int32_t>(Shape{}, {-2}), DType::i8, -8, 7);
  std::vector<float> grid;
  for (int q = -8; q <= 7; ++q) grid.push_back(float(q + 2) * 0.25f);
  for (Contract c : kAllContracts) {
    EXPECT_EQ(fake_quantize(grid, p, c), grid) << contract_name(c);
  }
}

// Structural: identical to quantize then dequantize, element for element, for
// a per-group layout under every contract.
TEST(FakeQuantize, EqualsQuantizeThenDequantize) {
  QuantParams p;
  p.scale = Tensor::of<float>(Shape{2, 2}, {0.9f, 0.3f, 0.6f, 0.1f});
  p.zero_point = Tensor::of<int32_t>(Shape{2, 2}, {0, -3, 5, 127});
  const Tensor x =
      Tensor::of<float>(Shape{2, 4}, {-11.25f, 4.5f, -38.25f, 0.05f, 4.5f, -1e30f, 0.15f, -0.25f});
  for (Contract c : kAllContracts) {
    const Tensor fq = fake_quantize_affine(x, p, c);
    const Tensor qdq = dequantize_affine(quantize_affine(x, p, c), p, c);
    EXPECT_TRUE(fq.bitwise_equal(qdq)) << contract_name(c);
  }
}

}  // namespace
}  // namespace qdiff::reference
