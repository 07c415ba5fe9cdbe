// A sanity check of the fault-point hooks (impl/fault_points.h), not of
// the harness that hunts for them: for each fault point, on every ISA, a
// targeted input whose result (or error kind) changes when the point is
// switched on, while the unfaulted implementation still equals reference/.
#include <gtest/gtest.h>

#include <cfloat>
#include <optional>
#include <vector>

#include "impl/quantize/affine.h"
#include "reference/choose_qparams.h"
#include "reference/dequantize.h"
#include "reference/quantize.h"
#include "tests/impl_test_cases.h"

namespace qdiff::impl {
namespace {

using testing::error_kind_of;
using testing::PrngSource;
using testing::same_tensor;
using testing::single_thread;
using testing::supported_isas;

struct Target {
  FaultPoint fault;
  Tensor input;
  QuantParams params;
  Contract contract;
};

QuantParams with_scale(Tensor scale, std::optional<std::vector<int64_t>> block = std::nullopt) {
  QuantParams p;
  p.scale = std::move(scale);
  p.block_size = std::move(block);
  p.dtype = DType::i8;
  p.quant_min = -128;
  p.quant_max = 127;
  return p;
}

Tensor iota(const Shape& shape, float step) {
  Tensor t(DType::f32, shape);
  float v = -3.0f;
  for (auto& x : t.data<float>()) x = (v += step);
  return t;
}

std::vector<Target> targets() {
  std::vector<Target> t;
  // x / 0.9f vs x * f32(1 / 0.9f): -11.25 gives -12 vs -13 (SPEC section 3).
  t.push_back({FaultPoint::divide_instead_of_reciprocal, Tensor::of<float>(Shape{3}, {-11.25f, 1, 2}),
               QuantParams::per_tensor(0.9f, 0, DType::i8, -128, 127), Contract::torchao});
  // v = 2.5 (tie), z = 1: round(2.5) + 1 = 3 vs round(3.5) = 4.
  t.push_back({FaultPoint::zero_point_before_rounding, Tensor::of<float>(Shape{2}, {1.25f, 0.0f}),
               QuantParams::per_tensor(0.5f, 1, DType::i8, -128, 127), Contract::torchao});
  // v = 2.5: even 2 vs away 3.
  t.push_back({FaultPoint::half_away_rounding, Tensor::of<float>(Shape{2}, {1.25f, 0.0f}),
               QuantParams::per_tensor(0.5f, 0, DType::i8, -128, 127), Contract::torchao});
  // round(v) = 200, z = -100: clamp(100) = 100 vs clamp(200) - 100 = 27.
  t.push_back({FaultPoint::clamp_before_zero_point, Tensor::of<float>(Shape{2}, {100.0f, 0.0f}),
               QuantParams::per_tensor(0.5f, -100, DType::i8, -128, 127), Contract::torchao});
  // 21 elements: the last 5 (scalar W = 8: 21 = 2 * 8 + 5) or all 21 (W = 16 / 8) ...
  // at least the last element is not written and stays 0 instead of 12.
  t.push_back({FaultPoint::simd_tail_dropped, iota(Shape{21}, 0.5f),
               QuantParams::per_tensor(0.5f, 0, DType::i8, -128, 127), Contract::torchao});
  // per-channel on axis 0 of [4, 8]: the fault reads scale[min(j, 3)] instead of scale[i].
  t.push_back({FaultPoint::channel_axis_off_by_one, iota(Shape{4, 8}, 0.25f),
               with_scale(Tensor::of<float>(Shape{4, 1}, {0.5f, 0.25f, 1.0f, 2.0f})), Contract::torchao});
  // input dim 10 with 3 scales is non_divisible_block; the fault accepts it.
  t.push_back({FaultPoint::floor_block_division, iota(Shape{10}, 0.5f),
               with_scale(Tensor::of<float>(Shape{3}, {0.5f, 0.25f, 1.0f})), Contract::torchao});
  // per-group [3, 8] with g = 4: row k's scales start at k * 8 (clamped) instead of k * 2.
  t.push_back({FaultPoint::wrong_block_stride, iota(Shape{3, 8}, 0.25f),
               with_scale(Tensor::of<float>(Shape{3, 2}, {0.5f, 0.25f, 1.0f, 2.0f, 4.0f, 0.125f})),
               Contract::torchao});
  // [1, 4] with a [1, 2] scale (blocks of 2): element 1 reads scale[1] instead of scale[0].
  t.push_back({FaultPoint::squeeze_unit_scale_dims, iota(Shape{1, 4}, 0.5f),
               with_scale(Tensor::of<float>(Shape{1, 2}, {0.5f, 0.25f})), Contract::torchao});
  // u8 z = 128 held as int8 is -128: x = 0 gives 128 vs clamp(-128) = 0.
  t.push_back({FaultPoint::zero_point_stored_as_int8, Tensor::of<float>(Shape{2}, {0.0f, 1.0f}),
               QuantParams::per_tensor(1.0f, 128, DType::u8, 0, 255), Contract::torchao});
  return t;
}

// Hand-worked results of the points appended in issue 5, clean and faulty.
template <typename T>
std::vector<int64_t> ints(const Tensor& t) {
  std::vector<int64_t> v;
  for (T x : t.data<T>()) v.push_back(int64_t(x));
  return v;
}
std::vector<float> floats(const Tensor& t) {
  const auto d = t.data<float>();
  return {d.begin(), d.end()};
}

TEST(ImplFaultPoints, EachPointChangesATargetedResult) {
  const auto all = targets();
  // Every quantize-core point has a target here, but choose_qparams's (its
  // own test below); the fused ones: tests/impl_fused_faults_test.cc.
  std::vector<bool> covered(size_t(FaultPoint::kCount), false);
  for (const Target& t : all) covered[size_t(t.fault)] = true;
  for (int f = 0; f < int(FaultPoint::kCount); ++f) {
    const FaultPoint point = FaultPoint(f);
    if (fault_level(point) != FaultLevel::quant_core) continue;
    if (point == FaultPoint::choose_qparams_without_eps) continue;
    EXPECT_TRUE(covered[size_t(f)]) << fault_point_name(point) << " has no target";
  }
  for (const Target& t : all) {
    const std::string what(fault_point_name(t.fault));
    for (Isa isa : supported_isas()) {
      std::optional<Tensor> clean, faulty, want;
      const auto clean_error =
          error_kind_of([&] { clean = quantize_affine(t.input, t.params, t.contract, single_thread(isa)); });
      const auto want_error = error_kind_of([&] { want = reference::quantize_affine(t.input, t.params, t.contract); });
      ASSERT_EQ(clean_error, want_error) << what;
      if (want) {
        ASSERT_TRUE(same_tensor(*want, *clean)) << what;
      }
      const auto faulty_error = error_kind_of([&] {
        faulty = quantize_affine(t.input, t.params, t.contract, single_thread(isa, FaultSet(t.fault)));
      });
      const bool changed = faulty_error != clean_error ||
                           (clean && faulty && !same_tensor(*clean, *faulty));
      EXPECT_TRUE(changed) << what << " on " << isa_name(isa) << " changes nothing";
    }
  }
}

// [1, 64] f32 ones, scale [1, 2] = {0.5, 0.25}: blocks of 32 along dim 1, K = 1.
// Clean (SPEC section 4, torchao: q = round(x * f32(1 / s))):
//   j < 32:  1 * f32(1 / 0.5)  = 2      j >= 32: 1 * f32(1 / 0.25) = 4
// Faulty: [1, 2] squeezed to [2] reads as per-channel along dim 1, element
// j uses scale min(j, 1): q = 2 at j = 0 only, 4 everywhere else.
// Dequantize of the clean q (y = q * s, SPEC section 5) gives ones; the
// faulty one reads 2 * 0.25 = 0.5 for j = 1..31. 64 elements reach the
// vector loops of every ISA (and the clamp past the last "channel").
TEST(ImplFaultPoints, SqueezeUnitScaleDimsReadsAGroupScaleAsPerChannel) {
  const QuantParams p = with_scale(Tensor::of<float>(Shape{1, 2}, {0.5f, 0.25f}));
  Tensor x(DType::f32, Shape{1, 64});
  for (auto& v : x.data<float>()) v = 1.0f;
  std::vector<int64_t> clean_q(64, 2), faulty_q(64, 4);
  for (int j = 32; j < 64; ++j) clean_q[size_t(j)] = 4;
  faulty_q[0] = 2;
  const Tensor q = reference::quantize_affine(x, p, Contract::torchao);
  ASSERT_EQ(ints<int8_t>(q), clean_q);
  std::vector<float> faulty_y(64, 1.0f);
  for (int j = 1; j < 32; ++j) faulty_y[size_t(j)] = 0.5f;
  const FaultSet fault(FaultPoint::squeeze_unit_scale_dims);
  for (Isa isa : supported_isas()) {
    SCOPED_TRACE(isa_name(isa));
    EXPECT_EQ(ints<int8_t>(quantize_affine(x, p, Contract::torchao, single_thread(isa))), clean_q);
    EXPECT_EQ(ints<int8_t>(quantize_affine(x, p, Contract::torchao, single_thread(isa, fault))),
              faulty_q);
    EXPECT_EQ(floats(dequantize_affine(q, p, Contract::torchao, single_thread(isa))),
              std::vector<float>(64, 1.0f));
    EXPECT_EQ(floats(dequantize_affine(q, p, Contract::torchao, single_thread(isa, fault))), faulty_y);
    // True per-channel along the last dim ([1, 64] scale, block 1) is what
    // the squeezed scale already means: unchanged.
    QuantParams per_channel = with_scale(Tensor(DType::f32, Shape{1, 64}));
    for (auto& s : per_channel.scale.data<float>()) s = 0.5f;
    EXPECT_TRUE(same_tensor(quantize_affine(x, per_channel, Contract::torchao, single_thread(isa)),
                            quantize_affine(x, per_channel, Contract::torchao,
                                            single_thread(isa, fault))));
  }
}

// The squeezed read, on rows of every vector-edge length and partial
// groups: [R, n] with a [1, G] scale (explicit groups of g) gives exactly
// the reference's per-channel result with scale'[j] = scale[min(j, G - 1)]
// (what "per-channel along the last dim" means once the G scales run out).
TEST(ImplFaultPoints, SqueezeUnitScaleDimsEqualsPerChannelOfTheSqueezedScale) {
  PrngSource rng(7);
  for (int64_t rows : {1, 3}) {
    for (int64_t n : {2, 7, 16, 17, 33, 64, 65}) {
      for (int64_t g : {2, 5, 16}) {
        const int64_t groups = testing::ceil_div(n, g);
        if (groups < 2) continue;
        QuantParams p = with_scale(Tensor(DType::f32, Shape{1, groups}), std::vector<int64_t>{rows, g});
        for (auto& s : p.scale.data<float>()) s = testing::pick_scale(rng);
        QuantParams squeezed = with_scale(Tensor(DType::f32, Shape{1, n}));
        for (int64_t j = 0; j < n; ++j) {
          squeezed.scale.data<float>()[size_t(j)] = p.scale.data<float>()[size_t(std::min(j, groups - 1))];
        }
        const Tensor x = testing::make_input(Shape{rows, n}, squeezed, rng);
        const Tensor want = reference::quantize_affine(x, squeezed, Contract::torchao);
        for (Isa isa : supported_isas()) {
          const Tensor got = quantize_affine(x, p, Contract::torchao,
                                             single_thread(isa, FaultSet(FaultPoint::squeeze_unit_scale_dims)));
          EXPECT_TRUE(same_tensor(want, got)) << rows << " x " << n << ", g " << g << " on " << isa_name(isa);
        }
      }
    }
  }
}

// u8 [0, 255], s = 1, z = 128 (the symmetric u8 zero point, SPEC section 6).
// Clean quantize q = clamp(round(x) + 128): x = 0, 130, 200 -> 128, 255, 255.
// Faulty z = int8_t(128) = -128: clamp(-128) = 0, 130 - 128 = 2, 72.
// Dequantize (s = 0.5) y = (q - z) * s: q = 128, 130, 0 -> 0, 1, -64 clean;
// faulty (q + 128) * 0.5 = 128, 129, 64. An i8 zero point (-5) is unchanged.
TEST(ImplFaultPoints, ZeroPointStoredAsInt8WrapsAU8ZeroPoint) {
  const Tensor x = Tensor::of<float>(Shape{3}, {0.0f, 130.0f, 200.0f});
  const QuantParams p = QuantParams::per_tensor(1.0f, 128, DType::u8, 0, 255);
  const Tensor q = Tensor::of<uint8_t>(Shape{3}, {128, 130, 0});
  const QuantParams pd = QuantParams::per_tensor(0.5f, 128, DType::u8, 0, 255);
  ASSERT_EQ(ints<uint8_t>(reference::quantize_affine(x, p, Contract::torchao)),
            (std::vector<int64_t>{128, 255, 255}));
  ASSERT_EQ(floats(reference::dequantize_affine(q, pd, Contract::torchao)),
            (std::vector<float>{0.0f, 1.0f, -64.0f}));
  const FaultSet fault(FaultPoint::zero_point_stored_as_int8);
  const QuantParams i8 = QuantParams::per_tensor(0.5f, -5, DType::i8, -128, 127);
  const Tensor xi = Tensor::of<float>(Shape{2}, {1.0f, -3.0f});
  for (Isa isa : supported_isas()) {
    SCOPED_TRACE(isa_name(isa));
    EXPECT_EQ(ints<uint8_t>(quantize_affine(x, p, Contract::torchao, single_thread(isa))),
              (std::vector<int64_t>{128, 255, 255}));
    EXPECT_EQ(ints<uint8_t>(quantize_affine(x, p, Contract::torchao, single_thread(isa, fault))),
              (std::vector<int64_t>{0, 2, 72}));
    EXPECT_EQ(floats(dequantize_affine(q, pd, Contract::torchao, single_thread(isa, fault))),
              (std::vector<float>{128.0f, 129.0f, 64.0f}));
    EXPECT_TRUE(same_tensor(quantize_affine(xi, i8, Contract::torchao, single_thread(isa)),
                            quantize_affine(xi, i8, Contract::torchao, single_thread(isa, fault))));
  }
}

// x [2, 2] = {0, 0, -127.5, 1}, blocks (1, 2), i8 [-128, 127], eps = FLT_MIN.
// symmetric (SPEC section 6): row 0 amax = 0: scale = max(0 / 127.5, eps)
// = FLT_MIN; row 1 amax = 127.5: scale = 127.5 / 127.5 = 1 (> eps).
// zero point trunc((127 - 128 + 1) / 2) = 0 for both.
// symmetric_no_clipping_err: row 0 max(0 / -128, 0 / 127) = 0 -> FLT_MIN;
// row 1 max(-127.5 / -128, 1 / 127) = f32(0.99609375) exactly (127.5 / 128).
// Faulty: row 0's scale is 0, the rest unchanged; asymmetric unaffected.
TEST(ImplFaultPoints, ChooseQParamsWithoutEpsGivesAZeroScale) {
  const Tensor x = Tensor::of<float>(Shape{2, 2}, {0.0f, 0.0f, -127.5f, 1.0f});
  ChooseQParamsArgs a;
  a.block_size = std::vector<int64_t>{1, 2};
  const FaultSet fault(FaultPoint::choose_qparams_without_eps);
  for (Mapping m : {Mapping::symmetric, Mapping::symmetric_no_clipping_err}) {
    a.mapping = m;
    const float row1 = m == Mapping::symmetric ? 1.0f : 0.99609375f;
    const ChosenQParams want = reference::choose_qparams_affine(x, a);
    ASSERT_EQ(floats(want.scale), (std::vector<float>{FLT_MIN, row1}));
    for (Isa isa : supported_isas()) {
      SCOPED_TRACE(fmt::format("{} {}", isa_name(isa), int(m)));
      const ChosenQParams clean = choose_qparams_affine(x, a, single_thread(isa));
      const ChosenQParams faulty = choose_qparams_affine(x, a, single_thread(isa, fault));
      EXPECT_EQ(floats(clean.scale), (std::vector<float>{FLT_MIN, row1}));
      EXPECT_EQ(floats(faulty.scale), (std::vector<float>{0.0f, row1}));  // -0.0 == 0.0
      ASSERT_TRUE(faulty.zero_point.has_value());
      EXPECT_EQ(ints<int32_t>(*faulty.zero_point), (std::vector<int64_t>{0, 0}));
    }
  }
  a.mapping = Mapping::asymmetric;
  for (Isa isa : supported_isas()) {
    const ChosenQParams clean = choose_qparams_affine(x, a, single_thread(isa));
    const ChosenQParams faulty = choose_qparams_affine(x, a, single_thread(isa, fault));
    EXPECT_TRUE(same_tensor(clean.scale, faulty.scale));
  }
}

// The faults stay memory-safe (ASan builds run this) on shapes where the
// wrong index would leave the scale: every fault on, many layouts.
TEST(ImplFaultPoints, AllFaultsTogetherStayInBounds) {
  FaultSet all;
  for (int f = 0; f < int(FaultPoint::kCount); ++f) all = all.with(FaultPoint(f));
  PrngSource rng(1);
  for (int64_t n : {1, 2, 3, 7, 17, 33}) {
    for (const auto& l : testing::layouts_of_size(n)) {
      for (ZeroPointDomain d : kAllDomains) {
        const QuantParams p = testing::make_params(l, testing::all_ranges()[0], d, rng);
        const Tensor x = testing::make_input(l.input, p, rng);
        const Tensor q = testing::make_quantized(l.input, p.dtype, rng);
        for (Isa isa : supported_isas()) {
          for (Contract c : kAllContracts) {
            (void)error_kind_of([&] { quantize_affine(x, p, c, single_thread(isa, all)); });
            (void)error_kind_of([&] { fake_quantize_affine(x, p, c, single_thread(isa, all)); });
            (void)error_kind_of([&] { dequantize_affine(q, p, c, single_thread(isa, all)); });
          }
        }
      }
    }
  }
  // floor division where the input dim is shorter than the scale dim, and
  // longer than twice it
  for (auto [len, scales] : {std::pair<int64_t, int64_t>{2, 3}, {10, 3}, {5, 2}}) {
    QuantParams p = with_scale(Tensor(DType::f32, Shape{2, scales}));
    for (auto& s : p.scale.data<float>()) s = 0.5f;
    const Tensor x = iota(Shape{2, len}, 0.5f);
    for (Isa isa : supported_isas()) {
      (void)error_kind_of([&] { quantize_affine(x, p, Contract::torchao, single_thread(isa, all)); });
    }
  }
}

}  // namespace
}  // namespace qdiff::impl
