// A sanity check of the fault-point hooks (impl/fault_points.h), not of
// the harness that hunts for them: for each fault point, on every ISA, a
// targeted input whose result (or error kind) changes when the point is
// switched on, while the unfaulted implementation still equals reference/.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "impl/quantize/affine.h"
#include "reference/quantize.h"
#include "tests/impl_test_cases.h"

namespace qdiff::impl {
namespace {

using testing::error_of;
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
  return t;
}

TEST(ImplFaultPoints, EachPointChangesATargetedResult) {
  const auto all = targets();
  // The quantize core's points; the fused ones: tests/impl_fused_faults_test.cc.
  ASSERT_EQ(all.size(), size_t(kFirstFusedFaultPoint));
  for (const Target& t : all) {
    const std::string what(fault_point_name(t.fault));
    for (Isa isa : supported_isas()) {
      std::optional<Tensor> clean, faulty, want;
      const auto clean_error =
          error_of([&] { clean = quantize_affine(t.input, t.params, t.contract, single_thread(isa)); });
      const auto want_error = error_of([&] { want = reference::quantize_affine(t.input, t.params, t.contract); });
      ASSERT_EQ(clean_error, want_error) << what;
      if (want) {
        ASSERT_TRUE(same_tensor(*want, *clean)) << what;
      }
      const auto faulty_error = error_of([&] {
        faulty = quantize_affine(t.input, t.params, t.contract, single_thread(isa, FaultSet(t.fault)));
      });
      const bool changed = faulty_error != clean_error ||
                           (clean && faulty && !same_tensor(*clean, *faulty));
      EXPECT_TRUE(changed) << what << " on " << isa_name(isa) << " changes nothing";
    }
  }
}

// The faults stay memory-safe (ASan builds run this) on shapes where the
// wrong index would leave the scale: every fault on, many layouts.
TEST(ImplFaultPoints, AllFaultsTogetherStayInBounds) {
  FaultSet all;
  for (int f = 0; f < int(FaultPoint::kCount); ++f) all = all.with(FaultPoint(f));
  std::mt19937 rng(1);
  for (int64_t n : {1, 2, 3, 7, 17, 33}) {
    for (const auto& l : testing::layouts_of_size(n)) {
      for (ZeroPointDomain d : kAllDomains) {
        const QuantParams p = testing::make_params(l, testing::all_ranges()[0], d, rng);
        const Tensor x = testing::make_input(l.input, p, rng);
        const Tensor q = testing::make_quantized(l.input, p.dtype, rng);
        for (Isa isa : supported_isas()) {
          for (Contract c : kAllContracts) {
            (void)error_of([&] { quantize_affine(x, p, c, single_thread(isa, all)); });
            (void)error_of([&] { fake_quantize_affine(x, p, c, single_thread(isa, all)); });
            (void)error_of([&] { dequantize_affine(q, p, c, single_thread(isa, all)); });
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
      (void)error_of([&] { quantize_affine(x, p, Contract::torchao, single_thread(isa, all)); });
    }
  }
}

}  // namespace
}  // namespace qdiff::impl
