// impl choose_qparams_affine against reference/ bit for bit (SPEC sections
// 6 and 9): every mapping, domain and range, block layouts from one block
// to one element per block, sizes around the vector widths, every ISA,
// threads 1 vs 2, non-finite inputs, and the one place where the sign of a
// zero block minimum reaches an output.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "impl/quantize/affine.h"
#include "reference/choose_qparams.h"
#include "tests/impl_test_cases.h"

namespace qdiff::impl {
namespace {

using testing::error_kind_of;
using testing::same_tensor;
using testing::single_thread;
using testing::supported_isas;

void expect_same_choice(const Tensor& x, const ChooseQParamsArgs& a, const ImplOptions& o,
                        const std::string& what) {
  std::optional<ChosenQParams> want, got;
  const auto want_error = error_kind_of([&] { want = reference::choose_qparams_affine(x, a); });
  const auto got_error = error_kind_of([&] { got = choose_qparams_affine(x, a, o); });
  ASSERT_EQ(want_error, got_error) << what;
  if (!want) return;
  ASSERT_TRUE(same_tensor(want->scale, got->scale)) << "scale " << what;
  ASSERT_EQ(want->zero_point.has_value(), got->zero_point.has_value()) << what;
  if (want->zero_point) {
    ASSERT_TRUE(same_tensor(*want->zero_point, *got->zero_point)) << "zp " << what;
  }
}

Tensor random_input(const Shape& shape, std::mt19937& rng) {
  Tensor x(DType::f32, shape);
  std::uniform_real_distribution<float> u(-4.0f, 4.0f);
  for (auto& v : x.data<float>()) {
    switch (rng() % 10) {
      case 0: v = 0.0f; break;
      case 1: v = -0.0f; break;
      case 2: v = u(rng) * 1e30f; break;
      default: v = u(rng);
    }
  }
  return x;
}

struct BlockCase {
  Shape input;
  std::optional<std::vector<int64_t>> block;
};

std::vector<BlockCase> block_cases(int64_t n) {
  return {{{n}, std::nullopt},
          {{3, n}, std::vector<int64_t>{1, n == 0 ? 1 : n}},
          {{3, n}, std::vector<int64_t>{3, 1}},
          {{n, 4}, std::vector<int64_t>{1, 2}},
          {{2, 4 * n}, std::vector<int64_t>{1, 4}},
          {{2, 3, n}, std::vector<int64_t>{2, 1, 1}},
          {{2, 2 * n}, std::vector<int64_t>{2, 2}}};
}

TEST(ImplChooseQParams, MatchesTheReferenceForEveryMappingDomainAndLayout) {
  for (int64_t n = 0; n <= 40; ++n) {
    std::mt19937 rng{uint32_t(n + 77)};
    for (const BlockCase& bc : block_cases(n)) {
      const Tensor x = random_input(bc.input, rng);
      for (const auto& r : testing::all_ranges()) {
        if (r.quant_min >= r.quant_max) continue;
        for (Mapping m : kAllMappings) {
          for (ZeroPointDomain d : kAllDomains) {
            ChooseQParamsArgs a;
            a.mapping = m;
            a.zero_point_domain = d;
            a.dtype = r.storage;
            a.quant_min = r.quant_min;
            a.quant_max = r.quant_max;
            a.block_size = bc.block;
            for (Isa isa : supported_isas()) {
              expect_same_choice(x, a, single_thread(isa),
                                 fmt::format("n {} input {} {} {} {} [{}, {}] {}", n, bc.input.str(),
                                             mapping_name(m), domain_name(d), dtype_name(r.storage),
                                             r.quant_min, r.quant_max, isa_name(isa)));
              if (::testing::Test::HasFatalFailure()) return;
            }
          }
        }
      }
    }
  }
}

TEST(ImplChooseQParams, NonFiniteInputsAndBadArgumentsGiveTheReferenceErrorKinds) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (int64_t n : {1, 8, 17, 40}) {
    for (int64_t at : {int64_t{0}, n - 1}) {
      for (float bad : {nan, inf, -inf}) {
        std::vector<float> v(size_t(n), 1.0f);
        v[size_t(at)] = bad;
        const Tensor x = Tensor::of<float>(Shape{n}, v);
        for (Isa isa : supported_isas()) {
          expect_same_choice(x, {}, single_thread(isa), fmt::format("n {} at {} {}", n, at, bad));
        }
      }
    }
  }
  const Tensor x = Tensor::of<float>(Shape{4}, {1, 2, 3, 4});
  std::vector<ChooseQParamsArgs> args(6);
  args[0].dtype = DType::f32;
  args[1].zero_point_domain = ZeroPointDomain::float_domain;
  args[1].mapping = Mapping::symmetric;
  args[2].quant_min = 5;
  args[2].quant_max = 5;
  args[3].block_size = std::vector<int64_t>{3};
  args[4].block_size = std::vector<int64_t>{0};
  args[5].eps = 0.0f;
  for (const auto& a : args) {
    const auto kind = error_kind_of([&] { reference::choose_qparams_affine(x, a); });
    ASSERT_TRUE(kind.has_value());
    EXPECT_EQ(error_kind_of([&] { choose_qparams_affine(x, a); }), kind);
  }
  EXPECT_EQ(error_kind_of([&] { choose_qparams_affine(Tensor(DType::i8, Shape{2}), {}); }),
            ErrorKind::unsupported);
}

// Float domain, quant range [-2, 0]: range = f32(0 - (-2)) = 2,
// mid = f32((0 - 2 + 1) / 2) = -0.5. An all-zero block gives
// s = max(+-0 / 2, eps) = eps = 2^-149 (the smallest subnormal), and
// f32(s * mid) = -2^-150, a tie between -0.0 and -2^-149 that rounds to
// the even one, -0.0. zp = mn + (-0.0) then keeps the sign of mn, which the
// reference's `if (x < mn) mn = x` fold takes from the FIRST zero of the
// block: -0.0 in the first block, +0.0 in the second.
TEST(ImplChooseQParams, SignOfAZeroMinimumFollowsTheFirstZeroOfTheBlock) {
  const Tensor x = Tensor::of<float>(Shape{2, 4}, {-0.0f, 0.0f, 0.0f, -0.0f,  //
                                                    0.0f, -0.0f, -0.0f, 0.0f});
  ChooseQParamsArgs a;
  a.mapping = Mapping::asymmetric;
  a.zero_point_domain = ZeroPointDomain::float_domain;
  a.dtype = DType::i8;
  a.quant_min = -2;
  a.quant_max = 0;
  a.eps = std::numeric_limits<float>::denorm_min();
  a.block_size = std::vector<int64_t>{1, 4};
  const ChosenQParams want = reference::choose_qparams_affine(x, a);
  ASSERT_TRUE(std::signbit(want.zero_point->f32_at(0)));   // worked above
  ASSERT_FALSE(std::signbit(want.zero_point->f32_at(1)));
  for (Isa isa : supported_isas()) {
    expect_same_choice(x, a, single_thread(isa), std::string(isa_name(isa)));
  }
}

TEST(ImplChooseQParams, TwoThreadsGiveTheSameBitsAsOne) {
  std::mt19937 rng(9);
  for (const BlockCase& bc : block_cases(301)) {
    const Tensor x = random_input(bc.input, rng);
    for (Mapping m : kAllMappings) {
      ChooseQParamsArgs a;
      a.mapping = m;
      a.block_size = bc.block;
      for (Isa isa : supported_isas()) {
        ImplOptions two = single_thread(isa);
        two.threads = 2;
        two.parallel_threshold = 1;
        expect_same_choice(x, a, two, fmt::format("{} {}", bc.input.str(), isa_name(isa)));
      }
    }
  }
}

}  // namespace
}  // namespace qdiff::impl
