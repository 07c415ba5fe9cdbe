// Shared fixtures of the impl/ unit tests (tests/impl_*_test.cc): the ISAs
// to sweep, layouts with their expected kernel path, deterministic values
// that hit the hard spots (exact rounding ties and their f32 neighbours,
// +-inf, huge, -0.0), params of every domain, and a bitwise comparison
// that names the first differing element.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/block_layout.h"
#include "core/error.h"
#include "core/float_bits.h"
#include "core/quant_params.h"
#include "core/tensor.h"
#include "impl/options.h"
#include "impl/quantize/affine.h"
#include "tests/test_util.h"

namespace qdiff::impl::testing {

using test_util::supported_isas;

inline ImplOptions single_thread(Isa isa, FaultSet faults = {}) {
  ImplOptions o;
  o.isa = isa;
  o.threads = 1;
  o.faults = faults;
  return o;
}

// A layout: input shape, scale shape, optional explicit block sizes, and
// the kernel path impl/ must report for it.
struct Layout {
  std::string name;
  Shape input;
  Shape scale;
  std::optional<std::vector<int64_t>> block_size;
  KernelPath path;
};

inline int64_t ceil_div(int64_t a, int64_t b) { return a == 0 ? 1 : (a + b - 1) / b; }

// Layouts whose innermost run or block count grows with n (n = 0 gives
// zero-size tensors; scale dims of zero-size dims are 1).
inline std::vector<Layout> layouts_of_size(int64_t n) {
  const int64_t one_if_empty = n == 0 ? 1 : n;
  std::vector<Layout> v;
  const KernelPath empty = KernelPath::empty;
  auto path = [&](KernelPath p) { return n == 0 ? empty : p; };
  v.push_back({"per_tensor_1d", {n}, {}, std::nullopt, path(KernelPath::per_tensor)});
  v.push_back({"per_tensor_2d", {3, n}, {1, 1}, std::nullopt, path(KernelPath::per_tensor)});
  v.push_back({"per_channel_inner", {3, n}, {1, one_if_empty}, std::nullopt,
               path(n <= 1 ? KernelPath::per_tensor : KernelPath::per_channel_inner)});
  v.push_back({"per_channel_outer", {n, 5}, {one_if_empty, 1}, std::nullopt,
               path(n <= 1 ? KernelPath::per_tensor : KernelPath::per_channel_outer)});
  v.push_back({"per_channel_middle", {2, n, 3}, {1, one_if_empty, 1}, std::nullopt,
               path(n <= 1 ? KernelPath::per_tensor : KernelPath::per_channel_middle)});
  // [3, 4n] with blocks (1, 4): per_group on the last dim
  v.push_back({"per_group_last", {3, 4 * n}, {3, one_if_empty}, std::nullopt,
               path(n <= 1 ? KernelPath::per_channel_outer : KernelPath::per_group_last)});
  // explicit blocks (1, 5): a partial last group
  v.push_back({"per_group_partial", {3, n}, {3, ceil_div(n, 5)}, std::vector<int64_t>{1, 5},
               path(n <= 5 ? KernelPath::per_channel_outer : KernelPath::per_group_last)});
  // 2-D tiles (2, 3), partial at both ends
  v.push_back({"tiles_2x3", {n, 7}, {ceil_div(n, 2), 3}, std::vector<int64_t>{2, 3},
               path(KernelPath::blockwise)});  // blocks of 3 along dim 1: never per_channel
  v.push_back({"elementwise", {2, n}, {2, one_if_empty}, std::nullopt,
               path(n <= 1 ? KernelPath::per_channel_outer : KernelPath::blockwise)});
  v.push_back({"tiles_rank3", {2, 3, n}, {2, 2, ceil_div(n, 4)}, std::vector<int64_t>{1, 2, 4},
               path(KernelPath::blockwise)});
  return v;
}

// Scales: a mix of powers of two (ties exact under every contract) and
// values whose reciprocal is inexact (where x * f32(1/s) and x / s differ).
inline float pick_scale(std::mt19937& rng) {
  static const float kScales[] = {0.25f, 0.5f, 1.0f, 2.0f, 0.1f, 0.9f, 3.7f, 0.0123f, 1e-3f};
  return kScales[rng() % (sizeof(kScales) / sizeof(kScales[0]))];
}

inline Tensor make_scale(const Shape& shape, std::mt19937& rng) {
  Tensor t(DType::f32, shape);
  for (auto& s : t.data<float>()) s = pick_scale(rng);
  return t;
}

struct RangeSpec {
  DType dtype;
  int64_t qmin, qmax;
};

inline std::vector<RangeSpec> all_ranges() {
  return {{DType::i8, -128, 127},
          {DType::u8, 0, 255},
          {DType::i16, -32768, 32767},
          {DType::u16, 0, 65535},
          {DType::i32, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()},
          {DType::i8, -8, 7},      // i4
          {DType::u8, 0, 15},      // u4
          {DType::i32, -1000, 1000},  // i32 storage, narrow range
          {DType::i32, -(int64_t{1} << 24), int64_t{1} << 24}};  // just past the narrow limit
}

// Params of `domain` for the given layout; zero points drawn in range.
inline QuantParams make_params(const Layout& l, const RangeSpec& r, ZeroPointDomain domain,
                               std::mt19937& rng, DType zp_dtype = DType::i32) {
  QuantParams p;
  p.scale = make_scale(l.scale, rng);
  p.block_size = l.block_size;
  p.dtype = r.dtype;
  p.quant_min = r.qmin;
  p.quant_max = r.qmax;
  p.zero_point_domain = domain;
  if (domain == ZeroPointDomain::int_domain) {
    Tensor z(zp_dtype, l.scale);
    const int64_t lo = std::max(r.qmin, dtype_min(zp_dtype));
    const int64_t hi = std::min(r.qmax, dtype_max(zp_dtype));
    std::uniform_int_distribution<int64_t> near(-3, 3);
    visit_integer_dtype(zp_dtype, [&](auto tag) {
      using Z = decltype(tag);
      for (auto& v : z.data<Z>()) {
        // mostly near the middle of the range, sometimes at its ends
        const int64_t mid = lo + (hi - lo) / 2;
        const int pick = int(rng() % 8);
        int64_t c = pick == 0 ? lo : pick == 1 ? hi : mid + near(rng);
        v = Z(std::clamp(c, lo, hi));
      }
    });
    p.zero_point = std::move(z);
  } else if (domain == ZeroPointDomain::float_domain) {
    Tensor z(DType::f32, l.scale);
    std::uniform_real_distribution<float> u(-3.0f, 3.0f);
    for (auto& v : z.data<float>()) v = u(rng);
    p.zero_point = std::move(z);
  }
  return p;
}

// Input values for the layout: for each element, using its scale s, one of
// ties (k + 0.5) * s and their f32 neighbours, random values spanning the
// range, +-inf, huge magnitudes, -0.0, values near 2^23 / 2^24.
inline Tensor make_input(const Shape& shape, const QuantParams& p, std::mt19937& rng) {
  Tensor x(DType::f32, shape);
  if (x.numel() == 0) return x;
  const BlockLayout layout = BlockLayout::derive(shape, p.scale.shape(), p.block_size);
  const auto scale = p.scale.data<float>();
  auto data = x.data<float>();
  std::vector<int64_t> index(size_t(shape.rank()), 0);
  const double span = double(p.quant_max) - double(p.quant_min);
  std::uniform_real_distribution<double> unit(-0.7, 0.7);
  constexpr float kInf = std::numeric_limits<float>::infinity();
  for (int64_t flat = 0; flat < x.numel(); ++flat) {
    const float s = scale[size_t(layout.scale_index(index))];
    const double k = std::floor(unit(rng) * std::min(span, 600.0));
    float v;
    switch (rng() % 16) {
      case 0: case 1: case 2: v = float((k + 0.5) * s); break;
      case 3: v = next_up(float((k + 0.5) * s)); break;
      case 4: v = next_down(float((k + 0.5) * s)); break;
      case 5: v = float(k + 0.5) / (1.0f / s); break;
      case 6: v = (rng() % 2 ? 1.0f : -1.0f) * kInf; break;
      case 7: v = (rng() % 2 ? 1.0f : -1.0f) * std::ldexp(1.0f, int(rng() % 100) + 20); break;
      case 8: v = rng() % 2 ? -0.0f : 0.0f; break;
      case 9: v = (rng() % 2 ? 1.0f : -1.0f) * float((int64_t{1} << (23 + rng() % 3)) + 0.5) * s; break;
      case 10: v = (rng() % 2 ? 1.0f : -1.0f) * std::numeric_limits<float>::max(); break;
      default: v = float(unit(rng) * span * s * 1.3); break;
    }
    data[size_t(flat)] = v;
    for (int d = shape.rank() - 1; d >= 0; --d) {
      if (++index[size_t(d)] < shape[d]) break;
      index[size_t(d)] = 0;
    }
  }
  return x;
}

// Quantized input for dequantize: values over the whole storage range, so
// out-of-range stored values (accepted as they are) and |q| > 2^24 occur.
inline Tensor make_quantized(const Shape& shape, DType dtype, std::mt19937& rng) {
  Tensor q(dtype, shape);
  visit_integer_dtype(dtype, [&](auto tag) {
    using Q = decltype(tag);
    std::uniform_int_distribution<int64_t> u(dtype_min(dtype), dtype_max(dtype));
    for (auto& v : q.data<Q>()) v = Q(u(rng));
  });
  return q;
}

// Bitwise equality of dtype, shape and every element; the message names the
// first differing element.
inline ::testing::AssertionResult same_tensor(const Tensor& expected, const Tensor& actual) {
  if (expected.dtype() != actual.dtype() || expected.shape() != actual.shape()) {
    return ::testing::AssertionFailure()
           << "expected " << dtype_name(expected.dtype()) << " " << expected.shape().str()
           << ", got " << dtype_name(actual.dtype()) << " " << actual.shape().str();
  }
  const size_t w = dtype_size(expected.dtype());
  const auto* a = static_cast<const unsigned char*>(expected.raw());
  const auto* b = static_cast<const unsigned char*>(actual.raw());
  for (int64_t i = 0; i < expected.numel(); ++i) {
    if (std::memcmp(a + size_t(i) * w, b + size_t(i) * w, w) != 0) {
      if (expected.dtype() == DType::f32) {
        return ::testing::AssertionFailure()
               << "element " << i << ": expected " << fmt::format("{} ({:a})", expected.f32_at(i), expected.f32_at(i))
               << ", got " << fmt::format("{} ({:a})", actual.f32_at(i), actual.f32_at(i));
      }
      return ::testing::AssertionFailure() << "element " << i << ": expected "
                                           << expected.int_at(i) << ", got " << actual.int_at(i);
    }
  }
  return ::testing::AssertionSuccess();
}

// Runs f() and returns the error kind it threw, or nullopt.
template <class F>
std::optional<ErrorKind> error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  return std::nullopt;
}

}  // namespace qdiff::impl::testing
