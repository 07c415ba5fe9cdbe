// Targeted sweeps of the optimized quantize / dequantize / fake_quantize
// (impl/quantize/affine.h) against reference/, element for element and bit
// for bit (SPEC section 9: no tolerance): every supported ISA, every kernel
// path, row lengths 0..70 around the vector widths (8, 16, 4x unrolled 64)
// with rows starting at unaligned offsets, exact rounding ties and their
// neighbours, +-inf, huge values, -0.0, every contract, domain and range,
// error kinds, threads 1 vs 2. A few hand-worked values pin the semantics
// independently of the reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "core/block_layout.h"
#include "core/float_bits.h"
#include "core/limits.h"
#include "impl/quantize/affine.h"
#include "reference/dequantize.h"
#include "reference/fake_quantize.h"
#include "reference/quantize.h"
#include "tests/impl_test_cases.h"

namespace qdiff::impl {
namespace {

using testing::error_kind_of;
using testing::Layout;
using testing::PrngSource;
using testing::same_tensor;
using testing::single_thread;
using testing::supported_isas;

constexpr float kInf = std::numeric_limits<float>::infinity();

std::string describe(const Layout& l, const QuantParams& p, Contract c, Isa isa) {
  return fmt::format("{} input {} {} contract {} isa {}", l.name, l.input.str(), p.summary(),
                     contract_name(c), isa_name(isa));
}

// Compares impl with reference on quantize, fake_quantize (input x) and
// dequantize (a quantized tensor of the same shape): same tensor, or the
// same error kind.
void check_all_ops(const Tensor& x, const Tensor& q, const QuantParams& p, Contract c,
                   const ImplOptions& options, const std::string& what) {
  {
    std::optional<Tensor> want, got;
    const auto want_error = error_kind_of([&] { want = reference::quantize_affine(x, p, c); });
    const auto got_error = error_kind_of([&] { got = quantize_affine(x, p, c, options); });
    ASSERT_EQ(want_error, got_error) << "quantize " << what;
    if (want) {
      ASSERT_TRUE(same_tensor(*want, *got)) << "quantize " << what;
    }
  }
  {
    std::optional<Tensor> want, got;
    const auto want_error = error_kind_of([&] { want = reference::fake_quantize_affine(x, p, c); });
    const auto got_error = error_kind_of([&] { got = fake_quantize_affine(x, p, c, options); });
    ASSERT_EQ(want_error, got_error) << "fake_quantize " << what;
    if (want) {
      ASSERT_TRUE(same_tensor(*want, *got)) << "fake_quantize " << what;
    }
  }
  {
    std::optional<Tensor> want, got;
    const auto want_error = error_kind_of([&] { want = reference::dequantize_affine(q, p, c); });
    const auto got_error = error_kind_of([&] { got = dequantize_affine(q, p, c, options); });
    ASSERT_EQ(want_error, got_error) << "dequantize " << what;
    if (want) {
      ASSERT_TRUE(same_tensor(*want, *got)) << "dequantize " << what;
    }
  }
}

// Row lengths 0..70 cross 8 (AVX2), 16 (AVX-512), 64 (the 4x unrolled
// loop) and their tails; rows of [3, n] and group starts at j * 5 or j * 4
// begin at unaligned addresses.
TEST(ImplQuantize, SweepsRowLengthsLayoutsAndIsasAgainstReference) {
  const auto ranges = testing::all_ranges();
  for (int64_t n = 0; n <= 70; ++n) {
    PrngSource rng{uint64_t(1000 + n)};
    const Contract contract = kAllContracts[n % 4];
    const QuantType range = ranges[size_t(n) % ranges.size()];
    for (const Layout& l : testing::layouts_of_size(n)) {
      for (ZeroPointDomain domain : kAllDomains) {
        const QuantParams p = testing::make_params(l, range, domain, rng);
        const Tensor x = testing::make_input(l.input, p, rng);
        const Tensor q = testing::make_quantized(l.input, range.storage, rng);
        for (Isa isa : supported_isas()) {
          check_all_ops(x, q, p, contract, single_thread(isa), describe(l, p, contract, isa));
          if (::testing::Test::HasFatalFailure()) return;
        }
      }
    }
  }
}

// The full cross product of contract, domain, range and zero point dtype on
// mid-sized tensors of each layout.
TEST(ImplQuantize, EveryContractDomainRangeAndZeroPointType) {
  PrngSource rng(7);
  for (const Layout& l : testing::layouts_of_size(37)) {
    for (const QuantType& range : testing::all_ranges()) {
      for (ZeroPointDomain domain : kAllDomains) {
        for (DType zp_dtype : {DType::i32, DType::i8, DType::u8, DType::i16}) {
          if (domain != ZeroPointDomain::int_domain && zp_dtype != DType::i32) continue;
          const QuantParams p = testing::make_params(l, range, domain, rng, zp_dtype);
          const Tensor x = testing::make_input(l.input, p, rng);
          const Tensor q = testing::make_quantized(l.input, range.storage, rng);
          for (Contract c : kAllContracts) {
            for (Isa isa : supported_isas()) {
              check_all_ops(x, q, p, c, single_thread(isa), describe(l, p, c, isa));
              if (::testing::Test::HasFatalFailure()) return;
            }
          }
        }
      }
    }
  }
}

// Exact ties v = k + 0.5 (power-of-two scales make x * f32(1/s) and x / s
// exact) and their f32 neighbours, with odd and even zero points, where the
// contracts disagree.
TEST(ImplQuantize, RoundingTiesAndNeighboursUnderEveryContract) {
  for (float s : {0.5f, 0.25f, 1.0f, 0.1f, 0.9f, 3.7f}) {
    std::vector<float> values;
    for (int k = -140; k <= 140; ++k) {
      const float tie = float((k + 0.5) * double(s));
      values.insert(values.end(), {tie, next_up(tie), next_down(tie), float(k + 0.5) / (1.0f / s)});
    }
    values.insert(values.end(), {0.49999997f * s, -0.49999997f * s, 0.5f * s, -0.5f * s});
    const Tensor x = Tensor::of<float>(Shape{int64_t(values.size())}, values);
    for (int32_t z : {0, 1, -3, 4}) {
      for (ZeroPointDomain domain : kAllDomains) {
        QuantParams p = QuantParams::per_tensor(s, z, DType::i8, -128, 127);
        p.zero_point_domain = domain;
        if (domain == ZeroPointDomain::none) p.zero_point.reset();
        if (domain == ZeroPointDomain::float_domain) {
          p.zero_point = Tensor::of<float>(Shape{}, {float(z) * 0.37f});
        }
        PrngSource rng{uint64_t(z + 5)};
        const Tensor q = testing::make_quantized(x.shape(), DType::i8, rng);
        for (Contract c : kAllContracts) {
          for (Isa isa : supported_isas()) {
            check_all_ops(x, q, p, c, single_thread(isa),
                          fmt::format("s {} z {} {} {} {}", s, z, domain_name(domain),
                                      contract_name(c), isa_name(isa)));
            if (::testing::Test::HasFatalFailure()) return;
          }
        }
      }
    }
  }
}

// +-inf, FLT_MAX, powers of two up to 2^127, -0.0, and values around 2^23,
// 2^24 and 2^31 where f32 integers get sparse, in every range (the i32 ones
// take the double path).
TEST(ImplQuantize, SpecialValuesSaturateWithoutUndefinedBehaviour) {
  std::vector<float> values = {kInf, -kInf, std::numeric_limits<float>::max(),
                               -std::numeric_limits<float>::max(), 0.0f, -0.0f,
                               std::numeric_limits<float>::denorm_min(), -1e-45f};
  for (int e = 20; e <= 127; e += 1) {
    values.push_back(std::ldexp(1.0f, e));
    values.push_back(-std::ldexp(1.0f, e));
    values.push_back(next_down(std::ldexp(1.0f, e)));
  }
  for (float base : {8388608.0f, 16777216.0f, 2147483648.0f}) {
    for (int d = -3; d <= 3; ++d) values.push_back(base + float(d) * (base / 8388608.0f) * 0.5f);
  }
  const Tensor x = Tensor::of<float>(Shape{int64_t(values.size())}, values);
  PrngSource rng(3);
  for (const QuantType& r : testing::all_ranges()) {
    for (float s : {1.0f, 0.5f, 3.0f}) {
      const int64_t zmid = r.quant_min + (r.quant_max - r.quant_min) / 2;
      for (int64_t z : {r.quant_min, zmid, r.quant_max}) {
        QuantParams p = QuantParams::per_tensor(s, int32_t(z), r.storage, r.quant_min, r.quant_max);
        const Tensor q = testing::make_quantized(x.shape(), r.storage, rng);
        for (Contract c : kAllContracts) {
          for (Isa isa : supported_isas()) {
            check_all_ops(x, q, p, c, single_thread(isa),
                          fmt::format("{} [{}, {}] s {} z {} {} {}", dtype_name(r.storage), r.quant_min,
                                      r.quant_max, s, z, contract_name(c), isa_name(isa)));
            if (::testing::Test::HasFatalFailure()) return;
          }
        }
      }
    }
  }
}

// Float domain where f32(s * mid) overflows: min_val = z - (+-inf) is
// infinite, and x = +-inf of the same sign gives x - min_val = NaN, which
// saturates by the sign of x (docs/validation-order.md). Range [-2^31, -2]:
// mid = f32((-2 - 2^31 + 1) / 2) = -2^30, s = 1e30: s * mid = -inf,
// min_val = +inf; x = +inf -> quant_max = -2, x = -inf -> -inf / s -> qmin.
TEST(ImplQuantize, FloatDomainInfinityMinusInfinitySaturatesBySign) {
  std::vector<float> values(37, kInf);
  values[5] = -kInf;
  values[36] = 1.0f;
  const Tensor x = Tensor::of<float>(Shape{37}, values);
  QuantParams p;
  p.scale = Tensor::of<float>(Shape{}, {1e30f});
  p.zero_point = Tensor::of<float>(Shape{}, {0.5f});
  p.zero_point_domain = ZeroPointDomain::float_domain;
  p.dtype = DType::i32;
  p.quant_min = INT32_MIN;
  p.quant_max = -2;
  const Tensor want = reference::quantize_affine(x, p);
  ASSERT_EQ(want.int_at(0), -2);  // worked above
  ASSERT_EQ(want.int_at(5), INT32_MIN);
  PrngSource rng(1);
  const Tensor q = testing::make_quantized(x.shape(), DType::i32, rng);
  for (Isa isa : supported_isas()) {
    for (Contract c : kAllContracts) {
      check_all_ops(x, q, p, c, single_thread(isa), std::string(isa_name(isa)));
    }
  }
}

// Hand-worked values (SPEC section 3 example and section 4), independent of
// the reference, on every ISA. Long enough (40 copies) to go through the
// vector loops, not only the tails.
TEST(ImplQuantize, HandWorkedValues) {
  struct Golden {
    float x, s;
    int32_t z;
    Contract c;
    int64_t q;
    const char* why;
  };
  const Golden goldens[] = {
      // s = 0.9f = 0x1.ccccccp-1; f32(1/s) = 0x1.1c71c8p+0 = 1.11111116;
      // -11.25 * 1.11111116 = -12.50000060 -> f32 -12.5000010 (0x1.900002p+3),
      // round -> -13 (SPEC section 3).
      {-11.25f, 0.9f, 0, Contract::torchao, -13, "reciprocal"},
      // -11.25 / 0.9f = -12.50000032 -> f32 -12.5 exactly, a tie -> even -12.
      {-11.25f, 0.9f, 0, Contract::onnx, -12, "division tie to even"},
      // same tie, half away from zero -> -13.
      {-11.25f, 0.9f, 0, Contract::half_away, -13, "division tie away"},
      // s = 0.5: v = 1.25 * 2 = 2.5 exactly. round_even(2.5) = 2, + z 1 = 3.
      {1.25f, 0.5f, 1, Contract::torchao, 3, "zp after rounding"},
      // zp_before: round_even(f32(2.5 + 1)) = round_even(3.5) = 4.
      {1.25f, 0.5f, 1, Contract::zp_before, 4, "zp before rounding"},
      // half_away: round(2.5) = 3, + 1 = 4.
      {1.25f, 0.5f, 1, Contract::half_away, 4, "away then zp"},
      // 0.49999997f (largest f32 below 0.5): std::round gives 0; trunc(v + 0.5)
      // would give 1 because 0.49999997f + 0.5f rounds to 1.0f.
      {0.49999997f, 1.0f, 0, Contract::half_away, 0, "just below a tie"},
      // 1000 / 0.5 = 2000 + z 100 = 2100 -> clamp to 127.
      {1000.0f, 0.5f, 100, Contract::torchao, 127, "saturate high"},
      // -inf saturates to quant_min whatever the zero point.
      {-kInf, 0.5f, 100, Contract::torchao, -128, "-inf"},
      // -0.0 * 2 = -0.0, round -> -0.0, + z 5 = 5.
      {-0.0f, 0.5f, 5, Contract::torchao, 5, "-0.0"},
  };
  for (const Golden& g : goldens) {
    const Tensor x = Tensor::of<float>(Shape{40}, std::vector<float>(40, g.x));
    const QuantParams p = QuantParams::per_tensor(g.s, g.z, DType::i8, -128, 127);
    for (Isa isa : supported_isas()) {
      const Tensor q = quantize_affine(x, p, g.c, single_thread(isa));
      for (int64_t i = 0; i < q.numel(); ++i) {
        ASSERT_EQ(q.int_at(i), g.q) << g.why << " isa " << isa_name(isa) << " element " << i;
      }
    }
  }
  // i32 with the full range (double path): 3e9 / 1 saturates to 2^31 - 1;
  // 2147483520 (largest f32 below 2^31) + z -7 = 2147483513 fits.
  const Tensor x = Tensor::of<float>(Shape{3}, {3e9f, 2147483520.0f, -kInf});
  const QuantParams p = QuantParams::per_tensor(1.0f, -7, DType::i32, INT32_MIN, INT32_MAX);
  for (Isa isa : supported_isas()) {
    const Tensor q = quantize_affine(x, p, Contract::torchao, single_thread(isa));
    EXPECT_EQ(q.int_at(0), INT32_MAX) << isa_name(isa);
    EXPECT_EQ(q.int_at(1), 2147483513) << isa_name(isa);
    EXPECT_EQ(q.int_at(2), INT32_MIN) << isa_name(isa);
  }
}

// Hand-worked dequantize and fake_quantize values (SPEC sections 5, 7).
TEST(ImplQuantize, HandWorkedDequantizeAndFakeQuantize) {
  // int domain: (f32(-3) - f32(5)) * 0.5 = -4. none: -3 * 0.5 = -1.5.
  // float domain i8: mid = f32((127 - 128 + 1) / 2) = 0; y = ((q - 0) * 0.5) + 0.25.
  const Tensor q = Tensor::of<int8_t>(Shape{20}, std::vector<int8_t>(20, -3));
  for (Isa isa : supported_isas()) {
    QuantParams p = QuantParams::per_tensor(0.5f, 5, DType::i8, -128, 127);
    EXPECT_EQ(dequantize_affine(q, p, Contract::torchao, single_thread(isa)).f32_at(19), -4.0f);
    p.zero_point.reset();
    p.zero_point_domain = ZeroPointDomain::none;
    EXPECT_EQ(dequantize_affine(q, p, Contract::torchao, single_thread(isa)).f32_at(19), -1.5f);
    p.zero_point_domain = ZeroPointDomain::float_domain;
    p.zero_point = Tensor::of<float>(Shape{}, {0.25f});
    EXPECT_EQ(dequantize_affine(q, p, Contract::torchao, single_thread(isa)).f32_at(19), -1.25f);
  }
  // fake_quantize: x = -0.2, s = 1, z = 0: round(-0.2) = -0.0, q = 0, y = f32(0) * 1 = +0.0
  // (the sign of the rounded value must not leak into y).
  const Tensor x = Tensor::of<float>(Shape{33}, std::vector<float>(33, -0.2f));
  QuantParams p = QuantParams::per_tensor(1.0f, 0, DType::i8, -128, 127);
  p.zero_point.reset();
  p.zero_point_domain = ZeroPointDomain::none;
  for (Isa isa : supported_isas()) {
    const Tensor y = fake_quantize_affine(x, p, Contract::torchao, single_thread(isa));
    for (int64_t i = 0; i < y.numel(); ++i) {
      ASSERT_EQ(f32_bits(y.f32_at(i)), 0u) << isa_name(isa) << " element " << i;
    }
  }
}

// A NaN at any position (vector body, unrolled body, tail) is nan_input,
// for quantize and fake_quantize, on every ISA and path.
TEST(ImplQuantize, NanAnywhereIsNanInput) {
  for (int64_t n : {1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 70}) {
    for (const Layout& l : testing::layouts_of_size(n)) {
      PrngSource rng{uint64_t(n)};
      const QuantParams p = testing::make_params(l, testing::all_ranges()[0],
                                                 ZeroPointDomain::int_domain, rng);
      Tensor x(DType::f32, l.input);
      for (int64_t at : {int64_t{0}, x.numel() / 2, x.numel() - 1}) {
        Tensor y = x;
        y.data<float>()[size_t(at)] = std::numeric_limits<float>::quiet_NaN();
        for (Isa isa : supported_isas()) {
          EXPECT_EQ(error_kind_of([&] { quantize_affine(y, p, Contract::torchao, single_thread(isa)); }),
                    ErrorKind::nan_input)
              << l.name << " n " << n << " at " << at << " " << isa_name(isa);
          EXPECT_EQ(error_kind_of([&] { fake_quantize_affine(y, p, Contract::onnx, single_thread(isa)); }),
                    ErrorKind::nan_input)
              << l.name << " n " << n << " at " << at << " " << isa_name(isa);
        }
      }
    }
  }
}

// The AVX-512 byte fast path (i8 / u8 over the full byte range) clamps
// |v| to 2^30 before rounding, adds the zero point in int16 and looks for
// NaN in the scaled values: values around the int16 and byte bounds and
// 2^30, and a NaN in every vector of a 4W block, on the per-tensor,
// per-group (g = 32, 64, 128), blockwise (rows of whole groups) and
// per-element (one row, and batches of rows) paths, every domain.
TEST(ImplQuantize, ByteFastPathBoundsAndNan) {
  PrngSource rng(41);
  const std::vector<Layout> layouts = {
      {"per_tensor", {2, 200}, {}, std::nullopt, KernelPath::per_tensor},
      {"per_group_32", {3, 256}, {3, 8}, std::nullopt, KernelPath::per_group_last},
      {"per_group_64", {3, 256}, {3, 4}, std::nullopt, KernelPath::per_group_last},
      {"per_group_128", {2, 384}, {2, 3}, std::nullopt, KernelPath::per_group_last},
      {"per_channel_inner_row", {1, 200}, {1, 200}, std::nullopt, KernelPath::per_channel_inner},
      {"per_channel_inner_batch", {9, 136}, {1, 136}, std::nullopt, KernelPath::per_channel_inner},
      {"blockwise_64", {130, 192}, {3, 3}, std::vector<int64_t>{64, 64}, KernelPath::blockwise}};
  const float bounds[] = {16383.5f, 16384.0f, 16384.5f, 16385.0f, 16639.0f, 32767.0f, 32768.5f,
                          65536.0f, 1e6f, 1073741760.0f, 1073741824.0f, 1073741952.0f, 3e9f,
                          kInf, 126.5f, 127.5f, 128.5f,
                          254.5f, 255.5f, 256.5f, 383.5f, 0.5f, 0.0f};
  for (const Layout& l : layouts) {
    for (const QuantType& range : {testing::all_ranges()[0], testing::all_ranges()[1]}) {
      for (ZeroPointDomain domain : kAllDomains) {
        QuantParams p = testing::make_params(l, range, domain, rng);
        // scales 1, 0.5, 0.25: v is x times a power of two, so the values
        // land on the bounds
        auto scale = p.scale.data<float>();
        for (size_t i = 0; i < scale.size(); ++i) scale[i] = std::ldexp(1.0f, -int(i % 3));
        Tensor x(DType::f32, l.input);
        auto data = x.data<float>();
        for (size_t i = 0; i < data.size(); ++i) {
          const float b = bounds[(i * 7) % std::size(bounds)];
          data[i] = (i % 2 ? -b : b) * (rng.integer(0, 2) == 0 ? 0.25f : 1.0f);
        }
        const Tensor q = testing::make_quantized(l.input, range.storage, rng);
        for (Isa isa : supported_isas()) {
          for (Contract c : {Contract::torchao, Contract::onnx}) {
            check_all_ops(x, q, p, c, single_thread(isa), describe(l, p, c, isa));
            if (::testing::Test::HasFatalFailure()) return;
          }
          for (int64_t at : {int64_t{0}, int64_t{17}, int64_t{35}, int64_t{63}, int64_t{64},
                             x.numel() / 2, x.numel() - 1}) {
            Tensor y = x;
            y.data<float>()[size_t(at)] = std::numeric_limits<float>::quiet_NaN();
            for (Contract c : {Contract::torchao, Contract::onnx}) {
              EXPECT_EQ(error_kind_of([&] { quantize_affine(y, p, c, single_thread(isa)); }),
                        ErrorKind::nan_input)
                  << describe(l, p, c, isa) << " NaN at " << at;
            }
          }
        }
      }
    }
  }
}

// Threads split the flattened range at multiples of 64 elements, also in
// the middle of rows and groups; results must not change. The threshold is
// lowered so small tensors split too.
TEST(ImplQuantize, TwoThreadsGiveTheSameBitsAsOne) {
  PrngSource rng(11);
  for (int64_t n : {1, 70, 333, 1001}) {
    for (const Layout& l : testing::layouts_of_size(n)) {
      for (ZeroPointDomain domain : kAllDomains) {
        const QuantParams p = testing::make_params(l, testing::all_ranges()[size_t(n) % 9], domain, rng);
        Tensor x = testing::make_input(l.input, p, rng);
        const Tensor q = testing::make_quantized(l.input, p.dtype, rng);
        for (Isa isa : supported_isas()) {
          ImplOptions two = single_thread(isa);
          two.threads = 2;
          two.parallel_threshold = 1;
          const auto what = describe(l, p, Contract::torchao, isa);
          EXPECT_TRUE(same_tensor(quantize_affine(x, p, Contract::torchao, single_thread(isa)),
                                  quantize_affine(x, p, Contract::torchao, two)))
              << what;
          EXPECT_TRUE(same_tensor(fake_quantize_affine(x, p, Contract::zp_before, single_thread(isa)),
                                  fake_quantize_affine(x, p, Contract::zp_before, two)))
              << what;
          EXPECT_TRUE(same_tensor(dequantize_affine(q, p, Contract::torchao, single_thread(isa)),
                                  dequantize_affine(q, p, Contract::torchao, two)))
              << what;
          // and both equal the reference
          check_all_ops(x, q, p, Contract::onnx, two, what);
          if (x.numel() > 0) {
            x.data<float>()[size_t(x.numel() - 1)] = std::numeric_limits<float>::quiet_NaN();
            EXPECT_EQ(error_kind_of([&] { quantize_affine(x, p, Contract::torchao, two); }),
                      ErrorKind::nan_input)
                << what;
            x.data<float>()[size_t(x.numel() - 1)] = 0.0f;
          }
        }
      }
    }
  }
}

// Rows with one per-element scale row go to the kernels in batches that
// share the parameter loads (loop_nest.h: at least 8 rows, up to 64 short
// rows, exactly 8 for dequantize rows a multiple of 1024 long), and rows
// of one scale block of a blockwise layout go to the kernel as one batch;
// odd row counts, a partial last batch, batches cut at block boundaries, a
// column tail, thread splits inside a batch, a NaN in a later row of a
// batch.
TEST(ImplQuantize, BatchedWideRowsMatchTheReference) {
  PrngSource rng(21);
  const std::vector<Layout> wide = {
      {"wide_inner", {6, 4096 + 37}, {1, 4096 + 37}, std::nullopt, KernelPath::per_channel_inner},
      {"wide_inner_rank3", {3, 2, 4160}, {1, 1, 4160}, std::nullopt, KernelPath::per_channel_inner},
      {"wide_outer_rows", {2, 5, 4096}, {2, 1, 4096}, std::nullopt, KernelPath::blockwise},
      // rows 4 and 8 KiB apart (f32): batches of 8, the last one partial
      {"rows_of_1024", {11, 1024}, {1, 1024}, std::nullopt, KernelPath::per_channel_inner},
      {"rows_of_2048", {10, 2048}, {1, 2048}, std::nullopt, KernelPath::per_channel_inner},
      // short rows: batches of up to 64 rows (dequantize: 4096 / 67 = 61)
      {"many_short_rows", {100, 67}, {1, 67}, std::nullopt, KernelPath::per_channel_inner},
      // blockwise: a batch ends at each block of 14 rows, and at the
      // partial last block (32, 32, 6 rows) of an explicit block size
      {"row_blocks", {70, 40}, {5, 8}, std::nullopt, KernelPath::blockwise},
      {"row_blocks_partial", {70, 40}, {3, 4}, std::vector<int64_t>{32, 10}, KernelPath::blockwise}};
  for (const Layout& l : wide) {
    EXPECT_EQ(kernel_path_name(plan_kernel_path(l.input, testing::make_params(l, testing::all_ranges()[0],
                                                                               ZeroPointDomain::none, rng))),
              kernel_path_name(l.path));
    for (const QuantType& range : testing::all_ranges()) {
      for (ZeroPointDomain domain : kAllDomains) {
        const QuantParams p = testing::make_params(l, range, domain, rng);
        Tensor x = testing::make_input(l.input, p, rng);
        const Tensor q = testing::make_quantized(l.input, range.storage, rng);
        for (Isa isa : supported_isas()) {
          ImplOptions two = single_thread(isa);
          two.threads = 2;
          two.parallel_threshold = 1;
          for (const ImplOptions& o : {single_thread(isa), two}) {
            check_all_ops(x, q, p, Contract::torchao, o, describe(l, p, Contract::torchao, isa));
            if (::testing::Test::HasFatalFailure()) return;
          }
          // a NaN in the last row of a batch
          Tensor y = x;
          y.data<float>()[size_t(3 * l.input[l.input.rank() - 1] + 100)] = NAN;
          EXPECT_EQ(error_kind_of([&] { quantize_affine(y, p, Contract::torchao, single_thread(isa)); }),
                    ErrorKind::nan_input);
        }
      }
    }
  }
}

// Outputs of 32 MiB and more are written with non-temporal stores
// (affine.cc); 2^25 + 64 elements make the i8 output cross that size.
TEST(ImplQuantize, StreamingStoresOfLargeOutputsMatchTheReference) {
  const int64_t cols = 8192, rows = ((int64_t{1} << 25) + 64) / cols + 1;
  PrngSource rng(31);
  const std::vector<Layout> large = {
      {"per_tensor", {rows, cols}, {}, std::nullopt, KernelPath::per_tensor},
      {"per_channel_inner", {rows, cols}, {1, cols}, std::nullopt, KernelPath::per_channel_inner},
      {"per_group_32", {rows, cols}, {rows, cols / 32}, std::nullopt, KernelPath::per_group_last},
      // short per-element rows: batched, but walked row by row at this size
      // (kRowMajorAtDramMax)
      {"per_channel_inner_short_rows", {rows * 32, cols / 32}, {1, cols / 32}, std::nullopt,
       KernelPath::per_channel_inner}};
  const Isa isa = best_isa();
  for (const Layout& l : large) {
    Tensor x(DType::f32, l.input);
    auto data = x.data<float>();
    for (size_t i = 0; i < data.size(); ++i) {
      // a cheap deterministic spread over [-20, 20] in steps of 0.01 (ties included)
      data[i] = float(int64_t((i * 2654435761u) % 4001) - 2000) * 0.01f;
    }
    const QuantParams p = testing::make_params(l, testing::all_ranges()[0],
                                               ZeroPointDomain::int_domain, rng);
    ImplOptions two = single_thread(isa);
    two.threads = 2;
    two.parallel_threshold = 1;
    const Tensor want = reference::quantize_affine(x, p);
    EXPECT_TRUE(same_tensor(want, quantize_affine(x, p, Contract::torchao, single_thread(isa))))
        << l.name;
    EXPECT_TRUE(same_tensor(want, quantize_affine(x, p, Contract::torchao, two))) << l.name;
    // dequantize of the same tensor writes 4 bytes an element; the scalar
    // family (checked against the reference above in every other test)
    // never streams, so "SIMD makes no difference" is the check here
    EXPECT_TRUE(same_tensor(dequantize_affine(want, p, Contract::torchao, single_thread(Isa::scalar)),
                            dequantize_affine(want, p, Contract::torchao, two)))
        << l.name;
  }
}

// A quantize call that fails at one validation step of reference/validate.h
// (some fail several: the earliest wins).
struct Bad {
  const char* what;
  Tensor input;
  QuantParams params;
  ErrorKind kind;
};

QuantParams valid_params() { return QuantParams::per_tensor(0.5f, 0, DType::i8, -128, 127); }

template <typename F>
QuantParams valid_params_but(F f) {
  QuantParams p = valid_params();
  f(p);
  return p;
}

const Tensor kTwoByFour = Tensor::of<float>(Shape{2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});

// The dtypes and the quant range.
std::vector<Bad> dtype_and_range_errors() {
  const Tensor& x = kTwoByFour;
  return {
      {"f32 storage", x, valid_params_but([](QuantParams& p) { p.dtype = DType::f32; }), ErrorKind::unsupported},
      {"i32 input", Tensor(DType::i32, Shape{2}), valid_params(), ErrorKind::unsupported},
      {"i32 scale", x, valid_params_but([](QuantParams& p) { p.scale = Tensor(DType::i32, Shape{}); }),
       ErrorKind::unsupported},
      {"range outside dtype", x, valid_params_but([](QuantParams& p) { p.quant_max = 300; }),
       ErrorKind::invalid_range},
      {"range inverted and bad scale", x,
       valid_params_but([](QuantParams& p) {
         p.quant_min = 5;
         p.quant_max = 4;
         p.scale = Tensor::of<float>(Shape{}, {-1.0f});
       }),
       ErrorKind::invalid_range},
  };
}

// The scale's shape, the block sizes and the zero point's shape.
std::vector<Bad> layout_errors() {
  const Tensor& x = kTwoByFour;
  // A scale of `shape` (ones) without a zero point.
  auto scale_of = [](Shape shape, std::optional<std::vector<int64_t>> blocks = std::nullopt) {
    return valid_params_but([&](QuantParams& p) {
      p.scale = Tensor(DType::f32, shape);
      for (float& s : p.scale.data<float>()) s = 1.0f;
      p.zero_point.reset();
      p.block_size = blocks;
    });
  };
  return {
      {"scale rank", x, scale_of(Shape{2}), ErrorKind::invalid_shape},
      {"non divisible", x, scale_of(Shape{1, 3}), ErrorKind::non_divisible_block},
      {"shape error before divisibility", x, scale_of(Shape{3, 0}), ErrorKind::invalid_shape},
      // ceil(4 / 2) = 2 blocks along dim 1, not 3
      {"explicit block count", x, scale_of(Shape{1, 3}, std::vector<int64_t>{2, 2}), ErrorKind::invalid_shape},
      {"explicit block length", x,
       valid_params_but([](QuantParams& p) { p.block_size = std::vector<int64_t>{2}; }), ErrorKind::invalid_shape},
      {"explicit block zero", x, scale_of(Shape{1, 1}, std::vector<int64_t>{0, 4}), ErrorKind::invalid_shape},
      {"zero-size dim needs scale 1", Tensor(DType::f32, Shape{0, 4}), scale_of(Shape{2, 1}),
       ErrorKind::non_divisible_block},
      {"zero point shape", x,
       valid_params_but([](QuantParams& p) { p.zero_point = Tensor::of<int32_t>(Shape{1}, {0}); }),
       ErrorKind::invalid_shape},
  };
}

// Scale and zero-point values, then NaN inputs.
std::vector<Bad> value_errors() {
  const Tensor& x = kTwoByFour;
  auto scale = [](float s) {
    return valid_params_but([&](QuantParams& p) { p.scale = Tensor::of<float>(Shape{}, {s}); });
  };
  return {
      {"subnormal scale", x, scale(1e-40f), ErrorKind::invalid_scale},
      {"inf scale", x, scale(kInf), ErrorKind::invalid_scale},
      {"zero point with none domain", x,
       valid_params_but([](QuantParams& p) { p.zero_point_domain = ZeroPointDomain::none; }),
       ErrorKind::invalid_zero_point},
      {"zero point out of range", x,
       valid_params_but([](QuantParams& p) { p.zero_point = Tensor::of<int32_t>(Shape{}, {128}); }),
       ErrorKind::invalid_zero_point},
      {"f32 zero point in int domain", x,
       valid_params_but([](QuantParams& p) { p.zero_point = Tensor::of<float>(Shape{}, {0}); }),
       ErrorKind::invalid_zero_point},
      {"int zero point in float domain", x,
       valid_params_but([](QuantParams& p) { p.zero_point_domain = ZeroPointDomain::float_domain; }),
       ErrorKind::invalid_zero_point},
      {"inf float zero point", x,
       valid_params_but([](QuantParams& p) {
         p.zero_point_domain = ZeroPointDomain::float_domain;
         p.zero_point = Tensor::of<float>(Shape{}, {kInf});
       }),
       ErrorKind::invalid_zero_point},
      {"NaN after a bad zero point", Tensor::of<float>(Shape{2}, {NAN, 1}),
       valid_params_but([](QuantParams& p) { p.zero_point = Tensor::of<int32_t>(Shape{}, {999}); }),
       ErrorKind::invalid_zero_point},
      {"NaN", Tensor::of<float>(Shape{3}, {1, NAN, 2}), valid_params(), ErrorKind::nan_input},
  };
}

TEST(ImplQuantize, ErrorKindsMatchTheReferenceInValidationOrder) {
  for (const auto& cases : {dtype_and_range_errors(), layout_errors(), value_errors()}) {
    for (const Bad& b : cases) {
      const auto want = error_kind_of([&] { reference::quantize_affine(b.input, b.params); });
      ASSERT_EQ(want, b.kind) << b.what << " (the reference disagrees with this test)";
      for (Isa isa : supported_isas()) {
        EXPECT_EQ(error_kind_of([&] { quantize_affine(b.input, b.params, Contract::torchao, single_thread(isa)); }),
                  want)
            << b.what << " " << isa_name(isa);
        EXPECT_EQ(error_kind_of([&] { fake_quantize_affine(b.input, b.params, Contract::torchao, single_thread(isa)); }),
                  error_kind_of([&] { reference::fake_quantize_affine(b.input, b.params); }))
            << b.what << " " << isa_name(isa);
      }
    }
  }
}

// dequantize: the input must have params.dtype; NaN does not apply.
TEST(ImplQuantize, DequantizeRejectsAnInputOfAnotherDtype) {
  const Tensor q = Tensor::of<int8_t>(Shape{2}, {1, 2});
  QuantParams p = valid_params();
  p.dtype = DType::u8;
  p.quant_min = 0;
  p.quant_max = 255;
  EXPECT_EQ(error_kind_of([&] { dequantize_affine(q, p); }), ErrorKind::unsupported);
  EXPECT_EQ(error_kind_of([&] { reference::dequantize_affine(q, p); }), ErrorKind::unsupported);
}

// too_large: the cap applies to the input and the scale.
TEST(ImplQuantize, TooLargeAppliesTheElementCap) {
  const test_util::CapGuard cap(4);
  EXPECT_EQ(error_kind_of([&] { quantize_affine(kTwoByFour, valid_params()); }), ErrorKind::too_large);
  EXPECT_EQ(error_kind_of([&] { reference::quantize_affine(kTwoByFour, valid_params()); }), ErrorKind::too_large);
}

TEST(ImplQuantize, KernelPathFollowsTheLayoutClass) {
  for (int64_t n = 0; n <= 12; ++n) {
    for (const Layout& l : testing::layouts_of_size(n)) {
      QuantParams p;
      p.scale = Tensor(DType::f32, l.scale);
      for (auto& s : p.scale.data<float>()) s = 1.0f;
      p.block_size = l.block_size;
      const KernelPath got = plan_kernel_path(l.input, p);
      EXPECT_EQ(kernel_path_name(got), kernel_path_name(l.path)) << l.name << " n " << n;
      // the mapping of the brief, from core's classification
      const BlockLayout b = BlockLayout::derive(l.input, l.scale, l.block_size);
      KernelPath want = KernelPath::blockwise;
      const int rank = l.input.rank();
      if (l.input.numel() == 0) {
        want = KernelPath::empty;
      } else if (b.classify() == LayoutClass::per_tensor) {
        want = KernelPath::per_tensor;
      } else if (b.classify() == LayoutClass::per_channel) {
        const int axis = *b.channel_axis();
        want = axis == rank - 1 ? KernelPath::per_channel_inner
               : axis == 0      ? KernelPath::per_channel_outer
                                : KernelPath::per_channel_middle;
      } else if (const auto g = b.group_axes(); g && g->first == rank - 2 && g->second == rank - 1) {
        want = KernelPath::per_group_last;
      }
      EXPECT_EQ(kernel_path_name(got), kernel_path_name(want)) << l.name << " n " << n;
    }
  }
  // plan_kernel_path validates like the ops
  QuantParams p = QuantParams::per_tensor(0.5f, 0, DType::i8, -128, 127);
  p.scale = Tensor::of<float>(Shape{3}, {1, 1, 1});
  p.zero_point.reset();
  EXPECT_EQ(error_kind_of([&] { plan_kernel_path(Shape{4}, p); }), ErrorKind::non_divisible_block);
}

TEST(ImplQuantize, IntoVariantsWriteTheSameValuesAndCheckTheOutput) {
  PrngSource rng(5);
  const Layout l = testing::layouts_of_size(33)[5];
  const QuantParams p = testing::make_params(l, testing::all_ranges()[0], ZeroPointDomain::int_domain, rng);
  const Tensor x = testing::make_input(l.input, p, rng);
  const Tensor q = testing::make_quantized(l.input, p.dtype, rng);
  Tensor out(p.dtype, l.input);
  quantize_affine_into(x, p, Contract::torchao, out);
  EXPECT_TRUE(same_tensor(reference::quantize_affine(x, p), out));
  Tensor y(DType::f32, l.input);
  dequantize_affine_into(q, p, Contract::torchao, y);
  EXPECT_TRUE(same_tensor(reference::dequantize_affine(q, p), y));
  Tensor wrong_type(DType::u8, l.input), wrong_shape(p.dtype, Shape{l.input.numel()});
  EXPECT_EQ(error_kind_of([&] { quantize_affine_into(x, p, Contract::torchao, wrong_type); }),
            ErrorKind::invalid_shape);
  EXPECT_EQ(error_kind_of([&] { quantize_affine_into(x, p, Contract::torchao, wrong_shape); }),
            ErrorKind::invalid_shape);
  EXPECT_EQ(error_kind_of([&] { dequantize_affine_into(q, p, Contract::torchao, wrong_type); }),
            ErrorKind::invalid_shape);
}

TEST(ImplOptions, IsaNamesAndSupport) {
  for (Isa isa : kAllIsas) EXPECT_EQ(parse_isa(isa_name(isa)), isa);
  EXPECT_EQ(parse_isa("sse9"), std::nullopt);
  EXPECT_TRUE(isa_supported(Isa::scalar));
  EXPECT_TRUE(isa_supported(best_isa()));
  for (int f = 0; f < int(FaultPoint::kCount); ++f) {
    EXPECT_NE(fault_point_name(FaultPoint(f)), "?");
  }
  EXPECT_EQ(fault_point_name(FaultPoint::simd_tail_dropped), "simd_tail_dropped");
  for (Isa isa : kAllIsas) {
    if (isa_supported(isa)) continue;
    const Tensor x = Tensor::of<float>(Shape{1}, {1});
    EXPECT_EQ(error_kind_of([&] {
                quantize_affine(x, QuantParams::per_tensor(1, 0, DType::i8, -128, 127),
                                Contract::torchao, single_thread(isa));
              }),
              ErrorKind::unsupported);
  }
}

}  // namespace
}  // namespace qdiff::impl
